// The strategy interface: how a queue whose strategy is a user's module (`strategy: {module:
// path}` in the config) picks an agent for an interaction; and the skill rules the built-in
// strategies share with it.

/** An interaction waiting for an agent, as a strategy sees it. */
export interface WaitingInteraction {
  readonly interactionId: string;
  readonly queue: string;
  readonly mediaType: string;
  readonly priority: number;
  readonly userData: Readonly<Record<string, unknown>>;
  /** When it entered its queue (ms since the epoch): its age. */
  readonly enteredAt: number;
  /** When this router was given it (ms since the epoch). */
  readonly routingSince: number;
}

/** An agent that could take the interaction now: logged in, ready for its media, below capacity. */
export interface CandidateAgent {
  readonly agentId: string;
  readonly placeId: string;
  readonly skills: Readonly<Record<string, number>>;
  /** The time of its last invite, login or return to ready: smaller is longer idle. */
  readonly idleSince: number;
  /** Invited plus handling interactions of this media type. */
  readonly load: number;
  readonly capacity: number;
}

export interface StrategyContext {
  readonly interaction: WaitingInteraction;
  /** The available agents, longest idle first. Never empty. */
  readonly candidates: readonly CandidateAgent[];
  readonly now: number;
}

/**
 * A strategy returns the agentId to invite, or null to let the interaction wait (it is offered
 * again whenever an agent becomes available). It must be quick and must not throw: it runs for
 * every routing decision, inside the server.
 */
export type Strategy = (context: StrategyContext) => string | null;

/** The skills an interaction's user data requires (`skills: {name: minimum level}`), or null if it names none. */
export function skillsOfUserData(userData: Readonly<Record<string, unknown>>): Record<string, number> | null {
  const own = userData.skills;
  if (typeof own !== 'object' || own === null || Array.isArray(own)) return null;
  let skills: Record<string, number> | null = null;
  for (const [skill, level] of Object.entries(own as Record<string, unknown>)) {
    if (typeof level === 'number') (skills ??= Object.create(null) as Record<string, number>)[skill] = level;
  }
  return skills;
}

/** Required skills and minimum levels: the queue's, with the interaction's own added or overriding their level. */
export function requiredSkills(queueSkills: Readonly<Record<string, number>>, own: Readonly<Record<string, number>>): Record<string, number> {
  return { ...queueSkills, ...own };
}

/** Whether the agent has every required skill, at the minimum level unless relaxed. */
export function qualifies(agentSkills: Readonly<Record<string, number>>, required: Readonly<Record<string, number>>, relaxed: boolean): boolean {
  for (const skill in required) {
    const level = agentSkills[skill];
    if (level === undefined || (!relaxed && level < required[skill]!)) return false;
  }
  return true;
}
