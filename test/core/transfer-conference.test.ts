// SPEC 9.1 (transfer) and 9.2 (conference), run on the pure core with virtual time. Each line is
// one request, tick or connection event with every message each recipient gets, in order: 'rep'
// is the reporting stream, other keys are connection ids (an agent's desktop is its agent id). A
// recipient not named gets nothing. Each test is named after the SPEC step it shows.

import { describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { interactionIdOf } from '../../src/core/interaction.js';
import { CoreHarness, placeOf, type AgentHandle, type ClientHandle } from '../support/core-harness.js';

const layout: ConfigInput = {
  timeouts: { deliveringTimeout: 30, handlingTimeout: 60 },
  mediaTypes: { email: { capacity: 2, deliveringTimeout: 120 } },
  queues: { pool: { routing: 'none' }, other: { routing: 'none' }, routed: { routing: 'external' } },
  workbins: { drafts: { owner: 'agent' } },
};

const [I1, I2] = [1, 2].map(interactionIdOf) as [string, string];
const agentParty = (agentId: string) => ({ type: 'Agent', agentId, placeId: placeOf(agentId) });
const error = (errorCode: string) => ({ message: 'EventError', errorCode });
const owner = (agentId: string) => ({ agentId, placeId: placeOf(agentId), role: 'owner' });
const participant = (agentId: string) => ({ agentId, placeId: placeOf(agentId), role: 'participant' });

interface World {
  t: CoreHarness;
  M: ClientHandle;
  A1: AgentHandle;
  A2: AgentHandle;
  A3: AgentHandle;
}

/** Agents 1, 2 and 3 logged in ready for chat (capacity 1) and email (capacity 2); agent 1 has pulled I1, a chat, from the pool. */
function world(): World {
  const t = new CoreHarness(layout);
  const M = t.media('M');
  const [A1, A2, A3] = ['agent-1', 'agent-2', 'agent-3'].map((agentId) => t.agent(agentId)) as [AgentHandle, AgentHandle, AgentHandle];
  t.given(M.register(), M.submit({ queue: 'pool', mediaType: 'chat' }));
  for (const agent of [A1, A2, A3]) t.given(agent.register(), agent.login({ chat: 'ready', email: 'ready' }));
  t.given(A1.pull({ queue: 'pool' }));
  return { t, M, A1, A2, A3 };
}

/** 9.1 steps 1–2 done: agent 1 has asked to transfer I1 to agent 2 (ticket 1). */
function transferring(): World {
  const w = world();
  w.t.given(w.A1.transfer(I1, 'agent-2'));
  return w;
}

/** 9.2 step 1 done: agent 2 has joined I1's conference; agent 1 owns it. */
function conferencing(): World {
  const w = world();
  w.t.given(w.A1.conference(I1, 'agent-2'), w.A2.accept(1, I1));
  return w;
}

describe('9.1 Transfer', () => {
  test('9.1.1–2 A1 asks to transfer: EventAck; A2 gets EventInvite {operation: Transfer, fromAgentId}; Rep EventAgentInvited; A1 keeps it and its timer', () => {
    const { t, A1 } = world();
    t.step(A1.transfer(I1, 'agent-2', { reason: 'billing' }), {
      'agent-1': ['EventAck'],
      'agent-2': [{ message: 'EventInvite', ticketId: 1, operation: 'Transfer', fromAgentId: 'agent-1', reason: 'billing', interaction: { interactionId: I1, state: 'handling', assignedTo: 'agent-1', parties: [owner('agent-1')] } }],
      rep: [{ message: 'EventAgentInvited', interactionId: I1, agentId: 'agent-2', placeId: placeOf('agent-2'), ticketId: 1, operation: 'Transfer', fromAgentId: 'agent-1', mediaType: 'chat' }],
    });
    expect(t.core.interaction(I1)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
  });

  test('9.1.1 only the owner may transfer, while handling: anyone else gets InvalidState', () => {
    const { t, A2, A3, M } = world();
    t.step(A2.transfer(I1, 'agent-3'), { 'agent-2': [error('InvalidState')] });
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }));
    t.step(A2.transfer(I2, 'agent-3'), { 'agent-2': [error('InvalidState')] });
    t.step(A3.transfer(interactionIdOf(99), 'agent-2'), { 'agent-3': [error('UnknownInteraction')] });
  });

  test('9.1.1 the target must be logged in, ready for the media type, at the place named and under capacity: else AgentNotAvailable', () => {
    const { t, A1, A2, A3, M } = world();
    t.step(A1.transfer(I1, 'agent-9'), { 'agent-1': [error('AgentNotAvailable')] });
    t.step(A1.transfer(I1, 'agent-2', { placeId: 'elsewhere' }), { 'agent-1': [error('AgentNotAvailable')] });
    t.given(A2.notReady('chat'));
    t.step(A1.transfer(I1, 'agent-2'), { 'agent-1': [error('AgentNotAvailable')] });
    // Capacity: agent 3 handles a chat already (capacity 1), so it has no room for another.
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), A3.pull({ queue: 'pool' }));
    t.step(A1.transfer(I1, 'agent-3'), { 'agent-1': [error('AgentNotAvailable')] });
    // Transferring to oneself: already a party.
    t.step(A1.transfer(I1, 'agent-1'), { 'agent-1': [error('InvalidState')] });
  });

  test('9.1.1 one transfer or conference invite at a time: a second gets InvalidState', () => {
    const { t, A1 } = transferring();
    t.step(A1.transfer(I1, 'agent-3'), { 'agent-1': [error('InvalidState')] });
    t.step(A1.conference(I1, 'agent-3'), { 'agent-1': [error('InvalidState')] });
  });

  test('9.1.2 the invite counts towards A2\'s capacity: a route call to A2 for a chat is refused meanwhile', () => {
    const { t, A1, M } = world();
    const R = t.router('R');
    t.given(R.register(), A1.transfer(I1, 'agent-2'), M.submit({ queue: 'routed', mediaType: 'chat' }));
    t.step(R.routeCall(I2, 'agent-2'), { R: [error('AgentNotAvailable')] });
  });

  test('9.1.3 A2 accepts: EventAck; A2 owns it with a fresh handling timer; A1 EventRevoked {Transferred}; Rep EventPartyAdded A2, EventPartyRemoved A1 {operation: Transfer}', () => {
    const { t, A1, A2 } = transferring();
    t.given(t.tick(20));
    t.step(A2.accept(1, I1), {
      'agent-2': ['EventAck'],
      'agent-1': [{ message: 'EventRevoked', interactionId: I1, reason: 'Transferred' }],
      rep: [
        { message: 'EventPartyAdded', interactionId: I1, party: agentParty('agent-2'), operation: 'Transfer' },
        { message: 'EventPartyRemoved', interactionId: I1, party: agentParty('agent-1'), operation: 'Transfer' },
      ],
    });
    expect(t.core.interaction(I1)).toMatchObject({ state: 'handling', assignedTo: 'agent-2', placeId: placeOf('agent-2') });
    // A1 no longer holds it.
    t.step(A1.getProperties(I1), { 'agent-1': [error('Forbidden')] });
    // The timer is fresh: 59 s after the accept nothing fires (A1's would have at 60 s from the pull).
    t.step(t.tick(59), {});
    t.step(t.tick(1), {
      'agent-2': [{ message: 'EventRevoked', interactionId: I1, reason: 'HandlingTimeout' }],
      rep: [{ message: 'EventPartyRemoved', party: agentParty('agent-2'), reason: 'HandlingTimeout' }, { message: 'EventPlacedInQueue', queue: 'pool' }],
    });
  });

  test('9.1.4 A2 rejects: A2 gets EventAck; A1 gets EventTransferFailed {reason: Rejected}; Rep EventRejected; A1 still owns it', () => {
    const { t, A2 } = transferring();
    t.step(A2.reject(1, I1, 'busy'), {
      'agent-2': ['EventAck'],
      'agent-1': [{ message: 'EventTransferFailed', interactionId: I1, ticketId: 1, agentId: 'agent-2', placeId: placeOf('agent-2'), operation: 'Transfer', reason: 'Rejected' }],
      rep: [{ message: 'EventRejected', interactionId: I1, agentId: 'agent-2', ticketId: 1, reason: 'busy', operation: 'Transfer' }],
    });
    expect(t.core.interaction(I1)).toMatchObject({ state: 'handling', assignedTo: 'agent-1', consultation: null });
  });

  test('9.1.4 A2\'s delivering timer fires: A2 EventRevoked {DeliveringTimeout}; A1 EventTransferFailed {reason: DeliveringTimeout}; Rep EventRevoked', () => {
    const { t } = transferring();
    t.step(t.tick(30), {
      'agent-2': [{ message: 'EventRevoked', interactionId: I1, ticketId: 1, reason: 'DeliveringTimeout' }],
      'agent-1': [{ message: 'EventTransferFailed', ticketId: 1, reason: 'DeliveringTimeout' }],
      rep: [
        { message: 'EventRevoked', interactionId: I1, agentId: 'agent-2', ticketId: 1, reason: 'DeliveringTimeout', operation: 'Transfer' },
        // As for a router's invite (delivery.notReadyOnNoAnswer): A2 gets what SPEC 4.1 gives it.
        { message: 'EventNotReadyForMedia', agentId: 'agent-2', mediaType: 'chat', reason: 'NoAnswer' },
      ],
    });
    expect(t.core.interaction(I1)).toMatchObject({ assignedTo: 'agent-1' });
  });

  test('9.1.4 A2 logs out: A2 EventRevoked {AgentLoggedOut}; A1 EventTransferFailed {reason: AgentLoggedOut}; Rep EventRevoked', () => {
    const { t, A2 } = transferring();
    t.step(A2.logout(), {
      'agent-2': ['EventAck', { message: 'EventRevoked', interactionId: I1, ticketId: 1, reason: 'AgentLoggedOut' }],
      'agent-1': [{ message: 'EventTransferFailed', ticketId: 1, reason: 'AgentLoggedOut' }],
      rep: [{ message: 'EventRevoked', agentId: 'agent-2', ticketId: 1, reason: 'AgentLoggedOut' }, { message: 'EventAgentLogout', agentId: 'agent-2' }],
    });
  });

  test('9.1.4 A2\'s last connection closes: the invite ends as at a logout, with reason AgentDisconnected', () => {
    const { t, A2 } = transferring();
    t.step(A2.disconnect(), {
      'agent-1': [{ message: 'EventTransferFailed', ticketId: 1, reason: 'AgentDisconnected' }],
      rep: [{ message: 'EventRevoked', agentId: 'agent-2', ticketId: 1, reason: 'AgentDisconnected' }, { message: 'EventAgentLogout', agentId: 'agent-2', reason: 'AgentDisconnected' }],
    });
  });

  test('9.1.5 A1 cancels: EventAck; A2 EventRevoked {reason: Cancelled}; Rep EventRevoked; a second cancel gets InvalidState', () => {
    const { t, A1, A2 } = transferring();
    t.step(A2.cancelTransfer(I1), { 'agent-2': [error('InvalidState')] });
    t.step(A1.cancelTransfer(I1), {
      'agent-1': ['EventAck'],
      'agent-2': [{ message: 'EventRevoked', interactionId: I1, ticketId: 1, reason: 'Cancelled' }],
      rep: [{ message: 'EventRevoked', agentId: 'agent-2', ticketId: 1, reason: 'Cancelled', operation: 'Transfer' }],
    });
    t.step(A1.cancelTransfer(I1), { 'agent-1': [error('InvalidState')] });
    t.step(A2.accept(1, I1), { 'agent-2': [error('InvalidState')] });
  });

  test('9.1.5 A1 stops the interaction meanwhile: A2 EventRevoked {reason: Stopped}', () => {
    const { t, A1 } = transferring();
    t.step(A1.stop(I1), {
      'agent-1': ['EventAck'],
      'agent-2': [{ message: 'EventRevoked', interactionId: I1, ticketId: 1, reason: 'Stopped' }],
      rep: [
        { message: 'EventRevoked', agentId: 'agent-2', ticketId: 1, reason: 'Stopped' },
        { message: 'EventPartyRemoved', party: agentParty('agent-1'), reason: 'Stopped' },
        { message: 'EventProcessingStopped', interactionId: I1 },
      ],
    });
  });

  test('9.1.5 A1 places it elsewhere meanwhile: A2 EventRevoked {reason: Moved}', () => {
    const { t, A1 } = transferring();
    t.step(A1.placeInQueue(I1, 'other'), {
      'agent-1': ['EventAck'],
      'agent-2': [{ message: 'EventRevoked', interactionId: I1, ticketId: 1, reason: 'Moved' }],
      rep: [
        { message: 'EventRevoked', agentId: 'agent-2', ticketId: 1, reason: 'Moved' },
        { message: 'EventPartyRemoved', party: agentParty('agent-1') },
        { message: 'EventPlacedInQueue', queue: 'other' },
      ],
    });
  });

  test('9.1.5 A1\'s handling timer fires meanwhile: A2 EventRevoked {reason: HandlingTimeout}, and the interaction returns', () => {
    // An email: its invite waits 120 s, longer than the 60 s handling timer.
    const { t, A1, M } = world();
    t.given(A1.stop(I1), M.submit({ queue: 'pool', mediaType: 'email' }), A1.pull({ queue: 'pool' }), A1.transfer(I2, 'agent-2'));
    t.step(t.tick(60), {
      'agent-2': [{ message: 'EventRevoked', interactionId: I2, ticketId: 1, reason: 'HandlingTimeout' }],
      'agent-1': [{ message: 'EventRevoked', interactionId: I2, reason: 'HandlingTimeout' }],
      rep: [
        { message: 'EventRevoked', agentId: 'agent-2', ticketId: 1, reason: 'HandlingTimeout' },
        { message: 'EventPartyRemoved', party: agentParty('agent-1'), reason: 'HandlingTimeout' },
        { message: 'EventPlacedInQueue', interactionId: I2, queue: 'pool' },
      ],
    });
  });

  test('9.1.5 A1 logs out meanwhile: A2 EventRevoked {reason: AgentLoggedOut}, and the interaction returns', () => {
    const { t, A1 } = transferring();
    t.step(A1.logout(), {
      'agent-1': ['EventAck', { message: 'EventRevoked', interactionId: I1, reason: 'AgentLoggedOut' }],
      'agent-2': [{ message: 'EventRevoked', interactionId: I1, ticketId: 1, reason: 'AgentLoggedOut' }],
      rep: [
        { message: 'EventRevoked', agentId: 'agent-2', ticketId: 1, reason: 'AgentLoggedOut' },
        { message: 'EventPartyRemoved', party: agentParty('agent-1'), reason: 'AgentLoggedOut' },
        { message: 'EventPlacedInQueue', queue: 'pool' },
        { message: 'EventAgentLogout', agentId: 'agent-1' },
      ],
    });
  });

  test('9.1.6 transfer to a queue is RequestPlaceInQueue', () => {
    const { t, A1 } = world();
    t.step(A1.placeInQueue(I1, 'other'), {
      'agent-1': ['EventAck'],
      rep: [{ message: 'EventPartyRemoved', party: agentParty('agent-1') }, { message: 'EventPlacedInQueue', queue: 'other' }],
    });
  });

  test('9.1 restart with a transfer invite out: the invite is revoked (ServerRestart), the owner keeps the interaction', () => {
    const { t } = transferring();
    t.step(t.restart(5), {
      rep: [
        { message: 'EventRevoked', interactionId: I1, agentId: 'agent-2', placeId: placeOf('agent-2'), ticketId: 1, reason: 'ServerRestart' },
        { message: 'EventAgentLogout', agentId: 'agent-1', reason: 'ServerRestart' },
        { message: 'EventAgentLogout', agentId: 'agent-2', reason: 'ServerRestart' },
        { message: 'EventAgentLogout', agentId: 'agent-3', reason: 'ServerRestart' },
      ],
    });
    expect(t.core.interaction(I1)).toMatchObject({ state: 'handling', assignedTo: 'agent-1', consultation: null });
    const A1 = t.agent('agent-1');
    t.given(A1.register());
    t.step(A1.login({ chat: 'ready' }), {
      'agent-1': [{ message: 'EventAck', interactions: [{ interactionId: I1, parties: [owner('agent-1')] }] }],
      rep: ['EventAgentLogin'],
    });
    // The ticket stays used: a late accept of it is refused.
    const A2 = t.agent('agent-2');
    t.given(A2.register(), A2.login({ chat: 'ready' }));
    t.step(A2.accept(1, I1), { 'agent-2': [error('InvalidState')] });
  });
});

