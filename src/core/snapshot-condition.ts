// A snapshot's condition (SPEC 9.3 step 2): equality and range tests on an interaction's
// attributes and user-data keys, given as data and compiled into a predicate. Nothing in it is
// ever evaluated as text: a field name is looked up in a fixed table or read as one user-data key,
// and a value is only compared. The number of tests and the length of every value are bounded,
// so the cost of a test per interaction is bounded too.

import { RequestError } from './errors.js';
import { parseIso } from './interaction.js';
import type { Interaction, InteractionState } from './types.js';

/** A value a test compares with: a string, a number or a boolean (JSON's scalars). */
export type ConditionValue = string | number | boolean;

/** One field's test: a value (equality) or an object of comparisons, all of which must hold. */
export type ConditionTest =
  | ConditionValue
  | { eq?: ConditionValue; ne?: ConditionValue; gt?: ConditionValue; gte?: ConditionValue; lt?: ConditionValue; lte?: ConditionValue; in?: ConditionValue[] };

/** Field name (`priority`, `userData.language`) to its test. */
export type Condition = Record<string, ConditionTest>;

export const conditionBounds = {
  /** Fields tested in one condition. */
  maxConditionTests: 32,
  /** Values listed in one `in` test. */
  maxConditionInValues: 100,
  /** A string compared with, and a user-data key named after `userData.`. */
  maxConditionValueLength: 1024,
} as const;

/** The attributes a condition may test, besides user-data keys. Times are compared as instants. */
export const conditionFields = ['mediaType', 'type', 'subtype', 'priority', 'submittedAt', 'placedInQueueAt', 'state'] as const;
type Field = (typeof conditionFields)[number];
const timeFields: ReadonlySet<string> = new Set(['submittedAt', 'placedInQueueAt']);
const userDataPrefix = 'userData.';
const operators = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in'] as const;
type Operator = (typeof operators)[number];

export type InteractionPredicate = (interaction: Interaction) => boolean;

interface CompiledTest {
  read: (interaction: Interaction) => unknown;
  check: (value: unknown) => boolean;
}

/** Compiles a condition; throws InvalidRequest (naming the field) when it is malformed. No condition matches everything. */
export function compileCondition(condition: Condition | undefined): InteractionPredicate {
  if (condition === undefined) return () => true;
  const fields = Object.keys(condition);
  if (fields.length > conditionBounds.maxConditionTests) {
    throw new RequestError('InvalidRequest', `A condition tests at most ${conditionBounds.maxConditionTests} fields; this one tests ${fields.length}.`);
  }
  const tests: CompiledTest[] = fields.map((field) => compileTest(field, condition[field]!));
  // A snapshot tests every interaction of a queue, a hundred thousand at once: one or two tests,
  // the common case, are called directly rather than through a loop.
  if (tests.length === 1) {
    const [only] = tests as [CompiledTest];
    return (interaction) => only.check(only.read(interaction));
  }
  if (tests.length === 2) {
    const [first, second] = tests as [CompiledTest, CompiledTest];
    return (interaction) => first.check(first.read(interaction)) && second.check(second.read(interaction));
  }
  return (interaction) => {
    for (const test of tests) if (!test.check(test.read(interaction))) return false;
    return true;
  };
}

function compileTest(field: string, test: ConditionTest): CompiledTest {
  const read = readerOf(field);
  const isTime = timeFields.has(field);
  const comparisons: [Operator, ConditionValue | ConditionValue[]][] = [];
  if (typeof test === 'object' && test !== null && !Array.isArray(test)) {
    for (const [operator, value] of Object.entries(test)) {
      if (!(operators as readonly string[]).includes(operator)) {
        throw new RequestError('InvalidRequest', `condition.${field}: "${operator}" is not a test; use one of ${operators.join(', ')}.`);
      }
      comparisons.push([operator as Operator, value as ConditionValue | ConditionValue[]]);
    }
    if (comparisons.length === 0) throw new RequestError('InvalidRequest', `condition.${field}: name at least one test (${operators.join(', ')}).`);
  } else {
    comparisons.push(['eq', test]);
  }
  const checks = comparisons.map(([operator, value]) => compileComparison(field, operator, value, isTime));
  if (checks.length === 1) return { read, check: checks[0]! };
  return { read, check: (actual) => checks.every((check) => check(actual)) };
}

function readerOf(field: string): (interaction: Interaction) => unknown {
  if (field.startsWith(userDataPrefix)) {
    const key = field.slice(userDataPrefix.length);
    if (key === '' || key.length > conditionBounds.maxConditionValueLength) {
      throw new RequestError('InvalidRequest', `condition: "${field.slice(0, 64)}" must name one user-data key of 1 to ${conditionBounds.maxConditionValueLength} characters.`);
    }
    // Own properties only: "userData.constructor" is a key like any other, absent unless set.
    return (interaction) => (Object.hasOwn(interaction.userData, key) ? interaction.userData[key] : undefined);
  }
  switch (field as Field) {
    case 'mediaType': return (interaction) => interaction.mediaType;
    case 'type': return (interaction) => interaction.type;
    case 'subtype': return (interaction) => interaction.subtype;
    case 'priority': return (interaction) => interaction.priority;
    case 'submittedAt': return (interaction) => interaction.submittedAt;
    case 'placedInQueueAt': return (interaction) => interaction.key.enteredAt;
    case 'state': return (interaction): InteractionState => interaction.state;
  }
  throw new RequestError('InvalidRequest', `condition: "${field.slice(0, 64)}" is not a field a condition may test; use ${conditionFields.join(', ')} or userData.<key>.`);
}

function compileComparison(field: string, operator: Operator, given: ConditionValue | ConditionValue[], isTime: boolean): (actual: unknown) => boolean {
  if (operator === 'in') {
    if (!Array.isArray(given) || given.length > conditionBounds.maxConditionInValues) {
      throw new RequestError('InvalidRequest', `condition.${field}.in: a list of at most ${conditionBounds.maxConditionInValues} values.`);
    }
    const values = new Set(given.map((value) => operand(field, value, isTime)));
    return (actual) => values.has(actual as ConditionValue);
  }
  if (Array.isArray(given)) throw new RequestError('InvalidRequest', `condition.${field}.${operator}: one value, not a list.`);
  const value = operand(field, given, isTime);
  switch (operator) {
    case 'eq': return (actual) => actual === value;
    case 'ne': return (actual) => actual !== value;
    // A range test compares like with like: a string is never above or below a number.
    case 'gt': return (actual) => typeof actual === typeof value && (actual as ConditionValue) > value;
    case 'gte': return (actual) => typeof actual === typeof value && (actual as ConditionValue) >= value;
    case 'lt': return (actual) => typeof actual === typeof value && (actual as ConditionValue) < value;
    case 'lte': return (actual) => typeof actual === typeof value && (actual as ConditionValue) <= value;
  }
}

/** A value checked for its bound; an ISO time for a time field, read as milliseconds. */
function operand(field: string, value: unknown, isTime: boolean): ConditionValue {
  if (typeof value === 'string') {
    if (value.length > conditionBounds.maxConditionValueLength) {
      throw new RequestError('InvalidRequest', `condition.${field}: a value is at most ${conditionBounds.maxConditionValueLength} characters.`);
    }
    if (!isTime) return value;
    const time = parseIso(value);
    if (time === null) {
      throw new RequestError('InvalidRequest', `condition.${field}: "${value.slice(0, 64)}" is not an ISO 8601 time.`);
    }
    return time;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return value;
  throw new RequestError('InvalidRequest', `condition.${field}: compare with a string, a finite number or a boolean.`);
}
