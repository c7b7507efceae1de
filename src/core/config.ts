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
  queues: ReadonlyMap<string, { routing: Routing }>;
  workbins: ReadonlyMap<string, { owner: WorkbinOwnerKind }>;
  agentGroups: ReadonlyMap<string, ReadonlySet<string>>;
  placeGroups: ReadonlyMap<string, ReadonlySet<string>>;
}

export function mediaSettings(config: CoreConfig, mediaType: string): MediaTypeSettings {
  const own = config.mediaTypes.get(mediaType);
  return {
    capacity: own?.capacity ?? config.defaultCapacity,
    deliveringTimeoutMs: own?.deliveringTimeoutMs ?? config.deliveringTimeoutMs,
    handlingTimeoutMs: own?.handlingTimeoutMs ?? config.handlingTimeoutMs,
  };
}