describe('9.2 Conference', () => {
  test('9.2.1 A2 accepts a conference: A2 joins as participant, A1 stays owner; A1 EventPartyAdded {A2}; Rep EventPartyAdded {operation: Conference}; parties listed', () => {
    const { t, A1, A2 } = world();
    t.step(A1.conference(I1, 'agent-2'), {
      'agent-1': ['EventAck'],
      'agent-2': [{ message: 'EventInvite', ticketId: 1, operation: 'Conference', fromAgentId: 'agent-1' }],
      rep: [{ message: 'EventAgentInvited', agentId: 'agent-2', ticketId: 1, operation: 'Conference' }],
    });
    t.step(A2.accept(1, I1), {
      'agent-2': ['EventAck'],
      'agent-1': [{ message: 'EventPartyAdded', interactionId: I1, party: agentParty('agent-2'), operation: 'Conference' }],
      rep: [{ message: 'EventPartyAdded', interactionId: I1, party: agentParty('agent-2'), operation: 'Conference' }],
    });
    t.step(A2.getProperties(I1), {
      'agent-2': [{ message: 'EventInteractionProperties', interaction: { assignedTo: 'agent-1', parties: [owner('agent-1'), participant('agent-2')] } }],
    });
  });

  test('9.2.1 conference failures are as a transfer\'s: a reject gives A1 EventTransferFailed {operation: Conference, reason: Rejected}', () => {
    const { t, A1, A2 } = world();
    t.given(A1.conference(I1, 'agent-2'));
    t.step(A2.reject(1, I1), {
      'agent-2': ['EventAck'],
      'agent-1': [{ message: 'EventTransferFailed', operation: 'Conference', reason: 'Rejected' }],
      rep: [{ message: 'EventRejected', operation: 'Conference' }],
    });
  });

  test('9.2.2 every party hears of property changes and may read and change them; a participant counts it towards its capacity', () => {
    const { t, A1, A2, M } = conferencing();
    t.step(A2.changeProperties(I1, { note: 'from A2' }), {
      'agent-2': ['EventAck'],
      'agent-1': [{ message: 'EventPropertiesChanged', interactionId: I1, changedProperties: { note: 'from A2' } }],
      rep: ['EventPropertiesChanged'],
    });
    t.step(M.changeProperties(I1, { note: 'from M' }), {
      M: ['EventAck'],
      'agent-1': ['EventPropertiesChanged'],
      'agent-2': ['EventPropertiesChanged'],
      rep: ['EventPropertiesChanged'],
    });
    t.step(A1.changeProperties(I1, { note: 'from A1' }), { 'agent-1': ['EventAck'], 'agent-2': ['EventPropertiesChanged'], rep: ['EventPropertiesChanged'] });
    // Agent 2's one chat place is taken by the conference.
    const R = t.router('R');
    t.given(R.register(), M.submit({ queue: 'routed', mediaType: 'chat' }));
    t.step(R.routeCall(I2, 'agent-2'), { R: [error('AgentNotAvailable')] });
  });

  test('9.2.2 any party\'s request resets the one handling timer; when it fires every party is revoked and the interaction returns', () => {
    const { t, A2 } = conferencing();
    t.given(t.tick(50), A2.changeProperties(I1, { keep: 'alive' }));
    // 60 s after the pull A1's own timer would have fired; A2's request moved it to 110 s.
    t.step(t.tick(59), {});
    t.step(t.tick(1), {
      'agent-1': [{ message: 'EventRevoked', interactionId: I1, reason: 'HandlingTimeout' }],
      'agent-2': [{ message: 'EventRevoked', interactionId: I1, reason: 'HandlingTimeout' }],
      rep: [
        { message: 'EventPartyRemoved', party: agentParty('agent-1'), reason: 'HandlingTimeout' },
        { message: 'EventPartyRemoved', party: agentParty('agent-2'), reason: 'HandlingTimeout' },
        { message: 'EventPlacedInQueue', interactionId: I1, queue: 'pool' },
      ],
    });
    expect(t.core.interaction(I1)).toMatchObject({ state: 'queued', participants: [] });
  });

  test('9.2.3 a participant leaves: EventAck; the others EventPartyRemoved; Rep EventPartyRemoved', () => {
    const { t, A2 } = conferencing();
    t.step(A2.leave(I1, 'done'), {
      'agent-2': ['EventAck'],
      'agent-1': [{ message: 'EventPartyRemoved', interactionId: I1, party: agentParty('agent-2'), reason: 'done', ownerId: 'agent-1' }],
      rep: [{ message: 'EventPartyRemoved', interactionId: I1, party: agentParty('agent-2'), reason: 'done' }],
    });
    t.step(A2.leave(I1), { 'agent-2': [error('InvalidState')] });
  });

  test('9.2.3 the owner leaves: the participant who joined first becomes the owner', () => {
    const { t, A1, A3 } = conferencing();
    t.given(A1.conference(I1, 'agent-3'), A3.accept(2, I1));
    t.step(A1.leave(I1), {
      'agent-1': ['EventAck'],
      'agent-2': [{ message: 'EventPartyRemoved', party: agentParty('agent-1'), ownerId: 'agent-2' }],
      'agent-3': [{ message: 'EventPartyRemoved', party: agentParty('agent-1'), ownerId: 'agent-2' }],
      rep: [{ message: 'EventPartyRemoved', party: agentParty('agent-1'), reason: null }],
    });
    expect(t.core.interaction(I1)).toMatchObject({ assignedTo: 'agent-2', participants: [{ agentId: 'agent-3' }] });
    // The new owner may now move it; the old one may not touch it.
    t.step(A1.changeProperties(I1, { x: 1 }), { 'agent-1': [error('Forbidden')] });
  });

  test('9.2.3 the last party leaves: the interaction returns to the queue it was last taken from', () => {
    const { t, A1, A2 } = conferencing();
    t.given(A2.leave(I1));
    t.step(A1.leave(I1), {
      'agent-1': ['EventAck'],
      rep: [{ message: 'EventPartyRemoved', party: agentParty('agent-1') }, { message: 'EventPlacedInQueue', interactionId: I1, queue: 'pool' }],
    });
    expect(t.core.interaction(I1)).toMatchObject({ state: 'queued', queue: 'pool' });
  });

  test('9.2.4 RequestStopProcessing by any party stops it for all: the others get EventRevoked {reason: Stopped}', () => {
    const { t, A2 } = conferencing();
    t.step(A2.stop(I1), {
      'agent-2': ['EventAck'],
      'agent-1': [{ message: 'EventRevoked', interactionId: I1, reason: 'Stopped' }],
      rep: [
        { message: 'EventPartyRemoved', party: agentParty('agent-1'), reason: 'Stopped' },
        { message: 'EventPartyRemoved', party: agentParty('agent-2'), reason: 'Stopped' },
        { message: 'EventProcessingStopped', interactionId: I1 },
      ],
    });
  });

  test('9.2 only the owner moves or transfers a conference; a move revokes the participants', () => {
    const { t, A1, A2 } = conferencing();
    t.step(A2.placeInQueue(I1, 'other'), { 'agent-2': [error('Forbidden')] });
    t.step(A2.transfer(I1, 'agent-3'), { 'agent-2': [error('InvalidState')] });
    t.step(A1.placeInQueue(I1, 'other'), {
      'agent-1': ['EventAck'],
      'agent-2': [{ message: 'EventRevoked', interactionId: I1, reason: 'Moved' }],
      rep: [{ message: 'EventPartyRemoved', party: agentParty('agent-1') }, { message: 'EventPartyRemoved', party: agentParty('agent-2') }, { message: 'EventPlacedInQueue', queue: 'other' }],
    });
  });

  test('9.2 a participant\'s logout takes it out of the conference; the owner\'s hands it to the first participant', () => {
    const { t, A1, A2 } = conferencing();
    t.step(A1.logout(), {
      'agent-1': ['EventAck', { message: 'EventRevoked', interactionId: I1, reason: 'AgentLoggedOut' }],
      'agent-2': [{ message: 'EventPartyRemoved', party: agentParty('agent-1'), reason: 'AgentLoggedOut', ownerId: 'agent-2' }],
      rep: [{ message: 'EventPartyRemoved', party: agentParty('agent-1'), reason: 'AgentLoggedOut' }, { message: 'EventAgentLogout', agentId: 'agent-1' }],
    });
    expect(t.core.interaction(I1)).toMatchObject({ state: 'handling', assignedTo: 'agent-2', participants: [] });
    void A2;
  });

  test('9.2 a transfer by the owner of a conference keeps the participants, who hear of the new owner', () => {
    const { t, A1, A3 } = conferencing();
    t.given(A1.transfer(I1, 'agent-3'));
    t.step(A3.accept(2, I1), {
      'agent-3': ['EventAck'],
      'agent-1': [{ message: 'EventRevoked', reason: 'Transferred' }],
      'agent-2': [{ message: 'EventPartyAdded', party: agentParty('agent-3'), operation: 'Transfer' }, { message: 'EventPartyRemoved', party: agentParty('agent-1'), ownerId: 'agent-3' }],
      rep: ['EventPartyAdded', 'EventPartyRemoved'],
    });
    expect(t.core.interaction(I1)).toMatchObject({ assignedTo: 'agent-3', participants: [{ agentId: 'agent-2' }] });
  });

  test('9.2 restart with a conference in progress: every party is still a party, and finds it at its next login', () => {
    const { t } = conferencing();
    t.given(t.restart(5));
    expect(t.core.interaction(I1)).toMatchObject({ state: 'handling', assignedTo: 'agent-1', participants: [{ agentId: 'agent-2', placeId: placeOf('agent-2') }] });
    const A2 = t.agent('agent-2');
    t.given(A2.register());
    t.step(A2.login({ chat: 'ready' }), {
      'agent-2': [{ message: 'EventAck', interactions: [{ interactionId: I1, parties: [owner('agent-1'), participant('agent-2')] }] }],
      rep: [{ message: 'EventAgentLogin', handling: { chat: 1 } }],
    });
    t.step(A2.changeProperties(I1, { after: 'restart' }), { 'agent-2': ['EventAck'], rep: ['EventPropertiesChanged'] });
  });
});

