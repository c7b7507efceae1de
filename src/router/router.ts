// The built-in router: a RoutingEngine that runs in the server's process. Like an external router
// it learns the interactions it must place from EventRouteRequest and the agents' availability from
// the reporting stream, and it answers with RequestRouteCall (and RequestPlaceInQueue to
// overflow). It is synchronous and deterministic like the core: messages and `now` in, requests out.
//
// It hears a whole delivery before it decides: messages only change its view, and the decisions
// are made when the shell takes its requests after the delivery. One delivery often says several
// things about one agent (an invite revoked, then the agent set not ready for NoAnswer); deciding
// after each message would invite the agent between the two and be refused.

import { DeadlineHeap } from '../core/deadline-heap.js';
import type { ClientEvent, ReportedEvent, WireInteraction } from '../core/events.js';
import { OrderedQueue, compareKeys, type QueueKey } from '../core/ordered-queue.js';
import type { QueueRoutingSettings, RouterSettings } from './settings.js';
import { qualifies, requiredSkills, skillsOfUserData, type CandidateAgent, type Strategy, type WaitingInteraction } from './strategy.js';

export type RouterRequest =
  | { message: 'RequestRouteCall'; referenceId: number; interactionId: string; agentId: string; placeId: string }
  | { message: 'RequestPlaceInQueue'; referenceId: number; interactionId: string; queue: string };

interface Waiting extends WaitingInteraction {
  readonly key: QueueKey;
  /** The skills its user data requires (added to, or overriding the level of, its queue's); null for none. */
  readonly ownSkills: Readonly<Record<string, number>> | null;
}

/** An agent's place in one media type's available list, longest idle first. */
interface AvailableEntry {
  readonly key: QueueKey;
  readonly agent: RouterAgent;
  /** Its places in the skill lists of that media type (skills queues only), to remove with it. */
  readonly bySkill: SkillEntry[];
}

/** An agent's place in one skill's list of available agents: highest level first, then longest idle. */
interface SkillEntry {
  readonly key: QueueKey;
  readonly agent: RouterAgent;
  readonly skill: string;
}

interface RouterAgent {
  readonly agentId: string;
  placeId: string;
  skills: Record<string, number>;
  ready: Set<string>;
  /** Handling interactions per media type. */
  handling: Map<string, number>;
  /** Open invites (reported), interaction id to media type. */
  invites: Map<string, string>;
  /** This router's route calls not yet answered, interaction id to media type. */
  pending: Map<string, string>;
  /** Media types where the server said AgentNotAvailable; cleared by the agent's next change. */
  blocked: Set<string>;
  idleSince: number;
  /** Counts what the router heard about the agent, so that a refusal can tell whether it is news. */
  version: number;
  /** Its entry in each media type's available list, while it is available there. */
  entries: Map<string, AvailableEntry>;
  readonly order: number;
}

/** How a queue's interactions find agents. */
type QueueKind =
  /** The first available agent (longest idle), the common case: no strategy runs. */
  | 'longestIdle'
  /** The longest idle among agents with the required skills. */
  | 'skilledLongestIdle'
  /** The best match among agents with the required skills, found through the skill lists. */
  | 'skills'
  /** A user's module, which sees every available agent. */
  | 'module';

interface RoutedQueue {
  readonly name: string;
  readonly settings: QueueRoutingSettings;
  readonly kind: QueueKind;
  /** priorityAge queues compete by priority then age when an agent frees up; the others take turns. */
  readonly priorityAge: boolean;
  readonly module: Strategy | null;
  /** What waits for an agent, per media type, in queue order. */
  readonly waiting: Map<string, OrderedQueue<Waiting>>;
  /** Waiting interactions whose user data names skills, per media type: while none do, the queue's own skills decide for all. */
  readonly withOwnSkills: Map<string, number>;
}

interface RouteCall {
  readonly interactionId: string;
  readonly agentId: string;
  readonly mediaType: string;
  /** The agent's version when the router decided. */
  readonly agentVersion: number;
}

interface RouterDeadline {
  at: number;
  kind: 'relax' | 'overflow' | 'cooldown' | 'retry';
  interactionId: string;
}

