// The built-in router's settings per queue, resolved from the config file.

export type StrategyName = 'longestIdle' | 'skills' | 'priorityAge';

export interface QueueRoutingSettings {
  /** A built-in strategy, or the path of a user module (`{module: path}` in the config). */
  strategy: StrategyName | { module: string };
  /** Skills an agent needs, with minimum levels (strategy skills); an interaction's user data `skills` adds to them. */
  requiredSkills: Readonly<Record<string, number>>;
  /** After this long routing, any level of a required skill will do; null never relaxes. */
  relaxAfterMs: number | null;
  /** After this long routing, the interaction moves to overflowTo; null never overflows. */
  overflowAfterMs: number | null;
  overflowTo: string | null;
}

export interface RouterSettings {
  /** Runs the built-in router (SPEC section 5); off when an external router serves the builtin queues. */
  enabled: boolean;
  rejectCooldownMs: number;
  /** The builtin queues and how each is routed. */
  queues: ReadonlyMap<string, QueueRoutingSettings>;
  /** Capacity per media type, for the router's own view of agents' load. */
  capacity: (mediaType: string) => number;
}
