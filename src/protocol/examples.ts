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
  RequestSubmit: { message: 'RequestSubmit', referenceId: 3, queue: 'inbound', mediaType: 'email', priority: 0, userData: { subject: 'Where is my order?' }, externalId: 'msg-8812' },
  RequestAgentLogin: { message: 'RequestAgentLogin', referenceId: 4, agentId: 'agent-7', placeId: 'place-7', media: { email: 'ready', chat: 'notReady' }, skills: { english: 5 } },
  RequestAgentLogout: { message: 'RequestAgentLogout', referenceId: 5 },
  RequestNotReadyForMedia: { message: 'RequestNotReadyForMedia', referenceId: 6, mediaType: 'chat', reason: 'Lunch' },
  RequestCancelNotReadyForMedia: { message: 'RequestCancelNotReadyForMedia', referenceId: 7, mediaType: 'chat' },
  RequestRouteCall: { message: 'RequestRouteCall', referenceId: 8, interactionId: interaction.interactionId, agentId: 'agent-7', placeId: 'place-7' },
  RequestAccept: { message: 'RequestAccept', referenceId: 9, ticketId: 17, interactionId: interaction.interactionId },
  RequestReject: { message: 'RequestReject', referenceId: 10, ticketId: 17, interactionId: interaction.interactionId, reason: 'Not my language' },
  RequestPull: { message: 'RequestPull', referenceId: 11, queue: 'backlog', count: 2 },
  RequestPlaceInQueue: { message: 'RequestPlaceInQueue', referenceId: 12, interactionId: interaction.interactionId, queue: 'escalations' },
  RequestPlaceInWorkbin: { message: 'RequestPlaceInWorkbin', referenceId: 13, interactionId: interaction.interactionId, workbin: { name: 'drafts' } },
  RequestStopProcessing: { message: 'RequestStopProcessing', referenceId: 14, interactionId: interaction.interactionId, reason: 'Answered' },
  RequestChangeProperties: { message: 'RequestChangeProperties', referenceId: 15, interactionId: interaction.interactionId, changedProperties: { disposition: 'Resolved' }, deletedProperties: ['draft'] },
  RequestGetInteractionProperties: { message: 'RequestGetInteractionProperties', referenceId: 16, interactionId: interaction.interactionId },
  RequestGetWorkbinContent: { message: 'RequestGetWorkbinContent', referenceId: 17, workbin: { name: 'team-followups', ownerId: 'tier2' } },
  RequestWorkbinNotifications: { message: 'RequestWorkbinNotifications', referenceId: 18, workbin: { name: 'drafts' }, subscribe: true },
  RequestTransfer: { message: 'RequestTransfer', referenceId: 19, interactionId: interaction.interactionId, agentId: 'agent-9', reason: 'Billing question' },
  RequestConference: { message: 'RequestConference', referenceId: 20, interactionId: interaction.interactionId, agentId: 'agent-9', placeId: 'place-9' },
  RequestCancelTransfer: { message: 'RequestCancelTransfer', referenceId: 21, interactionId: interaction.interactionId },
  RequestLeaveInteraction: { message: 'RequestLeaveInteraction', referenceId: 22, interactionId: interaction.interactionId, reason: 'Answered my part' },
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
  EventTransferFailed: { message: 'EventTransferFailed', interactionId: interaction.interactionId, ticketId: 18, agentId: 'agent-9', placeId: 'place-9', operation: 'Transfer', reason: 'Rejected' },
  EventPartyAdded: { message: 'EventPartyAdded', interactionId: interaction.interactionId, party: { type: 'Agent', agentId: 'agent-9', placeId: 'place-9' }, operation: 'Conference' },
  EventPartyRemoved: { message: 'EventPartyRemoved', interactionId: interaction.interactionId, party: { type: 'Agent', agentId: 'agent-7', placeId: 'place-7' }, reason: 'Answered my part', ownerId: 'agent-9' },
};

export const reportingEventExamples: Record<ReportingEventName, Record<string, unknown>> = {
  EventInteractionSubmitted: { message: 'EventInteractionSubmitted', ...event, interaction: waiting },
  EventPlacedInQueue: { message: 'EventPlacedInQueue', ...event, queue: 'inbound', workbin: null },
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
  EventAgentLogout: { message: 'EventAgentLogout', ...agent, reason: 'AgentLoggedOut' },
  EventNotReadyForMedia: { message: 'EventNotReadyForMedia', ...agent, mediaType: 'chat', reason: 'NoAnswer' },
  EventReadyForMedia: { message: 'EventReadyForMedia', ...agent, mediaType: 'chat' },
};