/** How far the agent-freed path looks into one queue's list for an interaction that agent may take. */
const scanLimitPerQueue = 1000;

/**
 * A user's strategy that lets an interaction wait although agents are available may be waiting
 * for time to pass (a preferred agent, say): it is asked again this often. The built-in ones
 * change their minds with time only at relaxAfter, which has its own deadline.
 */
const strategyRetryMs = 1000;

export class Router {
  private readonly settings: RouterSettings;
  private now = 0;
  private requests: RouterRequest[] = [];
  private nextReferenceId = 0;
  private nextOrder = 0;

  private readonly agents = new Map<string, RouterAgent>();
  /** Per media type, the available agents, longest idle first. */
  private readonly available = new Map<string, OrderedQueue<AvailableEntry>>();
  /** Per media type and skill, the available agents with that skill (kept only if a skills queue needs them). */
  private readonly availableBySkill = new Map<string, Map<string, OrderedQueue<SkillEntry>>>();
  private readonly indexSkills: boolean;
  /** The builtin queues in the config's order: the order in which they take turns. */
  private readonly queueList: RoutedQueue[];
  private readonly queuesByName: ReadonlyMap<string, RoutedQueue>;
  private readonly waitingById = new Map<string, Waiting>();
  /** Interactions with a route call or an invite out: held, but not waiting. */
  private readonly inviting = new Map<string, Waiting>();
  private readonly routeCalls = new Map<number, RouteCall>();
  /** Per interaction, the agents that rejected it and until when they are not asked again. */
  private readonly cooldowns = new Map<string, Map<string, number>>();
  private readonly deadlines = new DeadlineHeap<RouterDeadline>();
  /** The next queue to take its turn when an agent frees up. */
  private turn = 0;
  /** Agents that became available for a media type since the last decisions. */
  private freed: { agent: RouterAgent; mediaType: string }[] = [];
  /** Waiting interactions to find an agent for at the next decisions: new, rejected, refused, relaxed. */
  private readonly toRoute = new Set<Waiting>();

  private readonly onStrategyError: (error: Error, interaction: WaitingInteraction) => void;

  /** `modules` holds the strategies of queues whose strategy is a user's module, by queue. */
  constructor(settings: RouterSettings, modules: ReadonlyMap<string, Strategy>, onStrategyError: (error: Error, interaction: WaitingInteraction) => void = () => undefined) {
    this.settings = settings;
    this.onStrategyError = onStrategyError;
    this.queueList = [...settings.queues].map(([name, queueSettings]) => routedQueue(name, queueSettings, modules.get(name) ?? null));
    this.queuesByName = new Map(this.queueList.map((queue) => [queue.name, queue]));
    this.indexSkills = this.queueList.some((queue) => queue.kind === 'skills');
  }

  /** The builtin queues this router serves: it registers naming them. */
  queues(): string[] {
    return this.queueList.map((queue) => queue.name);
  }

  /** Makes the decisions of everything heard since the last call, and returns the requests they need. */
  takeRequests(): RouterRequest[] {
    this.decide();
    const requests = this.requests;
    this.requests = [];
    return requests;
  }

  nextDeadline(): number | undefined {
    return this.deadlines.peek()?.at;
  }

  waitingCount(): number {
    return this.waitingById.size;
  }

  /** The media types it keeps lists for (available agents, by skill, waiting work): only those in use. */
  mediaTypesKept(): number {
    const kept = new Set([...this.available.keys(), ...this.availableBySkill.keys()]);
    for (const queue of this.queueList) for (const mediaType of [...queue.waiting.keys(), ...queue.withOwnSkills.keys()]) kept.add(mediaType);
    return kept.size;
  }

  // ---- The RoutingEngine connection ----------------------------------------------------------

  onMessage(message: ClientEvent, now: number): void {
    this.advance(now);
    switch (message.message) {
      case 'EventRouteRequest': this.onRouteRequest(message.interaction); break;
      case 'EventRouteUsed': this.onRouteUsed(message); break;
      case 'EventRevoked': this.forget(message.interactionId); break;
      case 'EventError': this.onError(message); break;
    }
  }

