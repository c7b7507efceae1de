// SPEC 4.1, "Deliver interaction to agent", step by step over real WebSockets: a media server
// submits, a router is offered the interaction and invites an agent, the agent accepts, rejects or
// lets the delivering timer fire, and every party hears exactly what the SPEC lists, in order.

import { afterEach, describe, expect, it } from 'vitest';
import type { TestClient } from '../support/client.js';
import {
  about,
  answersTo,
  interactionOf,
  invite,
  named,
  namesOf,
  Scene,
  sceneConfig,
  sendRouteCall,
  withDeliveringTimeout,
  type WireInteraction,
} from '../support/deliver-scene.js';

let scene: Scene;

afterEach(async () => {
  await scene?.dispose();
});

/** A stage with one router holding a fresh interaction and one ready agent. */
async function routedToOneAgent(config = sceneConfig, mediaType = 'email') {
  scene = await Scene.open(config);
  const router = await scene.router('router-1');
  const agent = await scene.agent('agent-1', 'place-1', { [mediaType]: 'ready' });
  const interactionId = await scene.submit({ mediaType });
  await router.next(named('EventRouteRequest', interactionId));
  // Consumed here so that a test waiting for a later EventPartyAdded gets that one.
  await scene.reported('EventPartyAdded', interactionId);
  return { router, agent, interactionId };
}

async function expectNothingMoreAbout(client: TestClient, interactionId: string, seen: string[]): Promise<void> {
  await client.settle();
  expect(namesOf(about(client, interactionId))).toEqual(seen);
}

describe('SPEC 4.1 before: the interaction is offered to a router', () => {
  it('reports the submit and the Strategy party, and hands the router an EventRouteRequest for an interaction in routing', async () => {
    scene = await Scene.open();
    const router = await scene.router('router-1');
    const interactionId = await scene.submit({ priority: 3, userData: { subject: 'refund' } });
    expect(interactionId).toMatch(/^[0-9a-z]{16}$/);

    const submitted = await scene.reported('EventInteractionSubmitted', interactionId);
    const placed = await scene.reported('EventPlacedInQueue', interactionId);
    const partyAdded = await scene.reported('EventPartyAdded', interactionId);
    expect(interactionOf(submitted)).toMatchObject({ interactionId, mediaType: 'email', queue: 'q', priority: 3, userData: { subject: 'refund' } });
    expect(placed).toMatchObject({ queue: 'q', workbin: null });
    expect(partyAdded.party).toEqual({ type: 'Strategy', name: 'router-1' });
    // Gap-free seq: nothing else happened between these three events.
    expect([placed.seq, partyAdded.seq]).toEqual([(submitted.seq as number) + 1, (submitted.seq as number) + 2]);
    expect(await scene.reportedNames(interactionId)).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue', 'EventPartyAdded']);

    const request = await router.next(named('EventRouteRequest', interactionId));
    expect(request.referenceId).toBeUndefined();
    expect(interactionOf(request)).toMatchObject({ interactionId, state: 'routing', queue: 'q', workbin: null, mediaType: 'email', priority: 3, assignedTo: null });
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'routing', queue: 'q' });
  });

  it('with no router connected the interaction waits queued, and is offered when a router registers', async () => {
    scene = await Scene.open();
    const interactionId = await scene.submit();
    expect(await scene.reportedNames(interactionId)).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue']);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'queued', queue: 'q', assignedTo: null });

    const router = await scene.router('late-router');
    const request = await router.next(named('EventRouteRequest', interactionId));
    expect(interactionOf(request)).toMatchObject({ interactionId, state: 'routing', queue: 'q' });
    expect((await scene.reported('EventPartyAdded', interactionId)).party).toEqual({ type: 'Strategy', name: 'late-router' });
    expect(await scene.reportedNames(interactionId)).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue', 'EventPartyAdded']);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'routing' });
  });
});

