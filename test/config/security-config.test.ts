// The config file's security sections (issue 5): auth (tokens and API keys), server.tls, and the
// limits with their documented defaults; and the errors that say what is wrong with them.

import { describe, expect, test } from 'vitest';
import { parseConfigText, resolveSettings, type Settings } from '../../src/config/config.js';
import { sha256 } from '../support/auth.js';

function load(text: string, baseDirectory = '/etc/openixn'): Settings {
  return resolveSettings(parseConfigText(text, 'openixn.yaml'), { baseDirectory });
}

const key = 'k'.repeat(40);

describe('limits', () => {
  test('an empty file gives every documented default', () => {
    expect(load('').limits).toEqual({
      maxMessageBytes: 1024 * 1024,
      maxUserDataBytes: 64 * 1024,
      maxUserDataDepth: 32,
      requestsPerSecond: 10_000,
      agentRequestsPerSecond: 100,
      bytesPerSecond: 64 * 1024 * 1024,
      agentBytesPerSecond: 256 * 1024,
      rateLimitCloseAfter: 1000,
      maxConnections: 10_000,
      maxConnectionsPerAddress: 1000,
      registrationTimeoutMs: 10_000,
      handshakeTimeoutMs: 10_000,
      maxBufferedBytes: 16 * 1024 * 1024,
      drainTimeoutMs: 30_000,
      maxSnapshotInteractions: 100_000,
      maxSnapshotsPerConnection: 16,
    });
    expect(load('').core).toMatchObject({ maxUserDataBytes: 64 * 1024, maxUserDataDepth: 32 });
  });

  test('each can be set; the registration timeout is a duration', () => {
    const limits = load('limits: { maxUserDataBytes: 4096, requestsPerSecond: 50, registrationTimeout: "2500ms", handshakeTimeout: 3, maxBufferedBytes: 65536, drainTimeout: "1m" }').limits;
    expect(limits).toMatchObject({ maxUserDataBytes: 4096, requestsPerSecond: 50, registrationTimeoutMs: 2500, handshakeTimeoutMs: 3000, maxBufferedBytes: 65536, drainTimeoutMs: 60_000 });
  });

  test.each([
    ['limits: { requestsPerSecond: 0 }', 'limits.requestsPerSecond'],
    ['limits: { maxUserDataDepth: 5000 }', 'limits.maxUserDataDepth'],
    ['limits: { maxBufferedBytes: 100 }', 'limits.maxBufferedBytes'],
    ['limits: { maxConections: 5 }', 'maxConections'],
    ['limits: { registrationTimeout: soon }', 'limits.registrationTimeout'],
  ])('a bad value: %s', (text, where) => {
    expect(() => load(text)).toThrow(where);
  });
});

describe('auth', () => {
  test('without an auth section authentication is off', () => {
    expect(load('').auth).toBeNull();
  });

  test('API keys are kept as their SHA-256, given either way; the media scope defaults to "submitted"', () => {
    const auth = load(`auth:
  apiKeys:
    - { key: "${key}", clientType: MediaServer, clientName: email-gateway }
    - { sha256: "${sha256('another-key-of-enough-length-0123456789').toUpperCase()}", clientType: ReportingEngine, clientName: wallboard }
    - { key: "${'m'.repeat(32)}", clientType: MediaServer, clientName: archive, mediaScope: all }
`).auth!;
    expect(auth.apiKeys).toEqual([
      { sha256: sha256(key), clientType: 'MediaServer', clientName: 'email-gateway', mediaScope: null },
      { sha256: sha256('another-key-of-enough-length-0123456789'), clientType: 'ReportingEngine', clientName: 'wallboard', mediaScope: null },
      { sha256: sha256('m'.repeat(32)), clientType: 'MediaServer', clientName: 'archive', mediaScope: 'all' },
    ]);
    expect(auth.mediaServerScope).toBe('submitted');
    expect(auth.jwt).toBeNull();
  });

  test('jwt: key files are found relative to the config file; claims and tolerance have defaults', () => {
    const jwt = load('auth: { jwt: { publicKeyFile: keys/idp.pem, jwksFile: /var/keys.json, issuer: "https://idp", audience: openixn } }').auth!.jwt!;
    expect(jwt).toMatchObject({
      publicKeyFile: '/etc/openixn/keys/idp.pem',
      jwksFile: '/var/keys.json',
      secret: null,
      issuer: 'https://idp',
      audience: 'openixn',
      algorithms: null,
      clockToleranceSeconds: 30,
      claims: { clientType: 'clientType', agentId: 'agentId', clientName: 'clientName', mediaScope: 'mediaScope' },
    });
    const renamed = load('auth: { jwt: { secretFile: s, clockTolerance: 5, claims: { agentId: employee_id } } }').auth!.jwt!;
    expect(renamed).toMatchObject({ secretFile: '/etc/openixn/s', clockToleranceSeconds: 5, claims: { agentId: 'employee_id', clientType: 'clientType' } });
  });

  test('server.tls files are found relative to the config file', () => {
    expect(load('server: { tls: { certFile: tls/cert.pem, keyFile: /secrets/key.pem } }').tls).toEqual({ certFile: '/etc/openixn/tls/cert.pem', keyFile: '/secrets/key.pem' });
    expect(load('').tls).toBeNull();
  });

  test.each([
    ['auth: {}', 'configure jwt, apiKeys or both'],
    ['auth: { apiKeys: [] }', 'configure jwt, apiKeys or both'],
    ['auth: { jwt: {} }', 'give a key to verify tokens with'],
    ['auth: { jwt: { secret: abc, secretFile: f } }', 'not both'],
    ['auth: { apiKeys: [{ key: short, clientType: MediaServer, clientName: m }] }', 'at least 32 characters'],
    [`auth: { apiKeys: [{ key: "${key}", sha256: "${sha256(key)}", clientType: MediaServer, clientName: m }] }`, 'exactly one of key and sha256'],
    [`auth: { apiKeys: [{ clientType: MediaServer, clientName: m }] }`, 'exactly one of key and sha256'],
    [`auth: { apiKeys: [{ key: "${key}", clientType: MediaServer, clientName: m }, { sha256: "${sha256(key)}", clientType: RoutingEngine, clientName: r }] }`, 'configured twice'],
    [`auth: { apiKeys: [{ key: "${key}", clientType: RoutingEngine, clientName: r, mediaScope: all }] }`, 'only a MediaServer key'],
    [`auth: { apiKeys: [{ key: "${key}", clientType: AgentApplication, clientName: a }] }`, 'auth.apiKeys.0.clientType'],
    ['auth: { apiKeys: [{ sha256: abc, clientType: MediaServer, clientName: m }] }', 'auth.apiKeys.0.sha256'],
    ['auth: { jwt: { secret: x, algorithms: [none] } }', 'auth.jwt.algorithms'],
    ['auth: { mediaServerScope: mine, apiKeys: [] }', 'auth.mediaServerScope'],
    ['server: { tls: { certFile: c } }', 'server.tls'],
  ])('refused: %s', (text, message) => {
    expect(() => load(text)).toThrow(message);
  });
});