  private onRouteRequest(interaction: WireInteraction): void {
    const queue = interaction.queue === null ? undefined : this.queuesByName.get(interaction.queue);
    if (queue === undefined) return;
    const priority = interaction.priority;
    const enteredAt = Date.parse(interaction.placedInQueueAt);
    const userData = interaction.userData;
    const entry: Waiting = {
      interactionId: interaction.interactionId,
      queue: queue.name,
      mediaType: interaction.mediaType,
      priority,
      userData,
      enteredAt,
      routingSince: this.now,
      key: { priority, enteredAt, entryOrder: ++this.nextOrder },
      ownSkills: skillsOfUserData(userData),
    };
    this.forget(entry.interactionId);
    // Both clocks run from the entry into the queue: neither a timed-out invite nor a restart starts them again.
    const { relaxAfterMs, overflowAfterMs } = queue.settings;
    if (relaxAfterMs !== null) this.deadlines.push({ at: enteredAt + relaxAfterMs, kind: 'relax', interactionId: entry.interactionId });
    if (overflowAfterMs !== null) this.deadlines.push({ at: enteredAt + overflowAfterMs, kind: 'overflow', interactionId: entry.interactionId });
    this.wait(entry);
  }

  private onRouteUsed(message: Extract<ClientEvent, { message: 'EventRouteUsed' }>): void {
    const call = this.routeCalls.get(message.referenceId);
    if (call === undefined) return;
    this.routeCalls.delete(message.referenceId);
    const entry = this.inviting.get(call.interactionId);
    this.inviting.delete(call.interactionId);
    if (message.result !== 'Rejected' || entry === undefined) return;
    // Rejected: it stays with this router, which asks someone else (SPEC 4.1 step 3).
    this.coolDown(call.interactionId, call.agentId);
    if (this.overflowIfDue(entry)) return;
    this.wait(entry);
  }

  private onError(message: Extract<ClientEvent, { message: 'EventError' }>): void {
    if (message.referenceId === undefined) return;
    const call = this.routeCalls.get(message.referenceId);
    if (call === undefined) return;
    this.routeCalls.delete(message.referenceId);
    const entry = this.inviting.get(call.interactionId);
    this.inviting.delete(call.interactionId);
    const agent = this.agents.get(call.agentId);
    agent?.pending.delete(call.interactionId);
    if (message.errorCode !== 'AgentNotAvailable' || entry === undefined) return;
    if (agent !== undefined) {
      // Refused for a change the router has heard of since (a new login, not ready): its view is
      // right again. Refused with no news: the server knows better (work this router did not see),
      // so the agent waits for its next change for that media type.
      if (agent.version === call.agentVersion) agent.blocked.add(call.mediaType);
      this.refresh(agent);
    }
    this.wait(entry);
  }

  // ---- The reporting stream ------------------------------------------------------------------

  onReport(event: ReportedEvent, now: number): void {
    this.advance(now);
    switch (event.message) {
      case 'EventAgentLogin': return this.onLogin(event);
      case 'EventAgentLogout': {
        const agent = this.agents.get(event.agentId);
        if (agent === undefined) return;
        for (const mediaType of [...agent.entries.keys()]) this.makeUnavailable(agent, mediaType);
        this.agents.delete(agent.agentId);
        return;
      }
      case 'EventReadyForMedia':
      case 'EventNotReadyForMedia': {
        const agent = this.changed(event.agentId);
        if (agent === undefined) return;
        const mediaType = event.mediaType;
        if (event.message === 'EventReadyForMedia') {
          agent.ready.add(mediaType);
          agent.idleSince = this.now;
          agent.blocked.delete(mediaType);
        } else {
          agent.ready.delete(mediaType);
        }
        this.refresh(agent);
        return;
      }
      case 'EventAgentInvited': {
        const agent = this.changed(event.agentId);
        if (agent === undefined || event.mediaType === undefined) return;
        const interactionId = event.interactionId;
        agent.pending.delete(interactionId);
        agent.invites.set(interactionId, event.mediaType);
        agent.idleSince = this.now;
        this.refresh(agent);
        return;
      }
      case 'EventRejected':
      case 'EventRevoked': {
        const agent = this.agents.get(event.agentId);
        if (agent === undefined || !agent.invites.delete(event.interactionId)) return;
        agent.version++;
        if (event.mediaType !== undefined) agent.blocked.delete(event.mediaType);
        this.refresh(agent);
        return;
      }
      case 'EventPartyAdded':
      case 'EventPartyRemoved': {
        const party = event.party;
        if (party.type !== 'Agent' || event.mediaType === undefined) return;
        const agent = this.changed(party.agentId);
        if (agent === undefined) return;
        const mediaType = event.mediaType;
        // An accepted invite becomes handling (the invite closes), a pull adds handling, a removal frees a place.
        agent.invites.delete(event.interactionId);
        const added = event.message === 'EventPartyAdded';
        agent.handling.set(mediaType, Math.max(0, (agent.handling.get(mediaType) ?? 0) + (added ? 1 : -1)));
        if (!added) agent.blocked.delete(mediaType);
        this.refresh(agent);
        return;
      }
      case 'EventProcessingStopped':
        this.cooldowns.delete(event.interactionId);
        return;
    }
  }