describe('SPEC 4.1 step 1: RequestRouteCall', () => {
  it('invites the agent: reporting EventAgentInvited, agent EventInvite with the ticket, and no EventAck to the router', async () => {
    const { router, agent, interactionId } = await routedToOneAgent();
    const referenceId = sendRouteCall(router, interactionId, 'agent-1');

    const invited = await scene.reported('EventAgentInvited', interactionId);
    expect(invited).toMatchObject({ interactionId, agentId: 'agent-1', placeId: 'place-1' });
    expect(Number.isInteger(invited.ticketId)).toBe(true);
    const event = await agent.next('EventInvite');
    expect(event.ticketId).toBe(invited.ticketId);
    expect(event.referenceId).toBeUndefined();
    expect(interactionOf(event)).toMatchObject({ interactionId, state: 'invited', queue: 'q', assignedTo: null });

    // A successful route call is answered only by the EventRouteUsed that ends the invite.
    await router.settle();
    expect(answersTo(router, referenceId)).toEqual([]);
    await expectNothingMoreAbout(agent, interactionId, ['EventInvite']);
    expect(await scene.reportedNames(interactionId)).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue', 'EventPartyAdded', 'EventAgentInvited']);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'invited', queue: 'q', assignedTo: null });
  });

  const unavailable: { name: string; prepare: (agent: TestClient, router: TestClient) => Promise<{ agentId: string; placeId?: string }> }[] = [
    { name: 'an agent that is not logged in', prepare: async () => ({ agentId: 'agent-nobody' }) },
    {
      name: 'an agent not ready for the media (not named at login)',
      prepare: async () => {
        await scene.agent('agent-chat', 'place-9', { chat: 'ready' });
        return { agentId: 'agent-chat' };
      },
    },
    {
      name: 'an agent not ready for the media (RequestNotReadyForMedia)',
      prepare: async () => {
        const other = await scene.agent('agent-busy', 'place-9', { email: 'ready' });
        expect((await other.request({ message: 'RequestNotReadyForMedia', mediaType: 'email', reason: 'lunch' })).message).toBe('EventAck');
        return { agentId: 'agent-busy' };
      },
    },
    {
      name: 'an agent at its capacity for the media (email capacity 1 from mediaTypes)',
      prepare: async (_agent, router) => {
        const other = await scene.agent('agent-full', 'place-9', { email: 'ready' });
        const first = await scene.submit();
        await router.next(named('EventRouteRequest', first));
        await invite(router, other, first, 'agent-full');
        return { agentId: 'agent-full' };
      },
    },
    { name: 'an agent logged in at another place', prepare: async () => ({ agentId: 'agent-1', placeId: 'place-elsewhere' }) },
  ];

  it.each(unavailable)('refuses $name with AgentNotAvailable; the interaction stays routing', async ({ prepare }) => {
    const { router, agent, interactionId } = await routedToOneAgent();
    const target = await prepare(agent, router);
    const before = await scene.reportedNames(interactionId);

    const referenceId = sendRouteCall(router, interactionId, target.agentId, target.placeId);
    const error = await router.next((message) => message.referenceId === referenceId);
    expect(error).toMatchObject({ message: 'EventError', referenceId, errorCode: 'AgentNotAvailable' });
    expect(error.errorDescription).toEqual(expect.any(String));

    expect(await scene.reportedNames(interactionId)).toEqual(before);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'routing', queue: 'q' });
    // It is still this router's: a route call to an available agent goes through.
    const { ticketId } = await invite(router, agent, interactionId, 'agent-1');
    expect((await scene.reported('EventAgentInvited', interactionId)).ticketId).toBe(ticketId);
  });
});

