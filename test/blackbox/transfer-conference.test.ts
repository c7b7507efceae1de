// SPEC 9.1 (transfer) and 9.2 (conference) over real WebSockets, on the store of the vitest
// project (SQLite or PostgreSQL): each test is named after the SPEC step it shows, and waits for
// events, never for time.

import { afterEach, describe, expect, test } from 'vitest';
import type { TestClient } from '../support/client.js';
import { expectAck, expectError, named, Stage, withTimeouts } from '../support/lifecycle-stage.js';

let stage: Stage | undefined;

afterEach(async () => {
  await stage?.dispose();
  stage = undefined;
});

const agentParty = (agentId: string) => ({ type: 'Agent', agentId, placeId: `place-${agentId}` });

/** Agents 1 and 2 logged in ready for email; agent 1 has pulled an email from the backlog. */
async function handled(config = withTimeouts({})): Promise<{ s: Stage; a1: TestClient; a2: TestClient; id: string }> {
  const s = (stage = await Stage.open(config));
  const a1 = await s.agent('agent-1');
  const a2 = await s.agent('agent-2');
  const id = await s.submit();
  await s.pull(a1, { queue: 'backlog', interactionIds: [id] });
  return { s, a1, a2, id };
}

describe('9.1 Transfer over WebSocket', () => {
  test('9.1.1–3 A1 transfers, A2 accepts: A2 owns it, A1 gets EventRevoked {Transferred}, Rep the party moves with operation Transfer', async () => {
    const { s, a1, a2, id } = await handled();
    await expectAck(a1, { message: 'RequestTransfer', interactionId: id, agentId: 'agent-2', reason: 'billing' });
    const invite = await a2.next(named('EventInvite', id));
    expect(invite).toMatchObject({ operation: 'Transfer', fromAgentId: 'agent-1', reason: 'billing', interaction: { interactionId: id, assignedTo: 'agent-1', parties: [{ agentId: 'agent-1', role: 'owner' }] } });
    await expectAck(a2, { message: 'RequestAccept', ticketId: invite.ticketId, interactionId: id });
    expect(await a1.next(named('EventRevoked', id))).toMatchObject({ reason: 'Transferred' });
    await s.expectReports(id, [
      { message: 'EventInteractionSubmitted' }, { message: 'EventPlacedInQueue' }, { message: 'EventTakenFromQueue' }, { message: 'EventPartyAdded', party: agentParty('agent-1') },
      { message: 'EventAgentInvited', agentId: 'agent-2', ticketId: invite.ticketId, operation: 'Transfer', fromAgentId: 'agent-1' },
      { message: 'EventPartyAdded', party: agentParty('agent-2'), operation: 'Transfer' },
      { message: 'EventPartyRemoved', party: agentParty('agent-1'), operation: 'Transfer' },
    ]);
    expect(await s.properties(id)).toMatchObject({ state: 'handling', assignedTo: 'agent-2', parties: [{ agentId: 'agent-2', role: 'owner' }] });
    await expectError(a1, { message: 'RequestStopProcessing', interactionId: id }, 'Forbidden');
  });

  test('9.1.1 the target must be available (AgentNotAvailable) and only the owner may transfer (InvalidState)', async () => {
    const { s, a1, a2, id } = await handled();
    await expectError(a1, { message: 'RequestTransfer', interactionId: id, agentId: 'agent-9' }, 'AgentNotAvailable');
    await expectError(a2, { message: 'RequestTransfer', interactionId: id, agentId: 'agent-1' }, 'InvalidState');
    // Capacity 1 for email: agent 2 with an email of its own has no room.
    const second = await s.submit();
    await s.pull(a2, { queue: 'backlog', interactionIds: [second] });
    await expectError(a1, { message: 'RequestTransfer', interactionId: id, agentId: 'agent-2' }, 'AgentNotAvailable');
  });

  test('9.1.4 A2 rejects: A1 gets EventTransferFailed {reason: Rejected} and still owns it', async () => {
    const { s, a1, a2, id } = await handled();
    await expectAck(a1, { message: 'RequestTransfer', interactionId: id, agentId: 'agent-2' });
    const invite = await a2.next(named('EventInvite', id));
    await expectAck(a2, { message: 'RequestReject', ticketId: invite.ticketId, interactionId: id, reason: 'busy' });
    expect(await a1.next(named('EventTransferFailed', id))).toMatchObject({ ticketId: invite.ticketId, agentId: 'agent-2', operation: 'Transfer', reason: 'Rejected' });
    expect(await s.properties(id)).toMatchObject({ assignedTo: 'agent-1' });
  });

  test('9.1.4 A2\'s delivering timer fires: A2 EventRevoked {DeliveringTimeout}, A1 EventTransferFailed {reason: DeliveringTimeout}', async () => {
    const { a1, a2, id } = await handled(withTimeouts({ deliveringTimeout: 0.3 }));
    await expectAck(a1, { message: 'RequestTransfer', interactionId: id, agentId: 'agent-2' });
    const invite = await a2.next(named('EventInvite', id));
    expect(await a2.next(named('EventRevoked', id))).toMatchObject({ ticketId: invite.ticketId, reason: 'DeliveringTimeout' });
    expect(await a1.next(named('EventTransferFailed', id))).toMatchObject({ reason: 'DeliveringTimeout' });
  });

  test('9.1.4 A2 logs out: A1 EventTransferFailed {reason: AgentLoggedOut}', async () => {
    const { a1, a2, id } = await handled();
    await expectAck(a1, { message: 'RequestTransfer', interactionId: id, agentId: 'agent-2' });
    await a2.next(named('EventInvite', id));
    await expectAck(a2, { message: 'RequestAgentLogout' });
    expect(await a1.next(named('EventTransferFailed', id))).toMatchObject({ reason: 'AgentLoggedOut' });
  });

  test('9.1.5 A1 cancels: A2 EventRevoked {reason: Cancelled}; a stop while an invite is out revokes it with Stopped', async () => {
    const { s, a1, a2, id } = await handled();
    await expectAck(a1, { message: 'RequestTransfer', interactionId: id, agentId: 'agent-2' });
    await a2.next(named('EventInvite', id));
    await expectAck(a1, { message: 'RequestCancelTransfer', interactionId: id });
    expect(await a2.next(named('EventRevoked', id))).toMatchObject({ reason: 'Cancelled' });
    await expectError(a1, { message: 'RequestCancelTransfer', interactionId: id }, 'InvalidState');
    await expectAck(a1, { message: 'RequestTransfer', interactionId: id, agentId: 'agent-2' });
    await a2.next(named('EventInvite', id));
    await expectAck(a1, { message: 'RequestStopProcessing', interactionId: id });
    expect(await a2.next(named('EventRevoked', id))).toMatchObject({ reason: 'Stopped' });
    expect(await s.reportedNames(id)).toContain('EventProcessingStopped');
  });
});

