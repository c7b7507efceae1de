// The configuration: the YAML file of SPEC section 8, its defaults, and its validation. Produces
// the resolved settings the server and the core run with.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { parse as parseYaml } from 'yaml';
import { mediaSettings, type CoreConfig, type MediaTypeSettings, type QueueSettings, type WorkbinOwnerKind } from '../core/config.js';
import type { QueueRoutingSettings, RouterSettings } from '../router/settings.js';
import { apiKeyHash, defaultClaimNames, type ApiKeySettings, type AuthSettings, type JwtSettings } from '../auth/settings.js';
import type { Limits } from '../transport/limits.js';
import type { MetricsSettings } from '../metrics/settings.js';
import type { WebhookSettings } from '../webhooks/settings.js';
import { parseDuration } from './duration.js';
import { MetricsSection, resolveMetrics } from './metrics-section.js';
import { resolveWebhooks, WebhooksSection } from './webhooks-section.js';

const Duration = Type.Union([Type.Number({ minimum: 0 }), Type.String()]);

/** pino's levels, from the fewest lines to the most; `silent` logs nothing. */
export const logLevels = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** Checks a log level from the command line, which the config file's schema does not see. */
export function checkLogLevel(level: string, where: string): string {
  if (!(logLevels as readonly string[]).includes(level)) throw new Error(`${where} must be one of ${logLevels.join(', ')}, not "${level}".`);
  return level;
}
const Names = Type.Array(Type.String({ minLength: 1 }));
const Path = Type.String({ minLength: 1 });
const MediaScope = Type.Enum(['submitted', 'all']);
const jwtAlgorithms = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
const closedObject = { additionalProperties: false } as const;

const Auth = Type.Object({
  jwt: Type.Optional(Type.Object({
    secret: Type.Optional(Type.String({ minLength: 1 })),
    secretFile: Type.Optional(Path),
    publicKeyFile: Type.Optional(Path),
    jwksFile: Type.Optional(Path),
    algorithms: Type.Optional(Type.Array(Type.Enum(jwtAlgorithms), { minItems: 1 })),
    issuer: Type.Optional(Type.String({ minLength: 1 })),
    audience: Type.Optional(Type.String({ minLength: 1 })),
    clockTolerance: Type.Optional(Duration),
    claims: Type.Optional(Type.Object({
      clientType: Type.Optional(Type.String({ minLength: 1 })),
      agentId: Type.Optional(Type.String({ minLength: 1 })),
      clientName: Type.Optional(Type.String({ minLength: 1 })),
      mediaScope: Type.Optional(Type.String({ minLength: 1 })),
      placeId: Type.Optional(Type.String({ minLength: 1 })),
    }, closedObject)),
  }, closedObject)),
  apiKeys: Type.Optional(Type.Array(Type.Object({
    key: Type.Optional(Type.String({ minLength: 1 })),
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$' })),
    clientType: Type.Enum(['MediaServer', 'RoutingEngine', 'ReportingEngine', 'Supervisor']),
    clientName: Type.String({ minLength: 1 }),
    mediaScope: Type.Optional(MediaScope),
  }, closedObject))),
  mediaServerScope: Type.Optional(MediaScope),
}, closedObject);

const Bytes = (minimum: number, maximum = Number.MAX_SAFE_INTEGER) => Type.Optional(Type.Integer({ minimum, maximum }));
const LimitsSection = Type.Object({
  maxMessageBytes: Bytes(256, 16 * 1024 * 1024),
  maxUserDataBytes: Bytes(16, 16 * 1024 * 1024),
  maxUserDataDepth: Bytes(1, 1000),
  requestsPerSecond: Bytes(1),
  agentRequestsPerSecond: Bytes(1),
  bytesPerSecond: Bytes(1024),
  agentBytesPerSecond: Bytes(1024),
  rateLimitCloseAfter: Bytes(1),
  maxConnections: Bytes(1),
  maxConnectionsPerAddress: Bytes(1),
  registrationTimeout: Type.Optional(Duration),
  handshakeTimeout: Type.Optional(Duration),
  maxBufferedBytes: Bytes(16 * 1024),
  drainTimeout: Type.Optional(Duration),
  maxSnapshotInteractions: Bytes(1, 10_000_000),
  maxSnapshotsPerConnection: Bytes(1, 10_000),
}, closedObject);

