// The snapshot condition (SPEC 9.3 step 2): equality and range tests as data, never text that is
// evaluated, with bounded tests and values.

import { describe, expect, test } from 'vitest';
import { RequestError } from '../../src/core/errors.js';
import { compileCondition, conditionBounds, type Condition } from '../../src/core/snapshot-condition.js';
import type { Interaction } from '../../src/core/types.js';

const at = (text: string) => Date.parse(text);

function interaction(overrides: Partial<Interaction> = {}): Interaction {
  return {
    interactionId: '0000000000000001', mediaType: 'email', type: 'Inbound', subtype: 'InboundNew', priority: 5,
    userData: { language: 'de', amount: 120, vip: true }, submittedAt: at('2026-01-05T09:00:00Z'), submittedBy: 'gateway',
    externalId: null, state: 'queued', queue: 'inbound', workbin: null,
    key: { priority: 5, enteredAt: at('2026-01-05T09:30:00Z'), entryOrder: 1 },
    assignedTo: null, placeId: null, ownedSince: 0, routerId: null, ticket: null,
    ...overrides,
  } as Interaction;
}

function refusal(condition: unknown): string {
  try {
    compileCondition(condition as Condition);
  } catch (error) {
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).code).toBe('InvalidRequest');
    return (error as RequestError).message;
  }
  throw new Error('the condition was accepted');
}

describe('9.3.2 a snapshot condition', () => {
  test('no condition matches every interaction', () => {
    expect(compileCondition(undefined)(interaction())).toBe(true);
  });

  test('equality on attributes and user-data keys, all of which must hold', () => {
    const match = compileCondition({ mediaType: 'email', 'userData.language': 'de', state: 'queued' });
    expect(match(interaction())).toBe(true);
    expect(match(interaction({ mediaType: 'chat' }))).toBe(false);
    expect(match(interaction({ userData: { language: 'fr' } }))).toBe(false);
    expect(match(interaction({ state: 'routing' }))).toBe(false);
  });

  test('range tests on priority, times and numeric user data', () => {
    expect(compileCondition({ priority: { gte: 5 } })(interaction())).toBe(true);
    expect(compileCondition({ priority: { gt: 5 } })(interaction())).toBe(false);
    expect(compileCondition({ priority: { gte: 1, lt: 5 } })(interaction({ priority: 4 }))).toBe(true);
    expect(compileCondition({ submittedAt: { lt: '2026-01-05T10:00:00Z' } })(interaction())).toBe(true);
    expect(compileCondition({ placedInQueueAt: { gte: '2026-01-05T09:31:00.000Z' } })(interaction())).toBe(false);
    expect(compileCondition({ 'userData.amount': { gt: 100, lte: 120 } })(interaction())).toBe(true);
  });

  test('ne and in', () => {
    expect(compileCondition({ subtype: { ne: 'InboundNew' } })(interaction())).toBe(false);
    expect(compileCondition({ 'userData.language': { in: ['fr', 'de'] } })(interaction())).toBe(true);
    expect(compileCondition({ state: { in: ['routing', 'invited'] } })(interaction())).toBe(false);
  });

  test('a range test never matches a value of another kind, nor a key that is absent', () => {
    expect(compileCondition({ 'userData.language': { gt: 1 } })(interaction())).toBe(false);
    expect(compileCondition({ 'userData.missing': { lt: 'z' } })(interaction())).toBe(false);
    expect(compileCondition({ 'userData.vip': true })(interaction())).toBe(true);
  });

  test('a user-data key named like an Object property is an ordinary key', () => {
    const match = compileCondition({ 'userData.constructor': { ne: 'x' }, 'userData.__proto__': 'y' });
    expect(match(interaction())).toBe(false);
    expect(compileCondition({ 'userData.toString': { in: ['a'] } })(interaction())).toBe(false);
  });

  test('text is never evaluated: an expression is a value like any other', () => {
    const match = compileCondition({ 'userData.language': "de' || 1 == 1 || '" });
    expect(match(interaction())).toBe(false);
    expect(refusal({ 'priority > 0': 1 })).toMatch(/not a field/);
    expect(refusal({ 'process.exit()': 1 })).toMatch(/not a field/);
  });

  test('malformed tests are refused with a description naming the field', () => {
    expect(refusal({ priority: { between: [1, 2] } })).toMatch(/condition\.priority: "between" is not a test/);
    expect(refusal({ priority: {} })).toMatch(/at least one test/);
    expect(refusal({ submittedAt: { gt: 'yesterday' } })).toMatch(/not an ISO 8601 time/);
    expect(refusal({ priority: { gt: [1] } })).toMatch(/one value, not a list/);
    expect(refusal({ priority: { in: 3 } })).toMatch(/a list of at most/);
    expect(refusal({ priority: null })).toMatch(/compare with a string/);
    expect(refusal({ 'userData.': 'x' })).toMatch(/one user-data key/);
  });

  test('the number of tests and the length of values are bounded', () => {
    const tooMany = Object.fromEntries(Array.from({ length: conditionBounds.maxConditionTests + 1 }, (_, index) => [`userData.k${index}`, 1]));
    expect(refusal(tooMany)).toMatch(/at most 32 fields/);
    expect(refusal({ type: 'x'.repeat(conditionBounds.maxConditionValueLength + 1) })).toMatch(/at most 1024 characters/);
    expect(refusal({ type: { in: Array.from({ length: conditionBounds.maxConditionInValues + 1 }, () => 'a') } })).toMatch(/at most 100 values/);
    expect(refusal({ [`userData.${'k'.repeat(conditionBounds.maxConditionValueLength + 1)}`]: 'a' })).toMatch(/one user-data key/);
  });
});