  /** The agent an event is about, its version moved on; undefined if it is not logged in. */
  private changed(agentId: string): RouterAgent | undefined {
    const agent = this.agents.get(agentId);
    if (agent !== undefined) agent.version++;
    return agent;
  }

  private onLogin(event: Extract<ReportedEvent, { message: 'EventAgentLogin' }>): void {
    const agentId = event.agentId;
    let agent = this.agents.get(agentId);
    if (agent === undefined) {
      agent = {
        agentId, placeId: '', skills: {}, ready: new Set(), handling: new Map(), invites: new Map(), pending: new Map(),
        blocked: new Set(), idleSince: this.now, version: 0, entries: new Map(), order: ++this.nextOrder,
      };
      this.agents.set(agentId, agent);
    }
    // Out of every list first: the skill lists are keyed by the skills it had.
    for (const mediaType of [...agent.entries.keys()]) this.makeUnavailable(agent, mediaType);
    agent.version++;
    agent.placeId = event.placeId;
    // Without a prototype, a skill named `constructor` or `__proto__` is just a skill.
    agent.skills = Object.assign(Object.create(null) as Record<string, number>, event.skills);
    agent.ready = new Set(Object.entries(event.media).filter(([, state]) => state === 'ready').map(([mediaType]) => mediaType));
    agent.handling = new Map(Object.entries(event.handling));
    agent.blocked.clear();
    agent.idleSince = this.now;
    this.refresh(agent);
  }

  // ---- Time ----------------------------------------------------------------------------------

  tick(now: number): void {
    this.advance(now);
    for (let next = this.deadlines.peek(); next !== undefined && next.at <= now; next = this.deadlines.peek()) {
      this.deadlines.pop();
      const entry = this.waitingById.get(next.interactionId);
      if (entry === undefined) continue;
      if (next.kind === 'overflow') this.overflowIfDue(entry);
      else this.toRoute.add(entry);
    }
  }

  // ---- Decisions -----------------------------------------------------------------------------

  /**
   * Agents that became available take waiting work first, longest idle first, each in queue
   * order; then each interaction that came to wait finds an agent, in queue order.
   */
  private decide(): void {
    if (this.freed.length > 0) {
      const freed = this.freed.sort((a, b) => compareIdle(a.agent, b.agent));
      this.freed = [];
      for (const { agent, mediaType } of freed) {
        while (agent.entries.has(mediaType) && this.routeAgent(agent, mediaType));
      }
    }
    if (this.toRoute.size > 0) {
      const entries = [...this.toRoute].sort((a, b) => compareKeys(a.key, b.key));
      this.toRoute.clear();
      for (const entry of entries) this.routeInteraction(entry);
    }
  }

