// Drives a real core and the built-in router together on virtual time, linked by the one module
// every driver uses (src/router/link.ts): the core's messages to the router's RoutingEngine
// connection go to router.onMessage, reporting events (once the router's reporting has started) to
// router.onReport, and router.takeRequests() goes back to the core from that connection. Each client request is
// followed by the deliveries it causes, the router's requests and theirs, until nothing moves.
// `advance` moves the clock from deadline to deadline (the core's and the router's), so every
// timer fires at its own time. `lagged` reproduces the one race the server's group commit allows:
// the core handles a client's request after the router has decided but before it has heard of it.

import { resolveSettings, type ConfigInput, type Settings } from '../../src/config/config.js';
import { Core, toRecord } from '../../src/core/core.js';
import type { CoreRequest, MediaReadiness } from '../../src/core/requests.js';
import type { AgentLoginRecord, ClientType, InteractionRecord, Outgoing, OutgoingMessage, UserData } from '../../src/core/types.js';
import { RouterLink } from '../../src/router/link.js';
import { Router, type RouterRequest } from '../../src/router/router.js';
import { loadStrategies } from '../../src/router/strategies.js';
import type { Strategy } from '../../src/router/strategy.js';

/** Virtual time starts here (ms since the epoch); `advance` moves it, nothing sleeps. */
export const startTime = Date.UTC(2025, 0, 6, 9, 0, 0);

export { reportingClientId, routingClientId } from '../../src/router/link.js';
import { reportingClientId, routingClientId } from '../../src/router/link.js';
import { expireAllDue } from './expire.js';

/** Reporting events read loosely: tests look at attributes of many kinds of event at once. */
export type ReportingEvent = OutgoingMessage & { seq: number; eventTime: string };
/** The media server every `submit` and `stop` comes from. */
export const mediaClientId = 'media';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type RequestBody = DistributiveOmit<CoreRequest, 'referenceId'>;

export interface RouterHarnessOptions {
  /** Functions for queues whose strategy is `{module: ...}`, instead of loading the module. */
  modules?: Record<string, Strategy>;
  /** Where `{module: path}` strategies are found when not given in `modules`; the repository root by default. */
  baseDirectory?: string;
  startAt?: number;
  /** Checks the core's invariants after every delivery round (O(n): off for large set-ups). */
  checkInvariants?: boolean;
}

/** A route call the router made, with when, and the core's refusal if it got one. */
export interface RouteCallRecord {
  at: number;
  referenceId: number;
  interactionId: string;
  agentId: string;
  placeId: string;
  error?: string;
}

export class RouterHarness {
  readonly settings: Settings;
  readonly strategies: ReadonlyMap<string, Strategy>;
  core: Core;
  router: Router;
  private link: RouterLink;
  now: number;
  /** Every message each client connection received, in order (the router's own connections excluded). */
  readonly received = new Map<string, OutgoingMessage[]>();
  /** Every reporting event, in seq order, whether or not the router was listening. */
  readonly reported: ReportingEvent[] = [];
  /** Every request the router made, in order. */
  readonly routerRequests: { at: number; request: RouterRequest }[] = [];
  /** The router's route calls; `error` is the code of the EventError that refused one. */
  readonly routeCalls: RouteCallRecord[] = [];
  /** Every EventError the router's connection received. */
  readonly routerErrors: OutgoingMessage[] = [];
  /** Errors thrown by strategies, which the router reports (server.ts logs them) instead of failing. */
  readonly strategyErrors: { message: string; interactionId: string }[] = [];
  /** Everything the router heard, in order: its messages and the reporting events. */
  readonly heard: OutgoingMessage[] = [];
  /** Open invites per agent (ticket id by interaction id), from EventInvite and what ends it. */
  readonly invites = new Map<string, Map<string, number>>();
  /** What a store would hold, for `restart`. */
  private readonly records = new Map<string, InteractionRecord>();
  private readonly agentLogins = new Map<string, AgentLoginRecord>();
  private readonly registered = new Set<string>();
  private readonly agentOfClient = new Map<string, string>();
  private readonly checkInvariants: boolean;
  private nextReferenceId = 0;
  /** Core output not yet delivered; `lagged` holds some back. */
  private undelivered: Outgoing[] = [];
  private holding = false;

