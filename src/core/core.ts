// The interaction server's state machine. Synchronous and deterministic: every entry point takes
// `now`, changes the state, and records what to persist (changed interactions) and what to send
// (messages and reporting events). It never reads a clock, touches I/O or awaits; the shell makes
// each batch of changes durable before it sends the messages that describe them.

import { mayUseWorkbin, requireHolder, requireReader, requireSnapshotter, requireSubmitter, resolveWorkbin } from './access.js';
import { mediaSettings, type CoreConfig } from './config.js';
import { DeadlineHeap } from './deadline-heap.js';
import { eventError, RequestError } from './errors.js';
import type { ClientEvent, ClientEventAttributes, ClientEventName, Party, ReportingEvent, ReportingEventAttributes, ReportingEventName } from './events.js';
import { fromRecord, interactionIdOf, iso, numberOfInteractionId, parseIso, toRecord, toWire, workbinKey } from './interaction.js';
import { OrderedQueue, type QueueKey } from './ordered-queue.js';
import type { CoreRequest, SnapshotOrder } from './requests.js';
import { compileCondition } from './snapshot-condition.js';
import { locationKeyOf, RunMerge, snapshotComparison, stillWhereSeen, type Snapshot } from './snapshot.js';
import { checkUserData } from './user-data.js';
import { maxAgentMediaTypes, openGrants, reservedClientNames } from './types.js';
import type {
  Agent,
  Participant,
  AgentLoginRecord,
  Client,
  ClientGrants,
  ClientType,
  Counters,
  Interaction,
  InteractionRecord,
  Outgoing,
  Ticket,
  UserData,
  WorkbinRef,
} from './types.js';

export interface Effects {
  out: Outgoing[];
  /** Interactions whose stored record must be written, by id; stopped ones included. */
  changed: Map<string, Interaction>;
  /** Agents whose login changed, by id: the store keeps who is logged in. */
  agents: Map<string, AgentLoginRecord>;
}

export interface RequestContext {
  clientId: string;
  now: number;
}

/** Which client types may send each request (SPEC section 5); finer checks happen in the handlers. */
const senders: Record<CoreRequest['message'], readonly ClientType[]> = {
  RequestSubmit: ['MediaServer'],
  RequestAgentLogin: ['AgentApplication'],
  RequestAgentLogout: ['AgentApplication'],
  RequestNotReadyForMedia: ['AgentApplication'],
  RequestCancelNotReadyForMedia: ['AgentApplication'],
  RequestRouteCall: ['RoutingEngine'],
  RequestAccept: ['AgentApplication'],
  RequestReject: ['AgentApplication'],
  RequestPull: ['AgentApplication'],
  RequestPlaceInQueue: ['AgentApplication', 'RoutingEngine', 'Supervisor'],
  RequestPlaceInWorkbin: ['AgentApplication', 'RoutingEngine', 'Supervisor'],
  RequestStopProcessing: ['AgentApplication', 'RoutingEngine', 'MediaServer', 'Supervisor'],
  RequestChangeProperties: ['AgentApplication', 'RoutingEngine', 'MediaServer'],
  RequestGetInteractionProperties: ['AgentApplication', 'RoutingEngine', 'MediaServer', 'Supervisor'],
  RequestGetWorkbinContent: ['AgentApplication', 'RoutingEngine', 'MediaServer', 'Supervisor'],
  RequestWorkbinNotifications: ['AgentApplication', 'RoutingEngine', 'MediaServer', 'Supervisor'],
  // SPEC 9.3: supervisors act on agents; snapshots are for supervisors, routers and media servers
  // with scope `all` (the handlers check the scope).
  RequestForceAgentLogout: ['Supervisor'],
  RequestForceNotReady: ['Supervisor'],
  RequestTakeSnapshot: ['Supervisor', 'RoutingEngine', 'MediaServer'],
  RequestGetSnapshotInteractions: ['Supervisor', 'RoutingEngine', 'MediaServer'],
  RequestReleaseSnapshot: ['Supervisor', 'RoutingEngine', 'MediaServer'],
  RequestUnlockInteraction: ['Supervisor', 'RoutingEngine', 'MediaServer'],
  RequestMoveInteractions: ['Supervisor', 'RoutingEngine', 'MediaServer'],
  RequestStartReporting: ['ReportingEngine', 'Supervisor'],
  // SPEC 9.1–9.2: an agent's own work; the handlers check who owns or takes part in it.
  RequestTransfer: ['AgentApplication'],
  RequestConference: ['AgentApplication'],
  RequestCancelTransfer: ['AgentApplication'],
  RequestLeaveInteraction: ['AgentApplication'],
};

/** One configured queue as the metrics see it. */
export interface QueueStatistics {
  queue: string;
  /** Interactions in the queue: queued, routing or invited (SPEC 4.1: they leave it when an agent takes them). */
  waiting: number;
  /** When the one that has been in the queue longest entered it (ms); null when the queue is empty. */
  oldestEnteredAt: number | null;
}

/** The logged-in agents, and per media type they named, how many are ready and how many not. */
export interface AgentStatistics {
  loggedIn: number;
  media: Map<string, { ready: number; notReady: number }>;
}

/** A queue's interactions by state, for the REST API. */
export interface QueueOverview {
  queue: string;
  /** In the queue and offered to no router, or waiting for one. */
  queued: number;
  /** Held by a router looking for an agent. */
  routing: number;
  /** An invite is out. */
  invited: number;
  /** Taken from this queue by an agent that handles it now (it returns here if the agent loses it). */
  handling: number;
  oldestEnteredAt: number | null;
}

/** A logged-in agent, for the REST API: per media type, readiness, load (invited + handling) and capacity. */
export interface AgentOverview {
  agentId: string;
  placeId: string;
  media: Record<string, { ready: boolean; reason: string | null; load: number; capacity: number }>;
}

/** The not-ready reason of after-call work (SPEC 9.4 step 3). */
const afterCallWork = 'AfterCallWork';

/**
 * Interactions read, or locked, in one slice of a snapshot being taken: about a millisecond of
 * work, after which the other clients' requests go first. A snapshot of 100,000 takes 40 slices.
 */
const snapshotSliceSize = 2500;

/** A snapshot being taken (doPendingWork): where it has read to, and what it has found. */
interface SnapshotJob {
  readonly snapshotId: number;
  readonly clientId: string;
  readonly referenceId: number;
  readonly location: string;
  /** The queue's contents at the moment of the request. */
  blocks: Interaction[][];
  block: number;
  index: number;
  readonly matches: (interaction: Interaction) => boolean;
  readonly order: SnapshotOrder;
  readonly max: number;
  readonly lock: boolean;
  /** The matches, as sorted runs (one per slice; one in all for the queue's own order). */
  readonly runs: Interaction[][];
  /** Merging the runs into the snapshot's order, in slices. */
  merge: RunMerge | null;
  /** Reading against the condition, merging the sorted runs, locking: each in slices. */
  phase: 'read' | 'merge' | 'lock';
  /** Once read and ordered; then locked in slices if asked. */
  snapshot: Snapshot | null;
  locking: number;
}



/** SPEC 9.3 step 2: a snapshot's `max` when it names none. */
export const defaultSnapshotMax = 1000;
/** Interactions in one EventSnapshotInteractions when the request names no count. */
export const defaultSnapshotPage = 100;

export class AssertionFailure extends Error {}

function assert(condition: boolean, description: string): asserts condition {
  if (!condition) throw new AssertionFailure(`invariant violated: ${description}`);
}

export class Core {
  private readonly config: CoreConfig;
  private now = 0;
  private out: Outgoing[] = [];
  private changed = new Map<string, Interaction>();
  private changedAgents = new Map<string, AgentLoginRecord>();

  private readonly interactions = new Map<string, Interaction>();
  private readonly queues = new Map<string, OrderedQueue<Interaction>>();
  private readonly workbins = new Map<string, OrderedQueue<Interaction>>();
  private readonly externalIds = new Map<string, string>();
  private readonly clients = new Map<string, Client>();
  private readonly agents = new Map<string, Agent>();
  /** Owned interactions by agent id: ownership outlives the agent's login (SPEC section 5). */
  private readonly owned = new Map<string, Set<Interaction>>();
  /** Conferences each agent takes part in without owning them (SPEC 9.2), by agent id. */
  private readonly participating = new Map<string, Set<Interaction>>();
  /** The time of each agent's last successful request; it pushes back every handling timer it owns. */
  private readonly activity = new Map<string, number>();
  private readonly tickets = new Map<number, Ticket>();
  private readonly subscriptions = new Map<string, Set<string>>();
  private readonly routers: string[] = [];
  /** Router names by client id, kept after a router leaves: an invite it made can end later. */
  private readonly routerNames = new Map<string, string>();
  private roundRobin = 0;
  private readonly deadlines = new DeadlineHeap();
  /** Open snapshots by id (SPEC 9.3); each belongs to one connection. */
  private readonly snapshots = new Map<number, Snapshot>();
  private lastSnapshot = 0;
  /** Snapshots being taken, oldest first; one slice of the first at a time. */
  private readonly snapshotJobs: SnapshotJob[] = [];
  /** Agents in after-call work (SPEC 9.4 step 3), by agent id and media type: when it ends. */
  private readonly wrapUps = new Map<string, Map<string, number>>();
  private counters: Counters = { lastInteraction: 0, lastTicket: 0, lastEntry: 0, lastSeq: 0 };

  constructor(config: CoreConfig) {
    this.config = config;
  }

  // ---- The shell's view ----------------------------------------------------------------------

  /** What happened since the last call: the messages to send once `changed` is durable. */
  takeEffects(): Effects {
    const effects = { out: this.out, changed: this.changed, agents: this.changedAgents };
    this.out = [];
    this.changed = new Map();
    this.changedAgents = new Map();
    return effects;
  }

  getCounters(): Counters {
    return { ...this.counters };
  }

  /** The earliest deadline in state, if any: the shell's one timer aims at it. */
  nextDeadline(): number | undefined {
    return this.deadlines.peek()?.at;
  }

  /** The client's agent, for the shell's logging and for tests. */
  clientOf(clientId: string): Client | undefined {
    return this.clients.get(clientId);
  }

  interaction(interactionId: string): Interaction | undefined {
    return this.interactions.get(interactionId);
  }

  interactionCount(): number {
    return this.interactions.size;
  }

