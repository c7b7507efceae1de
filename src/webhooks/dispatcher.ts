// The webhook endpoints of one server: reads their secrets and CA files, finds each one's durable
// cursor, and runs each endpoint's delivery loop (endpoint.ts) beside the others, so one slow
// receiver holds up no other. An endpoint the store has no cursor for (new in the config) starts
// at the end of the log: it receives what is committed from now on, not the history before it.

import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import { minimumWebhookSecretLength } from '../config/webhooks-section.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../timers/scheduler.js';
import { WebhookEndpoint } from './endpoint.js';
import { WebhookTarget } from './post.js';
import type { WebhookSettings } from './settings.js';

/** An endpoint with its key material read from the files its settings name. */
export interface WebhookKeys {
  settings: WebhookSettings;
  secret: string;
  ca: string | null;
}

/** Reads every secret and CA file, so that a missing or unusable one stops the start with a clear error before anything opens. */
export function readWebhookKeys(settings: readonly WebhookSettings[]): WebhookKeys[] {
  return settings.map((endpoint) => ({ settings: endpoint, secret: readSecret(endpoint), ca: readCa(endpoint) }));
}

export interface WebhookDispatcherOptions {
  endpoints: readonly WebhookKeys[];
  store: Pick<Store, 'readEvents' | 'readWebhookCursors' | 'saveWebhookCursor'>;
  /** The last seq committed; the dispatcher must hear of each later one through onCommitted(). */
  committedSeq: () => number;
  clock: Clock;
  logger: Logger;
  onPost?: (endpoint: string, delivered: boolean, events: number) => void;
}

export class WebhookDispatcher {
  private readonly endpoints: WebhookEndpoint[];

  private constructor(endpoints: WebhookEndpoint[]) {
    this.endpoints = endpoints;
  }

  static async start(options: WebhookDispatcherOptions): Promise<WebhookDispatcher> {
    const cursors = new Map((await options.store.readWebhookCursors()).map((cursor) => [cursor.endpoint, cursor.lastSeq]));
    const endpoints: WebhookEndpoint[] = [];
    for (const { settings, secret, ca } of options.endpoints) {
      let cursor = cursors.get(settings.name);
      if (cursor === undefined) {
        cursor = options.committedSeq();
        // Saved before the first delivery: a crash must not move a new endpoint's start past events committed meanwhile.
        await options.store.saveWebhookCursor({ endpoint: settings.name, lastSeq: cursor });
        options.logger.info({ webhook: settings.name, fromSeq: cursor + 1 }, 'new webhook endpoint: it receives the events committed from now on');
      }
      const target = new WebhookTarget(settings.url, ca);
      endpoints.push(new WebhookEndpoint({
        settings, secret, target, cursor, store: options.store, committedSeq: options.committedSeq, clock: options.clock, logger: options.logger,
        onPost: (delivered, events) => options.onPost?.(settings.name, delivered, events),
      }));
      options.logger.info({ webhook: settings.name, target: target.origin, fromSeq: cursor + 1, events: settings.events === null ? 'all' : [...settings.events], queues: settings.queues === null ? 'all' : [...settings.queues] }, 'webhook endpoint delivering');
    }
    for (const endpoint of endpoints) endpoint.start();
    return new WebhookDispatcher(endpoints);
  }

  onCommitted(): void {
    for (const endpoint of this.endpoints) endpoint.onCommitted();
  }

  statistics(): { endpoint: string; lag: number }[] {
    return this.endpoints.map((endpoint) => ({ endpoint: endpoint.name, lag: endpoint.lag() }));
  }

  async stop(): Promise<void> {
    await Promise.all(this.endpoints.map((endpoint) => endpoint.stop()));
  }
}

function readSecret(settings: WebhookSettings): string {
  if (settings.secret !== null) return settings.secret;
  let secret: string;
  try {
    secret = readFileSync(settings.secretFile!, 'utf8').trim();
  } catch (error) {
    throw new Error(`webhooks ${settings.name}: cannot read secretFile ${settings.secretFile}: ${(error as Error).message}`, { cause: error });
  }
  if (secret.length < minimumWebhookSecretLength) throw new Error(`webhooks ${settings.name}: the secret in ${settings.secretFile} must be at least ${minimumWebhookSecretLength} characters.`);
  return secret;
}

function readCa(settings: WebhookSettings): string | null {
  if (settings.caFile === null) return null;
  let pem: string;
  try {
    pem = readFileSync(settings.caFile, 'utf8');
    new X509Certificate(pem);
  } catch (error) {
    throw new Error(`webhooks ${settings.name}: ca ${settings.caFile} is not a readable PEM certificate: ${(error as Error).message}`, { cause: error });
  }
  return pem;
}