  private constructor(settings: Settings, strategies: ReadonlyMap<string, Strategy>, options: RouterHarnessOptions) {
    this.settings = settings;
    this.strategies = strategies;
    this.now = options.startAt ?? startTime;
    this.checkInvariants = options.checkInvariants ?? true;
    this.core = new Core(settings.core);
    this.router = this.newRouter();
    this.link = new RouterLink(this.router);
    this.startRouter();
  }

  /** Resolves the config as the server does, loads the strategies, and starts the router on a fresh core. */
  static async open(config: ConfigInput, options: RouterHarnessOptions = {}): Promise<RouterHarness> {
    const settings = resolveSettings(config);
    const modules = options.modules ?? {};
    const toLoad = new Map([...settings.router.queues].filter(([queue]) => modules[queue] === undefined));
    const strategies = await loadStrategies({ ...settings.router, queues: toLoad }, options.baseDirectory ?? process.cwd());
    for (const [queue, strategy] of Object.entries(modules)) strategies.set(queue, strategy);
    return new RouterHarness(settings, strategies, options);
  }

  // ---- Clients -------------------------------------------------------------------------------

  /** Registers a connection (once); an agent's first desktop has the agent id as its connection id. */
  connect(clientId: string, clientType: ClientType, clientName = clientId): void {
    if (this.registered.has(clientId)) return;
    this.registered.add(clientId);
    this.call(() => this.core.register({ clientId, now: this.now }, ++this.nextReferenceId, clientType, clientName));
  }

  /** Sends a request from a connection and returns its answer (the message carrying its referenceId). */
  send(clientId: string, body: RequestBody): OutgoingMessage {
    const referenceId = ++this.nextReferenceId;
    const before = this.received.get(clientId)?.length ?? 0;
    this.call(() => this.core.request({ clientId, now: this.now }, { ...body, referenceId } as CoreRequest));
    const answer = (this.received.get(clientId) ?? []).slice(before).find((message) => message.referenceId === referenceId);
    if (answer === undefined) throw new Error(`${clientId}: ${body.message} got no answer`);
    return answer;
  }

  /** Logs an agent in from its desktop (connection id = agent id), registering it first if needed. */
  login(agentId: string, media: Record<string, MediaReadiness>, options: { placeId?: string; skills?: Record<string, number> } = {}): OutgoingMessage {
    this.connect(agentId, 'AgentApplication');
    // Before the request: the login's own delivery may already bring an invite.
    this.agentOfClient.set(agentId, agentId);
    return this.send(agentId, {
      message: 'RequestAgentLogin', agentId, placeId: options.placeId ?? placeOf(agentId), media, ...(options.skills !== undefined ? { skills: options.skills } : {}),
    });
  }

  logout(agentId: string): OutgoingMessage {
    return this.send(agentId, { message: 'RequestAgentLogout' });
  }

  ready(agentId: string, mediaType: string): OutgoingMessage {
    return this.send(agentId, { message: 'RequestCancelNotReadyForMedia', mediaType });
  }

  notReady(agentId: string, mediaType: string, reason = 'break'): OutgoingMessage {
    return this.send(agentId, { message: 'RequestNotReadyForMedia', mediaType, reason });
  }

  /** Closes a connection; an agent's only desktop closing logs it out (its owned work stays owned). */
  disconnect(clientId: string): void {
    this.registered.delete(clientId);
    const agentId = this.agentOfClient.get(clientId);
    if (agentId !== undefined) this.invites.delete(agentId);
    this.agentOfClient.delete(clientId);
    this.call(() => this.core.disconnect(clientId, this.now));
  }

  /** Submits from the media server and returns the new interaction's id. */
  submit(queue: string, mediaType: string, attributes: { priority?: number; userData?: UserData } = {}): string {
    this.connect(mediaClientId, 'MediaServer');
    const answer = this.send(mediaClientId, { message: 'RequestSubmit', queue, mediaType, ...attributes });
    if (answer.message !== 'EventAck') throw new Error(`submit to ${queue} refused: ${JSON.stringify(answer)}`);
    return answer.interactionId as string;
  }

  /** The agent accepts its open invite for the interaction (its only or oldest one if none is named). */
  accept(agentId: string, interactionId?: string): OutgoingMessage {
    const [id, ticketId] = this.openInvite(agentId, interactionId);
    this.invites.get(agentId)!.delete(id);
    return this.send(agentId, { message: 'RequestAccept', ticketId, interactionId: id });
  }