export const ConfigFile = Type.Object({
  server: Type.Optional(Type.Object({
    host: Type.Optional(Type.String()),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    tls: Type.Optional(Type.Object({ certFile: Path, keyFile: Path }, closedObject)),
    /** Web pages on these origins (scheme://host[:port]) may open the WebSocket, besides the server's own. */
    allowedOrigins: Type.Optional(Type.Array(Type.String({ pattern: '^https?://[^/\\s]+$' }))),
    /**
     * How clients reach this server (scheme://host[:port]), for a standby to name the primary to
     * them; at most maxAdvertisedUrlLength characters, so that it fits a WebSocket close reason.
     */
    advertisedUrl: Type.Optional(Type.String({ pattern: '^https?://[^/\\s]+$', maxLength: 100 })),
  }, { additionalProperties: false })),
  /** Several servers on one PostgreSQL schema (docs/deployment.md, "High availability"). */
  highAvailability: Type.Optional(Type.Object({
    /** A primary that stops renewing its lease is replaced this long after. */
    lease: Type.Optional(Duration),
  }, { additionalProperties: false })),
  store: Type.Optional(Type.Object({ url: Type.Optional(Type.String()) }, { additionalProperties: false })),
  timeouts: Type.Optional(Type.Object({
    deliveringTimeout: Type.Optional(Duration),
    handlingTimeout: Type.Optional(Duration),
    rejectCooldown: Type.Optional(Duration),
  }, { additionalProperties: false })),
  mediaTypes: Type.Optional(Type.Record(Type.String(), Type.Object({
    capacity: Type.Optional(Type.Integer({ minimum: 0 })),
    deliveringTimeout: Type.Optional(Duration),
    handlingTimeout: Type.Optional(Duration),
    /** After-call work: the agent is not ready for this media type this long after it lets go of one (SPEC 9.4 step 3). */
    wrapUp: Type.Optional(Duration),
  }, { additionalProperties: false }))),
  // A queue written with no settings (`backlog:` in YAML) is read as {} before validation.
  queues: Type.Optional(Type.Record(Type.String(), Type.Object({
    routing: Type.Optional(Type.Enum(['builtin', 'external', 'none'])),
    pullable: Type.Optional(Type.Boolean()),
    strategy: Type.Optional(Type.Union([
      Type.Enum(['longestIdle', 'skills', 'priorityAge']),
      Type.Object({ module: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    ])),
    skills: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0 }))),
    relaxAfter: Type.Optional(Duration),
    overflowAfter: Type.Optional(Duration),
    overflowTo: Type.Optional(Type.String({ minLength: 1 })),
    /** Work still waiting this long after it entered the queue expires (SPEC 9.4 step 1). */
    expireAfter: Type.Optional(Duration),
    /** Expired work moves here instead of being stopped. */
    expiredQueue: Type.Optional(Type.String({ minLength: 1 })),
  }, { additionalProperties: false }))),
  agents: Type.Optional(Type.Record(Type.String(), Type.Object({
    skills: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0 }))),
    /** With authentication on, the places this agent may log in at (besides those its token names). */
    places: Type.Optional(Names),
  }, { additionalProperties: false }))),
  delivery: Type.Optional(Type.Object({ notReadyOnNoAnswer: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
  workbins: Type.Optional(Type.Record(Type.String(), Type.Object({
    owner: Type.Enum(['agent', 'place', 'agentGroup', 'placeGroup']),
  }, { additionalProperties: false }))),
  agentGroups: Type.Optional(Type.Record(Type.String(), Names)),
  placeGroups: Type.Optional(Type.Record(Type.String(), Names)),
  router: Type.Optional(Type.Object({ builtin: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
  limits: Type.Optional(LimitsSection),
  auth: Type.Optional(Auth),
  log: Type.Optional(Type.Object({ level: Type.Optional(Type.Enum(logLevels)) }, { additionalProperties: false })),
  metrics: Type.Optional(MetricsSection),
  webhooks: Type.Optional(WebhooksSection),
}, { additionalProperties: false });

export type ConfigInput = Static<typeof ConfigFile>;

export interface Settings {
  host: string;
  port: number;
  storeUrl: string;
  logLevel: string;
  /** wss:// and https:// from these files (absolute paths); null: plain ws:// and http://. */
  tls: { certFile: string; keyFile: string } | null;
  /** Origins besides the server's own whose pages may open the WebSocket (server.allowedOrigins). */
  allowedOrigins: ReadonlySet<string>;
  /** How clients reach this server (server.advertisedUrl, scheme://host[:port]); null: its own address. */
  advertisedUrl: string | null;
  /** The lease period of high availability (highAvailability.lease). */
  leaseMs: number;
  /** null: authentication is off, and the server listens on loopback only (unless --insecure). */
  auth: AuthSettings | null;
  limits: Limits;
  core: CoreConfig;
  router: RouterSettings;
  /** The config file's directory: strategy modules are found relative to it. */
  baseDirectory: string;
  /** /metrics (docs/metrics.md). */
  metrics: MetricsSettings;
  /** Endpoints the reporting events are POSTed to (docs/webhooks.md); empty: none. */
  webhooks: readonly WebhookSettings[];
}

export const defaults = {
  host: '127.0.0.1',
  port: 7120,
  storeUrl: 'sqlite:./openixn-data/openixn.db',
  logLevel: 'info',
  deliveringTimeoutSeconds: 30,
  handlingTimeoutSeconds: 180 * 60,
  rejectCooldownSeconds: 60,
  capacity: 1,
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
  registrationTimeoutSeconds: 10,
  handshakeTimeoutSeconds: 10,
  maxBufferedBytes: 16 * 1024 * 1024,
  drainTimeoutSeconds: 30,
  maxSnapshotInteractions: 100_000,
  maxSnapshotsPerConnection: 16,
  mediaServerScope: 'submitted',
  jwtClockToleranceSeconds: 30,
  leaseSeconds: 3,
} as const;

/**
 * Without a config file the server still has somewhere to put work: `inbound` (routed by the
 * built-in router), `backlog` (pull only) and an agent-owned `drafts` workbin. A config file that
 * has no `queues` section gets these queues, and one with no `workbins` section this workbin, so
 * that a file written only to turn authentication on does not leave the server with nowhere to
 * put work; a section that is there, even empty, is taken as it is.
 */
export const defaultLayout: ConfigInput = {
  queues: { inbound: { routing: 'builtin' }, backlog: { routing: 'none' } },
  workbins: { drafts: { owner: 'agent' } },
};

const validator = Compile(ConfigFile);

export function readConfigFile(path: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read the config file ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseConfigText(text, path);
}

export function parseConfigText(text: string, source = 'config'): ConfigInput {
  let parsed: unknown;
  try {
    parsed = parseYaml(text) ?? {};
  } catch (error) {
    throw new Error(`${source} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  return validateConfig(parsed, source);
}

export function validateConfig(value: unknown, source = 'config'): ConfigInput {
  const queues = (value as { queues?: unknown } | null)?.queues;
  if (typeof queues === 'object' && queues !== null) {
    for (const [name, settings] of Object.entries(queues)) if (settings === null) (queues as Record<string, unknown>)[name] = {};
  }
  if (!validator.Check(value)) {
    const first = validator.Errors(value).find((error) => error.keyword !== 'anyOf' && error.keyword !== 'boolean') ?? validator.Errors(value)[0];
    const where = first?.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : 'the top level';
    const extra = first?.keyword === 'additionalProperties'
      ? ` (${(first.params as { additionalProperties: string[] }).additionalProperties.join(', ')})`
      : first?.keyword === 'enum'
        ? `: one of ${(first.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
        : '';
    throw new Error(`${source}: at ${where}, ${first?.message ?? 'invalid'}${extra}.`);
  }
  return value;
}

export interface Overrides {
  /** Where relative paths in the config (strategy modules) start; the config file's directory. */
  baseDirectory?: string;
  host?: string;
  port?: number;
  storeUrl?: string;
  logLevel?: string;
}

/** Resolves a config (file contents, or the default layout) and command-line overrides into settings. */
export function resolveSettings(input: ConfigInput | undefined, overrides: Overrides = {}): Settings {
  const config: ConfigInput = { ...defaultLayout, ...input };
  const timeouts = config.timeouts ?? {};
  const mediaTypes = new Map<string, Partial<MediaTypeSettings>>();
  for (const [mediaType, settings] of Object.entries(config.mediaTypes ?? {})) {
    const where = `mediaTypes.${mediaType}`;
    mediaTypes.set(mediaType, {
      ...(settings.capacity !== undefined ? { capacity: settings.capacity } : {}),
      ...(settings.deliveringTimeout !== undefined ? { deliveringTimeoutMs: parseDuration(settings.deliveringTimeout, `${where}.deliveringTimeout`) } : {}),
      ...(settings.handlingTimeout !== undefined ? { handlingTimeoutMs: parseDuration(settings.handlingTimeout, `${where}.handlingTimeout`) } : {}),
      ...(settings.wrapUp !== undefined ? { wrapUpMs: parseDuration(settings.wrapUp, `${where}.wrapUp`) } : {}),
    });
  }
  const queues = new Map<string, QueueSettings>();
  const routedQueues = new Map<string, QueueRoutingSettings>();
  for (const [queue, settings] of Object.entries(config.queues ?? {})) {
    const routing = settings.routing ?? 'builtin';
    if (settings.expiredQueue !== undefined && config.queues?.[settings.expiredQueue] === undefined) {
      throw new Error(`queues.${queue}.expiredQueue: there is no queue named "${settings.expiredQueue}".`);
    }
    if (settings.expiredQueue !== undefined && settings.expireAfter === undefined) {
      throw new Error(`queues.${queue}.expiredQueue: give expireAfter too; without it only an interaction's own expiresAt expires it.`);
    }
    if (settings.expiredQueue === queue) throw new Error(`queues.${queue}.expiredQueue: expired work cannot move to the queue it expired in.`);
    const expireAfterMs = settings.expireAfter === undefined ? null : parseDuration(settings.expireAfter, `queues.${queue}.expireAfter`);
    // Work moved on at once could move back at once, between queues that both do so, for ever.
    if (settings.expiredQueue !== undefined && expireAfterMs === 0) {
      throw new Error(`queues.${queue}.expireAfter: with an expiredQueue it must be longer than 0, or every interaction would move on the moment it arrives.`);
    }
    queues.set(queue, {
      routing,
      pullable: settings.pullable ?? true,
      expireAfterMs,
      expiredQueue: settings.expiredQueue ?? null,
    });
    if (settings.overflowTo !== undefined && config.queues?.[settings.overflowTo] === undefined) {
      throw new Error(`queues.${queue}.overflowTo: there is no queue named "${settings.overflowTo}".`);
    }
    if ((settings.overflowAfter === undefined) !== (settings.overflowTo === undefined)) {
      throw new Error(`queues.${queue}: overflowAfter and overflowTo go together.`);
    }
    if (routing !== 'builtin') continue;
    routedQueues.set(queue, {
      strategy: settings.strategy ?? (settings.skills !== undefined ? 'skills' : 'longestIdle'),
      requiredSkills: { ...settings.skills },
      relaxAfterMs: settings.relaxAfter === undefined ? null : parseDuration(settings.relaxAfter, `queues.${queue}.relaxAfter`),
      overflowAfterMs: settings.overflowAfter === undefined ? null : parseDuration(settings.overflowAfter, `queues.${queue}.overflowAfter`),
      overflowTo: settings.overflowTo ?? null,
    });
  }
  const workbins = new Map<string, { owner: WorkbinOwnerKind }>();
  for (const [workbin, settings] of Object.entries(config.workbins ?? {})) workbins.set(workbin, { owner: settings.owner });
  const groups = (record: Record<string, string[]> | undefined) =>
    new Map(Object.entries(record ?? {}).map(([name, members]) => [name, new Set(members)] as const));
  const baseDirectory = overrides.baseDirectory ?? process.cwd();
  const limits = resolveLimits(config.limits ?? {});
  const core: CoreConfig = {
    deliveringTimeoutMs: parseDuration(timeouts.deliveringTimeout ?? defaults.deliveringTimeoutSeconds, 'timeouts.deliveringTimeout'),
    handlingTimeoutMs: parseDuration(timeouts.handlingTimeout ?? defaults.handlingTimeoutSeconds, 'timeouts.handlingTimeout'),
    rejectCooldownMs: parseDuration(timeouts.rejectCooldown ?? defaults.rejectCooldownSeconds, 'timeouts.rejectCooldown'),
    defaultCapacity: defaults.capacity,
    mediaTypes,
    queues,
    workbins,
    agentGroups: groups(config.agentGroups),
    placeGroups: groups(config.placeGroups),
    agentSkills: new Map(Object.entries(config.agents ?? {}).map(([agentId, settings]) => [agentId, { ...settings.skills }] as const)),
    agentPlaces: new Map(Object.entries(config.agents ?? {}).map(([agentId, settings]) => [agentId, new Set(settings.places ?? [])] as const)),
    notReadyOnNoAnswer: config.delivery?.notReadyOnNoAnswer ?? true,
    maxUserDataBytes: limits.maxUserDataBytes,
    maxUserDataDepth: limits.maxUserDataDepth,
    maxSnapshotInteractions: limits.maxSnapshotInteractions,
    maxSnapshotsPerConnection: limits.maxSnapshotsPerConnection,
  };
  const tls = config.server?.tls;
  const port = overrides.port ?? config.server?.port ?? defaults.port;
  return {
    host: overrides.host ?? config.server?.host ?? defaults.host,
    port,
    storeUrl: overrides.storeUrl ?? (config.store?.url !== undefined ? relativeTo(baseDirectory, config.store.url) : defaults.storeUrl),
    logLevel: checkLogLevel(overrides.logLevel ?? config.log?.level ?? defaults.logLevel, overrides.logLevel !== undefined ? '--log-level' : 'log.level'),
    tls: tls === undefined ? null : { certFile: resolve(baseDirectory, tls.certFile), keyFile: resolve(baseDirectory, tls.keyFile) },
    allowedOrigins: new Set(config.server?.allowedOrigins ?? []),
    advertisedUrl: config.server?.advertisedUrl ?? null,
    leaseMs: resolveLease(config.highAvailability?.lease),
    auth: config.auth === undefined ? null : resolveAuth(config.auth, baseDirectory),
    limits,
    core,
    router: {
      enabled: config.router?.builtin ?? true,
      rejectCooldownMs: core.rejectCooldownMs,
      queues: routedQueues,
      capacity: (mediaType) => mediaSettings(core, mediaType).capacity,
    },
    baseDirectory,
    metrics: resolveMetrics(config.metrics, port),
    webhooks: resolveWebhooks(config.webhooks, new Set(queues.keys()), baseDirectory),
  };
}

/**
 * A lease shorter than this would have the primary renew every few dozen ms and a passing stall (a
 * GC pause, a busy database) hand the store to a standby: more failovers, never more safety.
 */
const minimumLeaseMs = 300;

function resolveLease(lease: number | string | undefined): number {
  const leaseMs = parseDuration(lease ?? defaults.leaseSeconds, 'highAvailability.lease');
  if (leaseMs < minimumLeaseMs) throw new Error(`highAvailability.lease: a lease shorter than ${minimumLeaseMs} ms would hand the store over at every passing stall; give at least "${minimumLeaseMs}ms".`);
  return leaseMs;
}

/** A store URL from the config file: a relative SQLite path is relative to the file, like every other path in it. */
function relativeTo(baseDirectory: string, url: string): string {
  if (!url.startsWith('sqlite:')) return url;
  const path = url.slice('sqlite:'.length);
  return path === '' || path === ':memory:' ? url : `sqlite:${resolve(baseDirectory, path)}`;
}

function resolveLimits(limits: NonNullable<ConfigInput['limits']>): Limits {
  return {
    maxMessageBytes: limits.maxMessageBytes ?? defaults.maxMessageBytes,
    maxUserDataBytes: limits.maxUserDataBytes ?? defaults.maxUserDataBytes,
    maxUserDataDepth: limits.maxUserDataDepth ?? defaults.maxUserDataDepth,
    requestsPerSecond: limits.requestsPerSecond ?? defaults.requestsPerSecond,
    agentRequestsPerSecond: limits.agentRequestsPerSecond ?? defaults.agentRequestsPerSecond,
    bytesPerSecond: limits.bytesPerSecond ?? defaults.bytesPerSecond,
    agentBytesPerSecond: limits.agentBytesPerSecond ?? defaults.agentBytesPerSecond,
    rateLimitCloseAfter: limits.rateLimitCloseAfter ?? defaults.rateLimitCloseAfter,
    maxConnections: limits.maxConnections ?? defaults.maxConnections,
    maxConnectionsPerAddress: limits.maxConnectionsPerAddress ?? defaults.maxConnectionsPerAddress,
    registrationTimeoutMs: parseDuration(limits.registrationTimeout ?? defaults.registrationTimeoutSeconds, 'limits.registrationTimeout'),
    handshakeTimeoutMs: parseDuration(limits.handshakeTimeout ?? defaults.handshakeTimeoutSeconds, 'limits.handshakeTimeout'),
    maxBufferedBytes: limits.maxBufferedBytes ?? defaults.maxBufferedBytes,
    drainTimeoutMs: parseDuration(limits.drainTimeout ?? defaults.drainTimeoutSeconds, 'limits.drainTimeout'),
    maxSnapshotInteractions: limits.maxSnapshotInteractions ?? defaults.maxSnapshotInteractions,
    maxSnapshotsPerConnection: limits.maxSnapshotsPerConnection ?? defaults.maxSnapshotsPerConnection,
  };
}

/** API keys shorter than this are guessable; tokens and secrets are checked by the authenticator. */
const minimumApiKeyLength = 32;

function resolveAuth(auth: NonNullable<ConfigInput['auth']>, baseDirectory: string): AuthSettings {
  const apiKeys: ApiKeySettings[] = [];
  const seen = new Set<string>();
  (auth.apiKeys ?? []).forEach((entry, index) => {
    const where = `auth.apiKeys.${index}`;
    if ((entry.key === undefined) === (entry.sha256 === undefined)) throw new Error(`${where}: give exactly one of key and sha256.`);
    if (entry.key !== undefined && entry.key.length < minimumApiKeyLength) {
      throw new Error(`${where}.key: an API key must be at least ${minimumApiKeyLength} characters (for example \`openssl rand -hex 32\`).`);
    }
    const sha256 = entry.sha256?.toLowerCase() ?? apiKeyHash(entry.key!);
    if (seen.has(sha256)) throw new Error(`${where}: the same key is configured twice.`);
    seen.add(sha256);
    if (entry.mediaScope !== undefined && entry.clientType !== 'MediaServer') throw new Error(`${where}.mediaScope: only a MediaServer key has a media scope.`);
    apiKeys.push({ sha256, clientType: entry.clientType, clientName: entry.clientName, mediaScope: entry.mediaScope ?? null });
  });
  let jwt: JwtSettings | null = null;
  if (auth.jwt !== undefined) {
    const settings = auth.jwt;
    if (settings.secret !== undefined && settings.secretFile !== undefined) throw new Error('auth.jwt: give secret or secretFile, not both.');
    if (settings.secret === undefined && settings.secretFile === undefined && settings.publicKeyFile === undefined && settings.jwksFile === undefined) {
      throw new Error('auth.jwt: give a key to verify tokens with: secret or secretFile (HS256), publicKeyFile or jwksFile (RS256, ES256).');
    }
    const path = (file: string | undefined) => (file === undefined ? null : resolve(baseDirectory, file));
    jwt = {
      secret: settings.secret ?? null,
      secretFile: path(settings.secretFile),
      publicKeyFile: path(settings.publicKeyFile),
      jwksFile: path(settings.jwksFile),
      algorithms: settings.algorithms ?? null,
      issuer: settings.issuer ?? null,
      audience: settings.audience ?? null,
      clockToleranceSeconds: parseDuration(settings.clockTolerance ?? defaults.jwtClockToleranceSeconds, 'auth.jwt.clockTolerance') / 1000,
      claims: { ...defaultClaimNames, ...settings.claims },
    };
  }
  if (jwt === null && apiKeys.length === 0) throw new Error('auth: configure jwt, apiKeys or both; an empty auth section would let nobody in.');
  return { jwt, apiKeys, mediaServerScope: auth.mediaServerScope ?? defaults.mediaServerScope };
}
