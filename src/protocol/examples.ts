// One example of every message, as a client would send or receive it: the AsyncAPI document shows
// them, and a test checks each against its schema, so an example cannot drift from the protocol.

import type { RequestName, ClientEventName, ReportingEventName } from './messages.js';

const interaction = {
  interactionId: '000000000000002a',
  mediaType: 'email',
  type: 'Inbound',
  subtype: 'InboundNew',
  state: 'handling',
  queue: null,
  workbin: null,
  priority: 0,
  userData: { subject: 'Where is my order?', customerId: 'C-1042' },
  submittedAt: '2026-12-04T09:30:00.000Z',
  placedInQueueAt: '2026-12-04T09:30:00.000Z',
  assignedTo: 'agent-7',
  placeId: 'place-7',
  parties: [{ agentId: 'agent-7', placeId: 'place-7', role: 'owner' }],
};
const waiting = { ...interaction, state: 'queued', queue: 'inbound', assignedTo: null, placeId: null, parties: [] };
const event = { seq: 1042, eventTime: '2026-12-04T09:30:01.250Z', interactionId: interaction.interactionId, mediaType: 'email' };
const agent = { seq: 1043, eventTime: '2026-12-04T09:30:02.000Z', agentId: 'agent-7', placeId: 'place-7' };

export const requestExamples: Record<RequestName, Record<string, unknown>> = {
  RequestRegisterClient: { message: 'RequestRegisterClient', referenceId: 1, clientType: 'AgentApplication', clientName: 'desktop', token: 'eyJhbGciOiJIUzI1NiJ9.e30.x' },
  RequestStartReporting: { message: 'RequestStartReporting', referenceId: 2, fromSeq: 1 },
  RequestSubmit: { message: 'RequestSubmit', referenceId: 3, queue: 'inbound', mediaType: 'email', priority: 0, userData: { subject: 'Where is my order?' }, externalId: 'msg-8812', expiresAt: '2026-12-11T09:30:00Z' },
  RequestAgentLogin: { message: 'RequestAgentLogin', referenceId: 4, agentId: 'agent-7', placeId: 'place-7', media: { email: 'ready', chat: 'notReady' }, skills: { english: 5 } },
  RequestAgentLogout: { message: 'RequestAgentLogout', referenceId: 5 },
  RequestNotReadyForMedia: { message: 'RequestNotReadyForMedia', referenceId: 6, mediaType: 'chat', reason: 'Lunch' },
  RequestCancelNotReadyForMedia: { message: 'RequestCancelNotReadyForMedia', referenceId: 7, mediaType: 'chat' },
  RequestRouteCall: { message: 'RequestRouteCall', referenceId: 8, interactionId: interaction.interactionId, agentId: 'agent-7', placeId: 'place-7' },
  RequestAccept: { message: 'RequestAccept', referenceId: 9, ticketId: 17, interactionId: interaction.interactionId },
  RequestReject: { message: 'RequestReject', referenceId: 10, ticketId: 17, interactionId: interaction.interactionId, reason: 'Not my language' },
  RequestPull: { message: 'RequestPull', referenceId: 11, queue: 'backlog', count: 2 },
  RequestPlaceInQueue: { message: 'RequestPlaceInQueue', referenceId: 12, interactionId: interaction.interactionId, queue: 'callbacks', scheduledAt: '2026-12-05T08:00:00Z' },
  RequestPlaceInWorkbin: { message: 'RequestPlaceInWorkbin', referenceId: 13, interactionId: interaction.interactionId, workbin: { name: 'drafts' } },
  RequestStopProcessing: { message: 'RequestStopProcessing', referenceId: 14, interactionId: interaction.interactionId, reason: 'Answered' },
  RequestChangeProperties: { message: 'RequestChangeProperties', referenceId: 15, interactionId: interaction.interactionId, changedProperties: { disposition: 'Resolved' }, deletedProperties: ['draft'] },
  RequestGetInteractionProperties: { message: 'RequestGetInteractionProperties', referenceId: 16, interactionId: interaction.interactionId },
  RequestGetWorkbinContent: { message: 'RequestGetWorkbinContent', referenceId: 17, workbin: { name: 'team-followups', ownerId: 'tier2' } },
  RequestWorkbinNotifications: { message: 'RequestWorkbinNotifications', referenceId: 18, workbin: { name: 'drafts' }, subscribe: true },
  RequestForceAgentLogout: { message: 'RequestForceAgentLogout', referenceId: 19, agentId: 'agent-7', reason: 'Shift ended' },
  RequestForceNotReady: { message: 'RequestForceNotReady', referenceId: 20, agentId: 'agent-7', mediaType: 'chat', reason: 'Coaching' },
  RequestTakeSnapshot: { message: 'RequestTakeSnapshot', referenceId: 21, queue: 'inbound', condition: { priority: { gte: 5 }, 'userData.language': 'de' }, order: 'age', max: 500, lock: true },
  RequestGetSnapshotInteractions: { message: 'RequestGetSnapshotInteractions', referenceId: 22, snapshotId: 3, from: 0, count: 100 },
  RequestReleaseSnapshot: { message: 'RequestReleaseSnapshot', referenceId: 23, snapshotId: 3 },
  RequestUnlockInteraction: { message: 'RequestUnlockInteraction', referenceId: 24, snapshotId: 3, interactionId: interaction.interactionId },
  RequestMoveInteractions: { message: 'RequestMoveInteractions', referenceId: 25, snapshotId: 3, queue: 'german-backlog' },
  RequestTransfer: { message: 'RequestTransfer', referenceId: 26, interactionId: interaction.interactionId, agentId: 'agent-9', reason: 'Billing question' },
  RequestConference: { message: 'RequestConference', referenceId: 27, interactionId: interaction.interactionId, agentId: 'agent-9', placeId: 'place-9' },
  RequestCancelTransfer: { message: 'RequestCancelTransfer', referenceId: 28, interactionId: interaction.interactionId },
  RequestLeaveInteraction: { message: 'RequestLeaveInteraction', referenceId: 29, interactionId: interaction.interactionId, reason: 'Answered my part' },
};

