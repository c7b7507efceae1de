// Every message of the wire protocol (SPEC sections 3 to 5), each defined once as a TypeBox
// schema: requests are validated with it, events are documented and checked in tests with it,
// and the TypeScript types are inferred from it.

import Type, { type Static, type TSchema } from 'typebox';
import type { ClientEvent as CoreClientEvent, ReportingEvent as CoreReportingEvent } from '../core/events.js';
import type { CoreRequest } from '../core/requests.js';
import { errorCodes } from '../core/errors.js';
import { clientTypes } from '../core/types.js';
import { conditionFields } from '../core/snapshot-condition.js';
import { fieldBounds } from './bounds.js';

export { fieldBounds };

const closed = { additionalProperties: false } as const;


/**
 * Characters a name may not hold: C0 and C1 controls (PostgreSQL text cannot hold NUL, and NUL
 * joins the server's lookup keys), line and paragraph separators (they break log lines and
 * JavaScript strings), and the invisible and bidirectional formatting characters with which one
 * name can be made to look like another on a supervisor's screen.
 */
const forbiddenInNames = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2069\\ufeff';
export const namePattern = `^[^${forbiddenInNames}]*$`;
const Name = Type.String({ minLength: 1, maxLength: fieldBounds.maxNameLength, pattern: namePattern });
/** A name used as an object's key (media types and skills in a login). */
const nameKeys = { propertyNames: { minLength: 1, maxLength: fieldBounds.maxNameLength, pattern: namePattern } };
const ReferenceId = Type.Integer({ minimum: -fieldBounds.maxInteger, maximum: fieldBounds.maxInteger, description: 'client-chosen; the answer carries the same value' });
const InteractionId = Type.String({ minLength: 1, maxLength: 64 });
const TicketId = Type.Integer({ minimum: 1, maximum: fieldBounds.maxInteger });
const Reason = Type.String({ maxLength: fieldBounds.maxReasonLength });
const UserData = Type.Record(Type.String(), Type.Unknown(), { propertyNames: { maxLength: fieldBounds.maxPropertyNameLength }, description: 'string-keyed JSON properties' });
export const WorkbinRef = Type.Object({ name: Name, ownerId: Type.Optional(Name) }, closed);
const MediaReadiness = Type.Enum(['ready', 'notReady']);

const IsoTimeInput = Type.String({ minLength: 1, maxLength: fieldBounds.maxTimeLength, description: 'ISO 8601 time, e.g. 2026-12-04T09:00:00Z' });
/** SPEC 9.4 steps 1 and 2: when waiting work expires, and when it may first be routed or pulled. */
const whenFields = {
  expiresAt: Type.Optional(IsoTimeInput),
  scheduledAt: Type.Optional(IsoTimeInput),
};
const ConditionValue = Type.Union([Type.String({ maxLength: fieldBounds.maxConditionValueLength }), Type.Number(), Type.Boolean()]);
const ConditionTest = Type.Union([
  ConditionValue,
  Type.Object({
    eq: Type.Optional(ConditionValue), ne: Type.Optional(ConditionValue),
    gt: Type.Optional(ConditionValue), gte: Type.Optional(ConditionValue),
    lt: Type.Optional(ConditionValue), lte: Type.Optional(ConditionValue),
    in: Type.Optional(Type.Array(ConditionValue, { maxItems: fieldBounds.maxConditionInValues })),
  }, { additionalProperties: false, minProperties: 1 }),
]);
const Condition = Type.Record(Type.String(), ConditionTest, {
  maxProperties: fieldBounds.maxConditionTests,
  propertyNames: { pattern: `^(${conditionFields.join('|')}|userData\\..{1,${fieldBounds.maxConditionValueLength}})$` },
  description: 'field (an attribute, or userData.<key>) to a value (equality) or {eq, ne, gt, gte, lt, lte, in}',
});
const SnapshotId = Type.Integer({ minimum: 1, maximum: fieldBounds.maxInteger });

function request<Name extends string, Properties extends Record<string, TSchema>>(message: Name, properties: Properties) {
  return Type.Object({ message: Type.Literal(message), referenceId: ReferenceId, ...properties }, closed);
}