  reject(agentId: string, interactionId?: string, reason = 'busy'): OutgoingMessage {
    const [id, ticketId] = this.openInvite(agentId, interactionId);
    this.invites.get(agentId)!.delete(id);
    return this.send(agentId, { message: 'RequestReject', ticketId, interactionId: id, reason });
  }

  /** The agent's open invites, oldest first, as interaction ids. */
  invitesOf(agentId: string): string[] {
    return [...(this.invites.get(agentId)?.keys() ?? [])];
  }

  /** Stops an interaction from the media server, whoever holds it. */
  stop(interactionId: string): OutgoingMessage {
    this.connect(mediaClientId, 'MediaServer');
    return this.send(mediaClientId, { message: 'RequestStopProcessing', interactionId, reason: 'done' });
  }

  pull(agentId: string, queue: string, count = 1): OutgoingMessage {
    return this.send(agentId, { message: 'RequestPull', queue, count });
  }

  private openInvite(agentId: string, interactionId: string | undefined): [string, number] {
    const open = this.invites.get(agentId) ?? new Map<string, number>();
    const entry = interactionId === undefined ? [...open][0] : open.has(interactionId) ? [interactionId, open.get(interactionId)!] as const : undefined;
    if (entry === undefined) throw new Error(`${agentId} has no open invite${interactionId !== undefined ? ` for ${interactionId}` : ''}`);
    return [entry[0], entry[1]];
  }

  // ---- Time ----------------------------------------------------------------------------------

  /** Moves the clock forward by `ms`, stopping at every deadline of the core and of the router on the way. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (let steps = 0; ; steps++) {
      if (steps > 100_000) throw new Error('deadlines do not stop coming');
      const next = earliest(this.core.nextDeadline(), this.router.nextDeadline());
      if (next === undefined || next > target) break;
      this.now = Math.max(this.now, next);
      // Two timers in the server, one after the other here: the core's first, then the router's.
      this.call(() => expireAllDue(this.core, this.now));
      this.router.tick(this.now);
      this.settle();
    }
    this.now = target;
  }

  advanceSeconds(seconds: number): void {
    this.advance(Math.round(seconds * 1000));
  }

  // ---- Restart -------------------------------------------------------------------------------

  /**
   * A server restart: a new core recovers from what a store would hold, and a new router starts
   * after recovery, as server.ts does, so it does not hear the recovery's events. Every client
   * connection is gone and must register again.
   */
  restart(afterMs = 0): void {
    const counters = this.core.getCounters();
    this.now += afterMs;
    this.core = new Core(this.settings.core);
    this.router = this.newRouter();
    this.link = new RouterLink(this.router);
    this.registered.clear();
    this.agentOfClient.clear();
    this.invites.clear();
    this.core.recover(
      [...this.records.values()].map((record) => structuredClone(record)),
      counters,
      this.now,
      [...this.agentLogins.values()].filter((login) => login.loggedIn).map((login) => ({ ...login })),
    );
    this.take();
    this.undelivered = [];
    this.startRouter();
  }

  // ---- The race of group commit ----------------------------------------------------------------

  /**
   * Runs `first`, then `second`, and only then delivers what `first` caused: the router decides on
   * `first`'s events, and its requests reach a core that has already handled `second` (whose events
   * the router hears after, with the answers to its requests). In the server this happens when
   * `second` arrives while `first`'s batch is being committed.
   */
  lagged(first: () => void, second: () => void): void {
    this.holding = true;
    try {
      first();
      const firstBatch = this.undelivered;
      this.undelivered = [];
      second();
      const secondBatch = this.undelivered;
      this.undelivered = [];
      this.deliver(firstBatch);
      this.feedRouterRequests();
      this.undelivered = [...secondBatch, ...this.undelivered];
    } finally {
      this.holding = false;
    }
    this.settle();
  }

  // ---- What happened -------------------------------------------------------------------------

  messagesTo(clientId: string): OutgoingMessage[] {
    return this.received.get(clientId) ?? [];
  }

  /** The core's state of an interaction; 'stopped' once it has left the core's memory. */
  stateOf(interactionId: string): string {
    return this.core.interaction(interactionId)?.state ?? 'stopped';
  }