export const clientEventExamples: Record<ClientEventName, Record<string, unknown>> = {
  EventAck: { message: 'EventAck', referenceId: 3, interactionId: interaction.interactionId },
  EventError: { message: 'EventError', referenceId: 8, errorCode: 'AgentNotAvailable', errorDescription: 'Agent "agent-7" is at its email capacity of 1.' },
  EventRouteRequest: { message: 'EventRouteRequest', interaction: { ...waiting, state: 'routing' } },
  EventInvite: { message: 'EventInvite', ticketId: 17, interaction: { ...waiting, state: 'invited' } },
  EventRouteUsed: { message: 'EventRouteUsed', referenceId: 8, interactionId: interaction.interactionId, result: 'Accepted', agentId: 'agent-7', placeId: 'place-7', ticketId: 17 },
  EventRevoked: { message: 'EventRevoked', interactionId: interaction.interactionId, ticketId: 17, reason: 'DeliveringTimeout' },
  EventPulledInteractions: { message: 'EventPulledInteractions', referenceId: 11, interactions: [interaction] },
  EventPropertiesChanged: { message: 'EventPropertiesChanged', interactionId: interaction.interactionId, changedProperties: { priorityCustomer: true }, deletedProperties: [] },
  EventInteractionProperties: { message: 'EventInteractionProperties', referenceId: 16, interaction },
  EventWorkbinContent: { message: 'EventWorkbinContent', referenceId: 17, workbin: { name: 'team-followups', ownerId: 'tier2' }, interactions: [{ ...waiting, queue: null, workbin: { name: 'team-followups', ownerId: 'tier2' } }] },
  EventWorkbinContentChanged: { message: 'EventWorkbinContentChanged', workbin: { name: 'drafts', ownerId: 'agent-7' }, operation: 'Add', interaction: { ...waiting, queue: null, workbin: { name: 'drafts', ownerId: 'agent-7' } } },
  EventForcedAgentStateChange: { message: 'EventForcedAgentStateChange', agentId: 'agent-7', placeId: 'place-7', operation: 'NotReady', mediaType: 'chat', reason: 'Coaching', forcedBy: 'floor-lead' },
  EventSnapshotTaken: { message: 'EventSnapshotTaken', referenceId: 21, snapshotId: 3, numberOfInteractions: 42 },
  EventSnapshotInteractions: { message: 'EventSnapshotInteractions', referenceId: 22, snapshotId: 3, from: 0, interactions: [{ ...waiting, priority: 5, userData: { language: 'de' } }] },
  EventInteractionsMoved: { message: 'EventInteractionsMoved', referenceId: 25, snapshotId: 3, moved: 40, skipped: 2 },
  EventTransferFailed: { message: 'EventTransferFailed', interactionId: interaction.interactionId, ticketId: 18, agentId: 'agent-9', placeId: 'place-9', operation: 'Transfer', reason: 'Rejected' },
  EventPartyAdded: { message: 'EventPartyAdded', interactionId: interaction.interactionId, party: { type: 'Agent', agentId: 'agent-9', placeId: 'place-9' }, operation: 'Conference' },
  EventPartyRemoved: { message: 'EventPartyRemoved', interactionId: interaction.interactionId, party: { type: 'Agent', agentId: 'agent-7', placeId: 'place-7' }, reason: 'Answered my part', ownerId: 'agent-9' },
};