  /** A waiting interaction looks for an agent; it keeps waiting if none may take it. */
  private routeInteraction(entry: Waiting): void {
    if (!this.waitingById.has(entry.interactionId)) return;
    const list = this.available.get(entry.mediaType);
    if (list === undefined || list.size === 0) return;
    const queue = this.queuesByName.get(entry.queue)!;
    const cooled = this.cooldowns.get(entry.interactionId);
    let agent: RouterAgent | null = null;
    switch (queue.kind) {
      case 'longestIdle':
        agent = this.firstAvailable(list, cooled, () => true);
        break;
      case 'skilledLongestIdle': {
        const required = this.requiredOf(queue, entry);
        const relaxed = this.relaxed(queue, entry);
        agent = this.firstAvailable(list, cooled, (candidate) => qualifies(candidate.skills, required, relaxed));
        break;
      }
      case 'skills':
        agent = this.bestMatch(queue, entry, cooled);
        break;
      case 'module': {
        const chosen = this.ask(queue, entry, this.candidates(list, entry, cooled));
        agent = chosen === null ? null : (this.agents.get(chosen) ?? null);
        if (chosen === null) this.deadlines.push({ at: this.now + strategyRetryMs, kind: 'retry', interactionId: entry.interactionId });
        break;
      }
    }
    if (agent === null || !agent.entries.has(entry.mediaType)) return;
    this.routeCall(entry, agent);
  }

  private firstAvailable(list: OrderedQueue<AvailableEntry>, cooled: Map<string, number> | undefined, accepts: (agent: RouterAgent) => boolean): RouterAgent | null {
    for (const { agent } of list.values()) {
      if (cooled !== undefined && this.coolingDown(cooled, agent.agentId)) continue;
      if (accepts(agent)) return agent;
    }
    return null;
  }

  /**
   * The best match (the highest sum of the required levels; the longest idle among equals),
   * walking the list of the required skill with the fewest available agents from its highest
   * level down, and stopping once no agent further down could match the best found: a level
   * there plus the best levels available in the other skills is the most anyone can score.
   */
  private bestMatch(queue: RoutedQueue, entry: Waiting, cooled: Map<string, number> | undefined): RouterAgent | null {
    const required = this.requiredOf(queue, entry);
    const skills = Object.keys(required);
    const relaxed = this.relaxed(queue, entry);
    const bySkill = this.availableBySkill.get(entry.mediaType);
    if (skills.length === 0) return this.firstAvailable(this.available.get(entry.mediaType)!, cooled, () => true);
    let pivot: OrderedQueue<SkillEntry> | undefined;
    let pivotSkill = '';
    let topLevels = 0;
    for (const skill of skills) {
      const list = bySkill?.get(skill);
      if (list === undefined || list.size === 0) return null;
      topLevels += list.first()!.key.priority;
      if (pivot === undefined || list.size < pivot.size) {
        pivot = list;
        pivotSkill = skill;
      }
    }
    const otherTopLevels = topLevels - pivot!.first()!.key.priority;
    const pivotMinimum = required[pivotSkill]!;
    let best: RouterAgent | null = null;
    let bestScore = -1;
    for (const { key, agent } of pivot!.values()) {
      const level = key.priority;
      if (!relaxed && level < pivotMinimum) break;
      const most = level + otherTopLevels;
      // With one skill, an agent further down at the best's level is also less idle.
      if (most < bestScore || (most === bestScore && skills.length === 1)) break;
      if (cooled !== undefined && this.coolingDown(cooled, agent.agentId)) continue;
      if (!qualifies(agent.skills, required, relaxed)) continue;
      let score = 0;
      for (const skill of skills) score += agent.skills[skill]!;
      if (score > bestScore || (score === bestScore && compareIdle(agent, best!) < 0)) {
        best = agent;
        bestScore = score;
      }
    }
    return best;
  }

