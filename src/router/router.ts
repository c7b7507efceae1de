// The built-in router: a RoutingEngine that runs in the server's process. Like an external router
// it learns the interactions it must place from EventRouteRequest and the agents' availability from
// the reporting stream, and it answers with RequestRouteCall (and RequestPlaceInQueue to
// overflow). It is synchronous and deterministic like the core: messages and `now` in, requests out.

import { DeadlineHeap } from '../core/deadline-heap.js';
import { OrderedQueue, compareKeys, type QueueKey } from '../core/ordered-queue.js';
import type { RouterSettings } from './settings.js';
import type { CandidateAgent, Strategy, WaitingInteraction } from './strategy.js';

type Message = { message: string; [attribute: string]: unknown };

export type RouterRequest =
  | { message: 'RequestRouteCall'; referenceId: number; interactionId: string; agentId: string; placeId: string }
  | { message: 'RequestPlaceInQueue'; referenceId: number; interactionId: string; queue: string };

interface Waiting extends WaitingInteraction {
  key: QueueKey;
}

interface AvailableEntry {
  key: QueueKey;
  agent: RouterAgent;
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
  /** Its entry in each media type's available list, while it is available there. */
  entries: Map<string, AvailableEntry>;
  readonly order: number;
}

interface RouterDeadline {
  at: number;
  kind: 'relax' | 'overflow' | 'cooldown' | 'retry';
  interactionId: string;
}

/** How far the agent-freed path looks into one queue for an interaction that agent may take. */
const scanLimitPerQueue = 1000;

/**
 * A user's strategy that lets an interaction wait although agents are available may be waiting
 * for time to pass (a preferred agent, say): it is asked again this often. The built-in ones
 * change their minds with time only at relaxAfter, which has its own deadline.
 */
const strategyRetryMs = 1000;

export class Router {
  private readonly settings: RouterSettings;
  private readonly strategies: ReadonlyMap<string, Strategy>;
  private now = 0;
  private requests: RouterRequest[] = [];
  private nextReferenceId = 0;
  private nextOrder = 0;

  private readonly agents = new Map<string, RouterAgent>();
  /** Per media type, the available agents, longest idle first. */
  private readonly available = new Map<string, OrderedQueue<AvailableEntry>>();
  /** Per queue, what waits for an agent, in queue order. */
  private readonly waiting = new Map<string, OrderedQueue<Waiting>>();
  private readonly waitingById = new Map<string, Waiting>();
  /** Interactions with a route call or an invite out: held, but not waiting. */
  private readonly inviting = new Map<string, Waiting>();
  private readonly routeCalls = new Map<number, { interactionId: string; agentId: string; mediaType: string }>();
  /** Per interaction, the agents that rejected it and until when they are not asked again. */
  private readonly cooldowns = new Map<string, Map<string, number>>();
  private readonly deadlines = new DeadlineHeap<RouterDeadline>();
  private roundRobin = 0;
  /** Agents that became available for a media type since the last decision pass. */
  private readonly freed: { agent: RouterAgent; mediaType: string }[] = [];

  private readonly onStrategyError: (error: Error, interaction: WaitingInteraction) => void;

  constructor(settings: RouterSettings, strategies: ReadonlyMap<string, Strategy>, onStrategyError: (error: Error, interaction: WaitingInteraction) => void = () => undefined) {
    this.settings = settings;
    this.strategies = strategies;
    this.onStrategyError = onStrategyError;
  }

  /** The builtin queues this router serves: it registers naming them. */
  queues(): string[] {
    return [...this.settings.queues.keys()];
  }

