// How a webhook POST is signed, and how a receiver checks it (docs/webhooks.md shows the same in a
// few lines a receiver can copy): HMAC-SHA256 with the endpoint's secret over the timestamp, a dot
// and the body exactly as sent. The timestamp is inside what is signed, so an old POST replayed
// later fails the receiver's freshness check even though its signature is genuine.

import { createHmac, timingSafeEqual } from 'node:crypto';

/** The headers of every POST (Node writes them lower-case on the wire; HTTP header names are case-insensitive). */
export const webhookHeaders = {
  /** The endpoint's name from the config. */
  endpoint: 'X-Openixn-Webhook',
  /** `FIRSTSEQ-LASTSEQ` of the events in the body: the same on every retry of the body. */
  delivery: 'X-Openixn-Delivery',
  /** Unix time in seconds when this attempt was signed. */
  timestamp: 'X-Openixn-Timestamp',
  /** `sha256=` and the lower-case hex HMAC-SHA256 of `TIMESTAMP.BODY`. */
  signature: 'X-Openixn-Signature',
} as const;

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: the signature matches (compared in constant time) and the timestamp is recent. */
export function verifySignature(secret: string, timestamp: string, body: string, header: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signature(secret, timestamp, body));
  const received = Buffer.from(header);
  return expected.length === received.length && timingSafeEqual(expected, received);
}
