// What the core needs to know of the configuration, already resolved to milliseconds.
// The config adapter (src/config/) parses YAML and durations and produces this.

export type Routing = 'builtin' | 'external' | 'none';
export type WorkbinOwnerKind = 'agent' | 'place' | 'agentGroup' | 'placeGroup';

export interface MediaTypeSettings {
  capacity: number;
  deliveringTimeoutMs: number;
  handlingTimeoutMs: number;
}

export interface CoreConfig {
  deliveringTimeoutMs: number;
  handlingTimeoutMs: number;
  rejectCooldownMs: number;
  defaultCapacity: number;
  /** Overrides per media type; media types not listed use the defaults above. */
  mediaTypes: ReadonlyMap<string, Partial<MediaTypeSettings>>;
  /** pullable: false forbids RequestPull, so routed work cannot be cherry-picked. */
  queues: ReadonlyMap<string, { routing: Routing; pullable: boolean }>;
  workbins: ReadonlyMap<string, { owner: WorkbinOwnerKind }>;
  agentGroups: ReadonlyMap<string, ReadonlySet<string>>;
  placeGroups: ReadonlyMap<string, ReadonlySet<string>>;
  /** The places each agent may log in at when authentication is on (config agents.<id>.places), besides those its token names. */
  agentPlaces: ReadonlyMap<string, ReadonlySet<string>>;
  /** Skills and levels per agent from the config; a login may add to or override them. */
  agentSkills: ReadonlyMap<string, Readonly<Record<string, number>>>;
  /** An agent who lets an invite time out is set not ready for that media (reason NoAnswer). */
  notReadyOnNoAnswer: boolean;
  /** An interaction's user data, as UTF-8 JSON text, may not be larger than this. */
  maxUserDataBytes: number;
  /** Nor nested deeper: objects and arrays inside the user data object, which counts as 1. */
  maxUserDataDepth: number;
}

export function mediaSettings(config: CoreConfig, mediaType: string): MediaTypeSettings {
  const own = config.mediaTypes.get(mediaType);
  return {
    capacity: own?.capacity ?? config.defaultCapacity,
    deliveringTimeoutMs: own?.deliveringTimeoutMs ?? config.deliveringTimeoutMs,
    handlingTimeoutMs: own?.handlingTimeoutMs ?? config.handlingTimeoutMs,
  };
}