describe('SPEC 4.1 step 2: the agent accepts', () => {
  it('acks the agent, reports TakenFromQueue, PartyRemoved Strategy, PartyAdded Agent, and answers the route call with EventRouteUsed Accepted', async () => {
    const { router, agent, interactionId } = await routedToOneAgent();
    const { ticketId, referenceId } = await invite(router, agent, interactionId, 'agent-1');
    const invited = await scene.reported('EventAgentInvited', interactionId);

    const answer = await agent.request({ message: 'RequestAccept', ticketId, interactionId });
    expect(answer.message).toBe('EventAck');

    const taken = await scene.reported('EventTakenFromQueue', interactionId);
    const partyRemoved = await scene.reported('EventPartyRemoved', interactionId);
    const partyAdded = await scene.reported('EventPartyAdded', interactionId);
    expect(taken).toMatchObject({ queue: 'q' });
    expect(partyRemoved.party).toEqual({ type: 'Strategy', name: 'router-1' });
    expect(partyAdded.party).toEqual({ type: 'Agent', agentId: 'agent-1', placeId: 'place-1' });
    expect([taken.seq, partyRemoved.seq, partyAdded.seq]).toEqual([1, 2, 3].map((step) => (invited.seq as number) + step));
    expect(await scene.reportedNames(interactionId)).toEqual([
      'EventInteractionSubmitted', 'EventPlacedInQueue', 'EventPartyAdded', 'EventAgentInvited',
      'EventTakenFromQueue', 'EventPartyRemoved', 'EventPartyAdded',
    ]);

    const used = await router.next('EventRouteUsed');
    expect(used).toMatchObject({ referenceId, interactionId, result: 'Accepted', agentId: 'agent-1' });
    await expectNothingMoreAbout(router, interactionId, ['EventRouteRequest', 'EventRouteUsed']);
    // The agent hears only its EventAck.
    await expectNothingMoreAbout(agent, interactionId, ['EventInvite']);
    expect(agent.takeUnread().filter((message) => message.message !== 'EventError')).toEqual([]);

    const owned = await agent.request({ message: 'RequestGetInteractionProperties', interactionId });
    expect(interactionOf(owned)).toMatchObject({ interactionId, state: 'handling', assignedTo: 'agent-1', queue: null, workbin: null });
  });
});

describe('SPEC 4.1 step 3: the agent rejects', () => {
  it('acks the agent, reports EventRejected with the reason, answers EventRouteUsed Rejected, and leaves the interaction routing with the same router', async () => {
    const { router, agent, interactionId } = await routedToOneAgent();
    const other = await scene.agent('agent-2', 'place-2');
    const { ticketId, referenceId } = await invite(router, agent, interactionId, 'agent-1');
    await scene.reported('EventAgentInvited', interactionId);

    const answer = await agent.request({ message: 'RequestReject', ticketId, interactionId, reason: 'wrong language' });
    expect(answer.message).toBe('EventAck');
    const rejected = await scene.reported('EventRejected', interactionId);
    expect(rejected).toMatchObject({ interactionId, agentId: 'agent-1', placeId: 'place-1', reason: 'wrong language' });
    const used = await router.next('EventRouteUsed');
    expect(used).toMatchObject({ referenceId, interactionId, result: 'Rejected' });

    // The router keeps it: no party change, no new offer.
    expect(await scene.reportedNames(interactionId)).toEqual([
      'EventInteractionSubmitted', 'EventPlacedInQueue', 'EventPartyAdded', 'EventAgentInvited', 'EventRejected',
    ]);
    await expectNothingMoreAbout(router, interactionId, ['EventRouteRequest', 'EventRouteUsed']);
    await expectNothingMoreAbout(agent, interactionId, ['EventInvite']);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'routing', queue: 'q', assignedTo: null });

    const second = await invite(router, other, interactionId, 'agent-2');
    expect(second.ticketId).not.toBe(ticketId);
    expect(await scene.reported('EventAgentInvited', interactionId)).toMatchObject({ agentId: 'agent-2', ticketId: second.ticketId });
  });
});