  /** An agent available for a media type gets the best waiting interaction it may take, if any. */
  private routeAgent(agent: RouterAgent, mediaType: string): boolean {
    const count = this.queueList.length;
    let byPriority: Waiting | null = null;
    let inTurn: Waiting | null = null;
    let inTurnIndex = 0;
    for (let offset = 0; offset < count; offset++) {
      const index = (this.turn + offset) % count;
      const queue = this.queueList[index]!;
      // Once a queue whose turn it is has work for the agent, only priorityAge queues may still beat it.
      if (inTurn !== null && !queue.priorityAge) continue;
      const candidate = this.firstFor(agent, mediaType, queue);
      if (candidate === null) continue;
      if (queue.priorityAge) {
        if (byPriority === null || compareKeys(candidate.key, byPriority.key) < 0) byPriority = candidate;
      } else {
        inTurn = candidate;
        inTurnIndex = index;
      }
    }
    // Priority-and-age queues compete by priority then age; the others take turns.
    const chosen = byPriority === null ? inTurn : inTurn === null || compareKeys(byPriority.key, inTurn.key) <= 0 ? byPriority : inTurn;
    if (chosen === null) return false;
    if (chosen === inTurn) this.turn = (inTurnIndex + 1) % count;
    const queue = this.queuesByName.get(chosen.queue)!;
    // In a skills queue the interaction picks its best match, which may be another agent freed with this one.
    const taker = queue.kind === 'skills' ? (this.bestMatch(queue, chosen, this.cooldowns.get(chosen.interactionId)) ?? agent) : agent;
    this.routeCall(chosen, taker);
    return true;
  }

  /** The first interaction of a queue, in queue order, that this agent may take now. */
  private firstFor(agent: RouterAgent, mediaType: string, queue: RoutedQueue): Waiting | null {
    const contents = queue.waiting.get(mediaType);
    if (contents === undefined) return null;
    if (queue.kind === 'module') return this.firstForModule(agent, mediaType, queue, contents);
    // What the queue's own skills say of this agent holds for every interaction whose user data names none.
    const anyOwnSkills = (queue.withOwnSkills.get(mediaType) ?? 0) > 0;
    let strict = true;
    for (const [skill, minimum] of Object.entries(queue.settings.requiredSkills)) {
      const level = agent.skills[skill];
      // User data adds skills and may change levels, never removes one.
      if (level === undefined) return null;
      if (level < minimum) strict = false;
    }
    if (!strict && !anyOwnSkills && queue.settings.relaxAfterMs === null) return null;
    let scanned = 0;
    for (const entry of contents.values()) {
      if (++scanned > scanLimitPerQueue) return null;
      const cooled = this.cooldowns.get(entry.interactionId);
      if (cooled !== undefined && this.coolingDown(cooled, agent.agentId)) continue;
      if (entry.ownSkills === null ? strict || this.relaxed(queue, entry) : qualifies(agent.skills, this.requiredOf(queue, entry), this.relaxed(queue, entry))) return entry;
    }
    return null;
  }

  /**
   * A user's strategy sees every available agent and may pick another than the one that freed up:
   * that one gets the interaction at once.
   */
  private firstForModule(agent: RouterAgent, mediaType: string, queue: RoutedQueue, contents: OrderedQueue<Waiting>): Waiting | null {
    let scanned = 0;
    for (const entry of contents.values()) {
      if (++scanned > scanLimitPerQueue) return null;
      const cooled = this.cooldowns.get(entry.interactionId);
      if (cooled !== undefined && this.coolingDown(cooled, agent.agentId)) continue;
      const chosen = this.ask(queue, entry, this.candidates(this.available.get(mediaType)!, entry, cooled));
      if (chosen === agent.agentId) return entry;
      const other = chosen === null ? undefined : this.agents.get(chosen);
      if (other?.entries.has(mediaType) === true) {
        this.routeCall(entry, other);
        return null;
      }
    }
    return null;
  }

  /** Runs a user's strategy; one that throws lets the interaction wait, and the error is reported, not fatal. */
  private ask(queue: RoutedQueue, interaction: Waiting, candidates: CandidateAgent[]): string | null {
    if (candidates.length === 0) return null;
    try {
      const chosen = queue.module!({ interaction, candidates, now: this.now });
      return typeof chosen === 'string' ? chosen : null;
    } catch (error) {
      this.onStrategyError(error instanceof Error ? error : new Error(String(error)), interaction);
      return null;
    }
  }

  private candidates(list: OrderedQueue<AvailableEntry>, entry: Waiting, cooled: Map<string, number> | undefined): CandidateAgent[] {
    const candidates: CandidateAgent[] = [];
    const capacity = this.settings.capacity(entry.mediaType);
    for (const { agent } of list.values()) {
      if (cooled !== undefined && this.coolingDown(cooled, agent.agentId)) continue;
      candidates.push({ agentId: agent.agentId, placeId: agent.placeId, skills: agent.skills, idleSince: agent.idleSince, load: this.load(agent, entry.mediaType), capacity });
    }
    return candidates;
  }