export const RequestRegisterClient = request('RequestRegisterClient', {
  clientType: Type.Enum(clientTypes),
  clientName: Name,
  token: Type.Optional(Type.String({ maxLength: fieldBounds.maxTokenLength })),
  queues: Type.Optional(Type.Array(Name, { maxItems: fieldBounds.maxRouterQueues })),
});

export const RequestSubmit = request('RequestSubmit', {
  queue: Name,
  mediaType: Name,
  type: Type.Optional(Name),
  subtype: Type.Optional(Name),
  priority: Type.Optional(Type.Integer({ minimum: -fieldBounds.maxPriority, maximum: fieldBounds.maxPriority })),
  userData: Type.Optional(UserData),
  externalId: Type.Optional(Name),
  ...whenFields,
});
export const RequestAgentLogin = request('RequestAgentLogin', {
  agentId: Name,
  placeId: Name,
  media: Type.Optional(Type.Record(Type.String(), MediaReadiness, { maxProperties: fieldBounds.maxLoginMediaTypes, ...nameKeys })),
  skills: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0, maximum: 1e9 }), {
    maxProperties: fieldBounds.maxLoginSkills,
    ...nameKeys,
    description: 'skill name to level; added to the skills the config gives the agent',
  })),
});
export const RequestAgentLogout = request('RequestAgentLogout', {});
export const RequestNotReadyForMedia = request('RequestNotReadyForMedia', { mediaType: Name, reason: Type.Optional(Reason) });
export const RequestCancelNotReadyForMedia = request('RequestCancelNotReadyForMedia', { mediaType: Name });
export const RequestRouteCall = request('RequestRouteCall', { interactionId: InteractionId, agentId: Name, placeId: Type.Optional(Name) });
export const RequestAccept = request('RequestAccept', { ticketId: TicketId, interactionId: InteractionId });
export const RequestReject = request('RequestReject', { ticketId: TicketId, interactionId: InteractionId, reason: Type.Optional(Reason) });
export const RequestPull = request('RequestPull', {
  queue: Type.Optional(Name),
  workbin: Type.Optional(WorkbinRef),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: fieldBounds.maxPullCount })),
  interactionIds: Type.Optional(Type.Array(InteractionId, { minItems: 1, maxItems: fieldBounds.maxPullCount })),
});
export const RequestPlaceInQueue = request('RequestPlaceInQueue', { interactionId: InteractionId, queue: Name, ...whenFields });
export const RequestPlaceInWorkbin = request('RequestPlaceInWorkbin', { interactionId: InteractionId, workbin: WorkbinRef });
export const RequestStopProcessing = request('RequestStopProcessing', { interactionId: InteractionId, reason: Type.Optional(Reason) });
export const RequestChangeProperties = request('RequestChangeProperties', {
  interactionId: InteractionId,
  changedProperties: Type.Optional(UserData),
  deletedProperties: Type.Optional(Type.Array(Type.String({ maxLength: fieldBounds.maxPropertyNameLength }), { maxItems: fieldBounds.maxDeletedProperties })),
});
export const RequestGetInteractionProperties = request('RequestGetInteractionProperties', { interactionId: InteractionId });
export const RequestGetWorkbinContent = request('RequestGetWorkbinContent', { workbin: WorkbinRef });
export const RequestWorkbinNotifications = request('RequestWorkbinNotifications', { workbin: WorkbinRef, subscribe: Type.Boolean() });
export const RequestForceAgentLogout = request('RequestForceAgentLogout', { agentId: Name, reason: Type.Optional(Reason) });
export const RequestForceNotReady = request('RequestForceNotReady', { agentId: Name, mediaType: Name, reason: Type.Optional(Reason) });
export const RequestTakeSnapshot = request('RequestTakeSnapshot', {
  queue: Type.Optional(Name),
  workbin: Type.Optional(WorkbinRef),
  condition: Type.Optional(Condition),
  order: Type.Optional(Type.Enum(['queue', 'priority', 'age'])),
  max: Type.Optional(Type.Integer({ minimum: 1, maximum: fieldBounds.maxInteger, description: 'default 1000; at most limits.maxSnapshotInteractions' })),
  lock: Type.Optional(Type.Boolean()),
});
export const RequestGetSnapshotInteractions = request('RequestGetSnapshotInteractions', {
  snapshotId: SnapshotId,
  from: Type.Optional(Type.Integer({ minimum: 0, maximum: fieldBounds.maxInteger, description: 'index of the first, from 0' })),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: fieldBounds.maxSnapshotPage })),
});
export const RequestReleaseSnapshot = request('RequestReleaseSnapshot', { snapshotId: SnapshotId });
export const RequestUnlockInteraction = request('RequestUnlockInteraction', { snapshotId: SnapshotId, interactionId: InteractionId });
export const RequestMoveInteractions = request('RequestMoveInteractions', { snapshotId: SnapshotId, queue: Type.Optional(Name), workbin: Type.Optional(WorkbinRef) });
export const RequestTransfer = request('RequestTransfer', { interactionId: InteractionId, agentId: Name, placeId: Type.Optional(Name), reason: Type.Optional(Reason) });
export const RequestConference = request('RequestConference', { interactionId: InteractionId, agentId: Name, placeId: Type.Optional(Name), reason: Type.Optional(Reason) });
export const RequestCancelTransfer = request('RequestCancelTransfer', { interactionId: InteractionId });
export const RequestLeaveInteraction = request('RequestLeaveInteraction', { interactionId: InteractionId, reason: Type.Optional(Reason) });
/** A seq a client asks to start from: the REST API's reporting log and history take the same. */
export const FromSeq = Type.Integer({ minimum: 1, maximum: fieldBounds.maxInteger });
export const RequestStartReporting = request('RequestStartReporting', { fromSeq: Type.Optional(FromSeq) });

