// One webhook endpoint: a loop that reads the committed reporting log from the store after the
// endpoint's cursor, one page at a time, POSTs the events its filter keeps, and advances the cursor
// on a 2xx answer only. A failure (any other status, a timeout, a refused connection, a store read
// that fails) is retried with backoff, the same body again, until it is answered: nothing is
// skipped and the order is kept. The loop runs beside the server, never inside group commit, so a
// receiver that is slow or gone costs the clients nothing.
//
// The cursor is saved on its own, at most once per cursorSaveIntervalMs (SQLite fsyncs each save,
// on the thread that commits): after a crash up to that much is sent again. Delivery is at least
// once; receivers de-duplicate by seq.

import type { Logger } from 'pino';
import type { Store, StoredEvent } from '../store/store.js';
import type { Clock } from '../timers/scheduler.js';
import { retryDelayMs } from './backoff.js';
import { eventFilter, type EventFilter } from './filter.js';
import type { WebhookTarget } from './post.js';
import type { WebhookSettings } from './settings.js';
import { signature, webhookHeaders } from './signature.js';

/** The durable cursor trails the delivered one by at most this long. */
const cursorSaveIntervalMs = 1000;

/** A batch whose body would grow past this is cut short (it always holds at least one event). */
const bodyBytesMax = 1024 * 1024;

export interface WebhookEndpointOptions {
  settings: WebhookSettings;
  secret: string;
  target: WebhookTarget;
  store: Pick<Store, 'readEvents' | 'saveWebhookCursor'>;
  /** The endpoint has received (or skipped) every event up to this seq. */
  cursor: number;
  /** The last seq committed: nothing after it may be sent. */
  committedSeq: () => number;
  clock: Clock;
  logger: Logger;
  onPost?: (delivered: boolean, events: number) => void;
}

/** The events of one POST and the last seq it accounts for (the filter's skips up to there included). */
interface Batch {
  events: StoredEvent[];
  throughSeq: number;
  body: string;
}

export class WebhookEndpoint {
  readonly name: string;
  private readonly options: WebhookEndpointOptions;
  private readonly filter: EventFilter;
  private cursor: number;
  private savedCursor: number;
  private stopped = false;
  private running: Promise<void> | null = null;
  /** Wakes the loop from waiting for a commit or from a backoff wait. */
  private wake: (() => void) | null = null;
  private saveTimer: NodeJS.Timeout | null = null;
  private saving: Promise<void> | null = null;
  private lastSaveAt = Number.NEGATIVE_INFINITY;

  constructor(options: WebhookEndpointOptions) {
    this.options = options;
    this.name = options.settings.name;
    this.filter = eventFilter(options.settings);
    this.cursor = options.cursor;
    this.savedCursor = options.cursor;
  }

  start(): void {
    this.running ??= this.run().catch((error: unknown) => {
      this.options.logger.error({ err: error, webhook: this.name }, 'webhook delivery stopped by a bug');
    });
  }

  /** New events were committed. */
  onCommitted(): void {
    if (this.wake !== null && this.options.committedSeq() > this.cursor) this.wake();
  }

  /** Committed events not yet received (or skipped). */
  lag(): number {
    return Math.max(0, this.options.committedSeq() - this.cursor);
  }

