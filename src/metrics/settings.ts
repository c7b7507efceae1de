// Metrics settings, resolved from the config file's `metrics` section (src/config/metrics-section.ts):
// whether /metrics is served, where, and with which key. docs/metrics.md explains each choice.

export interface MetricsSettings {
  /** false: no /metrics anywhere. */
  enabled: boolean;
  /** The SHA-256 (lowercase hex) of the key every scrape must send as `Authorization: Bearer KEY`; null: none configured. */
  keySha256: string | null;
  /** A listener of its own for /metrics (then not served on the server's port); null: the server's port. */
  listener: { host: string; port: number } | null;
}

/** Where a request for /metrics arrived, and what it may see there. */
export type MetricsAccess =
  /** Served without a key. */
  | { kind: 'open' }
  /** Served to a request with the key. */
  | { kind: 'key'; sha256: string }
  /** Authentication is on and neither a key nor a listener of its own is configured: refused with a reason. */
  | { kind: 'refused'; reason: string }
  /** Not served on this listener. */
  | { kind: 'off' };

/**
 * Who may read /metrics on a listener. With a key configured, every scrape needs it. Without one,
 * a listener of its own (loopback only; the config refuses anything else without a key) and the
 * server's port without authentication are open; the server's port with authentication refuses,
 * since the metrics name queues and counts that a stranger has no business reading.
 */
export function metricsAccess(settings: MetricsSettings, where: 'server' | 'own', authenticationOn: boolean): MetricsAccess {
  if (!settings.enabled) return { kind: 'off' };
  if ((settings.listener === null) !== (where === 'server')) return { kind: 'off' };
  if (settings.keySha256 !== null) return { kind: 'key', sha256: settings.keySha256 };
  if (where === 'own' || !authenticationOn) return { kind: 'open' };
  return { kind: 'refused', reason: 'Authentication is on: /metrics needs the metrics key (metrics.key or metrics.sha256, sent as "Authorization: Bearer KEY") or a loopback listener of its own (metrics.port).' };
}
