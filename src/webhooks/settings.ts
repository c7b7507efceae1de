// Webhook endpoint settings, resolved from the config file's `webhooks` section
// (src/config/webhooks-section.ts). Secrets and CA files are read when the server starts.

export interface WebhookSettings {
  /** Unique; names the endpoint's durable cursor, its log lines and its metrics. */
  name: string;
  /** https:, or http: to a loopback host only. */
  url: string;
  /** The HMAC-SHA256 key, given in the config or (secretFile, an absolute path) read at start. */
  secret: string | null;
  secretFile: string | null;
  /** Only these reporting events; null: all. */
  events: ReadonlySet<string> | null;
  /** Only events that name one of these queues; null: no queue filter. */
  queues: ReadonlySet<string> | null;
  /** An extra CA certificate (PEM, absolute path) trusted beside the usual ones, for a private receiver. */
  caFile: string | null;
  /** One POST, from connecting to the last byte of the answer, gives up after this. */
  timeoutMs: number;
  /** Events per POST at most. */
  maxBatch: number;
  /** A failed POST is retried after a random wait up to initial × 2^(failures − 1), capped at max. */
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
}
