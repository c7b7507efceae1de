// The config file's `metrics` section: its schema and its resolution into MetricsSettings.

import Type from 'typebox';
import { apiKeyHash } from '../auth/settings.js';
import { isLoopback } from '../auth/exposure.js';
import type { MetricsSettings } from '../metrics/settings.js';

export const MetricsSection = Type.Object({
  enabled: Type.Optional(Type.Boolean()),
  key: Type.Optional(Type.String({ minLength: 1 })),
  sha256: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$' })),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  host: Type.Optional(Type.String({ minLength: 1 })),
}, { additionalProperties: false });

export const metricsDefaults = { enabled: true, host: '127.0.0.1' } as const;

/** Like API keys: shorter ones can be guessed. */
const minimumKeyLength = 32;

export function resolveMetrics(section: { enabled?: boolean; key?: string; sha256?: string; port?: number; host?: string } | undefined, serverPort: number): MetricsSettings {
  const metrics = section ?? {};
  if (metrics.key !== undefined && metrics.sha256 !== undefined) throw new Error('metrics: give key or sha256, not both.');
  if (metrics.key !== undefined && metrics.key.length < minimumKeyLength) {
    throw new Error(`metrics.key: the key must be at least ${minimumKeyLength} characters (for example \`openssl rand -hex 32\`).`);
  }
  const keySha256 = metrics.sha256?.toLowerCase() ?? (metrics.key === undefined ? null : apiKeyHash(metrics.key));
  if (metrics.host !== undefined && metrics.port === undefined) throw new Error('metrics.host: name the port of the metrics listener too (metrics.port).');
  let listener: MetricsSettings['listener'] = null;
  if (metrics.port !== undefined) {
    const host = metrics.host ?? metricsDefaults.host;
    if (metrics.port !== 0 && metrics.port === serverPort) throw new Error(`metrics.port: ${metrics.port} is the server's own port; give the metrics listener another one, or leave metrics.port out to serve /metrics there.`);
    if (!isLoopback(host) && keySha256 === null) {
      throw new Error(`metrics.host: a metrics listener on ${host} would let anyone who reaches it read the metrics; configure metrics.key (or sha256), or listen on 127.0.0.1.`);
    }
    listener = { host, port: metrics.port };
  }
  return { enabled: metrics.enabled ?? metricsDefaults.enabled, keySha256, listener };
}
