// Turns text frames into validated requests, and events into text frames. Tested on strings,
// without a socket; the transport only moves the bytes.

import { Compile } from 'typebox/compile';
import type { ErrorCode } from './errors.js';
import { interactionIdPattern } from '../core/interaction.js';
import { namePattern, requests, type RequestName } from './messages.js';
import type { Static, TSchema } from 'typebox';

export type Request = { [K in RequestName]: Static<(typeof requests)[K]> }[RequestName];

export type Decoded =
  | { ok: true; request: Request }
  | { ok: false; errorCode: ErrorCode; errorDescription: string; referenceId?: number };

/**
 * A schema compiled into a check that answers with the first thing wrong with a value, in a
 * sentence naming `what`, or null when the value fits. It costs what reading the value costs,
 * refused or not: collections are counted against their bounds first, the compiled check stops at
 * the first failure, and the description is found on a sample. The WebSocket's requests and the
 * REST API's bodies are checked by it alike.
 */
export function compileCheck(schema: TSchema): (value: unknown, what: string) => string | null {
  const validator = Compile(schema);
  return (value, what) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const tooMany = countOverBound(schema, value as Record<string, unknown>);
      if (tooMany !== null) return `In ${what}, ${tooMany}.`;
    }
    if (validator.Check(value)) return null;
    return describeErrors(what, validator.Errors(sampled(value, 0)));
  };
}

const checks = new Map(Object.entries(requests).map(([name, schema]) => [name, compileCheck(schema)]));

/** Reads the referenceId of a frame too large to parse, so its EventError can still be matched. */
const referenceIdPattern = /"referenceId"\s*:\s*(-?\d{1,15})/;

/** The referenceId of a frame that is not parsed (too large, or over the rate), found by a text search. */
export function findReferenceId(text: string): number | undefined {
  const match = referenceIdPattern.exec(text);
  return match ? Number(match[1]) : undefined;
}

export function decode(frame: string, maxMessageBytes: number, frameBytes = Buffer.byteLength(frame), limitName = 'limits.maxMessageBytes'): Decoded {
  if (frameBytes > maxMessageBytes) {
    const referenceId = findReferenceId(frame.slice(0, 4096));
    return {
      ok: false,
      errorCode: 'LimitExceeded',
      errorDescription: `The message is ${frameBytes} bytes; the limit is ${maxMessageBytes} bytes (${limitName}).`,
      ...(referenceId !== undefined ? { referenceId } : {}),
    };
  }
  const json = parseJson(frame);
  if (!json.ok) return { ok: false, errorCode: 'InvalidRequest', errorDescription: `The message ${json.problem}.` };
  const parsed = json.value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, errorCode: 'InvalidRequest', errorDescription: 'A message is one JSON object.' };
  }
  const body = parsed as Record<string, unknown>;
  // Only a referenceId within its bound is echoed: a larger one is not the number the client wrote.
  const referenceId = Number.isSafeInteger(body.referenceId) ? (body.referenceId as number) : undefined;
  const withReference = referenceId === undefined ? {} : { referenceId };
  if (json.loneSurrogate) {
    return { ok: false, errorCode: 'InvalidRequest', errorDescription: 'The message holds text that is not valid Unicode: an unpaired surrogate escape such as "\\ud800".', ...withReference };
  }
  if (typeof body.message !== 'string') {
    return { ok: false, errorCode: 'InvalidRequest', errorDescription: 'The message has no "message" attribute naming it.', ...withReference };
  }
  const check = checks.get(body.message);
  if (check === undefined) {
    return { ok: false, errorCode: 'InvalidRequest', errorDescription: `"${body.message.slice(0, 100)}" is not a request this server knows.`, ...withReference };
  }
  const refusal = check(parsed, body.message);
  if (refusal !== null) return { ok: false, errorCode: 'InvalidRequest', errorDescription: refusal, ...withReference };
  return { ok: true, request: parsed as Request };
}

/**
 * JSON text as a value, and whether it holds an unpaired surrogate anywhere (a string or a key):
 * for frames and for HTTP bodies alike.
 */
export function parseJson(text: string): { ok: true; value: unknown; loneSurrogate: boolean } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'is not valid JSON' };
  }
  return { ok: true, value, loneSurrogate: text.includes('\\u') && surrogateEscape.test(text) && hasLoneSurrogate(value) };
}

/**
 * A lone surrogate is not text: PostgreSQL refuses it in JSON (and a commit that fails stops the
 * server), and no client can display it. It can only arrive as a \u escape, so frames without
 * one are not walked.
 */