describe('9.1 with 9.4 wrap-up', () => {
  test('9.1.3 with wrap-up: the old owner of a transferred interaction is not ready (AfterCallWork) for the media type\'s wrapUp', () => {
    const t = new CoreHarness({ ...layout, mediaTypes: { ...layout.mediaTypes, chat: { wrapUp: 10 } } });
    const M = t.media('M');
    const [A1, A2] = ['agent-1', 'agent-2'].map((agentId) => t.agent(agentId)) as [AgentHandle, AgentHandle];
    t.given(M.register(), M.submit({ queue: 'pool', mediaType: 'chat' }));
    for (const agent of [A1, A2]) t.given(agent.register(), agent.login({ chat: 'ready' }));
    t.given(A1.pull({ queue: 'pool' }), A1.transfer(I1, 'agent-2'));
    t.step(A2.accept(1, I1), {
      'agent-2': ['EventAck'],
      'agent-1': [{ message: 'EventRevoked', reason: 'Transferred' }],
      rep: ['EventPartyAdded', 'EventPartyRemoved', { message: 'EventNotReadyForMedia', agentId: 'agent-1', mediaType: 'chat', reason: 'AfterCallWork' }],
    });
    t.step(t.tick(10), { rep: [{ message: 'EventReadyForMedia', agentId: 'agent-1', mediaType: 'chat' }] });
  });
});
