// The core's records: interactions, tickets, agents and clients as the state machine holds them.

import type { ClientEvent, ReportingEvent } from './events.js';
import type { QueueKey } from './ordered-queue.js';

export type ClientType = 'AgentApplication' | 'MediaServer' | 'RoutingEngine' | 'ReportingEngine' | 'Supervisor';
export const clientTypes: readonly ClientType[] = ['AgentApplication', 'MediaServer', 'RoutingEngine', 'ReportingEngine', 'Supervisor'];

export type InteractionState = 'queued' | 'routing' | 'invited' | 'handling' | 'stopped';

export interface WorkbinRef {
  name: string;
  ownerId: string;
}

export type UserData = Record<string, unknown>;

export interface Interaction {
  readonly interactionId: string;
  readonly mediaType: string;
  readonly type: string;
  readonly subtype: string;
  priority: number;
  userData: UserData;
  readonly submittedAt: number;
  /** The clientName of the media server that submitted it; with externalId it makes submits idempotent. */
  readonly submittedBy: string;
  readonly externalId: string | null;
  state: InteractionState;
  /**
   * The queue or workbin it waits in (queued, routing, invited) or returns to when an agent's
   * ownership ends without a move (handling). Exactly one of queue and workbin is set.
   */
  queue: string | null;
  workbin: WorkbinRef | null;
  /** Its place in that queue's order; kept across returns, renewed by a new entry. */
  key: QueueKey;
  /** The owning agent while handling. */
  assignedTo: string | null;
  placeId: string | null;
  ownedSince: number;
  /** The router holding it while routing or invited. */
  routerId: string | null;
  /** The router's open invite (invited). */
  ticket: Ticket | null;
  /** SPEC 9.4 step 1: waiting past this moment (ms), it expires; null: only its queue's expireAfter applies. */
  expiresAt: number | null;
  /** SPEC 9.4 step 2: until this moment (ms) it waits offered to no router and pulled by no one; null once routable. */
  scheduledAt: number | null;
  /** The snapshot that locks it (SPEC 9.3 step 4), while it waits where that snapshot saw it; never stored. */
  lockedBy: number | null;
  /** Agents in a conference beside the owner, in the order they joined (SPEC 9.2); empty otherwise. */
  participants: Participant[];
  /** The owner's open transfer or conference invite, at most one (SPEC 9.1 step 1); only while handling. */
  consultation: Ticket | null;
}

/** An agent taking part in a conference it does not own. */
export interface Participant {
  readonly agentId: string;
  readonly placeId: string;
}

/** Why a ticket was issued: a router's invite, or an owner's invite to a colleague (SPEC 9.1, 9.2). */
export type TicketOperation = 'Route' | 'Transfer' | 'Conference';

export interface Ticket {
  readonly ticketId: number;
  readonly interactionId: string;
  readonly operation: TicketOperation;
  readonly agentId: string;
  readonly placeId: string;
  /** Who invited: the owner agent of a transfer or conference; null for a router's invite. */
  readonly fromAgentId: string | null;
  readonly routerId: string | null;
  readonly routerReferenceId: number;
  readonly deadline: number;
}

export interface MediaState {
  ready: boolean;
  reason: string | null;
}

export interface Agent {
  readonly agentId: string;
  placeId: string;
  readonly clients: Set<string>;
  media: Map<string, MediaState>;
  /** Skill name to level: the config's, with the login's added; kept to tell a repeated login from a change. */
  skills: Readonly<Record<string, number>>;
  readonly invites: Set<Ticket>;
}

/** What a media server may act on: the interactions it submitted, or every interaction. */
export type MediaScope = 'submitted' | 'all';

/**
 * What a client's verified credentials allow within its client type (SPEC section 5 says what
 * each type may send). The shell verifies the credentials; the core enforces the grants.
 */
export interface ClientGrants {
  /** The only agent this connection may log in as; null: any (authentication off). */
  readonly agentId: string | null;
  /** For a MediaServer: `submitted` limits it to interactions submitted under its clientName. */
  readonly mediaScope: MediaScope;
  /**
   * The places an agent's credentials allow it to log in at (besides those the config gives the
   * agent); null: any place (authentication off).
   */
  readonly places: ReadonlySet<string> | null;
  /** The server's own in-process clients (the built-in router): only they may use the reserved client names. */
  readonly inProcess: boolean;
}

/** Without authentication every client is trusted with all its type allows. */
export const openGrants: ClientGrants = { agentId: null, mediaScope: 'all', places: null, inProcess: false };

/** The grants of the server's own in-process clients. */
export const inProcessGrants: ClientGrants = { ...openGrants, inProcess: true };

/**
 * The media types an agent holds a state for at once: named at login (RequestAgentLogin.media) or
 * one at a time (RequestNotReadyForMedia, RequestCancelNotReadyForMedia, RequestForceNotReady).
 * Each is kept while the agent is logged in and counted in the statistics, so a desktop may not
 * invent them without end.
 */
export const maxAgentMediaTypes = 32;

/** Client names only the server's own clients may register with: reporting names the Strategy party by it. */
export const reservedClientNames: ReadonlySet<string> = new Set(['builtin-router']);

export interface Client {
  readonly clientId: string;
  readonly clientType: ClientType;
  readonly clientName: string;
  readonly grants: ClientGrants;
  /** The agent this connection is logged in as (AgentApplication only). */
  agentId: string | null;
  /** The queues a router serves; null serves every `external` queue. */
  readonly queues: ReadonlySet<string> | null;
  /** The workbins this connection watches, by workbin key. */
  readonly subscriptions: Map<string, WorkbinRef>;
  /** The snapshots this connection holds (SPEC 9.3): they and their locks end with it. */
  readonly snapshots: Set<number>;
  /** The connection has started reporting (RequestStartReporting); the shell streams the events. */
  reporting: boolean;
}

/** A message for one client, or (to: null) a reporting event for every reporting client. */
export type Outgoing =
  | { to: string; message: ClientEvent }
  | { to: null; message: ReportingEvent };

/** Any message the shell hands a connection: the core's typed events, and the shell's own answers. */
export interface OutgoingMessage {
  message: string;
  referenceId?: number;
  [attribute: string]: unknown;
}

export type { ClientEvent, ReportingEvent };

/** What the core persists of an interaction; the stores map it to columns. */
export interface InteractionRecord {
  interactionId: string;
  number: number;
  mediaType: string;
  type: string;
  subtype: string;
  priority: number;
  userData: UserData;
  submittedAt: number;
  submittedBy: string;
  externalId: string | null;
  state: InteractionState;
  queue: string | null;
  workbinName: string | null;
  workbinOwner: string | null;
  enteredAt: number;
  entryOrder: number;
  assignedTo: string | null;
  placeId: string | null;
  /** The open invite: the router's while invited, the owner's transfer or conference invite while handling. */
  ticketId: number | null;
  ticketAgentId: string | null;
  ticketPlaceId: string | null;
  expiresAt: number | null;
  scheduledAt: number | null;
  /** The conference's participants besides the owner, in join order (SPEC 9.2): a restart keeps every party. */
  participants: Participant[];
}

/** A logged-in agent as the store keeps it, so that a restart can report its logout. */
export interface AgentLoginRecord {
  agentId: string;
  placeId: string;
  loggedIn: boolean;
}

export interface Counters {
  lastInteraction: number;
  lastTicket: number;
  lastEntry: number;
  lastSeq: number;
}
