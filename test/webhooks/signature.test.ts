// The signature of a webhook POST: HMAC-SHA256 over `timestamp.body`, checked in constant time
// with a freshness window; and the receiver's snippet in docs/webhooks.md, run as written.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { signature, verifySignature } from '../../src/webhooks/signature.js';

const secret = 'a-webhook-secret-of-more-than-thirty-two-characters';
const body = '{"webhook":"warehouse","events":[{"message":"EventPlacedInQueue","seq":42,"queue":"inbound ✓"}]}';
const now = 1_800_000_000;

describe('signature', () => {
  test('is sha256= and the hex HMAC-SHA256 of the timestamp, a dot and the body', () => {
    const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(signature(secret, String(now), body)).toBe(`sha256=${expected}`);
  });

  test('verifies only the same secret, timestamp and body, within the window', () => {
    const header = signature(secret, String(now), body);
    expect(verifySignature(secret, String(now), body, header, now)).toBe(true);
    expect(verifySignature(secret, String(now), body, header, now + 300)).toBe(true);
    expect(verifySignature(secret, String(now), body, header, now + 301)).toBe(false);
    expect(verifySignature(secret, String(now), body, header, now - 301)).toBe(false);
    expect(verifySignature(`${secret}!`, String(now), body, header, now)).toBe(false);
    expect(verifySignature(secret, String(now + 1), body, header, now)).toBe(false);
    expect(verifySignature(secret, String(now), body.replace('42', '43'), header, now)).toBe(false);
    expect(verifySignature(secret, String(now), body, header.toUpperCase(), now)).toBe(false);
    expect(verifySignature(secret, String(now), body, header.slice(0, -1), now)).toBe(false);
    expect(verifySignature(secret, `${now}.5`, body, signature(secret, `${now}.5`, body), now)).toBe(false);
  });
});

describe('the verification snippet in docs/webhooks.md', () => {
  test('accepts what the server signs and refuses what it did not', async () => {
    const docs = readFileSync(resolve(import.meta.dirname, '../../docs/webhooks.md'), 'utf8');
    const snippet = /<!-- verify-snippet[^>]*-->\s*```js\n([\s\S]*?)```/.exec(docs)?.[1];
    expect(snippet, 'a js block after the verify-snippet marker').toBeDefined();
    const directory = mkdtempSync(join(tmpdir(), 'openixn-snippet-'));
    try {
      const file = join(directory, 'verify-openixn-webhook.mjs');
      writeFileSync(file, snippet!);
      const { verifyOpenixnWebhook } = (await import(pathToFileURL(file).href)) as {
        verifyOpenixnWebhook: (secret: string, headers: Record<string, string>, rawBody: Buffer | string, nowSeconds?: number) => boolean;
      };
      const headers = { 'x-openixn-timestamp': String(now), 'x-openixn-signature': signature(secret, String(now), body) };
      expect(verifyOpenixnWebhook(secret, headers, Buffer.from(body), now)).toBe(true);
      expect(verifyOpenixnWebhook(secret, headers, body, now + 10)).toBe(true);
      expect(verifyOpenixnWebhook(secret, headers, body, now + 3600)).toBe(false);
      expect(verifyOpenixnWebhook('another-secret-of-more-than-thirty-two-chars', headers, body, now)).toBe(false);
      expect(verifyOpenixnWebhook(secret, headers, body.replace('42', '43'), now)).toBe(false);
      expect(verifyOpenixnWebhook(secret, { 'x-openixn-timestamp': String(now) }, body, now)).toBe(false);
      // Without the nowSeconds argument it reads the clock: a fresh signature verifies.
      const fresh = String(Math.floor(Date.now() / 1000));
      expect(verifyOpenixnWebhook(secret, { 'x-openixn-timestamp': fresh, 'x-openixn-signature': signature(secret, fresh, body) }, body)).toBe(true);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
