// The configuration: the YAML file of SPEC section 8, its defaults, and its validation. Produces
// the resolved settings the server and the core run with.

import { readFileSync } from 'node:fs';
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { parse as parseYaml } from 'yaml';
import { mediaSettings, type CoreConfig, type MediaTypeSettings, type Routing, type WorkbinOwnerKind } from '../core/config.js';
import type { QueueRoutingSettings, RouterSettings } from '../router/settings.js';
import { parseDuration } from './duration.js';

const Duration = Type.Union([Type.Number({ minimum: 0 }), Type.String()]);
const Names = Type.Array(Type.String({ minLength: 1 }));

export const ConfigFile = Type.Object({
  server: Type.Optional(Type.Object({ host: Type.Optional(Type.String()), port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })) }, { additionalProperties: false })),
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
  }, { additionalProperties: false }))),
  agents: Type.Optional(Type.Record(Type.String(), Type.Object({
    skills: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0 }))),
  }, { additionalProperties: false }))),
  delivery: Type.Optional(Type.Object({ notReadyOnNoAnswer: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
  workbins: Type.Optional(Type.Record(Type.String(), Type.Object({
    owner: Type.Enum(['agent', 'place', 'agentGroup', 'placeGroup']),
  }, { additionalProperties: false }))),
  agentGroups: Type.Optional(Type.Record(Type.String(), Names)),
  placeGroups: Type.Optional(Type.Record(Type.String(), Names)),
  router: Type.Optional(Type.Object({ builtin: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
  limits: Type.Optional(Type.Object({ maxMessageBytes: Type.Optional(Type.Integer({ minimum: 256, maximum: 16 * 1024 * 1024 })) }, { additionalProperties: false })),
  log: Type.Optional(Type.Object({ level: Type.Optional(Type.String()) }, { additionalProperties: false })),
}, { additionalProperties: false });

export type ConfigInput = Static<typeof ConfigFile>;

export interface Settings {
  host: string;
  port: number;
  storeUrl: string;
  logLevel: string;
  maxMessageBytes: number;
  core: CoreConfig;
  router: RouterSettings;
  /** The config file's directory: strategy modules are found relative to it. */
  baseDirectory: string;
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
} as const;

/**
 * Without a config file the server still has somewhere to put work: `inbound` (routed by the
 * built-in router), `backlog` (pull only) and an agent-owned `drafts` workbin.
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
  const config = input ?? defaultLayout;
  const timeouts = config.timeouts ?? {};
  const mediaTypes = new Map<string, Partial<MediaTypeSettings>>();
  for (const [mediaType, settings] of Object.entries(config.mediaTypes ?? {})) {
    const where = `mediaTypes.${mediaType}`;
    mediaTypes.set(mediaType, {
      ...(settings.capacity !== undefined ? { capacity: settings.capacity } : {}),
      ...(settings.deliveringTimeout !== undefined ? { deliveringTimeoutMs: parseDuration(settings.deliveringTimeout, `${where}.deliveringTimeout`) } : {}),
      ...(settings.handlingTimeout !== undefined ? { handlingTimeoutMs: parseDuration(settings.handlingTimeout, `${where}.handlingTimeout`) } : {}),
    });
  }
  const queues = new Map<string, { routing: Routing; pullable: boolean }>();
  const routedQueues = new Map<string, QueueRoutingSettings>();
  for (const [queue, settings] of Object.entries(config.queues ?? {})) {
    const routing = settings.routing ?? 'builtin';
    queues.set(queue, { routing, pullable: settings.pullable ?? true });
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
    notReadyOnNoAnswer: config.delivery?.notReadyOnNoAnswer ?? true,
  };
  return {
    host: overrides.host ?? config.server?.host ?? defaults.host,
    port: overrides.port ?? config.server?.port ?? defaults.port,
    storeUrl: overrides.storeUrl ?? config.store?.url ?? defaults.storeUrl,
    logLevel: overrides.logLevel ?? config.log?.level ?? defaults.logLevel,
    maxMessageBytes: config.limits?.maxMessageBytes ?? defaults.maxMessageBytes,
    core,
    router: {
      enabled: config.router?.builtin ?? true,
      rejectCooldownMs: core.rejectCooldownMs,
      queues: routedQueues,
      capacity: (mediaType) => mediaSettings(core, mediaType).capacity,
    },
    baseDirectory: overrides.baseDirectory ?? process.cwd(),
  };
}
