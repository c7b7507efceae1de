// The strategy interface: how a queue picks an agent for an interaction. The built-in strategies
// implement it, and so does a user's module named in the config (`strategy: {module: path}`).

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

/** The longest-idle candidate: the default (SPEC section 5). */
export const longestIdle: Strategy = ({ candidates }) => candidates[0]?.agentId ?? null;

/** Required skills and minimum levels: the queue's, then the interaction's user data `skills`. */
export function requiredSkills(queueSkills: Readonly<Record<string, number>>, interaction: WaitingInteraction): Record<string, number> {
  const own = interaction.userData.skills;
  const fromInteraction = typeof own === 'object' && own !== null && !Array.isArray(own) ? (own as Record<string, unknown>) : {};
  const required: Record<string, number> = { ...queueSkills };
  for (const [skill, level] of Object.entries(fromInteraction)) if (typeof level === 'number') required[skill] = level;
  return required;
}

/** Whether the agent has every required skill, at the minimum level unless relaxed. */
export function qualifies(agentSkills: Readonly<Record<string, number>>, required: Readonly<Record<string, number>>, relaxed: boolean): boolean {
  for (const [skill, minimum] of Object.entries(required)) {
    const level = agentSkills[skill];
    if (level === undefined || (!relaxed && level < minimum)) return false;
  }
  return true;
}

/** Longest idle among the agents with the queue's skills (a longestIdle or priorityAge queue that names skills). */
export function skilledLongestIdle(queueSkills: Readonly<Record<string, number>>, relaxAfterMs: number | null): Strategy {
  return ({ interaction, candidates, now }) => {
    const required = requiredSkills(queueSkills, interaction);
    const relaxed = relaxAfterMs !== null && now - interaction.enteredAt >= relaxAfterMs;
    return candidates.find((candidate) => qualifies(candidate.skills, required, relaxed))?.agentId ?? null;
  };
}

/**
 * Skills-based: among qualified agents, the best match (the highest sum of levels in the required
 * skills), the longest idle among equals. After `relaxAfterMs` in the queue any level will do.
 */
export function skillsStrategy(queueSkills: Readonly<Record<string, number>>, relaxAfterMs: number | null): Strategy {
  return ({ interaction, candidates, now }) => {
    const required = requiredSkills(queueSkills, interaction);
    const relaxed = relaxAfterMs !== null && now - interaction.enteredAt >= relaxAfterMs;
    let best: CandidateAgent | null = null;
    let bestScore = -1;
    for (const candidate of candidates) {
      if (!qualifies(candidate.skills, required, relaxed)) continue;
      let score = 0;
      for (const skill of Object.keys(required)) score += candidate.skills[skill] ?? 0;
      // Candidates come longest idle first, so a strict > keeps the longest idle among equals.
      if (score > bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    return best?.agentId ?? null;
  };
}