/** The requests the core executes; registration is the shell's (it verifies credentials first). */
export const coreRequests = {
  RequestStartReporting,
  RequestSubmit,
  RequestAgentLogin,
  RequestAgentLogout,
  RequestNotReadyForMedia,
  RequestCancelNotReadyForMedia,
  RequestRouteCall,
  RequestAccept,
  RequestReject,
  RequestPull,
  RequestPlaceInQueue,
  RequestPlaceInWorkbin,
  RequestStopProcessing,
  RequestChangeProperties,
  RequestGetInteractionProperties,
  RequestGetWorkbinContent,
  RequestWorkbinNotifications,
  RequestForceAgentLogout,
  RequestForceNotReady,
  RequestTakeSnapshot,
  RequestGetSnapshotInteractions,
  RequestReleaseSnapshot,
  RequestUnlockInteraction,
  RequestMoveInteractions,
  RequestTransfer,
  RequestConference,
  RequestCancelTransfer,
  RequestLeaveInteraction,
};

export const requests = { RequestRegisterClient, ...coreRequests };
export type RequestName = keyof typeof requests;

// The schemas must describe exactly the requests the core takes: this fails to compile otherwise.
type SchemaRequests = { [K in keyof typeof coreRequests]: Static<(typeof coreRequests)[K]> }[keyof typeof coreRequests];
const schemasFitCore: (request: SchemaRequests) => CoreRequest = (request) => request;
void schemasFitCore;

// ---- Events ----------------------------------------------------------------------------------

const IsoTime = Type.String({ description: 'ISO 8601 UTC' });
const NullableWorkbin = Type.Union([Type.Object({ name: Name, ownerId: Name }), Type.Null()]);
export const InteractionOnWire = Type.Object({
  interactionId: InteractionId,
  mediaType: Name,
  type: Name,
  subtype: Name,
  state: Type.Enum(['queued', 'routing', 'invited', 'handling', 'stopped']),
  queue: Type.Union([Name, Type.Null()]),
  workbin: NullableWorkbin,
  priority: Type.Integer(),
  userData: UserData,
  submittedAt: IsoTime,
  placedInQueueAt: IsoTime,
  assignedTo: Type.Union([Name, Type.Null()]),
  placeId: Type.Union([Name, Type.Null()]),
  scheduledAt: Type.Optional(IsoTime),
  expiresAt: Type.Optional(IsoTime),
  parties: Type.Array(Type.Object({ agentId: Name, placeId: Type.String(), role: Type.Enum(['owner', 'participant']) }), {
    description: 'who handles it: the owner first, then a conference\'s participants in join order; empty unless handling',
  }),
});
const InviteOperation = Type.Enum(['Transfer', 'Conference'], { description: 'what an agent\'s invite is for; absent on a router\'s invite' });
const Party = Type.Union([
  Type.Object({ type: Type.Literal('Strategy'), name: Type.String() }),
  Type.Object({ type: Type.Literal('Agent'), agentId: Name, placeId: Type.String() }),
]);
const NullableReason = Type.Union([Reason, Type.Null()]);