describe('SPEC 4.1 step 4: the agent fails to respond in time', () => {
  it('revokes the invite with DeliveringTimeout to agent, router and reporting, and offers the interaction again without EventPlacedInQueue', async () => {
    const { router, agent, interactionId } = await routedToOneAgent(withDeliveringTimeout(0.3));
    // Taken before the route call is sent, so the timer cannot have started earlier.
    const sentAt = Date.now();
    const { ticketId, referenceId } = await invite(router, agent, interactionId, 'agent-1');

    const revoked = await agent.next('EventRevoked');
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(290);
    expect(revoked).toMatchObject({ interactionId, ticketId, reason: 'DeliveringTimeout' });

    const used = await router.next('EventRouteUsed');
    expect(used).toMatchObject({ referenceId, interactionId, result: 'Revoked', reason: 'DeliveringTimeout' });
    const offeredAgain = await router.next(named('EventRouteRequest', interactionId));
    expect(interactionOf(offeredAgain)).toMatchObject({ interactionId, state: 'routing', queue: 'q' });
    expect(namesOf(about(router, interactionId))).toEqual(['EventRouteRequest', 'EventRouteUsed', 'EventRouteRequest']);

    const reportedRevoke = await scene.reported('EventRevoked', interactionId);
    expect(reportedRevoke).toMatchObject({ agentId: 'agent-1', placeId: 'place-1', ticketId, reason: 'DeliveringTimeout' });
    expect((await scene.reported('EventPartyRemoved', interactionId)).party).toEqual({ type: 'Strategy', name: 'router-1' });
    expect((await scene.reported('EventPartyAdded', interactionId)).party).toEqual({ type: 'Strategy', name: 'router-1' });
    expect(await scene.reportedNames(interactionId)).toEqual([
      'EventInteractionSubmitted', 'EventPlacedInQueue', 'EventPartyAdded', 'EventAgentInvited',
      'EventRevoked', 'EventPartyRemoved', 'EventPartyAdded',
    ]);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'routing', queue: 'q' });
    await expectNothingMoreAbout(agent, interactionId, ['EventInvite', 'EventRevoked']);
  });

  it('keeps its place in the queue order: a pull after the timeout takes the first submitted interaction', async () => {
    const { router, agent, interactionId: first } = await routedToOneAgent(withDeliveringTimeout(0.3));
    const second = await scene.submit();
    await router.next(named('EventRouteRequest', second));
    const original = await scene.properties(first);

    await invite(router, agent, first, 'agent-1');
    await agent.next(named('EventRevoked', first));
    await router.next(named('EventRouteRequest', first));

    const puller = await scene.agent('agent-2', 'place-2');
    const pulled = await puller.request({ message: 'RequestPull', queue: 'q', count: 1 });
    expect(pulled.message).toBe('EventPulledInteractions');
    const interactions = pulled.interactions as WireInteraction[];
    expect(interactions.map((interaction) => interaction.interactionId)).toEqual([first]);
    expect(interactions[0]).toMatchObject({ state: 'handling', assignedTo: 'agent-2' });
    expect(interactions[0]!.placedInQueueAt).toBe(original.placedInQueueAt);
    expect(await router.next(named('EventRevoked', first))).toMatchObject({ reason: 'Pulled' });
    expect(await scene.properties(second)).toMatchObject({ state: 'routing', queue: 'q' });
  });
});