  takeRequests(): RouterRequest[] {
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

  // ---- The RoutingEngine connection ----------------------------------------------------------

  onMessage(message: Message, now: number): void {
    this.advance(now);
    switch (message.message) {
      case 'EventRouteRequest': this.onRouteRequest(message.interaction as Record<string, unknown>); break;
      case 'EventRouteUsed': this.onRouteUsed(message); break;
      case 'EventRevoked': this.forget(message.interactionId as string); break;
      case 'EventError': this.onError(message); break;
    }
    this.routeFreedAgents();
  }

  private onRouteRequest(interaction: Record<string, unknown>): void {
    const queue = interaction.queue as string;
    const settings = this.settings.queues.get(queue);
    if (settings === undefined) return;
    const priority = interaction.priority as number;
    const enteredAt = Date.parse(interaction.placedInQueueAt as string);
    const entry: Waiting = {
      interactionId: interaction.interactionId as string,
      queue,
      mediaType: interaction.mediaType as string,
      priority,
      userData: interaction.userData as Record<string, unknown>,
      enteredAt,
      routingSince: this.now,
      key: { priority, enteredAt, entryOrder: ++this.nextOrder },
    };
    this.forget(entry.interactionId);
    // Both clocks run from the entry into the queue: neither a timed-out invite nor a restart starts them again.
    if (settings.relaxAfterMs !== null) this.deadlines.push({ at: enteredAt + settings.relaxAfterMs, kind: 'relax', interactionId: entry.interactionId });
    if (settings.overflowAfterMs !== null) this.deadlines.push({ at: enteredAt + settings.overflowAfterMs, kind: 'overflow', interactionId: entry.interactionId });
    this.wait(entry);
    this.routeInteraction(entry);
  }

  private onRouteUsed(message: Message): void {
    const call = this.routeCalls.get(message.referenceId as number);
    if (call === undefined) return;
    this.routeCalls.delete(message.referenceId as number);
    const entry = this.inviting.get(call.interactionId);
    this.inviting.delete(call.interactionId);
    if (message.result !== 'Rejected' || entry === undefined) return;
    // Rejected: it stays with this router, which asks someone else (SPEC 4.1 step 3).
    this.coolDown(call.interactionId, call.agentId);
    this.wait(entry);
    if (this.overflowIfDue(entry)) return;
    this.routeInteraction(entry);
  }

  private onError(message: Message): void {
    const call = this.routeCalls.get(message.referenceId as number);
    if (call === undefined) return;
    this.routeCalls.delete(message.referenceId as number);
    const entry = this.inviting.get(call.interactionId);
    this.inviting.delete(call.interactionId);
    const agent = this.agents.get(call.agentId);
    agent?.pending.delete(call.interactionId);
    if (message.errorCode !== 'AgentNotAvailable' || entry === undefined) return;
    // The server knows better (work this router did not see, a change in flight): wait for the agent's next change.
    if (agent !== undefined) {
      agent.blocked.add(call.mediaType);
      this.refresh(agent);
    }
    this.wait(entry);
    this.routeInteraction(entry);
  }

  // ---- The reporting stream ------------------------------------------------------------------

  onReport(event: Message, now: number): void {
    this.advance(now);
    this.applyReport(event);
    this.routeFreedAgents();
  }

  private applyReport(event: Message): void {
    switch (event.message) {
      case 'EventAgentLogin': return this.onLogin(event);
      case 'EventAgentLogout': {
        const agent = this.agents.get(event.agentId as string);
        if (agent === undefined) return;
        for (const mediaType of [...agent.entries.keys()]) this.makeUnavailable(agent, mediaType);
        this.agents.delete(agent.agentId);
        return;
      }
      case 'EventReadyForMedia':
      case 'EventNotReadyForMedia': {
        const agent = this.agents.get(event.agentId as string);
        if (agent === undefined) return;
        const mediaType = event.mediaType as string;
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
        const agent = this.agents.get(event.agentId as string);
        if (agent === undefined) return;
        const interactionId = event.interactionId as string;
        agent.pending.delete(interactionId);
        agent.invites.set(interactionId, event.mediaType as string);
        agent.idleSince = this.now;
        this.refresh(agent);
        return;
      }
      case 'EventRejected':
      case 'EventRevoked': {
        const agent = this.agents.get(event.agentId as string);
        if (agent === undefined || !agent.invites.delete(event.interactionId as string)) return;
        agent.blocked.delete(event.mediaType as string);
        this.refresh(agent);
        return;
      }
      case 'EventPartyAdded':
      case 'EventPartyRemoved': {
        const party = event.party as { type: string; agentId?: string };
        if (party.type !== 'Agent') return;
        const agent = this.agents.get(party.agentId!);
        if (agent === undefined) return;
        const mediaType = event.mediaType as string;
        // An accepted invite becomes handling (the invite closes), a pull adds handling, a removal frees a place.
        agent.invites.delete(event.interactionId as string);
        const added = event.message === 'EventPartyAdded';
        agent.handling.set(mediaType, Math.max(0, (agent.handling.get(mediaType) ?? 0) + (added ? 1 : -1)));
        if (!added) agent.blocked.delete(mediaType);
        this.refresh(agent);
        return;
      }
      case 'EventProcessingStopped':
        this.cooldowns.delete(event.interactionId as string);
        return;
    }
  }

  private onLogin(event: Message): void {
    const agentId = event.agentId as string;
    let agent = this.agents.get(agentId);
    if (agent === undefined) {
      agent = {
        agentId, placeId: '', skills: {}, ready: new Set(), handling: new Map(), invites: new Map(), pending: new Map(),
        blocked: new Set(), idleSince: this.now, entries: new Map(), order: ++this.nextOrder,
      };
      this.agents.set(agentId, agent);
    }
    agent.placeId = event.placeId as string;
    agent.skills = { ...(event.skills as Record<string, number> | undefined) };
    agent.ready = new Set(Object.entries(event.media as Record<string, string>).filter(([, state]) => state === 'ready').map(([mediaType]) => mediaType));
    agent.handling = new Map(Object.entries((event.handling as Record<string, number> | undefined) ?? {}));
    agent.blocked.clear();
    agent.idleSince = this.now;
    for (const mediaType of [...agent.entries.keys()]) this.makeUnavailable(agent, mediaType);
    this.refresh(agent);
  }

  // ---- Time ----------------------------------------------------------------------------------

  tick(now: number): void {
    this.advance(now);
    this.expireDeadlines(now);
    this.routeFreedAgents();
  }

  private expireDeadlines(now: number): void {
    for (let next = this.deadlines.peek(); next !== undefined && next.at <= now; next = this.deadlines.peek()) {
      this.deadlines.pop();
      const entry = this.waitingById.get(next.interactionId);
      if (entry === undefined) continue;
      if (next.kind === 'overflow') this.overflowIfDue(entry);
      else this.routeInteraction(entry);
    }
  }

  // ---- Decisions -----------------------------------------------------------------------------

  /** A waiting interaction looks for an agent; it keeps waiting if its strategy finds none. */
  private routeInteraction(entry: Waiting): void {
    if (!this.waitingById.has(entry.interactionId)) return;
    const list = this.available.get(entry.mediaType);
    if (list === undefined || list.size === 0) return;
    const strategy = this.strategies.get(entry.queue);
    const cooled = this.cooldowns.get(entry.interactionId);
    let agentId: string | null = null;
    if (strategy === undefined) {
      // Longest idle, the common case: the first available agent not cooling down for it.
      for (const candidate of list.values()) {
        if (cooled !== undefined && this.coolingDown(cooled, candidate.agent.agentId)) continue;
        agentId = candidate.agent.agentId;
        break;
      }
    } else {
      const candidates = this.candidates(list, entry, cooled);
      if (candidates.length > 0) {
        agentId = this.decide(strategy, entry, candidates);
        const userStrategy = typeof this.settings.queues.get(entry.queue)?.strategy === 'object';
        if (agentId === null && userStrategy) this.deadlines.push({ at: this.now + strategyRetryMs, kind: 'retry', interactionId: entry.interactionId });
      }
    }
    if (agentId === null) return;
    const agent = this.agents.get(agentId);
    if (agent === undefined || !agent.entries.has(entry.mediaType)) return;
    this.routeCall(entry, agent);
  }

  /** Agents that became available take waiting work, each until it is full or nothing fits. */
  private routeFreedAgents(): void {
    while (this.freed.length > 0) {
      const { agent, mediaType } = this.freed.shift()!;
      let routed = true;
      while (routed && agent.entries.has(mediaType)) routed = this.routeAgent(agent, mediaType);
    }
  }

  /** An agent available for a media type gets the best waiting interaction it may take, if any. */
  private routeAgent(agent: RouterAgent, mediaType: string): boolean {
    const queues = [...this.waiting.keys()];
    const start = this.roundRobin;
    let best: Waiting | null = null;
    let rotating: Waiting | null = null;
    for (let index = 0; index < queues.length; index++) {
      const queue = queues[(start + index) % queues.length]!;
      const settings = this.settings.queues.get(queue)!;
      const candidate = this.firstFor(agent, mediaType, queue);
      if (candidate === null) continue;
      if (settings.strategy === 'priorityAge') {
        if (best === null || compareKeys(candidate.key, best.key) < 0) best = candidate;
      } else if (rotating === null) {
        rotating = candidate;
        this.roundRobin = (start + index + 1) % queues.length;
      }
    }
    // Priority-and-age queues compete by priority then age; the others take turns.
    const chosen = best === null ? rotating : rotating === null || compareKeys(best.key, rotating.key) <= 0 ? best : rotating;
    if (chosen === null) return false;
    this.routeCall(chosen, agent);
    return true;
  }

  /** The first interaction of a queue, in queue order, that this agent may take now. */
  private firstFor(agent: RouterAgent, mediaType: string, queue: string): Waiting | null {
    const contents = this.waiting.get(queue);
    if (contents === undefined) return null;
    const strategy = this.strategies.get(queue);
    let scanned = 0;
    for (const entry of contents.values()) {
      if (++scanned > scanLimitPerQueue) return null;
      if (entry.mediaType !== mediaType) continue;
      const cooled = this.cooldowns.get(entry.interactionId);
      if (cooled !== undefined && this.coolingDown(cooled, agent.agentId)) continue;
      if (strategy === undefined) return entry;
      // A user's strategy sees every available agent and may pick another; a built-in one only
      // decides whether this agent qualifies (a better qualified free agent would have it already).
      const userStrategy = typeof this.settings.queues.get(queue)?.strategy === 'object';
      const candidates = userStrategy ? this.candidates(this.available.get(mediaType)!, entry, cooled) : [this.candidateOf(agent, mediaType)];
      const chosen = this.decide(strategy, entry, candidates);
      if (chosen === agent.agentId) return entry;
      if (chosen !== null && userStrategy) {
        const other = this.agents.get(chosen);
        if (other?.entries.has(mediaType) === true) {
          this.routeCall(entry, other);
          return null;
        }
      }
    }
    return null;
  }

  /** Runs a strategy; one that throws lets the interaction wait, and the error is reported, not fatal. */
  private decide(strategy: Strategy, interaction: Waiting, candidates: CandidateAgent[]): string | null {
    try {
      const chosen = strategy({ interaction, candidates, now: this.now });
      return typeof chosen === 'string' ? chosen : null;
    } catch (error) {
      this.onStrategyError(error instanceof Error ? error : new Error(String(error)), interaction);
      return null;
    }
  }

  private candidates(list: OrderedQueue<AvailableEntry>, entry: Waiting, cooled: Map<string, number> | undefined): CandidateAgent[] {
    const candidates: CandidateAgent[] = [];
    for (const { agent } of list.values()) {
      if (cooled !== undefined && this.coolingDown(cooled, agent.agentId)) continue;
      candidates.push(this.candidateOf(agent, entry.mediaType));
    }
    return candidates;
  }

  private candidateOf(agent: RouterAgent, mediaType: string): CandidateAgent {
    return {
      agentId: agent.agentId,
      placeId: agent.placeId,
      skills: agent.skills,
      idleSince: agent.idleSince,
      load: this.load(agent, mediaType),
      capacity: this.settings.capacity(mediaType),
    };
  }

  private routeCall(entry: Waiting, agent: RouterAgent): void {
    const referenceId = ++this.nextReferenceId;
    this.unwait(entry);
    this.inviting.set(entry.interactionId, entry);
    this.routeCalls.set(referenceId, { interactionId: entry.interactionId, agentId: agent.agentId, mediaType: entry.mediaType });
    agent.pending.set(entry.interactionId, entry.mediaType);
    // An invite, even one not yet made, ends the agent's idle time (SPEC section 5).
    agent.idleSince = this.now;
    this.refresh(agent);
    this.requests.push({ message: 'RequestRouteCall', referenceId, interactionId: entry.interactionId, agentId: agent.agentId, placeId: agent.placeId });
  }

  private overflowIfDue(entry: Waiting): boolean {
    const settings = this.settings.queues.get(entry.queue)!;
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
    const mediaTypes = new Set([...agent.ready, ...agent.entries.keys()]);
    for (const mediaType of mediaTypes) {
      const isAvailable = agent.ready.has(mediaType) && !agent.blocked.has(mediaType) && this.load(agent, mediaType) < this.settings.capacity(mediaType);
      const entry = agent.entries.get(mediaType);
      if (!isAvailable) {
        if (entry !== undefined) this.makeUnavailable(agent, mediaType);
        continue;
      }
      if (entry !== undefined && entry.key.enteredAt === agent.idleSince) continue;
      if (entry !== undefined) this.makeUnavailable(agent, mediaType);
      else this.freed.push({ agent, mediaType });
      const fresh: AvailableEntry = { key: { priority: 0, enteredAt: agent.idleSince, entryOrder: agent.order }, agent };
      agent.entries.set(mediaType, fresh);
      let list = this.available.get(mediaType);
      if (list === undefined) this.available.set(mediaType, (list = new OrderedQueue()));
      list.insert(fresh);
    }
  }

  private makeUnavailable(agent: RouterAgent, mediaType: string): void {
    const entry = agent.entries.get(mediaType);
    if (entry === undefined) return;
    this.available.get(mediaType)?.remove(entry);
    agent.entries.delete(mediaType);
  }

  private wait(entry: Waiting): void {
    let contents = this.waiting.get(entry.queue);
    if (contents === undefined) this.waiting.set(entry.queue, (contents = new OrderedQueue()));
    contents.insert(entry);
    this.waitingById.set(entry.interactionId, entry);
  }

  private unwait(entry: Waiting): void {
    if (!this.waitingById.delete(entry.interactionId)) return;
    const contents = this.waiting.get(entry.queue)!;
    contents.remove(entry);
    if (contents.size === 0) this.waiting.delete(entry.queue);
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