function event<Name extends string, Properties extends Record<string, TSchema>>(message: Name, properties: Properties) {
  return Type.Object({ message: Type.Literal(message), ...properties });
}
function answer<Name extends string, Properties extends Record<string, TSchema>>(message: Name, properties: Properties) {
  return event(message, { referenceId: ReferenceId, ...properties });
}
function reporting<Name extends string, Properties extends Record<string, TSchema>>(message: Name, properties: Properties) {
  return event(message, { seq: Type.Integer({ minimum: 1 }), eventTime: IsoTime, ...properties });
}
const aboutInteraction = { interactionId: InteractionId };
const aboutAgent = { agentId: Name, placeId: Type.String() };
const where = { queue: Type.Union([Name, Type.Null()]), workbin: NullableWorkbin };

/** Events to the client that made a request, or to the parties of an interaction. */
export const clientEvents = {
  EventAck: answer('EventAck', { interactionId: Type.Optional(InteractionId), interactions: Type.Optional(Type.Array(InteractionOnWire)) }),
  EventError: event('EventError', {
    referenceId: Type.Optional(ReferenceId),
    errorCode: Type.Enum(Object.keys(errorCodes)),
    errorDescription: Type.String({ minLength: 1 }),
  }),
  EventRouteRequest: event('EventRouteRequest', { interaction: InteractionOnWire }),
  EventInvite: event('EventInvite', {
    ticketId: TicketId,
    interaction: InteractionOnWire,
    operation: Type.Optional(InviteOperation),
    fromAgentId: Type.Optional(Name),
    reason: Type.Optional(Reason),
  }),
  EventRouteUsed: answer('EventRouteUsed', {
    ...aboutInteraction,
    result: Type.Enum(['Accepted', 'Rejected', 'Revoked']),
    agentId: Name,
    placeId: Type.String(),
    ticketId: TicketId,
    reason: Type.Optional(NullableReason),
  }),
  EventRevoked: event('EventRevoked', { ...aboutInteraction, ticketId: Type.Optional(TicketId), reason: Reason }),
  EventPulledInteractions: answer('EventPulledInteractions', { interactions: Type.Array(InteractionOnWire) }),
  EventPropertiesChanged: event('EventPropertiesChanged', { ...aboutInteraction, changedProperties: UserData, deletedProperties: Type.Array(Type.String()) }),
  EventInteractionProperties: answer('EventInteractionProperties', { interaction: InteractionOnWire }),
  EventWorkbinContent: answer('EventWorkbinContent', { workbin: WorkbinRef, interactions: Type.Array(InteractionOnWire) }),
  EventWorkbinContentChanged: event('EventWorkbinContentChanged', {
    workbin: WorkbinRef,
    operation: Type.Enum(['Add', 'Remove']),
    interaction: InteractionOnWire,
  }),
  EventForcedAgentStateChange: event('EventForcedAgentStateChange', {
    ...aboutAgent,
    operation: Type.Enum(['Logout', 'NotReady']),
    mediaType: Type.Optional(Name),
    reason: NullableReason,
    forcedBy: Name,
  }),
  EventSnapshotTaken: answer('EventSnapshotTaken', { snapshotId: SnapshotId, numberOfInteractions: Type.Integer({ minimum: 0 }) }),
  EventSnapshotInteractions: answer('EventSnapshotInteractions', { snapshotId: SnapshotId, from: Type.Integer({ minimum: 0 }), interactions: Type.Array(InteractionOnWire) }),
  EventInteractionsMoved: answer('EventInteractionsMoved', { snapshotId: SnapshotId, moved: Type.Integer({ minimum: 0 }), skipped: Type.Integer({ minimum: 0 }) }),
  EventTransferFailed: event('EventTransferFailed', { ...aboutInteraction, ticketId: TicketId, ...aboutAgent, operation: InviteOperation, reason: Reason }),
  EventPartyAdded: event('EventPartyAdded', { ...aboutInteraction, party: Party, operation: Type.Optional(InviteOperation) }),
  EventPartyRemoved: event('EventPartyRemoved', {
    ...aboutInteraction,
    party: Party,
    reason: Type.Optional(NullableReason),
    operation: Type.Optional(InviteOperation),
    ownerId: Type.Union([Name, Type.Null()], { description: 'the owner once the party has left' }),
  }),
};