describe('SPEC 4.1 tickets', () => {
  it('a ticket the server never issued gets UnknownTicket and changes nothing', async () => {
    const { router, agent, interactionId } = await routedToOneAgent();
    const { ticketId, referenceId } = await invite(router, agent, interactionId, 'agent-1');
    const before = await scene.reportedNames(interactionId);

    for (const message of ['RequestAccept', 'RequestReject']) {
      const answer = await agent.request({ message, ticketId: ticketId + 1000, interactionId });
      expect(answer).toMatchObject({ message: 'EventError', errorCode: 'UnknownTicket' });
    }

    expect(await scene.reportedNames(interactionId)).toEqual(before);
    await router.settle();
    expect(answersTo(router, referenceId)).toEqual([]);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'invited' });
    expect((await agent.request({ message: 'RequestAccept', ticketId, interactionId })).message).toBe('EventAck');
  });

  it('an answered ticket gets InvalidState and changes nothing', async () => {
    const { router, agent, interactionId } = await routedToOneAgent();
    const { ticketId } = await invite(router, agent, interactionId, 'agent-1');
    expect((await agent.request({ message: 'RequestAccept', ticketId, interactionId })).message).toBe('EventAck');
    await router.next('EventRouteUsed');
    const before = await scene.reportedNames(interactionId);

    for (const message of ['RequestAccept', 'RequestReject']) {
      const answer = await agent.request({ message, ticketId, interactionId });
      expect(answer).toMatchObject({ message: 'EventError', errorCode: 'InvalidState' });
    }

    expect(await scene.reportedNames(interactionId)).toEqual(before);
    await expectNothingMoreAbout(router, interactionId, ['EventRouteRequest', 'EventRouteUsed']);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
  });

  it('a rejected ticket gets InvalidState and changes nothing', async () => {
    const { router, agent, interactionId } = await routedToOneAgent();
    const { ticketId } = await invite(router, agent, interactionId, 'agent-1');
    expect((await agent.request({ message: 'RequestReject', ticketId, interactionId })).message).toBe('EventAck');
    await router.next('EventRouteUsed');
    const before = await scene.reportedNames(interactionId);

    const answer = await agent.request({ message: 'RequestAccept', ticketId, interactionId });
    expect(answer).toMatchObject({ message: 'EventError', errorCode: 'InvalidState' });

    expect(await scene.reportedNames(interactionId)).toEqual(before);
    await expectNothingMoreAbout(router, interactionId, ['EventRouteRequest', 'EventRouteUsed']);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'routing', assignedTo: null });
  });

  it('a revoked (timed-out) ticket gets InvalidState and changes nothing', async () => {
    const { router, agent, interactionId } = await routedToOneAgent(withDeliveringTimeout(0.3));
    const { ticketId } = await invite(router, agent, interactionId, 'agent-1');
    await agent.next(named('EventRevoked', interactionId));
    await router.next(named('EventRouteRequest', interactionId));
    const before = await scene.reportedNames(interactionId);

    const answer = await agent.request({ message: 'RequestAccept', ticketId, interactionId });
    expect(answer).toMatchObject({ message: 'EventError', errorCode: 'InvalidState' });

    expect(await scene.reportedNames(interactionId)).toEqual(before);
    await expectNothingMoreAbout(router, interactionId, ['EventRouteRequest', 'EventRouteUsed', 'EventRouteRequest']);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'routing', assignedTo: null });
  });

  it("another agent's ticket gets Forbidden and changes nothing", async () => {
    const { router, agent, interactionId } = await routedToOneAgent();
    const intruder = await scene.agent('agent-2', 'place-2');
    const { ticketId, referenceId } = await invite(router, agent, interactionId, 'agent-1');
    const before = await scene.reportedNames(interactionId);

    for (const message of ['RequestAccept', 'RequestReject']) {
      const answer = await intruder.request({ message, ticketId, interactionId });
      expect(answer).toMatchObject({ message: 'EventError', errorCode: 'Forbidden' });
    }

    expect(await scene.reportedNames(interactionId)).toEqual(before);
    await router.settle();
    expect(answersTo(router, referenceId)).toEqual([]);
    await expectNothingMoreAbout(agent, interactionId, ['EventInvite']);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'invited' });
    expect((await agent.request({ message: 'RequestAccept', ticketId, interactionId })).message).toBe('EventAck');
    expect(await router.next('EventRouteUsed')).toMatchObject({ referenceId, result: 'Accepted', agentId: 'agent-1' });
  });
});