describe('9.2 Conference over WebSocket', () => {
  test('9.2.1–3 A2 joins, both hear property changes, the owner leaves and A2 owns it; the last leave returns it to its queue', async () => {
    const { s, a1, a2, id } = await handled();
    await expectAck(a1, { message: 'RequestConference', interactionId: id, agentId: 'agent-2' });
    const invite = await a2.next(named('EventInvite', id));
    expect(invite).toMatchObject({ operation: 'Conference', fromAgentId: 'agent-1' });
    await expectAck(a2, { message: 'RequestAccept', ticketId: invite.ticketId, interactionId: id });
    expect(await a1.next(named('EventPartyAdded', id))).toMatchObject({ party: agentParty('agent-2'), operation: 'Conference' });
    expect(await s.properties(id)).toMatchObject({ assignedTo: 'agent-1', parties: [{ agentId: 'agent-1', role: 'owner' }, { agentId: 'agent-2', role: 'participant' }] });

    await expectAck(a2, { message: 'RequestChangeProperties', interactionId: id, changedProperties: { note: 'by agent 2' } });
    expect(await a1.next(named('EventPropertiesChanged', id))).toMatchObject({ changedProperties: { note: 'by agent 2' } });

    await expectAck(a1, { message: 'RequestLeaveInteraction', interactionId: id, reason: 'handed over' });
    expect(await a2.next(named('EventPartyRemoved', id))).toMatchObject({ party: agentParty('agent-1'), reason: 'handed over', ownerId: 'agent-2' });
    expect(await s.properties(id)).toMatchObject({ state: 'handling', assignedTo: 'agent-2', parties: [{ agentId: 'agent-2', role: 'owner' }] });

    await expectAck(a2, { message: 'RequestLeaveInteraction', interactionId: id });
    expect(await s.properties(id)).toMatchObject({ state: 'queued', queue: 'backlog', assignedTo: null, parties: [] });
  });

  test('9.2.4 a participant\'s stop stops it for all: the owner gets EventRevoked {reason: Stopped}', async () => {
    const { s, a1, a2, id } = await handled();
    await expectAck(a1, { message: 'RequestConference', interactionId: id, agentId: 'agent-2' });
    const invite = await a2.next(named('EventInvite', id));
    await expectAck(a2, { message: 'RequestAccept', ticketId: invite.ticketId, interactionId: id });
    await expectAck(a2, { message: 'RequestStopProcessing', interactionId: id });
    expect(await a1.next(named('EventRevoked', id))).toMatchObject({ reason: 'Stopped' });
    const names = await s.reportedNames(id);
    expect(names.slice(-3)).toEqual(['EventPartyRemoved', 'EventPartyRemoved', 'EventProcessingStopped']);
  });
});