const surrogateEscape = /\\u[dD][89a-fA-F]/;
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function hasLoneSurrogate(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (loneSurrogate.test(next)) return true;
    } else if (Array.isArray(next)) {
      for (const item of next) pending.push(item);
    } else if (typeof next === 'object' && next !== null) {
      for (const [key, item] of Object.entries(next)) {
        if (loneSurrogate.test(key)) return true;
        pending.push(item);
      }
    }
  }
  return false;
}

/**
 * The counts of a request's top-level collections against their bounds (maxItems, maxProperties),
 * checked before the schema: the compiled check tests every key of an object before it counts
 * them, which for 45,000 skills took a tenth of a second. Counting first refuses such a request
 * for the price of reading it.
 */
function countOverBound(schema: TSchema, body: Record<string, unknown>): string | null {
  const properties = (schema as { properties?: Record<string, { maxItems?: number; maxProperties?: number }> }).properties ?? {};
  for (const [name, property] of Object.entries(properties)) {
    const value = Object.hasOwn(body, name) ? body[name] : undefined;
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      if (property.maxItems !== undefined && value.length > property.maxItems) return `"${name}" must not have more than ${property.maxItems} items`;
    } else if (property.maxProperties !== undefined) {
      let count = 0;
      for (const key in value) if (Object.hasOwn(value, key) && ++count > property.maxProperties) return `"${name}" must not have more than ${property.maxProperties} properties`;
    }
  }
  return null;
}

/**
 * Collecting every validation error walks the whole request, which for a megabyte of small keys
 * took most of a second: long enough for one client to stall the server with a few frames a
 * second. Only the first error is described, so errors are collected on a sample of the request
 * in which no object or array has more entries than any bound allows (fieldBounds) plus one, and
 * nothing is nested deeper than user data may be: a count over its bound is still over it, and
 * the first wrong attribute is still found, unless it lies past the sample (then the description
 * is general).
 */
const sampleEntriesMax = 1001;
const sampleDepthMax = 64;

function sampled(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth >= sampleDepthMax) return value;
  if (Array.isArray(value)) return value.slice(0, sampleEntriesMax).map((item) => sampled(item, depth + 1));
  const copy: Record<string, unknown> = {};
  let entries = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (++entries > sampleEntriesMax) break;
    // defineProperty, so that a "__proto__" key is copied as the key it is.
    Object.defineProperty(copy, key, { value: sampled((value as Record<string, unknown>)[key], depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

interface SchemaError {
  keyword: string;
  instancePath: string;
  message: string;
  params: object;
}

/** The patterns the schemas use, in words: a regular expression tells a person little. */
const patternMeanings = new Map([
  [namePattern, 'must not contain control, line-separator or invisible formatting characters'],
  [interactionIdPattern, 'must be an interaction id: 16 characters, each 0-9 or a-z'],
]);

/** One sentence a person can act on: the first error that names an attribute. */
function describeErrors(message: string, errors: readonly SchemaError[]): string {
  const named = errors.find((error) => error.keyword === 'required' || error.keyword === 'additionalProperties')
    ?? errors.find((error) => error.keyword !== 'boolean' && error.keyword !== 'anyOf')
    ?? errors[0];
  if (named === undefined) return `${message} is not well formed.`;
  if (named.keyword === 'required') {
    const missing = (named.params as { requiredProperties?: string[] }).requiredProperties ?? [];
    return `${message} lacks the required attribute${missing.length > 1 ? 's' : ''} ${missing.map((name) => `"${name}"`).join(', ')}.`;
  }
  if (named.keyword === 'additionalProperties') {
    const extra = (named.params as { additionalProperties?: string[] }).additionalProperties ?? [];
    return `${message} has unknown attribute${extra.length > 1 ? 's' : ''} ${extra.map((name) => `"${name}"`).join(', ')}.`;
  }
  const path = named.instancePath.slice(1).replaceAll('/', '.');
  // A path can hold a client's key: it is echoed only in part.
  if (named.instancePath === '') return `${message} ${named.message}.`;
  const where = `"${path.length > 80 ? `${path.slice(0, 80)}…` : path}"`;
  if (named.keyword === 'pattern') {
    const pattern = (named.params as { pattern?: string }).pattern ?? '';
    return `In ${message}, ${where} ${patternMeanings.get(pattern) ?? named.message}.`;
  }
  if (named.keyword === 'maximum' || named.keyword === 'minimum') {
    return `In ${message}, ${where} must be at ${named.keyword === 'maximum' ? 'most' : 'least'} ${(named.params as { limit?: number }).limit}.`;
  }
  if (named.keyword === 'enum') {
    const allowed = (named.params as { allowedValues?: unknown[] }).allowedValues ?? [];
    return `In ${message}, ${where} must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}.`;
  }
  return `In ${message}, ${where} ${named.message}.`;
}

/** A message as a text frame. Reporting events are encoded once, by group commit, for the store and every client. */
export function encode(message: object): string {
  return JSON.stringify(message);
}