describe('SPEC 4.1 invites revoked when the agent goes away', () => {
  it("revokes the invite with AgentDisconnected when the agent's last connection closes, and offers the interaction again", async () => {
    const { router, agent, interactionId } = await routedToOneAgent();
    const secondDesktop = await scene.agent('agent-1', 'place-1');
    const { ticketId, referenceId } = await invite(router, agent, interactionId, 'agent-1');
    expect((await secondDesktop.next('EventInvite')).ticketId).toBe(ticketId);

    // One connection of two closing is not the agent going away.
    await agent.close();
    await router.settle();
    expect(answersTo(router, referenceId)).toEqual([]);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'invited' });

    await secondDesktop.close();
    const used = await router.next('EventRouteUsed');
    expect(used).toMatchObject({ referenceId, interactionId, result: 'Revoked', reason: 'AgentDisconnected' });
    await router.next(named('EventRouteRequest', interactionId));
    expect(await scene.reported('EventRevoked', interactionId)).toMatchObject({ agentId: 'agent-1', ticketId, reason: 'AgentDisconnected' });
    expect((await scene.reported('EventPartyRemoved', interactionId)).party).toEqual({ type: 'Strategy', name: 'router-1' });
    expect((await scene.reported('EventPartyAdded', interactionId)).party).toEqual({ type: 'Strategy', name: 'router-1' });
    expect(await scene.reporting.next('EventAgentLogout')).toMatchObject({ agentId: 'agent-1', placeId: 'place-1', reason: 'AgentDisconnected' });
    expect(await scene.reportedNames(interactionId)).toEqual([
      'EventInteractionSubmitted', 'EventPlacedInQueue', 'EventPartyAdded', 'EventAgentInvited',
      'EventRevoked', 'EventPartyRemoved', 'EventPartyAdded',
    ]);

    const other = await scene.agent('agent-2', 'place-2');
    await invite(router, other, interactionId, 'agent-2');
  });

  it('revokes the invite with AgentLoggedOut when the agent logs out, and offers the interaction again', async () => {
    const { router, agent, interactionId } = await routedToOneAgent();
    const { ticketId, referenceId } = await invite(router, agent, interactionId, 'agent-1');

    expect((await agent.request({ message: 'RequestAgentLogout' })).message).toBe('EventAck');
    expect(await agent.next('EventRevoked')).toMatchObject({ interactionId, ticketId, reason: 'AgentLoggedOut' });
    const used = await router.next('EventRouteUsed');
    expect(used).toMatchObject({ referenceId, interactionId, result: 'Revoked', reason: 'AgentLoggedOut' });
    await router.next(named('EventRouteRequest', interactionId));
    expect(await scene.reported('EventRevoked', interactionId)).toMatchObject({ agentId: 'agent-1', ticketId, reason: 'AgentLoggedOut' });
    expect((await scene.reported('EventPartyRemoved', interactionId)).party).toEqual({ type: 'Strategy', name: 'router-1' });
    expect((await scene.reported('EventPartyAdded', interactionId)).party).toEqual({ type: 'Strategy', name: 'router-1' });
    expect(await scene.reporting.next('EventAgentLogout')).toMatchObject({ agentId: 'agent-1', reason: 'AgentLoggedOut' });
    expect(await scene.reportedNames(interactionId)).toEqual([
      'EventInteractionSubmitted', 'EventPlacedInQueue', 'EventPartyAdded', 'EventAgentInvited',
      'EventRevoked', 'EventPartyRemoved', 'EventPartyAdded',
    ]);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'routing' });

    // The logged-out agent is no longer a target; logged in again it is.
    const refused = await router.request({ message: 'RequestRouteCall', interactionId, agentId: 'agent-1' });
    expect(refused).toMatchObject({ message: 'EventError', errorCode: 'AgentNotAvailable' });
    expect((await agent.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1', media: { email: 'ready' } })).message).toBe('EventAck');
    await invite(router, agent, interactionId, 'agent-1');
  });
});

