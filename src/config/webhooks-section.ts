// The config file's `webhooks` section: its schema and its resolution into WebhookSettings, with
// errors that name the endpoint and the key that is wrong.

import { resolve } from 'node:path';
import Type from 'typebox';
import { isLoopback } from '../auth/exposure.js';
import { reportingEvents } from '../protocol/messages.js';
import type { WebhookSettings } from '../webhooks/settings.js';
import { parseDuration } from './duration.js';

const Duration = Type.Union([Type.Number({ minimum: 0 }), Type.String()]);

export const WebhooksSection = Type.Array(Type.Object({
  name: Type.String({ minLength: 1 }),
  url: Type.String({ minLength: 1 }),
  secret: Type.Optional(Type.String({ minLength: 1 })),
  secretFile: Type.Optional(Type.String({ minLength: 1 })),
  events: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  queues: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  ca: Type.Optional(Type.String({ minLength: 1 })),
  timeout: Type.Optional(Duration),
  maxBatch: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  retry: Type.Optional(Type.Object({
    initialDelay: Type.Optional(Duration),
    maxDelay: Type.Optional(Duration),
  }, { additionalProperties: false })),
}, { additionalProperties: false }));

export const webhookDefaults = {
  timeoutSeconds: 10,
  maxBatch: 100,
  retryInitialDelaySeconds: 1,
  retryMaxDelaySeconds: 60,
} as const;

/** An HMAC key shorter than its hash (32 bytes for SHA-256) is weaker than the signature. */
export const minimumWebhookSecretLength = 32;

/** Names go into log lines, metric labels and the cursor table: plain and short. */
const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

type WebhookInput = {
  name: string; url: string; secret?: string; secretFile?: string; events?: string[]; queues?: string[]; ca?: string;
  timeout?: number | string; maxBatch?: number; retry?: { initialDelay?: number | string; maxDelay?: number | string };
};

export function resolveWebhooks(section: WebhookInput[] | undefined, queues: ReadonlySet<string>, baseDirectory: string): WebhookSettings[] {
  const seen = new Set<string>();
  return (section ?? []).map((entry, index) => {
    const where = `webhooks.${index}`;
    if (!namePattern.test(entry.name)) throw new Error(`${where}.name: "${entry.name}" is not a plain name: letters, digits, _ . and -, at most 64.`);
    if (seen.has(entry.name)) throw new Error(`${where}.name: another endpoint is named "${entry.name}"; each needs its own name (it names its cursor).`);
    seen.add(entry.name);
    checkUrl(entry.url, `${where}.url`);
    if ((entry.secret === undefined) === (entry.secretFile === undefined)) throw new Error(`${where}: give exactly one of secret and secretFile (the key the signatures are made with).`);
    if (entry.secret !== undefined && entry.secret.length < minimumWebhookSecretLength) {
      throw new Error(`${where}.secret: the secret must be at least ${minimumWebhookSecretLength} characters (for example \`openssl rand -hex 32\`).`);
    }
    for (const name of entry.events ?? []) {
      if (!Object.hasOwn(reportingEvents, name)) throw new Error(`${where}.events: "${name}" is not a reporting event; one of ${Object.keys(reportingEvents).join(', ')}.`);
    }
    for (const queue of entry.queues ?? []) {
      if (!queues.has(queue)) throw new Error(`${where}.queues: there is no queue named "${queue}".`);
    }
    const retryInitialDelayMs = parseDuration(entry.retry?.initialDelay ?? webhookDefaults.retryInitialDelaySeconds, `${where}.retry.initialDelay`);
    const retryMaxDelayMs = parseDuration(entry.retry?.maxDelay ?? webhookDefaults.retryMaxDelaySeconds, `${where}.retry.maxDelay`);
    if (retryInitialDelayMs <= 0) throw new Error(`${where}.retry.initialDelay: the first wait must be longer than 0, or a receiver that is down would be hammered.`);
    if (retryMaxDelayMs < retryInitialDelayMs) throw new Error(`${where}.retry.maxDelay: it must be at least retry.initialDelay.`);
    const timeoutMs = parseDuration(entry.timeout ?? webhookDefaults.timeoutSeconds, `${where}.timeout`);
    if (timeoutMs <= 0) throw new Error(`${where}.timeout: a POST needs some time; give more than 0.`);
    return {
      name: entry.name,
      url: entry.url,
      secret: entry.secret ?? null,
      secretFile: entry.secretFile === undefined ? null : resolve(baseDirectory, entry.secretFile),
      events: entry.events === undefined ? null : new Set(entry.events),
      queues: entry.queues === undefined ? null : new Set(entry.queues),
      caFile: entry.ca === undefined ? null : resolve(baseDirectory, entry.ca),
      timeoutMs,
      maxBatch: entry.maxBatch ?? webhookDefaults.maxBatch,
      retryInitialDelayMs,
      retryMaxDelayMs,
    };
  });
}

/**
 * Events leave the machine over TLS: https: only, except http: to this machine itself (a local
 * relay, the tests), where nothing crosses a network.
 */
function checkUrl(text: string, where: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${where}: "${text}" is not a URL.`);
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return;
  if (url.protocol === 'http:') throw new Error(`${where}: http: is allowed only to this machine (127.0.0.1, ::1, localhost); use https: for ${url.hostname}.`);
  throw new Error(`${where}: the URL must be https: (or http: to this machine), not ${url.protocol}`);
}