export const reportingEventExamples: Record<ReportingEventName, Record<string, unknown>> = {
  EventInteractionSubmitted: { message: 'EventInteractionSubmitted', ...event, interaction: waiting },
  EventPlacedInQueue: { message: 'EventPlacedInQueue', ...event, queue: 'callbacks', workbin: null, scheduledAt: '2026-12-05T08:00:00.000Z' },
  EventPlacedInWorkbin: { message: 'EventPlacedInWorkbin', ...event, workbin: { name: 'drafts', ownerId: 'agent-7' } },
  EventTakenFromQueue: { message: 'EventTakenFromQueue', ...event, queue: 'inbound', workbin: null },
  EventTakenFromWorkbin: { message: 'EventTakenFromWorkbin', ...event, workbin: { name: 'drafts', ownerId: 'agent-7' } },
  EventPartyAdded: { message: 'EventPartyAdded', ...event, party: { type: 'Agent', agentId: 'agent-7', placeId: 'place-7' } },
  EventPartyRemoved: { message: 'EventPartyRemoved', ...event, party: { type: 'Strategy', name: 'builtin-router' }, reason: null },
  EventAgentInvited: { message: 'EventAgentInvited', ...event, agentId: 'agent-7', placeId: 'place-7', ticketId: 17 },
  EventRejected: { message: 'EventRejected', ...event, agentId: 'agent-7', placeId: 'place-7', ticketId: 17, reason: 'Not my language' },
  EventRevoked: { message: 'EventRevoked', ...event, agentId: 'agent-7', placeId: 'place-7', ticketId: 17, reason: 'DeliveringTimeout' },
  EventProcessingStopped: { message: 'EventProcessingStopped', ...event, queue: null, workbin: null, reason: 'Answered' },
  EventPropertiesChanged: { message: 'EventPropertiesChanged', ...event, changedProperties: { disposition: 'Resolved' }, deletedProperties: [] },
  EventAgentLogin: { message: 'EventAgentLogin', ...agent, media: { email: 'ready' }, skills: { english: 5 }, handling: { email: 1 } },
  EventAgentLogout: { message: 'EventAgentLogout', ...agent, reason: 'AgentLoggedOut', forcedBy: 'floor-lead' },
  EventNotReadyForMedia: { message: 'EventNotReadyForMedia', ...agent, mediaType: 'chat', reason: 'AfterCallWork' },
  EventReadyForMedia: { message: 'EventReadyForMedia', ...agent, mediaType: 'chat' },
};