describe('SPEC 5 capacity', () => {
  it('never exceeds the capacity: with capacity 2 the third route call gets AgentNotAvailable until one interaction ends', async () => {
    scene = await Scene.open();
    const router = await scene.router('router-1');
    const agent = await scene.agent('agent-1', 'place-1', { sms: 'ready' });
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      const interactionId = await scene.submit({ mediaType: 'sms' });
      await router.next(named('EventRouteRequest', interactionId));
      ids.push(interactionId);
    }
    const [first, second, third] = ids as [string, string, string];

    const { ticketId } = await invite(router, agent, first, 'agent-1');
    await invite(router, agent, second, 'agent-1');
    const overCapacity = await router.request({ message: 'RequestRouteCall', interactionId: third, agentId: 'agent-1' });
    expect(overCapacity).toMatchObject({ message: 'EventError', errorCode: 'AgentNotAvailable' });

    // Handling counts like an invite.
    expect((await agent.request({ message: 'RequestAccept', ticketId, interactionId: first })).message).toBe('EventAck');
    const stillFull = await router.request({ message: 'RequestRouteCall', interactionId: third, agentId: 'agent-1' });
    expect(stillFull).toMatchObject({ message: 'EventError', errorCode: 'AgentNotAvailable' });

    expect((await agent.request({ message: 'RequestStopProcessing', interactionId: first })).message).toBe('EventAck');
    await invite(router, agent, third, 'agent-1');
    expect(await scene.properties(third)).toMatchObject({ state: 'invited' });
    // Capacity is per media type: an email invite still fits.
    expect((await agent.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1', media: { sms: 'ready', email: 'ready' } })).message).toBe('EventAck');
    const email = await scene.submit({ mediaType: 'email' });
    await router.next(named('EventRouteRequest', email));
    await invite(router, agent, email, 'agent-1');
  });
});

describe('SPEC 4.1 queue order', () => {
  const submissions = [
    { label: 'low-1', priority: 0 },
    { label: 'high-1', priority: 5 },
    { label: 'low-2', priority: 0 },
    { label: 'top', priority: 10 },
    { label: 'high-2', priority: 5 },
  ];
  const expectedOrder = ['top', 'high-1', 'high-2', 'low-1', 'low-2'];

  it('a pull from a queue takes higher priority first, then the earlier entry', async () => {
    scene = await Scene.open();
    const labels = new Map<string, string>();
    for (const { label, priority } of submissions) labels.set(await scene.submit({ queue: 'backlog', priority }), label);
    const agent = await scene.agent('agent-1', 'place-1');

    const order: string[] = [];
    for (let index = 0; index < submissions.length; index++) {
      const pulled = await agent.request({ message: 'RequestPull', queue: 'backlog', count: 1 });
      const interactions = pulled.interactions as WireInteraction[];
      expect(interactions).toHaveLength(1);
      order.push(labels.get(interactions[0]!.interactionId)!);
    }
    expect(order).toEqual(expectedOrder);
    const empty = await agent.request({ message: 'RequestPull', queue: 'backlog', count: 1 });
    expect(empty).toMatchObject({ message: 'EventPulledInteractions', interactions: [] });
  });

  it('a router that registers after several submits is offered them in queue order', async () => {
    scene = await Scene.open();
    const labels = new Map<string, string>();
    for (const { label, priority } of submissions) labels.set(await scene.submit({ priority }), label);

    const router = await scene.router('router-1');
    const order: string[] = [];
    for (let index = 0; index < submissions.length; index++) {
      const request = await router.next('EventRouteRequest');
      order.push(labels.get(interactionOf(request).interactionId)!);
    }
    expect(order).toEqual(expectedOrder);
  });
});