  private requiredOf(queue: RoutedQueue, entry: Waiting): Readonly<Record<string, number>> {
    return entry.ownSkills === null ? queue.settings.requiredSkills : requiredSkills(queue.settings.requiredSkills, entry.ownSkills);
  }

  private relaxed(queue: RoutedQueue, entry: Waiting): boolean {
    const relaxAfterMs = queue.settings.relaxAfterMs;
    return relaxAfterMs !== null && this.now - entry.enteredAt >= relaxAfterMs;
  }

  private routeCall(entry: Waiting, agent: RouterAgent): void {
    const referenceId = ++this.nextReferenceId;
    this.unwait(entry);
    this.inviting.set(entry.interactionId, entry);
    this.routeCalls.set(referenceId, { interactionId: entry.interactionId, agentId: agent.agentId, mediaType: entry.mediaType, agentVersion: agent.version });
    agent.pending.set(entry.interactionId, entry.mediaType);
    // An invite, even one not yet made, ends the agent's idle time (SPEC section 5).
    agent.idleSince = this.now;
    this.refresh(agent);
    this.requests.push({ message: 'RequestRouteCall', referenceId, interactionId: entry.interactionId, agentId: agent.agentId, placeId: agent.placeId });
  }

  private overflowIfDue(entry: Waiting): boolean {
    const settings = this.queuesByName.get(entry.queue)!.settings;
    if (settings.overflowAfterMs === null || settings.overflowTo === null || this.now - entry.enteredAt < settings.overflowAfterMs) return false;
    this.unwait(entry);
    this.requests.push({ message: 'RequestPlaceInQueue', referenceId: ++this.nextReferenceId, interactionId: entry.interactionId, queue: settings.overflowTo });
    return true;
  }

  // ---- Bookkeeping ---------------------------------------------------------------------------

  private load(agent: RouterAgent, mediaType: string): number {
    let load = agent.handling.get(mediaType) ?? 0;
    for (const media of agent.invites.values()) if (media === mediaType) load++;
    for (const media of agent.pending.values()) if (media === mediaType) load++;
    return load;
  }

  /** Puts the agent in or out of each media type's available list; a newly available agent is queued to take work. */
  private refresh(agent: RouterAgent): void {
    for (const mediaType of agent.entries.keys()) if (!agent.ready.has(mediaType)) this.makeUnavailable(agent, mediaType);
    for (const mediaType of agent.ready) {
      const isAvailable = !agent.blocked.has(mediaType) && this.load(agent, mediaType) < this.settings.capacity(mediaType);
      const entry = agent.entries.get(mediaType);
      if (!isAvailable) {
        if (entry !== undefined) this.makeUnavailable(agent, mediaType);
        continue;
      }
      if (entry !== undefined && entry.key.enteredAt === agent.idleSince) continue;
      if (entry !== undefined) this.makeUnavailable(agent, mediaType);
      else this.freed.push({ agent, mediaType });
      this.makeAvailable(agent, mediaType);
    }
  }

  private makeAvailable(agent: RouterAgent, mediaType: string): void {
    const bySkill: SkillEntry[] = [];
    if (this.indexSkills) {
      let lists = this.availableBySkill.get(mediaType);
      if (lists === undefined) this.availableBySkill.set(mediaType, (lists = new Map()));
      for (const [skill, level] of Object.entries(agent.skills)) {
        const skillEntry: SkillEntry = { key: { priority: level, enteredAt: agent.idleSince, entryOrder: agent.order }, agent, skill };
        listIn(lists, skill).insert(skillEntry);
        bySkill.push(skillEntry);
      }
    }
    const entry: AvailableEntry = { key: { priority: 0, enteredAt: agent.idleSince, entryOrder: agent.order }, agent, bySkill };
    agent.entries.set(mediaType, entry);
    listIn(this.available, mediaType).insert(entry);
  }

