// Limits on an interaction's user data. The interaction is kept in memory, written to the store
// and sent in events, so its size is bounded (limits.maxUserDataBytes) and so is its nesting
// (limits.maxUserDataDepth): JSON.parse reads a frame nested 10,000 deep, but JSON.stringify,
// which every store and every event needs, overflows the stack on it.

import { RequestError } from './errors.js';

/** Throws LimitExceeded when user data is nested deeper or is larger than allowed; changes nothing. */
export function checkUserData(userData: Record<string, unknown>, maxBytes: number, maxDepth: number, what: string): void {
  if (depthOf(userData, maxDepth) > maxDepth) {
    throw new RequestError('LimitExceeded', `${what} is nested more than ${maxDepth} levels deep (limits.maxUserDataDepth).`);
  }
  const bytes = jsonBytesOverLimit(userData, maxBytes);
  if (bytes !== null) {
    throw new RequestError('LimitExceeded', `${what} would be ${bytes} bytes of JSON; the limit is ${maxBytes} bytes (limits.maxUserDataBytes).`);
  }
}

/** The nesting depth of a JSON value (an object or array counts 1), counted up to limit + 1 without recursion. */
export function depthOf(value: unknown, limit: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 1;
  const pending: { value: object; depth: number }[] = [{ value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.depth > deepest) deepest = next.depth;
    if (deepest > limit) return deepest;
    const children = Array.isArray(next.value) ? next.value : Object.values(next.value);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) pending.push({ value: child as object, depth: next.depth + 1 });
    }
  }
  return deepest;
}

/** The UTF-8 size of a value's JSON text when it is over limit bytes; null when it fits. */
export function jsonBytesOverLimit(value: unknown, limit: number): number | null {
  const text = JSON.stringify(value) ?? '';
  // A UTF-16 unit takes at most three bytes in UTF-8 (a surrogate pair four, for two units).
  if (text.length * 3 <= limit) return null;
  const bytes = utf8Length(text);
  return bytes > limit ? bytes : null;
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      bytes += 4;
      index++;
    } else bytes += 3;
  }
  return bytes;
}
