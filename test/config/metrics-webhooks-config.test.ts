// The config file's `metrics` and `webhooks` sections (issue 10, parts 4 and 5): defaults, who
// may read /metrics where, and the errors that say what is wrong with an endpoint.

import { describe, expect, test } from 'vitest';
import { parseConfigText, resolveSettings, type Settings } from '../../src/config/config.js';
import { metricsAccess } from '../../src/metrics/settings.js';
import { sha256 } from '../support/auth.js';

function load(text: string, baseDirectory = '/etc/openixn'): Settings {
  return resolveSettings(parseConfigText(text, 'openixn.yaml'), { baseDirectory });
}

const key = 'm'.repeat(40);
const secret = 's'.repeat(32);

describe('metrics', () => {
  test('by default /metrics is on, on the server\'s port, with no key', () => {
    expect(load('').metrics).toEqual({ enabled: true, keySha256: null, listener: null });
  });

  test('a key is kept as its SHA-256, given either way; a listener of its own defaults to loopback', () => {
    expect(load(`metrics: { key: "${key}" }`).metrics.keySha256).toBe(sha256(key));
    expect(load(`metrics: { sha256: "${sha256(key).toUpperCase()}", port: 9464 }`).metrics).toEqual({
      enabled: true, keySha256: sha256(key), listener: { host: '127.0.0.1', port: 9464 },
    });
    expect(load(`metrics: { port: 9464, host: 0.0.0.0, key: "${key}" }`).metrics.listener).toEqual({ host: '0.0.0.0', port: 9464 });
  });

  test.each([
    ['metrics: { key: short }', 'metrics.key: the key must be at least 32'],
    [`metrics: { key: "${key}", sha256: "${sha256(key)}" }`, 'metrics: give key or sha256, not both'],
    ['metrics: { port: 9464, host: 0.0.0.0 }', 'metrics.host: a metrics listener on 0.0.0.0'],
    ['metrics: { host: 127.0.0.1 }', 'metrics.host: name the port'],
    ['server: { port: 9000 }\nmetrics: { port: 9000 }', 'metrics.port: 9000 is the server\'s own port'],
    ['metrics: { sha256: abc }', 'metrics.sha256'],
    ['metrics: { path: /m }', 'metrics'],
  ])('a bad section: %s', (text, message) => {
    expect(() => load(text)).toThrow(message);
  });

  test('who may read /metrics where', () => {
    const open = load('').metrics;
    expect(metricsAccess(open, 'server', false)).toEqual({ kind: 'open' });
    expect(metricsAccess(open, 'server', true)).toMatchObject({ kind: 'refused' });
    expect(metricsAccess(open, 'own', false)).toEqual({ kind: 'off' });
    const keyed = load(`metrics: { key: "${key}" }`).metrics;
    expect(metricsAccess(keyed, 'server', false)).toEqual({ kind: 'key', sha256: sha256(key) });
    expect(metricsAccess(keyed, 'server', true)).toEqual({ kind: 'key', sha256: sha256(key) });
    const own = load('metrics: { port: 9464 }').metrics;
    expect(metricsAccess(own, 'server', true)).toEqual({ kind: 'off' });
    expect(metricsAccess(own, 'own', true)).toEqual({ kind: 'open' });
    const ownKeyed = load(`metrics: { port: 9464, key: "${key}" }`).metrics;
    expect(metricsAccess(ownKeyed, 'own', false)).toEqual({ kind: 'key', sha256: sha256(key) });
    const off = load('metrics: { enabled: false }').metrics;
    expect(metricsAccess(off, 'server', false)).toEqual({ kind: 'off' });
  });
});