  /**
   * Interactions that wait in (or, handled, would return to) a queue or workbin the config no
   * longer names, counted by where they are: nobody can route or pull them until it names it again.
   */
  unconfiguredLocations(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const interaction of this.interactions.values()) {
      const where = interaction.workbin !== null
        ? (this.config.workbins.has(interaction.workbin.name) ? null : `workbin ${interaction.workbin.name} of ${interaction.workbin.ownerId}`)
        : (this.config.queues.has(interaction.queue!) ? null : `queue ${interaction.queue!}`);
      if (where !== null) counts.set(where, (counts.get(where) ?? 0) + 1);
    }
    return counts;
  }

  /** True when an id was issued by this server: with `interaction()` it tells a stopped id from an unknown one. */
  wasIssued(interactionId: string): boolean {
    const number = numberOfInteractionId(interactionId);
    return number !== null && number >= 1 && number <= this.counters.lastInteraction;
  }

  externalIdKey(clientName: string, externalId: string): string {
    return `${clientName}\u0000${externalId}`;
  }

  knowsExternalId(clientName: string, externalId: string): boolean {
    return this.externalIds.has(this.externalIdKey(clientName, externalId));
  }

  // ---- Recovery ------------------------------------------------------------------------------

  /**
   * Rebuilds the state from the stored records of every interaction that has not stopped, after a
   * restart (SPEC section 6): invites that were out are revoked, routing interactions lose their
   * router, handling ones stay owned with a fresh handling timer. Agents that were logged in are
   * logged out: their connections died with the old process.
   */
  recover(records: Iterable<InteractionRecord>, counters: Counters, now: number, loggedIn: Iterable<AgentLoginRecord> = []): void {
    this.beginRecovery(counters, now);
    this.recoverInteractions(records);
    this.endRecovery(loggedIn);
  }

  /** recover() in steps, for a store that hands its records over in batches (Store.load). */
  beginRecovery(counters: Counters, now: number): void {
    assert(this.interactions.size === 0, 'recover runs on an empty core');
    this.advance(now);
    this.counters = { ...counters };
  }

  recoverInteractions(records: Iterable<InteractionRecord>): void {
    for (const record of records) {
      if (record.state === 'stopped') continue;
      const interaction = fromRecord(record);
      this.interactions.set(interaction.interactionId, interaction);
      if (interaction.externalId !== null) {
        this.externalIds.set(this.externalIdKey(interaction.submittedBy, interaction.externalId), interaction.interactionId);
      }
      if (record.state === 'handling' && record.assignedTo !== null) {
        const participants = interaction.participants;
        interaction.participants = [];
        this.own(interaction, record.assignedTo, record.placeId ?? '');
        for (const participant of participants) this.join(interaction, participant);
        // A transfer or conference invite that was out is revoked; the owner keeps the interaction (SPEC 9.1).
        if (record.ticketId !== null) {
          this.report('EventRevoked', { interactionId: interaction.interactionId, agentId: record.ticketAgentId ?? '', placeId: record.ticketPlaceId ?? '', ticketId: record.ticketId, reason: 'ServerRestart' });
        }
        continue;
      }
      this.locationOf(interaction).insert(interaction);
      // A deadline that passed while the server was down fires at the first tick (SPEC 9.4 step 4).
      this.watchWaiting(interaction);
      if (record.state === 'invited') {
        const agentId = record.ticketAgentId ?? '';
        const placeId = record.ticketPlaceId ?? '';
        const reason = 'ServerRestart';
        this.report('EventRevoked', { interactionId: interaction.interactionId, agentId, placeId, ticketId: record.ticketId, reason });
        this.report('EventPartyRemoved', { interactionId: interaction.interactionId, party: { type: 'Strategy', name: '' }, reason });
      } else if (record.state === 'routing') {
        this.report('EventPartyRemoved', { interactionId: interaction.interactionId, party: { type: 'Strategy', name: '' }, reason: 'ServerRestart' });
      }
      if (interaction.state !== 'queued') {
        interaction.state = 'queued';
        this.markChanged(interaction);
      }
    }
  }

  endRecovery(loggedIn: Iterable<AgentLoginRecord>): void {
    // As at a live logout: the invites are revoked first, then the agent is reported logged out.
    for (const agent of loggedIn) {
      this.report('EventAgentLogout', { agentId: agent.agentId, placeId: agent.placeId, reason: 'ServerRestart' });
      this.changedAgents.set(agent.agentId, { agentId: agent.agentId, placeId: agent.placeId, loggedIn: false });
    }
  }

  // ---- Clients -------------------------------------------------------------------------------

  /** Registers a connection; `grants` are what its verified credentials allow (openGrants without authentication). */
  register(context: RequestContext, referenceId: number, clientType: ClientType, clientName: string, queues?: readonly string[], grants: ClientGrants = openGrants): void {
    this.advance(context.now);
    this.guard(context.clientId, referenceId, () => {
      if (this.clients.has(context.clientId)) throw new RequestError('InvalidState', 'This connection is already registered.');
      if (reservedClientNames.has(clientName) && !grants.inProcess) {
        throw new RequestError('Forbidden', `The client name "${clientName}" is reserved for the server's own clients; register with another name.`);
      }
      if (queues !== undefined && clientType !== 'RoutingEngine') {
        throw new RequestError('InvalidRequest', 'Only a RoutingEngine may name the queues it serves.');
      }
      for (const queue of queues ?? []) {
        if (!this.config.queues.has(queue)) throw new RequestError('UnknownQueue', `There is no queue named "${queue}".`);
      }
      const client: Client = {
        clientId: context.clientId,
        clientType,
        clientName,
        grants,
        agentId: null,
        queues: queues === undefined ? null : new Set(queues),
        subscriptions: new Map(),
        snapshots: new Set(),
        reporting: false,
      };
      this.clients.set(context.clientId, client);
      this.reply(context.clientId, referenceId, 'EventAck', {});
      if (clientType === 'RoutingEngine') this.addRouter(client);
    });
  }

  /** A connection closed: an agent's last connection logs it out, a router's work goes to another. */
  disconnect(clientId: string, now: number): void {
    this.advance(now);
    const client = this.clients.get(clientId);
    if (client === undefined) return;
    this.clients.delete(clientId);
    // A router leaves the rotation first: what its snapshots unlock below is offered to the others.
    if (client.clientType === 'RoutingEngine') this.removeRouter(client);
    for (const key of [...client.subscriptions.keys()]) this.unsubscribe(client, key);
    // SPEC 9.3 step 3: a snapshot, and what it locks, dies with its connection; one being taken is not finished.
    for (let index = this.snapshotJobs.length - 1; index >= 0; index--) {
      const job = this.snapshotJobs[index]!;
      if (job.clientId !== clientId) continue;
      this.snapshotJobs.splice(index, 1);
      client.snapshots.delete(job.snapshotId);
      if (job.snapshot !== null) this.unlockAll(job.snapshot.locked);
    }
    for (const snapshotId of [...client.snapshots]) this.releaseSnapshot(client, this.snapshots.get(snapshotId)!);
    if (client.agentId !== null) {
      const agent = this.agents.get(client.agentId);
      if (agent !== undefined) {
        agent.clients.delete(clientId);
        if (agent.clients.size === 0) this.logOut(agent, 'AgentDisconnected', false);
      }
    }
  }

  // ---- Requests ------------------------------------------------------------------------------

  /** Runs one request; false when it was refused (its EventError is in the effects). */
  request(context: RequestContext, request: CoreRequest): boolean {
    this.advance(context.now);
    const client = this.clients.get(context.clientId);
    if (client === undefined) {
      this.error(context.clientId, request.referenceId, new RequestError('NotRegistered', 'Send RequestRegisterClient first.'));
      return false;
    }
    const succeeded = this.guard(context.clientId, request.referenceId, () => {
      if (!senders[request.message].includes(client.clientType)) {
        // "A client of type …" rather than "A ${clientType}", which reads "A AgentApplication".
        throw new RequestError('Forbidden', `A client of type ${client.clientType} may not send ${request.message}.`);
      }
      this.execute(client, request);
    });
    // SPEC 4.2 step 3: any request of the agent that is not refused keeps its work alive.
    if (succeeded && client.agentId !== null) this.activity.set(client.agentId, this.now);
    return succeeded;
  }

  private execute(client: Client, request: CoreRequest): void {
    switch (request.message) {
      case 'RequestSubmit': return this.submit(client, request);
      case 'RequestAgentLogin': return this.logIn(client, request);
      case 'RequestAgentLogout': return this.onLogoutRequest(client, request.referenceId);
      case 'RequestNotReadyForMedia': return this.setReadiness(client, request.referenceId, request.mediaType, false, request.reason ?? null);
      case 'RequestCancelNotReadyForMedia': return this.setReadiness(client, request.referenceId, request.mediaType, true, null);
      case 'RequestRouteCall': return this.routeCall(client, request);
      case 'RequestAccept': return this.accept(client, request);
      case 'RequestReject': return this.reject(client, request);
      case 'RequestPull': return this.pull(client, request);
      case 'RequestPlaceInQueue': return this.placeInQueue(client, request);
      case 'RequestPlaceInWorkbin': return this.placeInWorkbin(client, request);
      case 'RequestStartReporting': return this.startReporting(client);
      case 'RequestTransfer': return this.invitePeer(client, request, 'Transfer');
      case 'RequestConference': return this.invitePeer(client, request, 'Conference');
      case 'RequestCancelTransfer': return this.cancelTransfer(client, request);
      case 'RequestLeaveInteraction': return this.leave(client, request);
      case 'RequestStopProcessing': return this.stopProcessing(client, request);
      case 'RequestChangeProperties': return this.changeProperties(client, request);
      case 'RequestGetInteractionProperties': return this.getInteractionProperties(client, request);
      case 'RequestGetWorkbinContent': return this.getWorkbinContent(client, request);
      case 'RequestWorkbinNotifications': return this.workbinNotifications(client, request);
      case 'RequestForceAgentLogout': return this.forceLogout(client, request);
      case 'RequestForceNotReady': return this.forceNotReady(client, request);
      case 'RequestTakeSnapshot': return this.takeSnapshot(client, request);
      case 'RequestGetSnapshotInteractions': return this.getSnapshotInteractions(client, request);
      case 'RequestReleaseSnapshot': return this.releaseSnapshotRequest(client, request);
      case 'RequestUnlockInteraction': return this.unlockInteraction(client, request);
      case 'RequestMoveInteractions': return this.moveInteractions(client, request);
    }
  }

  /**
   * The core decides whether a connection may start reporting; the shell answers, since where the
   * EventAck falls in the stream (and the replay from fromSeq) is the reporting hub's to arrange.
   */
  private startReporting(client: Client): void {
    if (client.reporting) throw new RequestError('InvalidState', 'Reporting has already started on this connection.');
    client.reporting = true;
  }

  private submit(client: Client, request: Extract<CoreRequest, { message: 'RequestSubmit' }>): void {
    if (!this.config.queues.has(request.queue)) throw new RequestError('UnknownQueue', `There is no queue named "${request.queue}".`);
    if (request.userData !== undefined) this.checkUserData(request.userData, 'The userData');
    const when = this.whenOf(request);
    if (request.externalId !== undefined) {
      const existing = this.externalIds.get(this.externalIdKey(client.clientName, request.externalId));
      if (existing !== undefined) {
        this.reply(client.clientId, request.referenceId, 'EventAck', { interactionId: existing });
        return;
      }
    }
    const number = ++this.counters.lastInteraction;
    const priority = request.priority ?? 0;
    const interaction: Interaction = {
      interactionId: interactionIdOf(number),
      mediaType: request.mediaType,
      type: request.type ?? 'Inbound',
      subtype: request.subtype ?? 'InboundNew',
      priority,
      userData: { ...request.userData },
      submittedAt: this.now,
      submittedBy: client.clientName,
      externalId: request.externalId ?? null,
      state: 'queued',
      queue: request.queue,
      workbin: null,
      key: this.newKey(priority),
      assignedTo: null,
      placeId: null,
      ownedSince: 0,
      routerId: null,
      ticket: null,
      participants: [],
      consultation: null,
      expiresAt: when.expiresAt,
      scheduledAt: when.scheduledAt,
      lockedBy: null,
    };
    this.interactions.set(interaction.interactionId, interaction);
    if (interaction.externalId !== null) {
      this.externalIds.set(this.externalIdKey(client.clientName, interaction.externalId), interaction.interactionId);
    }
    this.queueOf(request.queue).insert(interaction);
    this.markChanged(interaction);
    this.reply(client.clientId, request.referenceId, 'EventAck', { interactionId: interaction.interactionId });
    this.report('EventInteractionSubmitted', { interactionId: interaction.interactionId, interaction: toWire(interaction) });
    this.reportPlaced(interaction);
    this.watchWaiting(interaction);
    this.offer(interaction);
  }

  /** SPEC 9.4: a submit's or placement's expiresAt and scheduledAt, checked; a moment already past is now. */
  private whenOf(request: { expiresAt?: string; scheduledAt?: string }): { expiresAt: number | null; scheduledAt: number | null } {
    const read = (text: string | undefined, what: string): number | null => {
      if (text === undefined) return null;
      const time = parseIso(text);
      if (time === null) throw new RequestError('InvalidRequest', `${what} "${text}" is not an ISO 8601 time (2026-12-04T09:00:00Z).`);
      return time;
    };
    const expiresAt = read(request.expiresAt, 'expiresAt');
    const scheduledAt = read(request.scheduledAt, 'scheduledAt');
    if (expiresAt !== null && scheduledAt !== null && expiresAt <= scheduledAt) {
      throw new RequestError('InvalidRequest', `expiresAt (${request.expiresAt}) is not after scheduledAt (${request.scheduledAt}): the interaction would expire before anyone could take it.`);
    }
    return { expiresAt, scheduledAt: scheduledAt !== null && scheduledAt > this.now ? scheduledAt : null };
  }

  private logIn(client: Client, request: Extract<CoreRequest, { message: 'RequestAgentLogin' }>): void {
    const boundAgentId = client.grants.agentId;
    if (boundAgentId !== null && request.agentId !== boundAgentId) {
      throw new RequestError('Forbidden', `This connection's credentials are for agent "${boundAgentId}"; RequestAgentLogin as "${request.agentId}" is refused.`);
    }
    if (client.agentId !== null && client.agentId !== request.agentId) {
      throw new RequestError('InvalidState', `This connection is logged in as agent "${client.agentId}"; log out before logging in as "${request.agentId}".`);
    }
    // A place carries workbins of its own: with authentication on, the deployment says where an agent may sit.
    const places = client.grants.places;
    if (places !== null && !places.has(request.placeId) && this.config.agentPlaces.get(request.agentId)?.has(request.placeId) !== true) {
      throw new RequestError('Forbidden', `Agent "${request.agentId}" may not log in at place "${request.placeId}": neither its token (claim "placeId") nor the config (agents.${request.agentId}.places) allows that place.`);
    }
    const media = new Map<string, { ready: boolean; reason: string | null }>();
    for (const [mediaType, readiness] of Object.entries(request.media ?? {})) {
      media.set(mediaType, { ready: readiness === 'ready', reason: null });
    }
    const skills = { ...this.config.agentSkills.get(request.agentId), ...request.skills };
    let agent = this.agents.get(request.agentId);
    // A login that changes nothing (a desktop's second connection, a retry) is answered but not
    // written again: the reporting log is permanent, and a client could otherwise grow it at will.
    const unchanged = agent !== undefined && agent.placeId === request.placeId && sameMedia(agent.media, media) && sameSkills(agent.skills, skills);
    if (agent === undefined) {
      agent = { agentId: request.agentId, placeId: request.placeId, clients: new Set(), media, skills, invites: new Set() };
      this.agents.set(agent.agentId, agent);
    } else if (!unchanged) {
      if (agent.placeId !== request.placeId) this.endSubscriptionsNoLongerAllowed(agent, request.placeId);
      agent.placeId = request.placeId;
      agent.media = media;
      agent.skills = skills;
      // The agent said what it is ready for: its after-call work ends, as a readiness request ends
      // it for one media type. Left running, its end made a media type ready that the login left
      // not ready, or put back one the login left out (past maxAgentMediaTypes).
      this.wrapUps.delete(agent.agentId);
    }
    agent.clients.add(client.clientId);
    client.agentId = agent.agentId;
    const owned = [...(this.owned.get(agent.agentId) ?? []), ...(this.participating.get(agent.agentId) ?? [])].map(toWire);
    this.reply(client.clientId, request.referenceId, 'EventAck', { interactions: owned });
    if (unchanged) return;
    this.changedAgents.set(agent.agentId, { agentId: agent.agentId, placeId: agent.placeId, loggedIn: true });
    // What the agent already handles, per media type: a router needs it to respect capacity.
    // Counted in a Map: a media type named "constructor" must not read Object.prototype's.
    const handling = new Map<string, number>();
    for (const interaction of this.held(agent.agentId)) handling.set(interaction.mediaType, (handling.get(interaction.mediaType) ?? 0) + 1);
    this.report('EventAgentLogin', { agentId: agent.agentId, placeId: agent.placeId, media: { ...request.media }, skills, handling: Object.fromEntries(handling) });
  }

  private onLogoutRequest(client: Client, referenceId: number): void {
    const agent = this.agentOf(client);
    this.reply(client.clientId, referenceId, 'EventAck', {});
    this.logOut(agent, 'AgentLoggedOut', true);
  }

  private setReadiness(client: Client, referenceId: number, mediaType: string, ready: boolean, reason: string | null): void {
    const agent = this.agentOf(client);
    roomForMediaType(agent, mediaType);
    agent.media.set(mediaType, { ready, reason });
    // The agent chose: its after-call work on this media type ends without a return to ready.
    this.wrapUps.get(agent.agentId)?.delete(mediaType);
    this.reply(client.clientId, referenceId, 'EventAck', {});
    const attributes = { agentId: agent.agentId, placeId: agent.placeId, mediaType };
    if (ready) this.report('EventReadyForMedia', attributes);
    else this.report('EventNotReadyForMedia', { ...attributes, reason });
  }

  private routeCall(client: Client, request: Extract<CoreRequest, { message: 'RequestRouteCall' }>): void {
    const interaction = this.find(request.interactionId);
    if (interaction.routerId !== client.clientId) {
      if (interaction.routerId !== null) throw new RequestError('Forbidden', `Interaction ${interaction.interactionId} is held by another router.`);
      throw new RequestError('InvalidState', `Interaction ${interaction.interactionId} is ${interaction.state}, not routing with this router.`);
    }
    if (interaction.state !== 'routing') {
      throw new RequestError('InvalidState', `Interaction ${interaction.interactionId} is ${interaction.state}; an invite is already out.`);
    }
    const agent = this.availableAgent(request.agentId, request.placeId, interaction.mediaType);
    const capacity = mediaSettings(this.config, interaction.mediaType).capacity;
    const ticket: Ticket = {
      ticketId: ++this.counters.lastTicket,
      interactionId: interaction.interactionId,
      operation: 'Route',
      agentId: agent.agentId,
      placeId: agent.placeId,
      fromAgentId: null,
      routerId: client.clientId,
      routerReferenceId: request.referenceId,
      deadline: this.now + mediaSettings(this.config, interaction.mediaType).deliveringTimeoutMs,
    };
    this.tickets.set(ticket.ticketId, ticket);
    agent.invites.add(ticket);
    interaction.state = 'invited';
    interaction.ticket = ticket;
    this.deadlines.push({ at: ticket.deadline, kind: 'delivering', id: String(ticket.ticketId) });
    this.markChanged(interaction);
    assert(this.load(agent.agentId, interaction.mediaType) <= capacity, 'an invite never takes an agent over capacity');
    this.report('EventAgentInvited', { interactionId: interaction.interactionId, agentId: agent.agentId, placeId: agent.placeId, ticketId: ticket.ticketId });
    const invite: ClientEvent = { message: 'EventInvite', ticketId: ticket.ticketId, interaction: toWire(interaction) };
    for (const clientId of agent.clients) this.send(clientId, invite);
  }

  /** SPEC 4.1 step 1 and 9.1 step 1: the target is logged in (at that place), ready for the media type and under capacity. */
  private availableAgent(agentId: string, placeId: string | undefined, mediaType: string): Agent {
    const agent = this.agents.get(agentId);
    if (agent === undefined) throw new RequestError('AgentNotAvailable', `Agent "${agentId}" is not logged in.`);
    if (placeId !== undefined && placeId !== agent.placeId) {
      throw new RequestError('AgentNotAvailable', `Agent "${agent.agentId}" is logged in at place "${agent.placeId}", not "${placeId}".`);
    }
    if (agent.media.get(mediaType)?.ready !== true) {
      throw new RequestError('AgentNotAvailable', `Agent "${agent.agentId}" is not ready for ${mediaType}.`);
    }
    const capacity = mediaSettings(this.config, mediaType).capacity;
    if (this.load(agent.agentId, mediaType) >= capacity) {
      throw new RequestError('AgentNotAvailable', `Agent "${agent.agentId}" is at its ${mediaType} capacity of ${capacity}.`);
    }
    return agent;
  }

  private accept(client: Client, request: Extract<CoreRequest, { message: 'RequestAccept' }>): void {
    const agent = this.agentOf(client);
    const ticket = this.openTicket(agent, request.ticketId, request.interactionId);
    if (ticket.operation !== 'Route') return this.acceptPeer(client, agent, ticket, request.referenceId);
    const interaction = this.interactions.get(ticket.interactionId)!;
    this.closeTicket(ticket);
    this.locationOf(interaction).remove(interaction);
    this.reply(client.clientId, request.referenceId, 'EventAck', {});
    this.report('EventTakenFromQueue', { interactionId: interaction.interactionId, queue: interaction.queue, workbin: null });
    this.report('EventPartyRemoved', { interactionId: interaction.interactionId, party: this.strategyParty(interaction) });
    this.own(interaction, agent.agentId, agent.placeId);
    this.report('EventPartyAdded', { interactionId: interaction.interactionId, party: this.agentParty(agent.agentId, agent.placeId) });
    if (ticket.routerId !== null && this.clients.has(ticket.routerId)) {
      this.send(ticket.routerId, {
        message: 'EventRouteUsed', referenceId: ticket.routerReferenceId, interactionId: interaction.interactionId,
        result: 'Accepted', agentId: agent.agentId, placeId: agent.placeId, ticketId: ticket.ticketId,
      });
    }
  }

  private reject(client: Client, request: Extract<CoreRequest, { message: 'RequestReject' }>): void {
    const agent = this.agentOf(client);
    const ticket = this.openTicket(agent, request.ticketId, request.interactionId);
    const interaction = this.interactions.get(ticket.interactionId)!;
    const reason = request.reason ?? null;
    if (ticket.operation !== 'Route') {
      // SPEC 9.1 step 4: A2 hears what a reject of any invite gives it; the owner keeps the interaction.
      this.closeTicket(ticket);
      this.reply(client.clientId, request.referenceId, 'EventAck', {});
      this.report('EventRejected', { interactionId: interaction.interactionId, agentId: agent.agentId, placeId: ticket.placeId, ticketId: ticket.ticketId, reason, operation: ticket.operation });
      this.tellInviterFailed(interaction, ticket, 'Rejected');
      return;
    }
    this.closeTicket(ticket);
    interaction.state = 'routing';
    this.markChanged(interaction);
    this.reply(client.clientId, request.referenceId, 'EventAck', {});
    this.report('EventRejected', { interactionId: interaction.interactionId, agentId: agent.agentId, placeId: ticket.placeId, ticketId: ticket.ticketId, reason });
    if (ticket.routerId !== null && this.clients.has(ticket.routerId)) {
      this.send(ticket.routerId, {
        message: 'EventRouteUsed', referenceId: ticket.routerReferenceId, interactionId: interaction.interactionId,
        result: 'Rejected', agentId: agent.agentId, placeId: ticket.placeId, ticketId: ticket.ticketId, reason,
      });
    } else {
      this.releaseFromRouter(interaction, 'RouterDisconnected');
      this.offer(interaction);
    }
  }

  private pull(client: Client, request: Extract<CoreRequest, { message: 'RequestPull' }>): void {
    const agent = this.agentOf(client);
    if ((request.queue === undefined) === (request.workbin === undefined)) {
      throw new RequestError('InvalidRequest', 'RequestPull names exactly one of queue and workbin.');
    }
    let source: OrderedQueue<Interaction>;
    let workbin: WorkbinRef | null = null;
    if (request.queue !== undefined) {
      const queue = this.config.queues.get(request.queue);
      if (queue === undefined) throw new RequestError('UnknownQueue', `There is no queue named "${request.queue}".`);
      if (!queue.pullable) throw new RequestError('Forbidden', `Queue "${request.queue}" does not allow pulls (pullable: false); its work is routed.`);
      source = this.queueOf(request.queue);
    } else {
      workbin = resolveWorkbin(this.config, client, () => this.agentIfAgent(client), request.workbin!);
      source = this.workbinOf(workbin);
    }
    // A locked or scheduled interaction is pulled by no one (SPEC 9.3 step 4, 9.4 step 2).
    const pullable = (interaction: Interaction) =>
      (interaction.state === 'queued' || interaction.state === 'routing') && this.takeable(interaction) &&
      interaction.queue === (request.queue ?? null) &&
      (workbin === null ? interaction.workbin === null : interaction.workbin !== null && workbinKey(interaction.workbin) === workbinKey(workbin));
    let chosen: Interaction[];
    if (request.interactionIds !== undefined) {
      chosen = [];
      for (const interactionId of new Set(request.interactionIds)) {
        const interaction = this.find(interactionId);
        if (!pullable(interaction)) {
          throw new RequestError('InvalidState', `Interaction ${interactionId} is not waiting in ${request.queue !== undefined ? `queue "${request.queue}"` : 'this workbin'} to be pulled; nothing was pulled.`);
        }
        chosen.push(interaction);
      }
    } else {
      const count = request.count ?? 1;
      chosen = [];
      for (const interaction of source.values()) {
        if (chosen.length === count) break;
        if (pullable(interaction)) chosen.push(interaction);
      }
    }
    for (const interaction of chosen) {
      if (interaction.state === 'routing') {
        const routerId = interaction.routerId!;
        this.send(routerId, { message: 'EventRevoked', interactionId: interaction.interactionId, reason: 'Pulled' });
        this.releaseFromRouter(interaction, 'Pulled');
      }
      source.remove(interaction);
      this.report('EventTakenFromQueue', { interactionId: interaction.interactionId, queue: interaction.queue, workbin: workbin && { ...workbin } });
      if (workbin !== null) {
        this.report('EventTakenFromWorkbin', { interactionId: interaction.interactionId, workbin: { ...workbin } });
      }
      this.own(interaction, agent.agentId, agent.placeId);
      this.report('EventPartyAdded', { interactionId: interaction.interactionId, party: this.agentParty(agent.agentId, agent.placeId) });
      if (workbin !== null) this.notifyWorkbin(workbin, 'Remove', interaction);
    }
    this.reply(client.clientId, request.referenceId, 'EventPulledInteractions', { interactions: chosen.map(toWire) });
  }

  private placeInQueue(client: Client, request: Extract<CoreRequest, { message: 'RequestPlaceInQueue' }>): void {
    const interaction = this.find(request.interactionId);
    if (!this.config.queues.has(request.queue)) throw new RequestError('UnknownQueue', `There is no queue named "${request.queue}".`);
    requireHolder(client, this.agentIfAgent(client), interaction, false);
    const when = this.whenOf(request);
    this.reply(client.clientId, request.referenceId, 'EventAck', {});
    const letGo = this.releaseFromHolder(interaction, client);
    // A new entry has the deadlines it is given: an expiry or schedule of the old one does not follow it.
    interaction.expiresAt = when.expiresAt;
    interaction.scheduledAt = when.scheduledAt;
    this.place(interaction, request.queue, null);
    if (letGo !== null) this.startWrapUp(letGo, interaction.mediaType);
  }

  private placeInWorkbin(client: Client, request: Extract<CoreRequest, { message: 'RequestPlaceInWorkbin' }>): void {
    const interaction = this.find(request.interactionId);
    const workbin = resolveWorkbin(this.config, client, () => this.agentIfAgent(client), request.workbin);
    requireHolder(client, this.agentIfAgent(client), interaction, false);
    this.reply(client.clientId, request.referenceId, 'EventAck', {});
    const letGo = this.releaseFromHolder(interaction, client);
    // Work in a workbin belongs to its owner, who takes it when it will: it neither expires nor waits for a schedule.
    interaction.expiresAt = null;
    interaction.scheduledAt = null;
    this.place(interaction, null, workbin);
    if (letGo !== null) this.startWrapUp(letGo, interaction.mediaType);
  }

  private stopProcessing(client: Client, request: Extract<CoreRequest, { message: 'RequestStopProcessing' }>): void {
    const interaction = this.find(request.interactionId);
    if (client.clientType !== 'MediaServer') requireHolder(client, this.agentIfAgent(client), interaction, true, 'anyParty');
    else requireSubmitter(client, interaction, request.message);
    const reason = request.reason ?? null;
    const id = interaction.interactionId;
    this.reply(client.clientId, request.referenceId, 'EventAck', {});
    const wasInvited = interaction.ticket !== null;
    // An open invite's router hears of the stop through EventRouteUsed, the answer it waits for.
    if (interaction.ticket !== null) this.revokeInvite(interaction.ticket, 'Stopped', false);
    const routerId = interaction.routerId;
    if (routerId !== null) {
      if (!wasInvited && routerId !== client.clientId && this.clients.has(routerId)) {
        this.send(routerId, { message: 'EventRevoked', interactionId: id, reason: 'Stopped' });
      }
      this.releaseFromRouter(interaction, 'Stopped');
    }
    let letGo: string | null = null;
    if (interaction.state === 'handling') {
      // SPEC 9.2 step 4: a stop by any party stops it for all; the others hear why. The owner's wrap-up starts.
      letGo = this.releaseParties(interaction, 'Stopped', client.agentId, 'Stopped');
    } else {
      this.locationOf(interaction).remove(interaction);
      if (interaction.workbin !== null) this.notifyWorkbin(interaction.workbin, 'Remove', interaction);
    }
    this.finishStop(interaction, reason);
    if (letGo !== null) this.startWrapUp(letGo, interaction.mediaType);
  }

  /** The last step of every stop: reported, out of the live state, stored as stopped. */
  private finishStop(interaction: Interaction, reason: string | null): void {
    const id = interaction.interactionId;
    this.report('EventProcessingStopped', { interactionId: id, reason, queue: interaction.queue, workbin: interaction.workbin && { ...interaction.workbin } });
    this.unlock(interaction);
    interaction.state = 'stopped';
    this.interactions.delete(id);
    if (interaction.externalId !== null) this.externalIds.delete(this.externalIdKey(interaction.submittedBy, interaction.externalId));
    this.markChanged(interaction);
  }

  private changeProperties(client: Client, request: Extract<CoreRequest, { message: 'RequestChangeProperties' }>): void {
    const interaction = this.find(request.interactionId);
    if (client.clientType !== 'MediaServer') requireHolder(client, this.agentIfAgent(client), interaction, true, 'anyParty');
    else requireSubmitter(client, interaction, request.message);
    const changedProperties: UserData = { ...request.changedProperties };
    const deletedProperties = [...new Set(request.deletedProperties ?? [])];
    // The change itself goes to the reporting log, whatever it leaves in the user data (a key set
    // and deleted in one request), so it is bounded like the user data.
    this.checkUserData({ changedProperties, deletedProperties }, 'The change');
    // Spread, not Object.assign: a "__proto__" key is then an ordinary property, stored and sent
    // like any other, rather than a change of the user data's prototype that no store would keep.
    const userData: UserData = { ...interaction.userData, ...changedProperties };
    for (const key of deletedProperties) delete userData[key];
    this.checkUserData(userData, `Interaction ${interaction.interactionId}'s user data`);
    interaction.userData = userData;
    this.markChanged(interaction);
    if (interaction.state === 'handling' && ('handling-timeout' in changedProperties || deletedProperties.includes('handling-timeout'))) {
      // A shorter timeout must not wait for the entry aimed at the old one.
      this.deadlines.push({ at: this.handlingDeadline(interaction), kind: 'handling', id: interaction.interactionId });
    }
    this.reply(client.clientId, request.referenceId, 'EventAck', {});
    const event = { interactionId: interaction.interactionId, changedProperties, deletedProperties };
    if (interaction.state === 'handling') this.sendToParties(interaction, { message: 'EventPropertiesChanged', ...event }, client.agentId);
    this.report('EventPropertiesChanged', event);
  }

  private getInteractionProperties(client: Client, request: Extract<CoreRequest, { message: 'RequestGetInteractionProperties' }>): void {
    const interaction = this.find(request.interactionId);
    requireReader(this.config, client, this.agentIfAgent(client), interaction);
    this.reply(client.clientId, request.referenceId, 'EventInteractionProperties', { interaction: toWire(interaction) });
  }

  private getWorkbinContent(client: Client, request: Extract<CoreRequest, { message: 'RequestGetWorkbinContent' }>): void {
    const workbin = resolveWorkbin(this.config, client, () => this.agentIfAgent(client), request.workbin);
    const interactions = [...(this.workbins.get(workbinKey(workbin))?.values() ?? [])];
    this.reply(client.clientId, request.referenceId, 'EventWorkbinContent', { workbin, interactions: interactions.map(toWire) });
  }

  private workbinNotifications(client: Client, request: Extract<CoreRequest, { message: 'RequestWorkbinNotifications' }>): void {
    const workbin = resolveWorkbin(this.config, client, () => this.agentIfAgent(client), request.workbin);
    const key = workbinKey(workbin);
    if (request.subscribe) {
      let subscribers = this.subscriptions.get(key);
      if (subscribers === undefined) this.subscriptions.set(key, (subscribers = new Set()));
      subscribers.add(client.clientId);
      client.subscriptions.set(key, workbin);
    } else {
      this.unsubscribe(client, key);
    }
    this.reply(client.clientId, request.referenceId, 'EventAck', {});
  }

  /** Ends one subscription; a workbin nobody watches any longer leaves the map, so it cannot grow per workbin named. */
  private unsubscribe(client: Client, key: string): void {
    client.subscriptions.delete(key);
    const subscribers = this.subscriptions.get(key);
    if (subscribers === undefined) return;
    subscribers.delete(client.clientId);
    if (subscribers.size === 0) this.subscriptions.delete(key);
  }

  // ---- Supervisors (SPEC 9.3) ----------------------------------------------------------------

  private forcedAgent(agentId: string): Agent {
    const agent = this.agents.get(agentId);
    if (agent === undefined) throw new RequestError('AgentNotLoggedIn', `Agent "${agentId}" is not logged in.`);
    return agent;
  }

  private forceLogout(client: Client, request: Extract<CoreRequest, { message: 'RequestForceAgentLogout' }>): void {
    const agent = this.forcedAgent(request.agentId);
    const reason = request.reason ?? null;
    this.reply(client.clientId, request.referenceId, 'EventAck', {});
    // Told first, while its connections are still the agent's: the desktop learns why before the logout's revokes.
    this.sendToAgent(agent.agentId, { message: 'EventForcedAgentStateChange', agentId: agent.agentId, placeId: agent.placeId, operation: 'Logout', reason, forcedBy: client.clientName });
    this.logOut(agent, 'AgentLoggedOut', true, client.clientName);
  }

  private forceNotReady(client: Client, request: Extract<CoreRequest, { message: 'RequestForceNotReady' }>): void {
    const agent = this.forcedAgent(request.agentId);
    const reason = request.reason ?? null;
    roomForMediaType(agent, request.mediaType);
    agent.media.set(request.mediaType, { ready: false, reason });
    this.wrapUps.get(agent.agentId)?.delete(request.mediaType);
    this.reply(client.clientId, request.referenceId, 'EventAck', {});
    this.sendToAgent(agent.agentId, {
      message: 'EventForcedAgentStateChange', agentId: agent.agentId, placeId: agent.placeId, operation: 'NotReady', mediaType: request.mediaType, reason, forcedBy: client.clientName,
    });
    this.report('EventNotReadyForMedia', { agentId: agent.agentId, placeId: agent.placeId, mediaType: request.mediaType, reason, forcedBy: client.clientName });
  }

  // ---- Snapshots (SPEC 9.3 steps 2 to 4) -----------------------------------------------------

  private takeSnapshot(client: Client, request: Extract<CoreRequest, { message: 'RequestTakeSnapshot' }>): void {
    requireSnapshotter(client, request.message);
    if ((request.queue === undefined) === (request.workbin === undefined)) {
      throw new RequestError('InvalidRequest', 'RequestTakeSnapshot names exactly one of queue and workbin.');
    }
    const max = request.max ?? Math.min(defaultSnapshotMax, this.config.maxSnapshotInteractions);
    if (max > this.config.maxSnapshotInteractions) {
      throw new RequestError('LimitExceeded', `A snapshot holds at most ${this.config.maxSnapshotInteractions} interactions (limits.maxSnapshotInteractions); max ${max} is more.`);
    }
    if (client.snapshots.size >= this.config.maxSnapshotsPerConnection) {
      throw new RequestError('LimitExceeded', `This connection holds ${client.snapshots.size} snapshots, the most it may (limits.maxSnapshotsPerConnection); release one first.`);
    }
    let source: OrderedQueue<Interaction> | undefined;
    let sourceWorkbin: WorkbinRef | null = null;
    if (request.queue !== undefined) {
      if (!this.config.queues.has(request.queue)) throw new RequestError('UnknownQueue', `There is no queue named "${request.queue}".`);
      source = this.queues.get(request.queue);
    } else {
      sourceWorkbin = resolveWorkbin(this.config, client, () => this.agentIfAgent(client), request.workbin!);
      source = this.workbins.get(workbinKey(sourceWorkbin));
    }
    // Every check (the condition's too) comes before the first change: a refused request changes nothing.
    const matches = compileCondition(request.condition);
    const snapshotId = ++this.lastSnapshot;
    client.snapshots.add(snapshotId);
    // The moment: the queue's contents as they are now, copied block by block (cheap). Reading
    // them against the condition, ordering and locking happen in slices (doPendingWork), so that
    // a snapshot of a hundred thousand does not hold every other client up.
    this.snapshotJobs.push({
      snapshotId,
      clientId: client.clientId,
      referenceId: request.referenceId,
      location: locationKeyOf({ queue: request.queue ?? null, workbin: sourceWorkbin }),
      blocks: source?.frozenBlocks() ?? [],
      block: 0,
      index: 0,
      matches,
      order: request.order ?? 'queue',
      max,
      lock: request.lock === true,
      runs: [],
      merge: null,
      phase: 'read',
      snapshot: null,
      locking: 0,
    });
    this.doPendingWork(this.now);
  }

  /** True while a snapshot is being taken: the shell calls doPendingWork again, after other clients' requests. */
  hasPendingWork(): boolean {
    return this.snapshotJobs.length > 0;
  }

  /**
   * One slice of the oldest snapshot being taken: up to snapshotSliceSize interactions read
   * against its condition, then the ordering, then up to as many locked. The snapshot is answered
   * (EventSnapshotTaken) when its last slice is done.
   */
  doPendingWork(now: number): void {
    this.advance(now);
    const job = this.snapshotJobs[0];
    if (job === undefined) return;
    switch (job.phase) {
      case 'read': return this.readSnapshotSlice(job);
      case 'merge':
        if (job.merge!.step(snapshotSliceSize)) this.finishReading(job, job.merge!.merged);
        return;
      case 'lock': return this.lockSnapshotSlice(job);
    }
  }

  /** Reads a slice of the queue's contents at the moment against the condition. */
  private readSnapshotSlice(job: SnapshotJob): void {
    let budget = snapshotSliceSize;
    const run: Interaction[] = [];
    // In the queue's own order the first `max` matches are the snapshot: no need to read on.
    const enough = job.order === 'queue' ? job.max - (job.runs[0]?.length ?? 0) : Number.POSITIVE_INFINITY;
    while (job.block < job.blocks.length && budget > 0 && run.length < enough) {
      const items = job.blocks[job.block]!;
      const interaction = items[job.index]!;
      budget--;
      if (++job.index === items.length) {
        job.block++;
        job.index = 0;
      }
      // Taken, stopped or moved since the moment: it is no longer there to be seen.
      if (interaction.state === 'stopped' || interaction.state === 'handling' || locationKeyOf(interaction) !== job.location) continue;
      if (job.matches(interaction)) run.push(interaction);
    }
    // In the queue's own order the matches of every slice make one run; in another order each
    // slice sorts its own, and the runs are merged in slices afterwards.
    if (job.order === 'queue') {
      if (job.runs.length === 0) job.runs.push(run);
      else job.runs[0]!.push(...run);
    } else if (run.length > 0) {
      job.runs.push(run.sort(snapshotComparison(job.order)));
    }
    const done = job.block >= job.blocks.length || run.length >= enough;
    if (!done) return;
    job.blocks = [];
    if (job.order === 'queue') this.finishReading(job, job.runs[0] ?? []);
    else {
      job.merge = new RunMerge(job.runs, snapshotComparison(job.order), job.max);
      job.phase = 'merge';
    }
  }

  private finishReading(job: SnapshotJob, interactions: Interaction[]): void {
    if (interactions.length > job.max) interactions.length = job.max;
    job.snapshot = { snapshotId: job.snapshotId, clientId: job.clientId, location: job.location, interactions, entryOrders: interactions.map((interaction) => interaction.key.entryOrder), locked: new Set() };
    job.runs.length = 0;
    job.merge = null;
    job.phase = 'lock';
    if (!job.lock) this.finishSnapshot(job);
  }

  /** Locks a slice of the snapshot's interactions that are still queued where it saw them. */
  private lockSnapshotSlice(job: SnapshotJob): void {
    const snapshot = job.snapshot!;
    const end = Math.min(snapshot.interactions.length, job.locking + snapshotSliceSize);
    for (; job.locking < end; job.locking++) {
      const interaction = snapshot.interactions[job.locking]!;
      if (interaction.state !== 'queued' || interaction.lockedBy !== null || !stillWhereSeen(snapshot, job.locking)) continue;
      interaction.lockedBy = snapshot.snapshotId;
      snapshot.locked.add(interaction);
    }
    if (job.locking === snapshot.interactions.length) this.finishSnapshot(job);
  }

  private finishSnapshot(job: SnapshotJob): void {
    const snapshot = job.snapshot!;
    this.snapshotJobs.shift();
    this.snapshots.set(snapshot.snapshotId, snapshot);
    this.reply(job.clientId, job.referenceId, 'EventSnapshotTaken', { snapshotId: snapshot.snapshotId, numberOfInteractions: snapshot.interactions.length });
  }

  /** The client's own snapshot; another connection's is as unknown as one never taken. */
  private snapshotOf(client: Client, snapshotId: number, request: string): Snapshot {
    requireSnapshotter(client, request);
    const snapshot = this.snapshots.get(snapshotId);
    if (snapshot === undefined || snapshot.clientId !== client.clientId) {
      throw new RequestError('InvalidRequest', `This connection holds no snapshot ${snapshotId}: it was released, or never taken here.`);
    }
    return snapshot;
  }

  private getSnapshotInteractions(client: Client, request: Extract<CoreRequest, { message: 'RequestGetSnapshotInteractions' }>): void {
    const snapshot = this.snapshotOf(client, request.snapshotId, request.message);
    const from = request.from ?? 0;
    const page = snapshot.interactions.slice(from, from + (request.count ?? defaultSnapshotPage));
    this.reply(client.clientId, request.referenceId, 'EventSnapshotInteractions', { snapshotId: snapshot.snapshotId, from, interactions: page.map(toWire) });
  }

  private releaseSnapshotRequest(client: Client, request: Extract<CoreRequest, { message: 'RequestReleaseSnapshot' }>): void {
    const snapshot = this.snapshotOf(client, request.snapshotId, request.message);
    this.reply(client.clientId, request.referenceId, 'EventAck', {});
    this.releaseSnapshot(client, snapshot);
  }

  /** Ends a snapshot: its locks go, and what they held back is offered to the routers in queue order. */
  private releaseSnapshot(client: Client, snapshot: Snapshot): void {
    this.snapshots.delete(snapshot.snapshotId);
    client.snapshots.delete(snapshot.snapshotId);
    this.unlockAll(snapshot.locked);
  }

  /**
   * Ends every lock of a snapshot, and offers what they held back to the routers in queue order:
   * each routed queue they were in is walked once in its own order rather than the locked
   * interactions sorted, which for a hundred thousand would hold every other client up.
   */
  private unlockAll(locked: Set<Interaction>): void {
    const queues = new Set<string>();
    for (const interaction of locked) {
      interaction.lockedBy = null;
      if (interaction.state === 'queued' && interaction.workbin === null) queues.add(interaction.queue!);
    }
    locked.clear();
    for (const queue of queues) {
      if ((this.config.queues.get(queue)?.routing ?? 'none') === 'none') continue;
      for (const interaction of [...this.queueOf(queue).values()]) {
        if (interaction.state === 'queued' && this.takeable(interaction)) this.offer(interaction);
      }
    }
  }

  private unlockInteraction(client: Client, request: Extract<CoreRequest, { message: 'RequestUnlockInteraction' }>): void {
    const snapshot = this.snapshotOf(client, request.snapshotId, request.message);
    const interaction = this.find(request.interactionId);
    if (!snapshot.locked.has(interaction)) {
      throw new RequestError('InvalidState', `Snapshot ${snapshot.snapshotId} does not lock interaction ${interaction.interactionId}.`);
    }
    this.reply(client.clientId, request.referenceId, 'EventAck', {});
    this.unlock(interaction);
    if (interaction.state === 'queued') this.offer(interaction);
  }

  /**
   * Moves every interaction of the snapshot that waits where the snapshot saw it, queued or
   * routing, and not locked by another snapshot; the rest (taken, stopped, moved, invited) are
   * skipped. Each move is a RequestPlaceIn* of its own, reported the same way.
   */
  private moveInteractions(client: Client, request: Extract<CoreRequest, { message: 'RequestMoveInteractions' }>): void {
    const snapshot = this.snapshotOf(client, request.snapshotId, request.message);
    if ((request.queue === undefined) === (request.workbin === undefined)) {
      throw new RequestError('InvalidRequest', 'RequestMoveInteractions names exactly one of queue and workbin.');
    }
    if (request.queue !== undefined && !this.config.queues.has(request.queue)) throw new RequestError('UnknownQueue', `There is no queue named "${request.queue}".`);
    const workbin = request.workbin === undefined ? null : resolveWorkbin(this.config, client, () => this.agentIfAgent(client), request.workbin);
    const movable = snapshot.interactions.filter((interaction, index) => stillWhereSeen(snapshot, index) && interaction.state !== 'invited'
      && (interaction.lockedBy === null || interaction.lockedBy === snapshot.snapshotId));
    this.reply(client.clientId, request.referenceId, 'EventInteractionsMoved', { snapshotId: snapshot.snapshotId, moved: movable.length, skipped: snapshot.interactions.length - movable.length });
    for (const interaction of movable) {
      this.releaseFromHolder(interaction, client);
      if (workbin !== null) {
        interaction.expiresAt = null;
        interaction.scheduledAt = null;
      }
      this.place(interaction, request.queue ?? null, workbin);
    }
  }

  private unlock(interaction: Interaction): void {
    if (interaction.lockedBy === null) return;
    this.snapshots.get(interaction.lockedBy)?.locked.delete(interaction);
    interaction.lockedBy = null;
  }

  /** Neither locked by a snapshot nor scheduled for later: a router may be offered it and an agent may pull it. */
  private takeable(interaction: Interaction): boolean {
    return interaction.lockedBy === null && (interaction.scheduledAt === null || interaction.scheduledAt <= this.now);
  }

  /**
   * An agent's subscriptions hold only while it may use the workbin: they end with its login
   * (workbin contents are for the agents they belong to), and a move to another place ends those
   * of the old place's workbins.
   */
  private endSubscriptionsNoLongerAllowed(agent: Agent, placeId: string | null): void {
    const allowedAt = placeId === null ? null : { ...agent, placeId };
    for (const clientId of agent.clients) {
      const client = this.clients.get(clientId)!;
      for (const [key, workbin] of [...client.subscriptions]) {
        if (allowedAt === null || !mayUseWorkbin(this.config, allowedAt, workbin)) this.unsubscribe(client, key);
      }
    }
  }

  // ---- Transfer and conference (SPEC 9.1, 9.2) ------------------------------------------------

  /** RequestTransfer and RequestConference: the owner invites a colleague; it keeps the interaction and its timer meanwhile. */
  private invitePeer(client: Client, request: Extract<CoreRequest, { message: 'RequestTransfer' | 'RequestConference' }>, operation: 'Transfer' | 'Conference'): void {
    const owner = this.agentOf(client);
    const interaction = this.find(request.interactionId);
    this.requireOwner(owner, interaction, request.message);
    if (interaction.consultation !== null) {
      throw new RequestError('InvalidState', `A ${interaction.consultation.operation.toLowerCase()} invite (ticket ${interaction.consultation.ticketId}) is already out for interaction ${interaction.interactionId}: one at a time; RequestCancelTransfer first.`);
    }
    if (this.isParty(interaction, request.agentId)) {
      throw new RequestError('InvalidState', `Agent "${request.agentId}" is already a party to interaction ${interaction.interactionId}.`);
    }
    const agent = this.availableAgent(request.agentId, request.placeId, interaction.mediaType);
    const ticket: Ticket = {
      ticketId: ++this.counters.lastTicket,
      interactionId: interaction.interactionId,
      operation,
      agentId: agent.agentId,
      placeId: agent.placeId,
      fromAgentId: owner.agentId,
      routerId: null,
      routerReferenceId: 0,
      deadline: this.now + mediaSettings(this.config, interaction.mediaType).deliveringTimeoutMs,
    };
    this.tickets.set(ticket.ticketId, ticket);
    agent.invites.add(ticket);
    interaction.consultation = ticket;
    this.deadlines.push({ at: ticket.deadline, kind: 'delivering', id: String(ticket.ticketId) });
    this.markChanged(interaction);
    assert(this.load(agent.agentId, interaction.mediaType) <= mediaSettings(this.config, interaction.mediaType).capacity, 'a transfer or conference invite never takes an agent over capacity');
    this.reply(client.clientId, request.referenceId, 'EventAck', {});
    this.report('EventAgentInvited', { interactionId: interaction.interactionId, agentId: agent.agentId, placeId: agent.placeId, ticketId: ticket.ticketId, operation, fromAgentId: owner.agentId });
    const invite: ClientEvent = { message: 'EventInvite', ticketId: ticket.ticketId, interaction: toWire(interaction), operation, fromAgentId: owner.agentId };
    if (request.reason !== undefined) invite.reason = request.reason;
    this.sendToAgent(agent.agentId, invite);
  }

  /** SPEC 9.1 step 3 and 9.2 step 1: a transfer makes the invitee the owner; a conference adds it as a participant. */
  private acceptPeer(client: Client, agent: Agent, ticket: Ticket, referenceId: number): void {
    const interaction = this.interactions.get(ticket.interactionId)!;
    const id = interaction.interactionId;
    const joining = this.agentParty(agent.agentId, agent.placeId);
    this.closeTicket(ticket);
    this.reply(client.clientId, referenceId, 'EventAck', {});
    if (ticket.operation === 'Conference') {
      this.join(interaction, { agentId: agent.agentId, placeId: agent.placeId });
      this.report('EventPartyAdded', { interactionId: id, party: joining, operation: 'Conference' });
      this.sendToParties(interaction, { message: 'EventPartyAdded', interactionId: id, party: joining, operation: 'Conference' }, agent.agentId);
      return;
    }
    const fromAgentId = interaction.assignedTo!;
    const leaving = this.agentParty(fromAgentId, interaction.placeId ?? '');
    this.sendToAgent(fromAgentId, { message: 'EventRevoked', interactionId: id, reason: 'Transferred' });
    this.dropOwned(interaction);
    this.own(interaction, agent.agentId, agent.placeId);
    this.report('EventPartyAdded', { interactionId: id, party: joining, operation: 'Transfer' });
    this.report('EventPartyRemoved', { interactionId: id, party: leaving, operation: 'Transfer' });
    // SPEC 9.4 step 3: a transfer ends the old owner's work on it like a stop or a move.
    this.startWrapUp(fromAgentId, interaction.mediaType);
    // Participants of a conference stay; they hear of the new owner as of any party's move.
    for (const participant of interaction.participants) {
      this.sendToAgent(participant.agentId, { message: 'EventPartyAdded', interactionId: id, party: joining, operation: 'Transfer' });
      this.sendToAgent(participant.agentId, { message: 'EventPartyRemoved', interactionId: id, party: leaving, operation: 'Transfer', ownerId: agent.agentId });
    }
  }

  /** SPEC 9.1 step 5: the owner withdraws its open transfer or conference invite. */
  private cancelTransfer(client: Client, request: Extract<CoreRequest, { message: 'RequestCancelTransfer' }>): void {
    const owner = this.agentOf(client);
    const interaction = this.find(request.interactionId);
    this.requireOwner(owner, interaction, request.message);
    if (interaction.consultation === null) {
      throw new RequestError('InvalidState', `No transfer or conference invite is out for interaction ${interaction.interactionId}.`);
    }
    this.reply(client.clientId, request.referenceId, 'EventAck', {});
    this.revokePeerInvite(interaction.consultation, 'Cancelled');
  }

  /** SPEC 9.2 step 3: a party leaves; the first participant succeeds an owner; the last party's leave returns the interaction. */
  private leave(client: Client, request: Extract<CoreRequest, { message: 'RequestLeaveInteraction' }>): void {
    const agent = this.agentOf(client);
    const interaction = this.find(request.interactionId);
    if (!(interaction.state === 'handling' && this.isParty(interaction, agent.agentId))) {
      throw new RequestError('InvalidState', `Agent "${agent.agentId}" is not a party to interaction ${interaction.interactionId}; RequestLeaveInteraction is for the agents handling it.`);
    }
    const reason = request.reason ?? null;
    this.reply(client.clientId, request.referenceId, 'EventAck', {});
    if (interaction.participants.length > 0) {
      this.removeParty(interaction, agent.agentId, reason, false);
      return;
    }
    this.releaseParties(interaction, 'Left', agent.agentId, reason);
    this.returnToLocation(interaction);
  }

  /** A transfer or conference invite that ends without an accept, as SPEC 9.1 step 4 says: the owner hears why. */
  private failPeerInvite(ticket: Ticket, reason: string): void {
    const interaction = this.interactions.get(ticket.interactionId)!;
    this.revokePeerInvite(ticket, reason);
    this.tellInviterFailed(interaction, ticket, reason);
  }

  private tellInviterFailed(interaction: Interaction, ticket: Ticket, reason: string): void {
    if (ticket.operation === 'Route') return;
    this.sendToAgent(interaction.assignedTo!, {
      message: 'EventTransferFailed', interactionId: interaction.interactionId, ticketId: ticket.ticketId,
      agentId: ticket.agentId, placeId: ticket.placeId, operation: ticket.operation, reason,
    });
  }

  /** Withdraws a transfer or conference invite: the invitee and the reporting stream hear why. */
  private revokePeerInvite(ticket: Ticket, reason: string): void {
    assert(ticket.operation !== 'Route', 'only an owner\'s invite is revoked this way');
    const interaction = this.interactions.get(ticket.interactionId)!;
    this.closeTicket(ticket);
    this.sendToAgent(ticket.agentId, { message: 'EventRevoked', interactionId: interaction.interactionId, ticketId: ticket.ticketId, reason });
    this.report('EventRevoked', { interactionId: interaction.interactionId, agentId: ticket.agentId, placeId: ticket.placeId, ticketId: ticket.ticketId, reason, operation: ticket.operation });
  }

  /**
   * Takes a handled interaction from every party at once (a stop, a move, a handling timeout, the
   * last party's leave): an open transfer or conference invite is revoked, each party that did not
   * ask hears EventRevoked, and the interaction is nobody's. `reported` is the reason the
   * reporting stream gives (a move gives none, as before conferences). Returns the owner that let go.
   */
  private releaseParties(interaction: Interaction, reason: string, requesterAgentId: string | null, reported: string | null | undefined): string {
    const id = interaction.interactionId;
    if (interaction.consultation !== null) this.revokePeerInvite(interaction.consultation, reason);
    const removed = (party: Party) => (reported === undefined ? { interactionId: id, party } : { interactionId: id, party, reason: reported });
    const ownerId = interaction.assignedTo!;
    if (ownerId !== requesterAgentId) this.sendToAgent(ownerId, { message: 'EventRevoked', interactionId: id, reason });
    this.report('EventPartyRemoved', removed(this.agentParty(ownerId, interaction.placeId ?? '')));
    for (const participant of [...interaction.participants]) {
      if (participant.agentId !== requesterAgentId) this.sendToAgent(participant.agentId, { message: 'EventRevoked', interactionId: id, reason });
      this.report('EventPartyRemoved', removed(this.agentParty(participant.agentId, participant.placeId)));
      this.dropParticipant(interaction, participant.agentId);
    }
    this.disown(interaction);
    return ownerId;
  }

  /** One party leaves a conference that goes on (a leave, a logout); an owner is succeeded by the participant who joined first. */
  private removeParty(interaction: Interaction, agentId: string, reason: string | null, revoke: boolean): void {
    assert(interaction.participants.length > 0, 'a conference goes on without the party that leaves');
    const id = interaction.interactionId;
    let party: Party;
    if (interaction.assignedTo === agentId) {
      party = this.agentParty(agentId, interaction.placeId ?? '');
      // The invite was the leaving owner's: it goes with it.
      if (interaction.consultation !== null) this.revokePeerInvite(interaction.consultation, reason ?? 'Left');
      const successor = interaction.participants[0]!;
      this.dropParticipant(interaction, successor.agentId);
      this.dropOwned(interaction);
      this.adoptOwned(interaction, successor.agentId, successor.placeId);
    } else {
      const participant = interaction.participants.find((candidate) => candidate.agentId === agentId)!;
      party = this.agentParty(agentId, participant.placeId);
      this.dropParticipant(interaction, agentId);
    }
    if (revoke) this.sendToAgent(agentId, { message: 'EventRevoked', interactionId: id, reason: reason ?? 'Left' });
    this.report('EventPartyRemoved', { interactionId: id, party, reason });
    this.sendToParties(interaction, { message: 'EventPartyRemoved', interactionId: id, party, reason, ownerId: interaction.assignedTo }, null);
  }

  private requireOwner(agent: Agent, interaction: Interaction, request: string): void {
    if (interaction.state === 'handling' && interaction.assignedTo === agent.agentId) return;
    // One answer whatever the state, as for other people's work: only the owner may do this.
    throw new RequestError('InvalidState', `${request} on interaction ${interaction.interactionId} is refused: only the agent that owns it while handling it may do this.`);
  }

  private isParty(interaction: Interaction, agentId: string): boolean {
    return interaction.assignedTo === agentId || interaction.participants.some((participant) => participant.agentId === agentId);
  }

  /** Every event about a handled interaction goes to each of its parties (SPEC 9.2 step 2), but the one that caused it. */
  private sendToParties(interaction: Interaction, message: ClientEvent, exceptAgentId: string | null): void {
    if (interaction.assignedTo !== null && interaction.assignedTo !== exceptAgentId) this.sendToAgent(interaction.assignedTo, message);
    for (const participant of interaction.participants) {
      if (participant.agentId !== exceptAgentId) this.sendToAgent(participant.agentId, message);
    }
  }

  private join(interaction: Interaction, participant: Participant): void {
    interaction.participants.push(participant);
    let participating = this.participating.get(participant.agentId);
    if (participating === undefined) this.participating.set(participant.agentId, (participating = new Set()));
    participating.add(interaction);
    this.markChanged(interaction);
  }

  private dropParticipant(interaction: Interaction, agentId: string): void {
    interaction.participants = interaction.participants.filter((participant) => participant.agentId !== agentId);
    const participating = this.participating.get(agentId);
    participating?.delete(interaction);
    if (participating?.size === 0) this.participating.delete(agentId);
    this.markChanged(interaction);
  }

  /** Takes an interaction out of its owner's set, for a move of ownership to another agent. */
  private dropOwned(interaction: Interaction): void {
    const owned = this.owned.get(interaction.assignedTo!);
    owned?.delete(interaction);
    if (owned?.size === 0) this.owned.delete(interaction.assignedTo!);
  }

  /** Makes an agent the owner without a fresh handling timer: the conference's one timer runs on. */
  private adoptOwned(interaction: Interaction, agentId: string, placeId: string): void {
    interaction.assignedTo = agentId;
    interaction.placeId = placeId;
    let owned = this.owned.get(agentId);
    if (owned === undefined) this.owned.set(agentId, (owned = new Set()));
    owned.add(interaction);
    this.markChanged(interaction);
  }

  // ---- Time ----------------------------------------------------------------------------------

  /**
   * Fires the deadlines that have passed, delivering timeouts revoke invites, handling timeouts
   * return work: at most `budget` of them, and says whether any that are due remain. The server
   * fires a slice per turn of its event loop, so that 100,000 timers due at one moment do not keep
   * every other client waiting until the last is fired.
   */
  expire(now: number, budget = Number.POSITIVE_INFINITY): boolean {
    this.advance(now);
    let fired = 0;
    for (let next = this.deadlines.peek(); next !== undefined && next.at <= now; next = this.deadlines.peek()) {
      if (fired++ >= budget) return true;
      this.deadlines.pop();
      if (next.kind === 'delivering') {
        const ticket = this.tickets.get(Number(next.id));
        if (ticket !== undefined && ticket.deadline <= now) this.onDeliveringTimeout(ticket);
      } else if (next.kind === 'expiry') {
        const interaction = this.interactions.get(next.id);
        if (interaction !== undefined) this.onExpiryDeadline(interaction);
      } else if (next.kind === 'scheduled') {
        const interaction = this.interactions.get(next.id);
        if (interaction !== undefined) this.onScheduledTime(interaction);
      } else if (next.kind === 'wrapUp') {
        const [agentId, mediaType] = next.id.split('\u0000') as [string, string];
        this.onWrapUpEnd(agentId, mediaType);
      } else {
        const interaction = this.interactions.get(next.id);
        if (interaction === undefined || interaction.state !== 'handling') continue;
        const deadline = this.handlingDeadline(interaction);
        if (deadline > now) this.deadlines.push({ at: deadline, kind: 'handling', id: next.id });
        else this.onHandlingTimeout(interaction);
      }
    }
    return false;
  }

  private onDeliveringTimeout(ticket: Ticket): void {
    const mediaType = this.interactions.get(ticket.interactionId)!.mediaType;
    if (ticket.operation === 'Route') this.revokeInvite(ticket, 'DeliveringTimeout', true);
    else this.failPeerInvite(ticket, 'DeliveringTimeout');
    // Work is not sent to an empty chair: the agent who did not answer is not ready until it says so.
    const agent = this.agents.get(ticket.agentId);
    if (this.config.notReadyOnNoAnswer && agent !== undefined && agent.media.get(mediaType)?.ready === true) {
      agent.media.set(mediaType, { ready: false, reason: 'NoAnswer' });
      this.report('EventNotReadyForMedia', { agentId: agent.agentId, placeId: agent.placeId, mediaType, reason: 'NoAnswer' });
    }
  }

  /** When waiting work expires (SPEC 9.4 step 1): its own expiresAt or its queue's expireAfter, whichever comes first; null: never. */
  private expiryDeadline(interaction: Interaction): number | null {
    const expireAfterMs = interaction.workbin === null ? this.config.queues.get(interaction.queue!)?.expireAfterMs ?? null : null;
    const queueDeadline = expireAfterMs === null ? null : interaction.key.enteredAt + expireAfterMs;
    if (interaction.expiresAt === null) return queueDeadline;
    return queueDeadline === null ? interaction.expiresAt : Math.min(queueDeadline, interaction.expiresAt);
  }

  /** Aims the timers of work that has just begun to wait (or waits again): its expiry and its schedule. */
  private watchWaiting(interaction: Interaction): void {
    const expiry = this.expiryDeadline(interaction);
    if (expiry !== null) this.deadlines.push({ at: expiry, kind: 'expiry', id: interaction.interactionId });
    if (interaction.scheduledAt !== null) this.deadlines.push({ at: interaction.scheduledAt, kind: 'scheduled', id: interaction.interactionId });
  }

  /**
   * Work still queued or routing at its expiry is stopped (reason Expired) or moved to its queue's
   * expiredQueue. Invited work is looked at again when its invite ends at the latest; handling
   * work is left alone, and looked at again if it returns to wait.
   */
  private onExpiryDeadline(interaction: Interaction): void {
    const deadline = this.expiryDeadline(interaction);
    if (deadline === null || deadline > this.now || interaction.state === 'handling') return;
    if (interaction.state === 'invited') {
      // Looked at again once the invite has ended. An invite due now ends in this pass, but entries
      // due at one moment come out in no promised order: one re-armed for now could come out ahead
      // of the invite's own timeout every time, and the timers would never move on. So: after now.
      this.deadlines.push({ at: Math.max(interaction.ticket!.deadline, this.now + 1), kind: 'expiry', id: interaction.interactionId });
      return;
    }
    const id = interaction.interactionId;
    const expiredQueue = interaction.workbin === null ? this.config.queues.get(interaction.queue!)?.expiredQueue ?? null : null;
    if (interaction.routerId !== null) {
      this.send(interaction.routerId, { message: 'EventRevoked', interactionId: id, reason: 'Expired' });
      this.releaseFromRouter(interaction, 'Expired');
    }
    this.unlock(interaction);
    this.locationOf(interaction).remove(interaction);
    if (interaction.workbin !== null) this.notifyWorkbin(interaction.workbin, 'Remove', interaction);
    if (expiredQueue === null) {
      this.finishStop(interaction, 'Expired');
      return;
    }
    this.report('EventTakenFromQueue', { interactionId: id, queue: interaction.queue, workbin: null });
    // An expiresAt that has passed would expire it again at once in the next queue: it moves without it.
    if (interaction.expiresAt !== null && interaction.expiresAt <= this.now) interaction.expiresAt = null;
    this.place(interaction, expiredQueue, null);
  }

  /** SPEC 9.4 step 2: scheduled work becomes routable in its place in the queue order. */
  private onScheduledTime(interaction: Interaction): void {
    if (interaction.scheduledAt === null || interaction.scheduledAt > this.now) return;
    interaction.scheduledAt = null;
    this.markChanged(interaction);
    if (interaction.state === 'queued') this.offer(interaction);
  }

  /**
   * SPEC 9.4 step 3: an agent that let go of an interaction (stopped, transferred or placed
   * elsewhere) is not ready for its media type for the media type's wrapUp, then ready again. Only
   * a ready agent goes into after-call work: one that is not ready stays as it chose.
   */
  private startWrapUp(agentId: string, mediaType: string): void {
    const wrapUpMs = mediaSettings(this.config, mediaType).wrapUpMs;
    const agent = this.agents.get(agentId);
    if (wrapUpMs === 0 || agent === undefined) return;
    const inWrapUp = this.wrapUps.get(agentId)?.has(mediaType) === true;
    if (!inWrapUp && agent.media.get(mediaType)?.ready !== true) return;
    const until = this.now + wrapUpMs;
    let byMedia = this.wrapUps.get(agentId);
    if (byMedia === undefined) this.wrapUps.set(agentId, (byMedia = new Map()));
    byMedia.set(mediaType, until);
    this.deadlines.push({ at: until, kind: 'wrapUp', id: `${agentId}\u0000${mediaType}` });
    if (inWrapUp) return;
    agent.media.set(mediaType, { ready: false, reason: afterCallWork });
    this.report('EventNotReadyForMedia', { agentId, placeId: agent.placeId, mediaType, reason: afterCallWork });
  }

  private onWrapUpEnd(agentId: string, mediaType: string): void {
    const byMedia = this.wrapUps.get(agentId);
    const until = byMedia?.get(mediaType);
    if (until === undefined || until > this.now) return;
    byMedia!.delete(mediaType);
    if (byMedia!.size === 0) this.wrapUps.delete(agentId);
    const agent = this.agents.get(agentId);
    if (agent === undefined) return;
    agent.media.set(mediaType, { ready: true, reason: null });
    this.report('EventReadyForMedia', { agentId, placeId: agent.placeId, mediaType });
  }

  private onHandlingTimeout(interaction: Interaction): void {
    this.revokeOwnership(interaction, 'HandlingTimeout');
  }

  /** SPEC 9.2 step 2: one handling timer per interaction, which any party's request resets. */
  private handlingDeadline(interaction: Interaction): number {
    let lastActivity = Math.max(interaction.ownedSince, this.activity.get(interaction.assignedTo!) ?? 0);
    for (const participant of interaction.participants) lastActivity = Math.max(lastActivity, this.activity.get(participant.agentId) ?? 0);
    return lastActivity + this.handlingTimeoutMs(interaction);
  }

  /** SPEC 4.2 step 3: the user-data key `handling-timeout` (seconds), else the media type's, else the server's. */
  private handlingTimeoutMs(interaction: Interaction): number {
    const own = Number(interaction.userData['handling-timeout']);
    if (interaction.userData['handling-timeout'] !== undefined && Number.isFinite(own) && own > 0) return own * 1000;
    return mediaSettings(this.config, interaction.mediaType).handlingTimeoutMs;
  }

  // ---- Moves ---------------------------------------------------------------------------------

  /** Offers a waiting interaction of a routed queue to the next router that serves it (round-robin). */
  private offer(interaction: Interaction): void {
    assert(interaction.state === 'queued' || interaction.state === 'routing', 'only waiting interactions are offered');
    if (interaction.queue === null || interaction.workbin !== null) return;
    // Locked by a snapshot or scheduled for later: it waits queued, offered to no router.
    if (!this.takeable(interaction)) {
      assert(interaction.state === 'queued', 'a locked or scheduled interaction is held by no router');
      return;
    }
    const routerId = this.pickRouter(interaction.queue);
    if (routerId === null) {
      if (interaction.state !== 'queued') {
        interaction.state = 'queued';
        this.markChanged(interaction);
      }
      return;
    }
    interaction.state = 'routing';
    interaction.routerId = routerId;
    this.markChanged(interaction);
    this.report('EventPartyAdded', { interactionId: interaction.interactionId, party: this.strategyParty(interaction) });
    this.send(routerId, { message: 'EventRouteRequest', interaction: toWire(interaction) });
  }

  private pickRouter(queue: string): string | null {
    const routing = this.config.queues.get(queue)?.routing ?? 'none';
    if (routing === 'none') return null;
    for (let tried = 0; tried < this.routers.length; tried++) {
      const routerId = this.routers[this.roundRobin++ % this.routers.length]!;
      if (this.routerServes(this.clients.get(routerId)!, queue)) return routerId;
    }
    return null;
  }

  /** A router naming its queues serves those (builtin ones too); one naming none serves every `external` queue. */
  private routerServes(router: Client, queue: string): boolean {
    if (router.queues !== null) return router.queues.has(queue);
    return this.config.queues.get(queue)?.routing === 'external';
  }

  private addRouter(router: Client): void {
    this.routers.push(router.clientId);
    this.routerNames.set(router.clientId, router.clientName);
    for (const [queue, contents] of this.queues) {
      if (!this.routerServes(router, queue) || (this.config.queues.get(queue)?.routing ?? 'none') === 'none') continue;
      for (const interaction of [...contents.values()]) {
        if (interaction.state === 'queued') this.offer(interaction);
      }
    }
  }

  private removeRouter(router: Client): void {
    this.routers.splice(this.routers.indexOf(router.clientId), 1);
    for (const interaction of this.interactions.values()) {
      // An invite that is out stays out; it is offered again if it ends without an accept.
      if (interaction.routerId !== router.clientId || interaction.state !== 'routing') continue;
      this.releaseFromRouter(interaction, 'RouterDisconnected');
      this.offer(interaction);
    }
  }

  private releaseFromRouter(interaction: Interaction, reason: string): void {
    this.report('EventPartyRemoved', { interactionId: interaction.interactionId, party: this.strategyParty(interaction), reason });
    interaction.routerId = null;
    interaction.state = 'queued';
    this.markChanged(interaction);
  }

  /** Ends an open invite without an accept: the agent and router are told, and the interaction is offered again. */
  private revokeInvite(ticket: Ticket, reason: string, offerAgain: boolean): void {
    const interaction = this.interactions.get(ticket.interactionId)!;
    this.closeTicket(ticket);
    interaction.state = 'routing';
    this.markChanged(interaction);
    this.sendToAgent(ticket.agentId, { message: 'EventRevoked', interactionId: interaction.interactionId, ticketId: ticket.ticketId, reason });
    if (ticket.routerId !== null && this.clients.has(ticket.routerId)) {
      this.send(ticket.routerId, {
        message: 'EventRouteUsed', referenceId: ticket.routerReferenceId, interactionId: interaction.interactionId,
        result: 'Revoked', reason, agentId: ticket.agentId, placeId: ticket.placeId, ticketId: ticket.ticketId,
      });
    }
    this.report('EventRevoked', { interactionId: interaction.interactionId, agentId: ticket.agentId, placeId: ticket.placeId, ticketId: ticket.ticketId, reason });
    if (!offerAgain) return;
    this.releaseFromRouter(interaction, reason);
    this.offer(interaction);
  }

  /** Ends every party's hold without a move: the interaction returns where it was taken from. */
  private revokeOwnership(interaction: Interaction, reason: string): void {
    this.releaseParties(interaction, reason, null, reason);
    this.returnToLocation(interaction);
  }

  /** Back where it was taken from, keeping its place in the order (SPEC 4.1, queue order). */
  private returnToLocation(interaction: Interaction): void {
    this.locationOf(interaction).insert(interaction);
    this.reportPlaced(interaction);
    this.watchWaiting(interaction);
    this.offer(interaction);
  }

  private logOut(agent: Agent, reason: 'AgentLoggedOut' | 'AgentDisconnected', returnOwned: boolean, forcedBy?: string): void {
    for (const ticket of [...agent.invites]) {
      if (ticket.operation === 'Route') this.revokeInvite(ticket, reason, true);
      else this.failPeerInvite(ticket, reason);
    }
    if (returnOwned) {
      // A conference goes on without the agent: a participant leaves it, an owner hands it to the
      // participant who joined first (SPEC 9.2 step 3). Alone, the owner's work returns.
      for (const interaction of [...(this.participating.get(agent.agentId) ?? [])]) this.removeParty(interaction, agent.agentId, reason, true);
      for (const interaction of [...(this.owned.get(agent.agentId) ?? [])]) {
        if (interaction.participants.length > 0) this.removeParty(interaction, agent.agentId, reason, true);
        else this.revokeOwnership(interaction, reason);
      }
    }
    this.wrapUps.delete(agent.agentId);
    this.report('EventAgentLogout', { agentId: agent.agentId, placeId: agent.placeId, reason, ...(forcedBy !== undefined ? { forcedBy } : {}) });
    this.endSubscriptionsNoLongerAllowed(agent, null);
    for (const clientId of agent.clients) this.clients.get(clientId)!.agentId = null;
    this.agents.delete(agent.agentId);
    this.changedAgents.set(agent.agentId, { agentId: agent.agentId, placeId: agent.placeId, loggedIn: false });
  }

  private own(interaction: Interaction, agentId: string, placeId: string): void {
    interaction.state = 'handling';
    interaction.assignedTo = agentId;
    interaction.placeId = placeId;
    interaction.ownedSince = this.now;
    interaction.routerId = null;
    let owned = this.owned.get(agentId);
    if (owned === undefined) this.owned.set(agentId, (owned = new Set()));
    owned.add(interaction);
    this.deadlines.push({ at: this.handlingDeadline(interaction), kind: 'handling', id: interaction.interactionId });
    this.markChanged(interaction);
  }

  private disown(interaction: Interaction): void {
    assert(interaction.participants.length === 0 && interaction.consultation === null, 'an interaction is disowned only once no participant or invite is left');
    this.dropOwned(interaction);
    interaction.assignedTo = null;
    interaction.placeId = null;
    interaction.state = 'queued';
    this.markChanged(interaction);
  }

  /**
   * Takes an interaction from where it is before it moves (RequestPlaceIn*, RequestMoveInteractions):
   * from its agent or router, which hears `EventRevoked {reason: Moved}` unless it asked itself,
   * or, waiting unheld (a supervisor's move), from its queue or workbin. Returns the agent that
   * let go of it, whose after-call work starts once the move is reported.
   */
  private releaseFromHolder(interaction: Interaction, requester: Client): string | null {
    const id = interaction.interactionId;
    // Every party of a conference lets go; the owner's wrap-up starts (SPEC 9.4 step 3).
    if (interaction.state === 'handling') return this.releaseParties(interaction, 'Moved', requester.agentId, undefined);
    if (interaction.state === 'routing') {
      const routerId = interaction.routerId!;
      if (routerId !== requester.clientId) this.send(routerId, { message: 'EventRevoked', interactionId: id, reason: 'Moved' });
      this.releaseFromRouter(interaction, 'Moved');
    }
    this.locationOf(interaction).remove(interaction);
    const workbin = interaction.workbin && { ...interaction.workbin };
    this.report('EventTakenFromQueue', { interactionId: id, queue: interaction.queue, workbin });
    if (workbin !== null) {
      this.report('EventTakenFromWorkbin', { interactionId: id, workbin });
      this.notifyWorkbin(workbin, 'Remove', interaction);
    }
    return null;
  }

  /** A new entry into a queue or workbin: it goes to the back of its priority. A snapshot's lock stays behind. */
  private place(interaction: Interaction, queue: string | null, workbin: WorkbinRef | null): void {
    this.unlock(interaction);
    interaction.queue = queue;
    interaction.workbin = workbin;
    interaction.key = this.newKey(interaction.priority);
    interaction.state = 'queued';
    this.locationOf(interaction).insert(interaction);
    this.markChanged(interaction);
    this.reportPlaced(interaction);
    this.watchWaiting(interaction);
    this.offer(interaction);
  }

  private reportPlaced(interaction: Interaction): void {
    const workbin = interaction.workbin && { ...interaction.workbin };
    const when = {
      ...(interaction.scheduledAt !== null ? { scheduledAt: iso(interaction.scheduledAt) } : {}),
      ...(interaction.expiresAt !== null ? { expiresAt: iso(interaction.expiresAt) } : {}),
    };
    this.report('EventPlacedInQueue', { interactionId: interaction.interactionId, queue: interaction.queue, workbin, ...when });
    if (workbin !== null) {
      this.report('EventPlacedInWorkbin', { interactionId: interaction.interactionId, workbin });
      this.notifyWorkbin(workbin, 'Add', interaction);
    }
  }

  private closeTicket(ticket: Ticket): void {
    const interaction = this.interactions.get(ticket.interactionId);
    assert(this.tickets.delete(ticket.ticketId), 'a ticket answers once');
    if (ticket.operation === 'Route') {
      assert(interaction?.ticket === ticket, 'an open ticket belongs to its invited interaction');
      interaction.ticket = null;
    } else {
      assert(interaction?.consultation === ticket, 'an open transfer or conference ticket belongs to its handled interaction');
      interaction.consultation = null;
      this.markChanged(interaction);
    }
    this.agents.get(ticket.agentId)?.invites.delete(ticket);
  }

  // ---- Checks --------------------------------------------------------------------------------

  private find(interactionId: string): Interaction {
    const interaction = this.interactions.get(interactionId);
    if (interaction !== undefined) return interaction;
    if (this.wasIssued(interactionId)) throw new RequestError('InvalidState', `Interaction ${interactionId} has stopped.`);
    // Quoted as JSON: an id that is not one may hold control characters, which must not reach a log or a screen raw.
    throw new RequestError('UnknownInteraction', `There is no interaction with id ${JSON.stringify(interactionId)}.`);
  }

  /** The client's logged-in agent when it is an agent application (AgentNotLoggedIn if none); null for other client types. */
  private agentIfAgent(client: Client): Agent | null {
    return client.clientType === 'AgentApplication' ? this.agentOf(client) : null;
  }

  private agentOf(client: Client): Agent {
    const agent = client.agentId === null ? undefined : this.agents.get(client.agentId);
    if (agent === undefined) throw new RequestError('AgentNotLoggedIn', 'Log in with RequestAgentLogin first.');
    return agent;
  }

  private openTicket(agent: Agent, ticketId: number, interactionId: string): Ticket {
    if (!Number.isInteger(ticketId) || ticketId < 1 || ticketId > this.counters.lastTicket) {
      throw new RequestError('UnknownTicket', `Ticket ${ticketId} was never issued.`);
    }
    const ticket = this.tickets.get(ticketId);
    if (ticket === undefined) throw new RequestError('InvalidState', `Ticket ${ticketId} is no longer open: it was answered or revoked.`);
    if (ticket.agentId !== agent.agentId) throw new RequestError('Forbidden', `Ticket ${ticketId} was issued to another agent.`);
    if (ticket.interactionId !== interactionId) {
      throw new RequestError('InvalidRequest', `Ticket ${ticketId} was issued for interaction ${ticket.interactionId}, not ${interactionId}.`);
    }
    return ticket;
  }

  private checkUserData(userData: UserData, what: string): void {
    checkUserData(userData, this.config.maxUserDataBytes, this.config.maxUserDataDepth, what);
  }

  /** Invited plus handling interactions of one media type: what capacity limits. */
  private load(agentId: string, mediaType: string): number {
    let load = 0;
    for (const ticket of this.agents.get(agentId)?.invites ?? []) {
      if (this.interactions.get(ticket.interactionId)?.mediaType === mediaType) load++;
    }
    for (const interaction of this.held(agentId)) {
      if (interaction.mediaType === mediaType) load++;
    }
    return load;
  }

  /** What an agent handles: the interactions it owns, then the conferences it takes part in. */
  private *held(agentId: string): Iterable<Interaction> {
    yield* this.owned.get(agentId) ?? [];
    yield* this.participating.get(agentId) ?? [];
  }

  // ---- Plumbing ------------------------------------------------------------------------------

  private advance(now: number): void {
    // Time never goes backwards inside the core, whatever the wall clock does.
    if (now > this.now) this.now = now;
  }

  private newKey(priority: number): QueueKey {
    return { priority, enteredAt: this.now, entryOrder: ++this.counters.lastEntry };
  }

  private queueOf(queue: string): OrderedQueue<Interaction> {
    let contents = this.queues.get(queue);
    if (contents === undefined) this.queues.set(queue, (contents = new OrderedQueue()));
    return contents;
  }

  private workbinOf(workbin: WorkbinRef): OrderedQueue<Interaction> {
    const key = workbinKey(workbin);
    let contents = this.workbins.get(key);
    if (contents === undefined) this.workbins.set(key, (contents = new OrderedQueue()));
    return contents;
  }

  private locationOf(interaction: Interaction): OrderedQueue<Interaction> {
    if (interaction.workbin !== null) return this.workbinOf(interaction.workbin);
    return this.queueOf(interaction.queue!);
  }

  private strategyParty(interaction: Interaction): Party {
    const routerId = interaction.routerId ?? interaction.ticket?.routerId ?? null;
    return { type: 'Strategy', name: (routerId !== null ? this.routerNames.get(routerId) : undefined) ?? '' };
  }

  private agentParty(agentId: string, placeId: string): Party {
    return { type: 'Agent', agentId, placeId };
  }

  private markChanged(interaction: Interaction): void {
    this.changed.set(interaction.interactionId, interaction);
  }

  private notifyWorkbin(workbin: WorkbinRef, operation: 'Add' | 'Remove', interaction: Interaction): void {
    const subscribers = this.subscriptions.get(workbinKey(workbin));
    if (subscribers === undefined || subscribers.size === 0) return;
    const message: ClientEvent = { message: 'EventWorkbinContentChanged', workbin: { ...workbin }, operation, interaction: toWire(interaction) };
    for (const clientId of subscribers) this.send(clientId, message);
  }

  private send(clientId: string, message: ClientEvent): void {
    this.out.push({ to: clientId, message });
  }

  private sendToAgent(agentId: string, message: ClientEvent): void {
    for (const clientId of this.agents.get(agentId)?.clients ?? []) this.send(clientId, message);
  }

  private reply<Name extends ClientEventName>(clientId: string, referenceId: number, message: Name, attributes: ClientEventAttributes<Name>): void {
    this.send(clientId, { message, referenceId, ...attributes } as unknown as ClientEvent);
  }

  /** A reporting event; one about an interaction also names its media type, for statistics and routers. */
  private report<Name extends ReportingEventName>(message: Name, attributes: ReportingEventAttributes<Name>): void {
    const interactionId = (attributes as { interactionId?: unknown }).interactionId;
    const mediaType = typeof interactionId === 'string' ? this.interactions.get(interactionId)?.mediaType : undefined;
    const event = { message, seq: ++this.counters.lastSeq, eventTime: iso(this.now), ...attributes } as unknown as ReportingEvent;
    if (mediaType !== undefined) event.mediaType = mediaType;
    this.out.push({ to: null, message: event });
  }

  private error(clientId: string, referenceId: number | undefined, error: RequestError): void {
    this.send(clientId, eventError(error.code, error.message, referenceId));
  }

  /** Runs a request; a RequestError becomes an EventError for the requester. Handlers throw before they change anything. */
  private guard(clientId: string, referenceId: number, run: () => void): boolean {
    try {
      run();
      return true;
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      this.error(clientId, referenceId, error);
      return false;
    }
  }

  // ---- Invariants ----------------------------------------------------------------------------

  /** Checks every invariant over the whole state; O(n), for tests and the property suite. */
  assertInvariants(): void {
    const located = new Map<Interaction, number>();
    const count = (interaction: Interaction) => located.set(interaction, (located.get(interaction) ?? 0) + 1);
    for (const contents of this.queues.values()) for (const interaction of contents.values()) count(interaction);
    for (const contents of this.workbins.values()) for (const interaction of contents.values()) count(interaction);
    for (const owned of this.owned.values()) for (const interaction of owned) count(interaction);
    for (const interaction of this.interactions.values()) {
      assert(located.get(interaction) === 1, `interaction ${interaction.interactionId} is in exactly one location`);
      assert(interaction.state !== 'stopped', 'stopped interactions leave the live state');
      assert((interaction.state === 'invited') === (interaction.ticket !== null), `interaction ${interaction.interactionId} is invited exactly when it has an open ticket`);
      assert((interaction.state === 'handling') === (interaction.assignedTo !== null), `interaction ${interaction.interactionId} has an owner exactly when handling`);
      assert((interaction.state === 'routing') === (interaction.routerId !== null && interaction.ticket === null) || interaction.state === 'invited', `interaction ${interaction.interactionId} is routing exactly when a router holds it`);
      if (interaction.state === 'routing') assert(this.clients.has(interaction.routerId!), 'a routing interaction is held by a connected router');
      assert(interaction.key.priority === interaction.priority, 'the queue key carries the priority');
      if (interaction.consultation !== null || interaction.participants.length > 0) {
        assert(interaction.state === 'handling', `interaction ${interaction.interactionId} has participants or a transfer invite only while handling`);
      }
      const parties = new Set([interaction.assignedTo, ...interaction.participants.map((participant) => participant.agentId)]);
      assert(parties.size === interaction.participants.length + 1, `interaction ${interaction.interactionId}'s parties are distinct agents`);
      for (const participant of interaction.participants) {
        assert(this.participating.get(participant.agentId)?.has(interaction) === true, `participant ${participant.agentId} knows it takes part in ${interaction.interactionId}`);
      }
      if (interaction.consultation !== null) assert(!parties.has(interaction.consultation.agentId), 'a transfer or conference invite goes to an agent not yet a party');
    }
    for (const [agentId, participating] of this.participating) {
      assert(participating.size > 0, 'an agent in no conference is not kept');
      for (const interaction of participating) assert(this.interactions.get(interaction.interactionId) === interaction && interaction.participants.some((participant) => participant.agentId === agentId), `agent ${agentId} takes part only in live conferences that list it`);
    }
    assert(located.size === this.interactions.size, 'every located interaction is live');
    // SPEC 9.3: a connection's snapshots are taken or being taken, and every lock is its snapshot's.
    const jobs = new Map(this.snapshotJobs.map((job) => [job.snapshotId, job] as const));
    for (const client of this.clients.values()) {
      for (const snapshotId of client.snapshots) {
        const owner = this.snapshots.get(snapshotId)?.clientId ?? jobs.get(snapshotId)?.clientId;
        assert(owner === client.clientId, `snapshot ${snapshotId} of connection ${client.clientId} is taken or being taken for it`);
      }
    }
    for (const interaction of this.interactions.values()) {
      if (interaction.lockedBy === null) continue;
      const lockedBy = this.snapshots.get(interaction.lockedBy) ?? jobs.get(interaction.lockedBy)?.snapshot ?? undefined;
      assert(lockedBy?.locked.has(interaction) === true, `interaction ${interaction.interactionId} is locked by a snapshot that knows it`);
      assert(interaction.state === 'queued', `locked interaction ${interaction.interactionId} waits queued`);
    }
    for (const ticket of this.tickets.values()) {
      const interaction = this.interactions.get(ticket.interactionId);
      if (ticket.operation === 'Route') assert(interaction?.ticket === ticket, `ticket ${ticket.ticketId} belongs to its invited interaction`);
      else assert(interaction?.consultation === ticket, `transfer or conference ticket ${ticket.ticketId} belongs to its handled interaction`);
      assert(this.agents.get(ticket.agentId)?.invites.has(ticket) === true, `ticket ${ticket.ticketId} is out to a logged-in agent`);
    }
    for (const [key, subscribers] of this.subscriptions) {
      assert(subscribers.size > 0, 'a workbin nobody watches is not kept');
      for (const clientId of subscribers) assert(this.clients.get(clientId)?.subscriptions.has(key) === true, `subscriber ${clientId} is a connected client that knows its subscription`);
    }
    for (const client of this.clients.values()) {
      for (const [key, workbin] of client.subscriptions) {
        assert(this.subscriptions.get(key)?.has(client.clientId) === true, `client ${client.clientId}'s subscription is known`);
        const agent = client.agentId === null ? undefined : this.agents.get(client.agentId);
        if (client.clientType === 'AgentApplication') assert(agent !== undefined && mayUseWorkbin(this.config, agent, workbin), `agent connection ${client.clientId} watches only workbins its logged-in agent may use`);
      }
    }
    for (const agent of this.agents.values()) {
      const invitedByMedia = new Map<string, number>();
      for (const ticket of agent.invites) {
        const mediaType = this.interactions.get(ticket.interactionId)!.mediaType;
        invitedByMedia.set(mediaType, (invitedByMedia.get(mediaType) ?? 0) + 1);
      }
      for (const [mediaType, invited] of invitedByMedia) {
        assert(invited <= mediaSettings(this.config, mediaType).capacity, `agent ${agent.agentId} has no more ${mediaType} invites than its capacity`);
      }
      assert(agent.clients.size > 0, `logged-in agent ${agent.agentId} has a connection`);
    }
    for (const [queue, contents] of this.queues) {
      let oldest: number | null = null;
      for (const interaction of contents.values()) if (oldest === null || interaction.key.enteredAt < oldest) oldest = interaction.key.enteredAt;
      assert(contents.oldestEnteredAt() === oldest, `queue ${queue} knows the entry time of its oldest interaction`);
    }
  }

  // ---- Statistics ----------------------------------------------------------------------------
  // Read-only views for the metrics, taken at each scrape: none of them scans every interaction.

  /** Every configured queue, empty ones included. O(queues × priorities × log n). */
  queueStatistics(): QueueStatistics[] {
    const statistics: QueueStatistics[] = [];
    for (const queue of this.config.queues.keys()) {
      const contents = this.queues.get(queue);
      statistics.push({ queue, waiting: contents?.size ?? 0, oldestEnteredAt: contents?.oldestEnteredAt() ?? null });
    }
    return statistics;
  }

  /**
   * O(agents × the media types each named). The media types are the agents' own words: the caller
   * decides which of them deserve a name of their own in its output.
   */
  agentStatistics(): AgentStatistics {
    const media = new Map<string, { ready: number; notReady: number }>();
    for (const agent of this.agents.values()) {
      for (const [mediaType, state] of agent.media) {
        let counts = media.get(mediaType);
        if (counts === undefined) media.set(mediaType, (counts = { ready: 0, notReady: 0 }));
        if (state.ready) counts.ready++;
        else counts.notReady++;
      }
    }
    return { loggedIn: this.agents.size, media };
  }

  // ---- Overviews -----------------------------------------------------------------------------
  // Read-only views for the REST API, taken per request. queueOverview scans every live
  // interaction (O(n)); the others are bounded by what they return.

  queueOverview(): QueueOverview[] {
    const overviews = new Map<string, QueueOverview>();
    for (const { queue, oldestEnteredAt } of this.queueStatistics()) overviews.set(queue, { queue, queued: 0, routing: 0, invited: 0, handling: 0, oldestEnteredAt });
    for (const interaction of this.interactions.values()) {
      const overview = interaction.workbin === null ? overviews.get(interaction.queue!) : undefined;
      if (overview === undefined || interaction.state === 'stopped') continue;
      overview[interaction.state]++;
    }
    return [...overviews.values()];
  }

  /** A page of a queue's waiting interactions in queue order, after the one with key `after`. */
  queuePage(queue: string, after: QueueKey | null, count: number): { interactions: Record<string, unknown>[]; last: QueueKey | null } {
    const page = this.queues.get(queue)?.page(after, count) ?? [];
    return { interactions: page.map(toWire), last: page.at(-1)?.key ?? null };
  }

  /** Every logged-in agent, in agent id order. O(agents × media types). */
  agentOverview(): AgentOverview[] {
    const overviews: AgentOverview[] = [];
    for (const agent of [...this.agents.values()].sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0))) {
      const mediaTypes = new Set(agent.media.keys());
      for (const interaction of this.held(agent.agentId)) mediaTypes.add(interaction.mediaType);
      for (const ticket of agent.invites) mediaTypes.add(this.interactions.get(ticket.interactionId)!.mediaType);
      const media: AgentOverview['media'] = {};
      for (const mediaType of mediaTypes) {
        const state = agent.media.get(mediaType);
        // defineProperty: a media type named "__proto__" is a media type like any other.
        Object.defineProperty(media, mediaType, {
          value: { ready: state?.ready ?? false, reason: state?.reason ?? null, load: this.load(agent.agentId, mediaType), capacity: mediaSettings(this.config, mediaType).capacity },
          enumerable: true, writable: true, configurable: true,
        });
      }
      overviews.push({ agentId: agent.agentId, placeId: agent.placeId, media });
    }
    return overviews;
  }

}

/** Refuses a media type the agent does not hold yet when it holds maxAgentMediaTypes already. */
function roomForMediaType(agent: Agent, mediaType: string): void {
  if (agent.media.has(mediaType) || agent.media.size < maxAgentMediaTypes) return;
  throw new RequestError('LimitExceeded', `Agent "${agent.agentId}" holds a state for ${maxAgentMediaTypes} media types already, the most it may; name one of those, or log in again with the ones it needs.`);
}

function sameMedia(before: ReadonlyMap<string, { ready: boolean; reason: string | null }>, after: ReadonlyMap<string, { ready: boolean; reason: string | null }>): boolean {
  if (before.size !== after.size) return false;
  for (const [mediaType, state] of after) {
    const previous = before.get(mediaType);
    if (previous === undefined || previous.ready !== state.ready || previous.reason !== state.reason) return false;
  }
  return true;
}

function sameSkills(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): boolean {
  const names = Object.keys(after);
  return names.length === Object.keys(before).length && names.every((name) => Object.hasOwn(before, name) && before[name] === after[name]);
}

export { toRecord };
