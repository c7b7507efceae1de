// The events the core sends, typed: what each one carries, by name. The wire schemas in
// src/protocol/messages.ts describe the same events for clients and documents; a compile-time
// check there fails when an event the core builds does not fit its schema.

import type { ErrorCode } from './errors.js';
import type { WorkbinRef, UserData } from './types.js';

/** An interaction as clients see it (SPEC section 3). */
export type WireInteraction = {
  interactionId: string;
  mediaType: string;
  type: string;
  subtype: string;
  state: 'queued' | 'routing' | 'invited' | 'handling' | 'stopped';
  queue: string | null;
  workbin: WorkbinRef | null;
  priority: number;
  userData: UserData;
  submittedAt: string;
  placedInQueueAt: string;
  assignedTo: string | null;
  placeId: string | null;
  scheduledAt?: string;
  expiresAt?: string;
  /** Who holds it while handling: the owner first, then the conference's participants in join order. */
  parties: WireParty[];
};

export type WireParty = { agentId: string; placeId: string; role: 'owner' | 'participant' };

/** What an agent's invite is for: absent (a router's invite), a transfer or a conference. */
export type InviteOperation = 'Transfer' | 'Conference';

export type Party = { type: 'Strategy'; name: string } | { type: 'Agent'; agentId: string; placeId: string };

type Where = { queue: string | null; workbin: WorkbinRef | null };
type AboutAgent = { agentId: string; placeId: string };

/** Events to one client: answers (with the request's referenceId) and unsolicited events. */
export type ClientEvent =
  | { message: 'EventAck'; referenceId: number; interactionId?: string; interactions?: WireInteraction[] }
  | EventError
  | { message: 'EventRouteRequest'; interaction: WireInteraction }
  | { message: 'EventInvite'; ticketId: number; interaction: WireInteraction; operation?: InviteOperation; fromAgentId?: string; reason?: string }
  | { message: 'EventRouteUsed'; referenceId: number; interactionId: string; result: 'Accepted' | 'Rejected' | 'Revoked'; agentId: string; placeId: string; ticketId: number; reason?: string | null }
  | { message: 'EventRevoked'; interactionId: string; ticketId?: number; reason: string }
  | { message: 'EventPulledInteractions'; referenceId: number; interactions: WireInteraction[] }
  | { message: 'EventPropertiesChanged'; interactionId: string; changedProperties: UserData; deletedProperties: string[] }
  | { message: 'EventInteractionProperties'; referenceId: number; interaction: WireInteraction }
  | { message: 'EventWorkbinContent'; referenceId: number; workbin: WorkbinRef; interactions: WireInteraction[] }
  | { message: 'EventWorkbinContentChanged'; workbin: WorkbinRef; operation: 'Add' | 'Remove'; interaction: WireInteraction }
  | ({ message: 'EventForcedAgentStateChange'; operation: 'Logout' | 'NotReady'; mediaType?: string; reason: string | null; forcedBy: string } & AboutAgent)
  | { message: 'EventSnapshotTaken'; referenceId: number; snapshotId: number; numberOfInteractions: number }
  | { message: 'EventSnapshotInteractions'; referenceId: number; snapshotId: number; from: number; interactions: WireInteraction[] }
  | { message: 'EventInteractionsMoved'; referenceId: number; snapshotId: number; moved: number; skipped: number }
  | { message: 'EventTransferFailed'; interactionId: string; ticketId: number; agentId: string; placeId: string; operation: InviteOperation; reason: string }
  | { message: 'EventPartyAdded'; interactionId: string; party: Party; operation?: InviteOperation }
  | { message: 'EventPartyRemoved'; interactionId: string; party: Party; reason?: string | null; operation?: InviteOperation; ownerId: string | null };

export type EventError = { message: 'EventError'; referenceId?: number; errorCode: ErrorCode; errorDescription: string };

/** A reporting event as the core builds it, before it gets its seq, time and media type. */
export type ReportingEventBody =
  | { message: 'EventInteractionSubmitted'; interactionId: string; interaction: WireInteraction }
  | ({ message: 'EventPlacedInQueue'; interactionId: string; scheduledAt?: string; expiresAt?: string } & Where)
  | { message: 'EventPlacedInWorkbin'; interactionId: string; workbin: WorkbinRef }
  | ({ message: 'EventTakenFromQueue'; interactionId: string } & Where)
  | { message: 'EventTakenFromWorkbin'; interactionId: string; workbin: WorkbinRef }
  | { message: 'EventPartyAdded'; interactionId: string; party: Party; operation?: InviteOperation }
  | { message: 'EventPartyRemoved'; interactionId: string; party: Party; reason?: string | null; operation?: InviteOperation }
  | ({ message: 'EventAgentInvited'; interactionId: string; ticketId: number; operation?: InviteOperation; fromAgentId?: string } & AboutAgent)
  | ({ message: 'EventRejected'; interactionId: string; ticketId: number; reason: string | null; operation?: InviteOperation } & AboutAgent)
  | ({ message: 'EventRevoked'; interactionId: string; ticketId: number | null; reason: string; operation?: InviteOperation } & AboutAgent)
  | ({ message: 'EventProcessingStopped'; interactionId: string; reason: string | null } & Where)
  | { message: 'EventPropertiesChanged'; interactionId: string; changedProperties: UserData; deletedProperties: string[] }
  | ({ message: 'EventAgentLogin'; media: Record<string, 'ready' | 'notReady'>; skills: Record<string, number>; handling: Record<string, number> } & AboutAgent)
  | ({ message: 'EventAgentLogout'; reason: string; forcedBy?: string } & AboutAgent)
  | ({ message: 'EventNotReadyForMedia'; mediaType: string; reason: string | null; forcedBy?: string } & AboutAgent)
  | ({ message: 'EventReadyForMedia'; mediaType: string } & AboutAgent);

/** Every reporting event carries a gap-free seq and its time; one about an interaction also names its media type. */
export type ReportingEvent = ReportingEventBody & { seq: number; eventTime: string; mediaType?: string };

/** What a reader of the stream that needs neither seq nor time (the built-in router) takes. */
export type ReportedEvent = ReportingEventBody & { mediaType?: string };

export type ClientEventName = ClientEvent['message'];
export type ReportingEventName = ReportingEventBody['message'];

/** The attributes of one client event, as a handler passes them. */
export type ClientEventAttributes<Name extends ClientEventName> = Omit<Extract<ClientEvent, { message: Name }>, 'message' | 'referenceId'>;
export type ReportingEventAttributes<Name extends ReportingEventName> = DistributiveOmit<Extract<ReportingEventBody, { message: Name }>, 'message'>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