describe('9.1–9.2 across a restart', () => {
  test('a transfer invite out is revoked and the owner keeps it; a conference in progress keeps every party', async () => {
    const s = (stage = await Stage.open(withTimeouts({})));
    const a1 = await s.agent('agent-1', 'place-agent-1', { email: 'ready', chat: 'ready' });
    const a2 = await s.agent('agent-2', 'place-agent-2', { email: 'ready', chat: 'ready' });
    const conference = await s.submit({ mediaType: 'chat' });
    const transfer = await s.submit();
    await s.pull(a1, { queue: 'backlog', interactionIds: [conference, transfer] });
    await expectAck(a1, { message: 'RequestConference', interactionId: conference, agentId: 'agent-2' });
    const joined = await a2.next(named('EventInvite', conference));
    await expectAck(a2, { message: 'RequestAccept', ticketId: joined.ticketId, interactionId: conference });
    await expectAck(a1, { message: 'RequestTransfer', interactionId: transfer, agentId: 'agent-2' });
    const out = await a2.next(named('EventInvite', transfer));

    await s.restart();
    const history = await s.reporter(1);
    const revoked = await history.next((message) => message.message === 'EventRevoked' && message.interactionId === transfer && message.reason === 'ServerRestart');
    expect(revoked).toMatchObject({ agentId: 'agent-2', ticketId: out.ticketId });

    const desk2 = await s.desktop('desktop-agent-2-again');
    const login = await desk2.request({ message: 'RequestAgentLogin', agentId: 'agent-2', placeId: 'place-agent-2', media: { email: 'ready', chat: 'ready' } });
    expect(login).toMatchObject({ message: 'EventAck', interactions: [{ interactionId: conference, assignedTo: 'agent-1', parties: [{ agentId: 'agent-1', role: 'owner' }, { agentId: 'agent-2', role: 'participant' }] }] });
    await expectError(desk2, { message: 'RequestAccept', ticketId: out.ticketId, interactionId: transfer }, 'InvalidState');
    expect(await s.properties(transfer)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
    await expectAck(desk2, { message: 'RequestChangeProperties', interactionId: conference, changedProperties: { after: 'restart' } });
  });
});