  private makeUnavailable(agent: RouterAgent, mediaType: string): void {
    const entry = agent.entries.get(mediaType);
    if (entry === undefined) return;
    removeFrom(this.available, mediaType, entry);
    const lists = this.availableBySkill.get(mediaType);
    for (const skillEntry of entry.bySkill) removeFrom(lists!, skillEntry.skill, skillEntry);
    if (lists !== undefined && lists.size === 0) this.availableBySkill.delete(mediaType);
    agent.entries.delete(mediaType);
  }

  /** Comes to wait: into its queue's list, and up for a decision. */
  private wait(entry: Waiting): void {
    const queue = this.queuesByName.get(entry.queue)!;
    listIn(queue.waiting, entry.mediaType).insert(entry);
    if (entry.ownSkills !== null) queue.withOwnSkills.set(entry.mediaType, (queue.withOwnSkills.get(entry.mediaType) ?? 0) + 1);
    this.waitingById.set(entry.interactionId, entry);
    this.toRoute.add(entry);
  }

  private unwait(entry: Waiting): void {
    if (!this.waitingById.delete(entry.interactionId)) return;
    const queue = this.queuesByName.get(entry.queue)!;
    removeFrom(queue.waiting, entry.mediaType, entry);
    if (entry.ownSkills !== null) {
      const withOwnSkills = queue.withOwnSkills.get(entry.mediaType)! - 1;
      if (withOwnSkills === 0) queue.withOwnSkills.delete(entry.mediaType);
      else queue.withOwnSkills.set(entry.mediaType, withOwnSkills);
    }
    this.toRoute.delete(entry);
  }

  /** The interaction is no longer this router's (pulled, stopped, or offered anew). */
  private forget(interactionId: string): void {
    const entry = this.waitingById.get(interactionId);
    if (entry !== undefined) this.unwait(entry);
    this.inviting.delete(interactionId);
  }

  private coolDown(interactionId: string, agentId: string): void {
    if (this.settings.rejectCooldownMs <= 0) return;
    let cooled = this.cooldowns.get(interactionId);
    if (cooled === undefined) this.cooldowns.set(interactionId, (cooled = new Map()));
    const until = this.now + this.settings.rejectCooldownMs;
    cooled.set(agentId, until);
    this.deadlines.push({ at: until, kind: 'cooldown', interactionId });
  }

  private coolingDown(cooled: Map<string, number>, agentId: string): boolean {
    const until = cooled.get(agentId);
    return until !== undefined && until > this.now;
  }

  private advance(now: number): void {
    if (now > this.now) this.now = now;
  }
}

/** The list kept under `key`, made when it is first needed. */
function listIn<Key, Entry extends { key: QueueKey }>(lists: Map<Key, OrderedQueue<Entry>>, key: Key): OrderedQueue<Entry> {
  let list = lists.get(key);
  if (list === undefined) lists.set(key, (list = new OrderedQueue()));
  return list;
}

/**
 * Takes an entry out of the list kept under `key`, and an emptied list goes: media types and
 * skills are names a desktop chooses at each login, and lists kept for every name ever used grew
 * without end.
 */
function removeFrom<Key, Entry extends { key: QueueKey }>(lists: Map<Key, OrderedQueue<Entry>>, key: Key, entry: Entry): void {
  const list = lists.get(key)!;
  list.remove(entry);
  if (list.size === 0) lists.delete(key);
}

function routedQueue(name: string, settings: QueueRoutingSettings, module: Strategy | null): RoutedQueue {
  const hasSkills = Object.keys(settings.requiredSkills).length > 0;
  let kind: QueueKind;
  if (typeof settings.strategy === 'object') {
    if (module === null) throw new Error(`queues.${name}: its strategy module was not loaded.`);
    kind = 'module';
  } else if (settings.strategy === 'skills') {
    kind = 'skills';
  } else {
    kind = hasSkills ? 'skilledLongestIdle' : 'longestIdle';
  }
  return {
    name, settings, kind, priorityAge: settings.strategy === 'priorityAge', module,
    waiting: new Map(), withOwnSkills: new Map(),
  };
}

/** Longest idle first: the earlier last invite, login or return to ready, then the earlier login. */
function compareIdle(a: RouterAgent, b: RouterAgent): number {
  return a.idleSince !== b.idleSince ? a.idleSince - b.idleSince : a.order - b.order;
}