  /** The agent an interaction is invited to now, if any. */
  invitedAgentOf(interactionId: string): string | null {
    return this.core.interaction(interactionId)?.ticket?.agentId ?? null;
  }

  /** The interactions the router asked to invite, in order, as [interactionId, agentId]. */
  routeCallPairs(): [string, string][] {
    return this.routeCalls.map((call) => [call.interactionId, call.agentId]);
  }

  // ---- Plumbing ------------------------------------------------------------------------------

  private newRouter(): Router {
    return new Router(this.settings.router, this.strategies, (error, interaction) => {
      this.strategyErrors.push({ message: error.message, interactionId: interaction.interactionId });
    });
  }

  /** As every driver: a ReportingEngine that starts reporting live, then a RoutingEngine naming the builtin queues. */
  private startRouter(): void {
    this.call(() => this.link.connect(this.core, this.now));
  }

  /** Runs a core entry point; its output is delivered at once unless `lagged` holds it back. */
  private call(run: () => void): void {
    run();
    this.take();
    if (!this.holding) this.settle();
  }

  /** Takes the core's effects: keeps what a store would, records what clients receive, queues the rest for delivery. */
  private take(): void {
    const effects = this.core.takeEffects();
    for (const [interactionId, interaction] of effects.changed) this.records.set(interactionId, structuredClone(toRecord(interaction)));
    for (const [agentId, login] of effects.agents) this.agentLogins.set(agentId, { ...login });
    for (const outgoing of effects.out) {
      if (outgoing.to === null) this.reported.push(outgoing.message);
      else if (outgoing.to !== routingClientId && outgoing.to !== reportingClientId) this.receive(outgoing.to, outgoing.message);
      this.undelivered.push(outgoing);
    }
  }

  private receive(clientId: string, message: OutgoingMessage): void {
    let messages = this.received.get(clientId);
    if (messages === undefined) this.received.set(clientId, (messages = []));
    messages.push(message);
    const agentId = this.agentOfClient.get(clientId);
    if (agentId === undefined) return;
    let open = this.invites.get(agentId);
    if (open === undefined) this.invites.set(agentId, (open = new Map()));
    if (message.message === 'EventInvite') {
      open.set((message.interaction as { interactionId: string }).interactionId, message.ticketId as number);
    } else if (message.message === 'EventRevoked' && message.ticketId !== undefined) {
      open.delete(message.interactionId as string);
    }
  }

  /** Delivers everything not yet delivered, feeds the router's requests to the core, and repeats until nothing moves. */
  private settle(): void {
    for (let rounds = 0; ; rounds++) {
      if (rounds > 100_000) throw new Error('the core and the router do not settle');
      // Requests a tick made, or the last delivery did.
      this.feedRouterRequests();
      if (this.undelivered.length === 0) return;
      const batch = this.undelivered;
      this.undelivered = [];
      this.deliver(batch);
      if (this.checkInvariants) this.core.assertInvariants();
    }
  }

  private deliver(batch: readonly Outgoing[]): void {
    for (const outgoing of batch) {
      if (outgoing.to === routingClientId) {
        const message = outgoing.message;
        this.heard.push(message);
        if (message.message === 'EventError') {
          this.routerErrors.push(message);
          const call = this.routeCalls.find((record) => record.referenceId === message.referenceId);
          if (call !== undefined) call.error = message.errorCode;
        }
      } else if (outgoing.to === null && this.routerListens()) {
        this.heard.push(outgoing.message);
      }
      this.link.deliver(outgoing, this.now);
    }
  }

  /** The router hears the stream from its registration on (not a restart's recovery, which comes before). */
  private routerListens(): boolean {
    return this.core.clientOf(reportingClientId)?.reporting === true;
  }

  /** As server.ts: the router decides after the whole delivery that woke it, and its requests go in order from its RoutingEngine connection. */
  private feedRouterRequests(): void {
    this.link.feed(this.core, this.now, (request: RouterRequest) => {
      this.routerRequests.push({ at: this.now, request });
      if (request.message === 'RequestRouteCall') {
        this.routeCalls.push({ at: this.now, referenceId: request.referenceId, interactionId: request.interactionId, agentId: request.agentId, placeId: request.placeId });
      }
    });
    this.take();
  }
}

export function placeOf(agentId: string): string {
  return `place-${agentId.replace(/^agent-/, '')}`;
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