  /** Ends the loop, cutting a POST under way (it will be sent again), and saves the cursor. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.options.target.close();
    this.wake?.();
    await this.running;
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    await this.saving;
    await this.save();
  }

  private async run(): Promise<void> {
    const { settings, logger } = this.options;
    let batch: Batch | null = null;
    let failures = 0;
    while (!this.stopped) {
      if (batch === null) {
        if (this.cursor >= this.options.committedSeq()) {
          await this.pause(null);
          continue;
        }
        try {
          batch = await this.nextBatch();
        } catch (error) {
          failures++;
          const waitMs = retryDelayMs(failures, settings.retryInitialDelayMs, settings.retryMaxDelayMs);
          logger.warn({ err: error, webhook: this.name, failures, retryInMs: waitMs }, 'webhook delivery could not read the reporting log; retrying');
          await this.pause(waitMs);
          continue;
        }
      }
      if (batch.events.length > 0) {
        const outcome = await this.post(batch);
        this.options.onPost?.(outcome.delivered, batch.events.length);
        if (!outcome.delivered) {
          if (this.stopped) break;
          failures++;
          const waitMs = retryDelayMs(failures, settings.retryInitialDelayMs, settings.retryMaxDelayMs);
          logger.warn({
            webhook: this.name, target: this.options.target.origin, status: outcome.status, reason: outcome.reason,
            fromSeq: batch.events[0]!.seq, toSeq: batch.events[batch.events.length - 1]!.seq, failures, retryInMs: waitMs,
          }, 'webhook POST failed; retrying the same events');
          await this.pause(waitMs);
          continue;
        }
        if (failures > 0) logger.info({ webhook: this.name, target: this.options.target.origin, after: failures }, 'webhook endpoint answers again');
      }
      failures = 0;
      this.cursor = batch.throughSeq;
      batch = null;
      this.scheduleSave();
    }
  }

  /** Reads one page after the cursor and keeps what the filter wants; a page the filter empties still moves the cursor. */
  private async nextBatch(): Promise<Batch> {
    // A page no larger than a body: what is read beyond it would be read again for the next batch.
    const page = await this.options.store.readEvents(this.cursor + 1, this.options.committedSeq(), this.options.settings.maxBatch, bodyBytesMax);
    if (page[0]?.seq !== this.cursor + 1) throw new Error(`the reporting log has no event ${this.cursor + 1}, though it is committed`);
    const events: StoredEvent[] = [];
    let throughSeq = this.cursor;
    let bytes = 0;
    for (const event of page) {
      if (event.seq !== throughSeq + 1) break;
      if (this.filter(event)) {
        if (events.length > 0 && bytes + event.text.length > bodyBytesMax) break;
        events.push(event);
        bytes += event.text.length + 1;
      }
      throughSeq = event.seq;
    }
    // The stored texts as they are: the body is built once and sent the same on every retry.
    const body = `{"webhook":${JSON.stringify(this.name)},"events":[${events.map((event) => event.text).join(',')}]}`;
    return { events, throughSeq, body };
  }

  private post(batch: Batch): ReturnType<WebhookTarget['post']> {
    const timestamp = String(Math.floor(this.options.clock.now() / 1000));
    return this.options.target.post(batch.body, {
      [webhookHeaders.endpoint]: this.name,
      [webhookHeaders.delivery]: `${batch.events[0]!.seq}-${batch.events[batch.events.length - 1]!.seq}`,
      [webhookHeaders.timestamp]: timestamp,
      [webhookHeaders.signature]: signature(this.options.secret, timestamp, batch.body),
      'user-agent': 'openixn-webhooks',
    }, this.options.settings.timeoutMs);
  }

  /** Waits for a commit (null) or for a while, whichever the caller wants; a stop ends either. */
  private pause(waitMs: number | null): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = waitMs === null ? null : setTimeout(() => done(), waitMs);
      const done = () => {
        if (timer !== null) clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      // A backoff wait is not cut short by new commits: only a stop ends it early.
      this.wake = waitMs === null ? done : () => {
        if (this.stopped) done();
      };
    });
  }

  private scheduleSave(): void {
    if (this.saveTimer !== null || this.saving !== null || this.stopped) return;
    const waitMs = Math.max(0, this.lastSaveAt + cursorSaveIntervalMs - performance.now());
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.save();
    }, waitMs);
  }

  private async save(): Promise<void> {
    const lastSeq = this.cursor;
    if (lastSeq === this.savedCursor) return;
    this.lastSaveAt = performance.now();
    this.saving = this.options.store.saveWebhookCursor({ endpoint: this.name, lastSeq }).then(
      () => {
        this.savedCursor = lastSeq;
      },
      (error: unknown) => {
        // Delivered all the same: a cursor that lags only sends these events again after a restart.
        this.options.logger.warn({ err: error, webhook: this.name, lastSeq }, 'webhook cursor not saved; will try again');
      },
    );
    await this.saving;
    this.saving = null;
    if (this.cursor !== this.savedCursor) this.scheduleSave();
  }
}
