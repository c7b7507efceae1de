// What the core needs to know of the configuration, already resolved to milliseconds.
// The config adapter (src/config/) parses YAML and durations and produces this.

export type Routing = 'builtin' | 'external' | 'none';
export type WorkbinOwnerKind = 'agent' | 'place' | 'agentGroup' | 'placeGroup';

export interface MediaTypeSettings {
  capacity: number;
  deliveringTimeoutMs: number;
  handlingTimeoutMs: number;
  /** After-call work (SPEC 9.4 step 3): how long an agent is not ready after it lets go of an interaction; 0: none. */
  wrapUpMs: number;
}

/** A queue's settings as the core needs them. */
export interface QueueSettings {
  routing: Routing;
  /** false forbids RequestPull, so routed work cannot be cherry-picked. */
  pullable: boolean;
  /** SPEC 9.4 step 1: an interaction still waiting this long after it entered the queue expires; null: never. */
  expireAfterMs: number | null;
  /** Where an expired interaction goes; null: it is stopped with reason Expired. */
  expiredQueue: string | null;
}

export interface CoreConfig {
  deliveringTimeoutMs: number;
  handlingTimeoutMs: number;
  rejectCooldownMs: number;
  defaultCapacity: number;
  /** Overrides per media type; media types not listed use the defaults above. */
  mediaTypes: ReadonlyMap<string, Partial<MediaTypeSettings>>;
  queues: ReadonlyMap<string, QueueSettings>;
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
  /** A snapshot holds at most this many interactions, whatever its `max` (limits.maxSnapshotInteractions). */
  maxSnapshotInteractions: number;
  /** Snapshots one connection may hold at once (limits.maxSnapshotsPerConnection). */
  maxSnapshotsPerConnection: number;
}

export function mediaSettings(config: CoreConfig, mediaType: string): MediaTypeSettings {
  const own = config.mediaTypes.get(mediaType);
  return {
    capacity: own?.capacity ?? config.defaultCapacity,
    deliveringTimeoutMs: own?.deliveringTimeoutMs ?? config.deliveringTimeoutMs,
    handlingTimeoutMs: own?.handlingTimeoutMs ?? config.handlingTimeoutMs,
    wrapUpMs: own?.wrapUpMs ?? 0,
  };
}