describe('webhooks', () => {
  test('none by default; an endpoint gets the documented defaults, paths relative to the config file', () => {
    expect(load('').webhooks).toEqual([]);
    const [endpoint] = load(`
queues: { inbound: {}, backlog: { routing: none } }
webhooks:
  - { name: warehouse, url: "https://hooks.example.com/openixn", secretFile: secrets/warehouse, ca: tls/ca.pem }
`).webhooks;
    expect(endpoint).toEqual({
      name: 'warehouse',
      url: 'https://hooks.example.com/openixn',
      secret: null,
      secretFile: '/etc/openixn/secrets/warehouse',
      events: null,
      queues: null,
      caFile: '/etc/openixn/tls/ca.pem',
      timeoutMs: 10_000,
      maxBatch: 100,
      retryInitialDelayMs: 1000,
      retryMaxDelayMs: 60_000,
    });
  });

  test('filters, timeouts, batches and retry bounds can be set; http: only to this machine', () => {
    const [local, ipv6] = load(`
queues: { inbound: {}, backlog: { routing: none } }
webhooks:
  - name: local-relay
    url: http://127.0.0.1:8080/hook
    secret: "${secret}"
    events: [EventInteractionSubmitted, EventProcessingStopped]
    queues: [backlog]
    timeout: 2s
    maxBatch: 10
    retry: { initialDelay: 250ms, maxDelay: 30s }
  - { name: v6, url: "http://[::1]:8080/", secret: "${secret}" }
`).webhooks;
    expect(local).toMatchObject({
      events: new Set(['EventInteractionSubmitted', 'EventProcessingStopped']),
      queues: new Set(['backlog']),
      timeoutMs: 2000,
      maxBatch: 10,
      retryInitialDelayMs: 250,
      retryMaxDelayMs: 30_000,
    });
    expect(ipv6!.url).toBe('http://[::1]:8080/');
  });

  const endpoint = (fields: string) => `queues: { inbound: {} }\nwebhooks:\n  - { name: w, url: "https://h.example/", secret: "${secret}", ${fields} }`;
  test.each([
    [endpoint('events: [EventSubmitted]'), 'webhooks.0.events: "EventSubmitted" is not a reporting event'],
    [endpoint('queues: [outbound]'), 'webhooks.0.queues: there is no queue named "outbound"'],
    [endpoint('maxBatch: 0'), 'webhooks.0.maxBatch'],
    [endpoint('timeout: 0'), 'webhooks.0.timeout'],
    [endpoint('retry: { initialDelay: 0 }'), 'webhooks.0.retry.initialDelay'],
    [endpoint('retry: { initialDelay: 10s, maxDelay: 1s }'), 'webhooks.0.retry.maxDelay'],
    [endpoint('secretFile: /s'), 'webhooks.0: give exactly one of secret and secretFile'],
    [endpoint('redirects: true'), 'redirects'],
    ['webhooks:\n  - { name: w, url: "https://h.example/", secret: short }', 'webhooks.0.secret: the secret must be at least 32'],
    ['webhooks:\n  - { name: w, url: "https://h.example/" }', 'webhooks.0: give exactly one of secret and secretFile'],
    [`webhooks:\n  - { name: w, url: "http://hooks.example.com/", secret: "${secret}" }`, 'webhooks.0.url: http: is allowed only to this machine'],
    [`webhooks:\n  - { name: w, url: "ftp://127.0.0.1/", secret: "${secret}" }`, 'webhooks.0.url: the URL must be https:'],
    [`webhooks:\n  - { name: w, url: "hooks.example.com", secret: "${secret}" }`, 'webhooks.0.url: "hooks.example.com" is not a URL'],
    [`webhooks:\n  - { name: "w w", url: "https://h.example/", secret: "${secret}" }`, 'webhooks.0.name'],
    [`webhooks:\n  - { name: w, url: "https://a.example/", secret: "${secret}" }\n  - { name: w, url: "https://b.example/", secret: "${secret}" }`, 'webhooks.1.name: another endpoint is named "w"'],
  ])('a bad endpoint: %s', (text, message) => {
    expect(() => load(text)).toThrow(message);
  });
});