/** The reporting stream (SPEC sections 4 and 5): every event carries a gap-free seq. */
export const reportingEvents = {
  EventInteractionSubmitted: reporting('EventInteractionSubmitted', { ...aboutInteraction, interaction: InteractionOnWire }),
  EventPlacedInQueue: reporting('EventPlacedInQueue', { ...aboutInteraction, ...where, scheduledAt: Type.Optional(IsoTime), expiresAt: Type.Optional(IsoTime) }),
  EventPlacedInWorkbin: reporting('EventPlacedInWorkbin', { ...aboutInteraction, workbin: WorkbinRef }),
  EventTakenFromQueue: reporting('EventTakenFromQueue', { ...aboutInteraction, ...where }),
  EventTakenFromWorkbin: reporting('EventTakenFromWorkbin', { ...aboutInteraction, workbin: WorkbinRef }),
  EventPartyAdded: reporting('EventPartyAdded', { ...aboutInteraction, party: Party, operation: Type.Optional(InviteOperation) }),
  EventPartyRemoved: reporting('EventPartyRemoved', { ...aboutInteraction, party: Party, reason: Type.Optional(NullableReason), operation: Type.Optional(InviteOperation) }),
  EventAgentInvited: reporting('EventAgentInvited', { ...aboutInteraction, ...aboutAgent, ticketId: TicketId, operation: Type.Optional(InviteOperation), fromAgentId: Type.Optional(Name) }),
  EventRejected: reporting('EventRejected', { ...aboutInteraction, ...aboutAgent, ticketId: TicketId, reason: NullableReason, operation: Type.Optional(InviteOperation) }),
  EventRevoked: reporting('EventRevoked', { ...aboutInteraction, ...aboutAgent, ticketId: Type.Union([TicketId, Type.Null()]), reason: Reason, operation: Type.Optional(InviteOperation) }),
  EventProcessingStopped: reporting('EventProcessingStopped', { ...aboutInteraction, ...where, reason: NullableReason }),
  EventPropertiesChanged: reporting('EventPropertiesChanged', { ...aboutInteraction, changedProperties: UserData, deletedProperties: Type.Array(Type.String()) }),
  EventAgentLogin: reporting('EventAgentLogin', { ...aboutAgent, media: Type.Record(Type.String(), MediaReadiness), skills: Type.Record(Type.String(), Type.Number()), handling: Type.Record(Type.String(), Type.Integer({ minimum: 0 })) }),
  EventAgentLogout: reporting('EventAgentLogout', { ...aboutAgent, reason: Reason, forcedBy: Type.Optional(Name) }),
  EventNotReadyForMedia: reporting('EventNotReadyForMedia', { ...aboutAgent, mediaType: Name, reason: NullableReason, forcedBy: Type.Optional(Name) }),
  EventReadyForMedia: reporting('EventReadyForMedia', { ...aboutAgent, mediaType: Name }),
};

export type ClientEventName = keyof typeof clientEvents;
export type ReportingEventName = keyof typeof reportingEvents;

// The schemas must describe exactly the events the core sends: this fails to compile when the
// core builds an event its schema does not describe, or either side names an event the other lacks.
type SchemaClientEvents = { [K in ClientEventName]: Static<(typeof clientEvents)[K]> }[ClientEventName];
type SchemaReportingEvents = { [K in ReportingEventName]: Static<(typeof reportingEvents)[K]> }[ReportingEventName];
const clientEventsFitSchemas: (event: CoreClientEvent) => SchemaClientEvents = (event) => event;
const reportingEventsFitSchemas: (event: CoreReportingEvent) => SchemaReportingEvents = (event) => event;
type SameNames<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const clientEventNamesMatch: SameNames<CoreClientEvent['message'], ClientEventName> = true;
const reportingEventNamesMatch: SameNames<CoreReportingEvent['message'], ReportingEventName> = true;
void [clientEventsFitSchemas, reportingEventsFitSchemas, clientEventNamesMatch, reportingEventNamesMatch];
