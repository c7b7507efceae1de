// Black-box tests for SPEC section 5, "The rest of the lifecycle": every request of the table with
// its exact answer and the events each party hears, agents with several connections, the
// reporting stream, and the checks that come before any request (registration, client type).

import { afterEach, describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { TestClient, type Message } from '../support/client.js';
import { about, expectAck, expectError, idsOf, invite, named, Stage, stageConfig, unreadAfterSettling } from '../support/lifecycle-stage.js';

let stage: Stage | undefined;

afterEach(async () => {
  await stage?.dispose();
  stage = undefined;
});

async function open(config: ConfigInput = stageConfig): Promise<Stage> {
  stage = await Stage.open(config);
  return stage;
}

function submittedTo(queue: string): Record<string, unknown>[] {
  return [
    { message: 'EventInteractionSubmitted' },
    { message: 'EventPlacedInQueue', queue, workbin: null },
  ];
}

/** Reporting events of a submit to `queue` that an external router picked up. */
function offeredTo(queue: string, router: string): Record<string, unknown>[] {
  return [...submittedTo(queue), { message: 'EventPartyAdded', party: { type: 'Strategy', name: router } }];
}

/** Reporting events of a submit to backlog that an agent then pulled. */
function pulledBy(agentId: string, placeId: string): Record<string, unknown>[] {
  return [...submittedTo('backlog'), { message: 'EventTakenFromQueue', queue: 'backlog' }, { message: 'EventPartyAdded', party: agentParty(agentId, placeId) }];
}

function agentParty(agentId: string, placeId: string): Record<string, unknown> {
  return { type: 'Agent', agentId, placeId };
}

function strategyParty(name: string): Record<string, unknown> {
  return { type: 'Strategy', name };
}

/** Matches the next message with this name, whatever it is about. */
function called(name: string): (message: Message) => boolean {
  return (message) => message.message === name;
}

function reportingEvents(client: TestClient): Message[] {
  return client.received.filter((message) => typeof message.seq === 'number');
}

function seqsOf(messages: readonly Message[]): number[] {
  return messages.map((message) => message.seq as number);
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, index) => first + index);
}

const drafts1 = { name: 'drafts', ownerId: 'agent-1' };

describe('RequestSubmit', () => {
  test('answers EventAck {interactionId} and reports EventInteractionSubmitted then EventPlacedInQueue', async () => {
    const s = await open();

    const referenceId = s.media.send({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', type: 'Inbound', subtype: 'InboundNew', priority: 2, userData: { subject: 'Hello' } });
    const ack = await s.media.next((message) => message.referenceId === referenceId);

    expect(ack).toEqual({ message: 'EventAck', referenceId, interactionId: expect.stringMatching(/^[0-9a-z]{16}$/) });
    const id = ack.interactionId as string;
    const [submitted, placed] = await s.expectReports(id, [
      {
        message: 'EventInteractionSubmitted',
        seq: 1,
        eventTime: expect.any(String),
        interactionId: id,
        interaction: { interactionId: id, mediaType: 'email', type: 'Inbound', subtype: 'InboundNew', state: 'queued', queue: 'backlog', workbin: null, priority: 2, userData: { subject: 'Hello' }, assignedTo: null },
      },
      { message: 'EventPlacedInQueue', seq: 2, eventTime: expect.any(String), interactionId: id, queue: 'backlog', workbin: null },
    ]);
    expect(Date.parse(submitted!.eventTime as string)).not.toBeNaN();
    expect((placed!.eventTime as string) >= (submitted!.eventTime as string)).toBe(true);
    expect(await s.properties(id)).toMatchObject({ interactionId: id, state: 'queued', queue: 'backlog', priority: 2, userData: { subject: 'Hello' } });
  });

  test('an unknown queue gets UnknownQueue and creates nothing', async () => {
    const s = await open();

    await expectError(s.media, { message: 'RequestSubmit', queue: 'nowhere', mediaType: 'email' }, 'UnknownQueue');

    const id = await s.submit();
    await s.expectNextReports([{ message: 'EventInteractionSubmitted', interactionId: id, seq: 1 }]);
  });

  test('a repeated externalId from the same clientName returns the same id and creates nothing', async () => {
    const s = await open();
    const id = await s.submit({ externalId: 'mail-1' });
    const sameName = await s.mediaServer('gateway');

    expect(await s.media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', externalId: 'mail-1' })).toMatchObject({ message: 'EventAck', interactionId: id });
    expect(await sameName.request({ message: 'RequestSubmit', queue: 'other', mediaType: 'chat', externalId: 'mail-1' })).toMatchObject({ message: 'EventAck', interactionId: id });

    const marker = await s.submit();
    await s.expectNextReports([
      { message: 'EventInteractionSubmitted', interactionId: id },
      { message: 'EventPlacedInQueue', interactionId: id },
      { message: 'EventInteractionSubmitted', interactionId: marker },
    ]);
    expect(await s.properties(id)).toMatchObject({ mediaType: 'email', queue: 'backlog' });
  });

  test('a repeated externalId returns the same id after a restart', async () => {
    const s = await open();
    const id = await s.submit({ externalId: 'mail-1' });

    await s.restart();

    expect(await s.media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', externalId: 'mail-1' })).toMatchObject({ message: 'EventAck', interactionId: id });
    const marker = await s.submit();
    await s.expectNextReports([{ message: 'EventInteractionSubmitted', interactionId: marker, seq: 3 }]);
    expect(await s.properties(id)).toMatchObject({ state: 'queued', queue: 'backlog' });
  });

  test('a repeated externalId returns the same id after the interaction stopped, and after a restart on top', async () => {
    const s = await open();
    const id = await s.submit({ externalId: 'mail-1' });
    await expectAck(s.media, { message: 'RequestStopProcessing', interactionId: id });
    await s.expectReports(id, [...submittedTo('backlog'), { message: 'EventProcessingStopped' }]);

    expect(await s.media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', externalId: 'mail-1' })).toMatchObject({ message: 'EventAck', interactionId: id });
    const marker = await s.submit();
    await s.expectNextReports([{ message: 'EventInteractionSubmitted', interactionId: marker }]);
    await expectError(s.media, { message: 'RequestGetInteractionProperties', interactionId: id }, 'InvalidState');

    await s.restart();
    expect(await s.media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', externalId: 'mail-1' })).toMatchObject({ message: 'EventAck', interactionId: id });
    const after = await s.submit();
    await s.expectNextReports([{ message: 'EventInteractionSubmitted', interactionId: after }]);
  });

  test('the same externalId from another clientName creates a new interaction', async () => {
    const s = await open();
    const id = await s.submit({ externalId: 'mail-1' });
    const otherGateway = await s.mediaServer('other-gateway');

    const answer = await otherGateway.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', externalId: 'mail-1' });

    expect(answer).toMatchObject({ message: 'EventAck', interactionId: expect.stringMatching(/^[0-9a-z]{16}$/) });
    expect(answer.interactionId).not.toBe(id);
    await s.expectReports(answer.interactionId as string, submittedTo('backlog'));
  });
});

describe('RequestAgentLogin', () => {
  test('answers EventAck {interactions: []} for an agent that owns nothing and reports EventAgentLogin', async () => {
    const s = await open();
    const desktop = await s.desktop();

    const answer = await desktop.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1', media: { email: 'ready', chat: 'notReady' } });

    expect(answer).toEqual({ message: 'EventAck', referenceId: answer.referenceId, interactions: [] });
    await s.expectAgentReports('agent-1', [
      { message: 'EventAgentLogin', seq: expect.any(Number), eventTime: expect.any(String), agentId: 'agent-1', placeId: 'place-1', media: { email: 'ready', chat: 'notReady' } },
    ]);
  });

  test('media not named at login are not ready: a route call for them gets AgentNotAvailable', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const email = await s.submit({ queue: 'routed' });
    const chat = await s.submit({ queue: 'routed', mediaType: 'chat' });
    const sms = await s.submit({ queue: 'routed', mediaType: 'sms' });
    for (const id of [email, chat, sms]) await router.next(named('EventRouteRequest', id));
    const agent = await s.agent('agent-1', 'place-1', { email: 'ready', chat: 'notReady' });

    await expectError(router, { message: 'RequestRouteCall', interactionId: chat, agentId: 'agent-1' }, 'AgentNotAvailable');
    await expectError(router, { message: 'RequestRouteCall', interactionId: sms, agentId: 'agent-1' }, 'AgentNotAvailable');
    await invite(router, agent, email, 'agent-1');

    expect(await s.properties(chat)).toMatchObject({ state: 'routing' });
    expect(await s.properties(sms)).toMatchObject({ state: 'routing' });
  });

  test('again on the same connection: replaces place and media and answers with the owned interactions', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const owned = await s.submit();
    const agent = await s.agent('agent-1', 'place-1', { email: 'ready' });
    await s.pull(agent, { queue: 'backlog' });

    const answer = await agent.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-2', media: { chat: 'ready' } });

    expect(answer).toMatchObject({ message: 'EventAck', interactions: [{ interactionId: owned, state: 'handling', assignedTo: 'agent-1' }] });
    expect(answer.interactions).toHaveLength(1);
    await s.expectAgentReports('agent-1', [
      { message: 'EventAgentLogin', placeId: 'place-1', media: { email: 'ready' } },
      { message: 'EventAgentLogin', placeId: 'place-2', media: { chat: 'ready' } },
    ]);
    const email = await s.submit({ queue: 'routed' });
    const chat = await s.submit({ queue: 'routed', mediaType: 'chat' });
    await router.next(named('EventRouteRequest', email));
    await router.next(named('EventRouteRequest', chat));
    await expectError(router, { message: 'RequestRouteCall', interactionId: email, agentId: 'agent-1' }, 'AgentNotAvailable');
    await expectError(router, { message: 'RequestRouteCall', interactionId: chat, agentId: 'agent-1', placeId: 'place-1' }, 'AgentNotAvailable');
    router.send({ message: 'RequestRouteCall', interactionId: chat, agentId: 'agent-1', placeId: 'place-2' });
    expect(await agent.next(named('EventInvite', chat))).toMatchObject({ ticketId: expect.any(Number), interaction: { interactionId: chat } });
  });

  test('as another agent on a logged-in connection gets InvalidState', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const agent = await s.agent('agent-1', 'place-1');

    await expectError(agent, { message: 'RequestAgentLogin', agentId: 'agent-2', placeId: 'place-2', media: { email: 'ready' } }, 'InvalidState');

    const id = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', id));
    await expectError(router, { message: 'RequestRouteCall', interactionId: id, agentId: 'agent-2' }, 'AgentNotAvailable');
    await s.reporting.settle();
    expect(s.reporting.received.filter((message) => message.agentId === 'agent-2')).toEqual([]);
  });
});

describe('RequestAgentLogout', () => {
  test('revokes invites and owned interactions with AgentLoggedOut, returns them, and reports EventAgentLogout', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const agent = await s.agent('agent-1', 'place-1');
    const invited = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', invited));
    const { ticketId, referenceId } = await invite(router, agent, invited, 'agent-1');
    const owned = await s.submit();
    await s.pull(agent, { queue: 'backlog' });
    await s.expectReports(invited, [...offeredTo('routed', 'router-1'), { message: 'EventAgentInvited', ticketId }]);
    await s.expectReports(owned, pulledBy('agent-1', 'place-1'));

    const answer = await agent.request({ message: 'RequestAgentLogout' });

    expect(answer).toEqual({ message: 'EventAck', referenceId: answer.referenceId });
    expect(await agent.next(named('EventRevoked', invited))).toMatchObject({ interactionId: invited, ticketId, reason: 'AgentLoggedOut' });
    expect(await agent.next(named('EventRevoked', owned))).toMatchObject({ interactionId: owned, reason: 'AgentLoggedOut' });
    expect(await router.next(called('EventRouteUsed'))).toMatchObject({ referenceId, interactionId: invited, result: 'Revoked', reason: 'AgentLoggedOut', agentId: 'agent-1' });
    expect(await router.next(named('EventRouteRequest', invited))).toMatchObject({ interaction: { interactionId: invited, state: 'routing' } });
    await s.expectReports(invited, [
      { message: 'EventRevoked', agentId: 'agent-1', placeId: 'place-1', ticketId, reason: 'AgentLoggedOut' },
      { message: 'EventPartyRemoved', party: strategyParty('router-1') },
      { message: 'EventPartyAdded', party: strategyParty('router-1') },
    ]);
    await s.expectReports(owned, [
      { message: 'EventPartyRemoved', party: agentParty('agent-1', 'place-1') },
      { message: 'EventPlacedInQueue', queue: 'backlog', workbin: null },
    ]);
    await s.expectAgentReports('agent-1', [
      { message: 'EventAgentLogin' },
      { message: 'EventAgentLogout', agentId: 'agent-1', placeId: 'place-1', reason: 'AgentLoggedOut' },
    ]);
    expect(await s.properties(owned)).toMatchObject({ state: 'queued', queue: 'backlog', assignedTo: null });
    await expectError(agent, { message: 'RequestPull', queue: 'backlog' }, 'AgentNotLoggedIn');
  });

  test('logs the agent out on all its connections', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const first = await s.agent('agent-1', 'place-1');
    const second = await s.agent('agent-1', 'place-1');
    const id = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', id));
    const { ticketId } = await invite(router, first, id, 'agent-1');
    expect(await second.next(named('EventInvite', id))).toMatchObject({ ticketId });

    await expectAck(first, { message: 'RequestAgentLogout' });

    expect(await second.next(named('EventRevoked', id))).toMatchObject({ ticketId, reason: 'AgentLoggedOut' });
    // The second desktop's login changed nothing, so it was not reported again.
    await s.expectAgentReports('agent-1', [
      { message: 'EventAgentLogin' },
      { message: 'EventAgentLogout', reason: 'AgentLoggedOut' },
    ]);
    await expectError(second, { message: 'RequestNotReadyForMedia', mediaType: 'email' }, 'AgentNotLoggedIn');
    await expectError(second, { message: 'RequestPull', queue: 'backlog' }, 'AgentNotLoggedIn');
    await router.next(named('EventRouteRequest', id));
    await expectError(router, { message: 'RequestRouteCall', interactionId: id, agentId: 'agent-1' }, 'AgentNotAvailable');
    // The connection itself stays open and may log in again.
    expect(await second.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1', media: {} })).toMatchObject({ message: 'EventAck', interactions: [] });
  });
});

describe('RequestNotReadyForMedia and RequestCancelNotReadyForMedia', () => {
  test('report EventNotReadyForMedia / EventReadyForMedia, and a route call while not ready gets AgentNotAvailable', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const agent = await s.agent('agent-1', 'place-1', { email: 'ready' });
    const id = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', id));

    expect(await agent.request({ message: 'RequestNotReadyForMedia', mediaType: 'email', reason: 'Lunch' })).toMatchObject({ message: 'EventAck' });

    await s.expectAgentReports('agent-1', [
      { message: 'EventAgentLogin' },
      { message: 'EventNotReadyForMedia', agentId: 'agent-1', placeId: 'place-1', mediaType: 'email', reason: 'Lunch', seq: expect.any(Number) },
    ]);
    await expectError(router, { message: 'RequestRouteCall', interactionId: id, agentId: 'agent-1' }, 'AgentNotAvailable');

    expect(await agent.request({ message: 'RequestCancelNotReadyForMedia', mediaType: 'email' })).toMatchObject({ message: 'EventAck' });

    await s.expectAgentReports('agent-1', [{ message: 'EventReadyForMedia', agentId: 'agent-1', placeId: 'place-1', mediaType: 'email' }]);
    await invite(router, agent, id, 'agent-1');
  });

  test('RequestCancelNotReadyForMedia makes a media type that was not named at login ready', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const agent = await s.agent('agent-1', 'place-1', { email: 'ready' });
    const id = await s.submit({ queue: 'routed', mediaType: 'chat' });
    await router.next(named('EventRouteRequest', id));
    await expectError(router, { message: 'RequestRouteCall', interactionId: id, agentId: 'agent-1' }, 'AgentNotAvailable');

    await expectAck(agent, { message: 'RequestCancelNotReadyForMedia', mediaType: 'chat' });

    await invite(router, agent, id, 'agent-1');
  });
});

describe('RequestPlaceInQueue', () => {
  test('by the owner agent: EventAck, then EventPartyRemoved and EventPlacedInQueue (and routing, as the queue is routed)', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const id = await s.submit();
    const agent = await s.agent('agent-1', 'place-1');
    await s.pull(agent, { queue: 'backlog' });
    await s.expectReports(id, pulledBy('agent-1', 'place-1'));

    const answer = await agent.request({ message: 'RequestPlaceInQueue', interactionId: id, queue: 'routed' });

    expect(answer).toEqual({ message: 'EventAck', referenceId: answer.referenceId });
    await s.expectReports(id, [
      { message: 'EventPartyRemoved', party: agentParty('agent-1', 'place-1') },
      { message: 'EventPlacedInQueue', queue: 'routed', workbin: null },
      { message: 'EventPartyAdded', party: strategyParty('router-1') },
    ]);
    expect(await router.next(named('EventRouteRequest', id))).toMatchObject({ interaction: { interactionId: id, state: 'routing', queue: 'routed', assignedTo: null } });
  });

  test('by the router holding it: EventAck, then EventPartyRemoved and EventPlacedInQueue', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const id = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', id));
    await s.expectReports(id, offeredTo('routed', 'router-1'));

    await expectAck(router, { message: 'RequestPlaceInQueue', interactionId: id, queue: 'backlog' });

    // The SPEC table names EventPartyRemoved and EventPlacedInQueue; leaving `routed` is also
    // reported (SPEC 4.1: it leaves its queue when it is moved elsewhere).
    await s.expectReports(id, [
      { message: 'EventPartyRemoved', party: strategyParty('router-1') },
      { message: 'EventTakenFromQueue', queue: 'routed', workbin: null },
      { message: 'EventPlacedInQueue', queue: 'backlog', workbin: null },
    ]);
    expect(await s.properties(id)).toMatchObject({ state: 'queued', queue: 'backlog' });
  });

  test('another agent gets Forbidden (for a queue or a workbin) and nothing moves; an unknown queue gets UnknownQueue', async () => {
    const s = await open();
    const id = await s.submit();
    const owner = await s.agent('agent-1', 'place-1');
    const other = await s.agent('agent-2', 'place-2');
    await s.pull(owner, { queue: 'backlog' });

    await expectError(other, { message: 'RequestPlaceInQueue', interactionId: id, queue: 'other' }, 'Forbidden');
    await expectError(other, { message: 'RequestPlaceInWorkbin', interactionId: id, workbin: { name: 'drafts' } }, 'Forbidden');
    await expectError(owner, { message: 'RequestPlaceInQueue', interactionId: id, queue: 'nowhere' }, 'UnknownQueue');

    expect(await s.properties(id)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
    expect(await s.reportedNames(id)).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue', 'EventTakenFromQueue', 'EventPartyAdded']);
  });
});

describe('RequestPlaceInWorkbin', () => {
  test('by the owner agent: EventAck, EventPartyRemoved, EventPlacedInQueue, EventPlacedInWorkbin, and subscribers hear Add', async () => {
    const s = await open();
    const watcher = await s.mediaServer('watcher');
    await expectAck(watcher, { message: 'RequestWorkbinNotifications', workbin: drafts1, subscribe: true });
    const id = await s.submit();
    const agent = await s.agent('agent-1', 'place-1');
    await s.pull(agent, { queue: 'backlog' });
    await s.expectReports(id, pulledBy('agent-1', 'place-1'));

    const answer = await agent.request({ message: 'RequestPlaceInWorkbin', interactionId: id, workbin: { name: 'drafts' } });

    expect(answer).toEqual({ message: 'EventAck', referenceId: answer.referenceId });
    await s.expectReports(id, [
      { message: 'EventPartyRemoved', party: agentParty('agent-1', 'place-1') },
      { message: 'EventPlacedInQueue', queue: null, workbin: drafts1 },
      { message: 'EventPlacedInWorkbin', workbin: drafts1 },
    ]);
    expect(await watcher.next(named('EventWorkbinContentChanged', id))).toMatchObject({
      message: 'EventWorkbinContentChanged',
      workbin: drafts1,
      operation: 'Add',
      interaction: { interactionId: id, state: 'queued', queue: null, workbin: drafts1, assignedTo: null },
    });
  });

  test('by the router holding it, into any workbin', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const agent = await s.agent('agent-1', 'place-1', {});
    await expectAck(agent, { message: 'RequestWorkbinNotifications', workbin: { name: 'drafts' }, subscribe: true });
    const id = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', id));
    await s.expectReports(id, offeredTo('routed', 'router-1'));

    await expectAck(router, { message: 'RequestPlaceInWorkbin', interactionId: id, workbin: drafts1 });

    await s.expectReports(id, [
      { message: 'EventPartyRemoved', party: strategyParty('router-1') },
      { message: 'EventTakenFromQueue', queue: 'routed', workbin: null },
      { message: 'EventPlacedInQueue', queue: null, workbin: drafts1 },
      { message: 'EventPlacedInWorkbin', workbin: drafts1 },
    ]);
    expect(await agent.next(named('EventWorkbinContentChanged', id))).toMatchObject({ workbin: drafts1, operation: 'Add' });
    const content = await agent.request({ message: 'RequestGetWorkbinContent', workbin: { name: 'drafts' } });
    expect(idsOf(content.interactions)).toEqual([id]);
  });
});

describe('RequestStopProcessing', () => {
  test('by the owner agent: EventAck, EventPartyRemoved then EventProcessingStopped, and the agent is not told again', async () => {
    const s = await open();
    const id = await s.submit();
    const agent = await s.agent('agent-1', 'place-1');
    await s.pull(agent, { queue: 'backlog' });
    await s.expectReports(id, pulledBy('agent-1', 'place-1'));

    const answer = await agent.request({ message: 'RequestStopProcessing', interactionId: id, reason: 'Done' });

    expect(answer).toEqual({ message: 'EventAck', referenceId: answer.referenceId });
    await s.expectReports(id, [
      { message: 'EventPartyRemoved', party: agentParty('agent-1', 'place-1') },
      { message: 'EventProcessingStopped', interactionId: id, reason: 'Done' },
    ]);
    expect((await unreadAfterSettling(agent)).filter(named('EventRevoked', id))).toEqual([]);
  });

  test('by a media server while an agent owns it: the agent hears EventRevoked {reason Stopped} on every connection', async () => {
    const s = await open();
    const id = await s.submit();
    const desktop = await s.agent('agent-1', 'place-1');
    const phone = await s.agent('agent-1', 'place-1');
    await s.pull(desktop, { queue: 'backlog' });
    await s.expectReports(id, pulledBy('agent-1', 'place-1'));

    await expectAck(s.media, { message: 'RequestStopProcessing', interactionId: id, reason: 'Customer closed the chat' });

    for (const connection of [desktop, phone]) {
      expect(await connection.next(named('EventRevoked', id))).toMatchObject({ message: 'EventRevoked', interactionId: id, reason: 'Stopped' });
    }
    await s.expectReports(id, [
      { message: 'EventPartyRemoved', party: agentParty('agent-1', 'place-1') },
      { message: 'EventProcessingStopped', reason: 'Customer closed the chat' },
    ]);
  });

  test('by a media server while a router holds it: the router hears EventRevoked {reason Stopped}', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const id = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', id));
    await s.expectReports(id, offeredTo('routed', 'router-1'));

    await expectAck(s.media, { message: 'RequestStopProcessing', interactionId: id });

    expect(await router.next(named('EventRevoked', id))).toMatchObject({ interactionId: id, reason: 'Stopped' });
    await s.expectReports(id, [
      { message: 'EventPartyRemoved', party: strategyParty('router-1') },
      { message: 'EventProcessingStopped', interactionId: id },
    ]);
  });

  test('by the router holding it: reported, and the router is not told again', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const id = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', id));
    await s.expectReports(id, offeredTo('routed', 'router-1'));

    await expectAck(router, { message: 'RequestStopProcessing', interactionId: id, reason: 'Spam' });

    await s.expectReports(id, [
      { message: 'EventPartyRemoved', party: strategyParty('router-1') },
      { message: 'EventProcessingStopped', reason: 'Spam' },
    ]);
    expect((await unreadAfterSettling(router)).filter(named('EventRevoked', id))).toEqual([]);
  });

  test('revokes an open invite: the agent hears EventRevoked, the router EventRouteUsed {Revoked, Stopped}', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const agent = await s.agent('agent-1', 'place-1');
    const id = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', id));
    const { ticketId, referenceId } = await invite(router, agent, id, 'agent-1');
    await s.expectReports(id, [...offeredTo('routed', 'router-1'), { message: 'EventAgentInvited', ticketId }]);

    await expectAck(s.media, { message: 'RequestStopProcessing', interactionId: id });

    expect(await agent.next(named('EventRevoked', id))).toMatchObject({ interactionId: id, ticketId, reason: 'Stopped' });
    expect(await router.next(called('EventRouteUsed'))).toMatchObject({ referenceId, interactionId: id, result: 'Revoked', reason: 'Stopped', ticketId });
    await s.expectReports(id, [
      { message: 'EventRevoked', agentId: 'agent-1', ticketId, reason: 'Stopped' },
      { message: 'EventPartyRemoved', party: strategyParty('router-1') },
      { message: 'EventProcessingStopped' },
    ]);
    await expectError(agent, { message: 'RequestAccept', ticketId, interactionId: id }, 'InvalidState');
  });

  test('of a workbin interaction: subscribers hear Remove, and EventProcessingStopped names the workbin', async () => {
    const s = await open();
    const id = await s.submit();
    const agent = await s.agent('agent-1', 'place-1');
    await s.pull(agent, { queue: 'backlog' });
    await expectAck(agent, { message: 'RequestWorkbinNotifications', workbin: drafts1, subscribe: true });
    await expectAck(agent, { message: 'RequestPlaceInWorkbin', interactionId: id, workbin: drafts1 });
    await agent.next(named('EventWorkbinContentChanged', id));
    await s.expectReports(id, [...pulledBy('agent-1', 'place-1'), { message: 'EventPartyRemoved' }, { message: 'EventPlacedInQueue' }, { message: 'EventPlacedInWorkbin' }]);

    await expectAck(s.media, { message: 'RequestStopProcessing', interactionId: id });

    expect(await agent.next(named('EventWorkbinContentChanged', id))).toMatchObject({ workbin: drafts1, operation: 'Remove', interaction: { interactionId: id } });
    await s.expectReports(id, [{ message: 'EventProcessingStopped', queue: null, workbin: drafts1 }]);
    const content = await agent.request({ message: 'RequestGetWorkbinContent', workbin: drafts1 });
    expect(content).toMatchObject({ message: 'EventWorkbinContent', interactions: [] });
  });

  test('afterwards any request about it gets InvalidState, also after a restart', async () => {
    const s = await open();
    const id = await s.submit();
    await expectAck(s.media, { message: 'RequestStopProcessing', interactionId: id });
    await s.expectReports(id, [...submittedTo('backlog'), { message: 'EventProcessingStopped', queue: 'backlog', workbin: null }]);

    const check = async () => {
      const router = await s.router('router-1');
      const agent = await s.agent('agent-1', 'place-1');
      await expectError(s.media, { message: 'RequestGetInteractionProperties', interactionId: id }, 'InvalidState');
      await expectError(s.media, { message: 'RequestChangeProperties', interactionId: id, changedProperties: { a: 1 } }, 'InvalidState');
      await expectError(s.media, { message: 'RequestStopProcessing', interactionId: id }, 'InvalidState');
      await expectError(agent, { message: 'RequestPull', queue: 'backlog', interactionIds: [id] }, 'InvalidState');
      await expectError(agent, { message: 'RequestPlaceInQueue', interactionId: id, queue: 'other' }, 'InvalidState');
      await expectError(agent, { message: 'RequestPlaceInWorkbin', interactionId: id, workbin: { name: 'drafts' } }, 'InvalidState');
      await expectError(router, { message: 'RequestRouteCall', interactionId: id, agentId: 'agent-1' }, 'InvalidState');
      await expectError(s.media, { message: 'RequestGetInteractionProperties', interactionId: 'zzzzzzzzzzzzzzzz' }, 'UnknownInteraction');
      expect(await s.pull(agent, { queue: 'backlog', count: 5 })).toEqual([]);
    };
    await check();
    await s.restart();
    await check();
  });

  test('others are refused: another agent gets Forbidden, a reporting client Forbidden', async () => {
    const s = await open();
    const id = await s.submit();
    const owner = await s.agent('agent-1', 'place-1');
    const other = await s.agent('agent-2', 'place-2');
    await s.pull(owner, { queue: 'backlog' });
    const reporter = await TestClient.register(s.url, 'ReportingEngine', 'warehouse');

    await expectError(other, { message: 'RequestStopProcessing', interactionId: id }, 'Forbidden');
    await expectError(reporter, { message: 'RequestStopProcessing', interactionId: id }, 'Forbidden');
    reporter.socket.terminate();

    expect(await s.properties(id)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
  });
});

describe('RequestChangeProperties', () => {
  test('by a media server while an agent owns it: the owner hears EventPropertiesChanged, and it is reported', async () => {
    const s = await open();
    const id = await s.submit({ userData: { subject: 'Hi', lang: 'en' } });
    const agent = await s.agent('agent-1', 'place-1');
    await s.pull(agent, { queue: 'backlog' });
    await s.expectReports(id, pulledBy('agent-1', 'place-1'));

    const answer = await s.media.request({ message: 'RequestChangeProperties', interactionId: id, changedProperties: { subject: 'Re: Hi', score: 3 }, deletedProperties: ['lang'] });

    expect(answer).toEqual({ message: 'EventAck', referenceId: answer.referenceId });
    const change = { interactionId: id, changedProperties: { subject: 'Re: Hi', score: 3 }, deletedProperties: ['lang'] };
    expect(await agent.next(named('EventPropertiesChanged', id))).toMatchObject({ message: 'EventPropertiesChanged', ...change });
    await s.expectReports(id, [{ message: 'EventPropertiesChanged', seq: expect.any(Number), ...change }]);
    expect((await s.properties(id)).userData).toEqual({ subject: 'Re: Hi', score: 3 });
  });

  test('by the owner agent: reported, and the agent is not told; deletedProperties alone removes keys', async () => {
    const s = await open();
    const id = await s.submit({ userData: { subject: 'Hi', lang: 'en', tag: 'x' } });
    const agent = await s.agent('agent-1', 'place-1');
    await s.pull(agent, { queue: 'backlog' });
    await s.expectReports(id, pulledBy('agent-1', 'place-1'));

    await expectAck(agent, { message: 'RequestChangeProperties', interactionId: id, changedProperties: { lang: 'fr' } });
    await expectAck(agent, { message: 'RequestChangeProperties', interactionId: id, deletedProperties: ['tag'] });

    await s.expectReports(id, [
      { message: 'EventPropertiesChanged', changedProperties: { lang: 'fr' }, deletedProperties: [] },
      { message: 'EventPropertiesChanged', changedProperties: {}, deletedProperties: ['tag'] },
    ]);
    expect((await unreadAfterSettling(agent)).filter(named('EventPropertiesChanged', id))).toEqual([]);
    expect((await s.properties(id)).userData).toEqual({ subject: 'Hi', lang: 'fr' });
  });

  test('by the router holding it: reported', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const id = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', id));
    await s.expectReports(id, offeredTo('routed', 'router-1'));

    await expectAck(router, { message: 'RequestChangeProperties', interactionId: id, changedProperties: { segment: 'gold' } });

    await s.expectReports(id, [{ message: 'EventPropertiesChanged', changedProperties: { segment: 'gold' }, deletedProperties: [] }]);
    expect((await s.properties(id)).userData).toEqual({ segment: 'gold' });
  });

  test('another agent gets Forbidden and nothing changes', async () => {
    const s = await open();
    const id = await s.submit({ userData: { subject: 'Hi' } });
    const owner = await s.agent('agent-1', 'place-1');
    const other = await s.agent('agent-2', 'place-2');
    await s.pull(owner, { queue: 'backlog' });

    await expectError(other, { message: 'RequestChangeProperties', interactionId: id, changedProperties: { subject: 'Hacked' } }, 'Forbidden');

    expect((await s.properties(id)).userData).toEqual({ subject: 'Hi' });
    expect(await s.reportedNames(id)).not.toContain('EventPropertiesChanged');
  });
});

describe('RequestGetInteractionProperties', () => {
  test('the holding router, the invited agent, the owner agent and a media server may read it', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const agent = await s.agent('agent-1', 'place-1');
    const id = await s.submit({ queue: 'routed', userData: { subject: 'Hi' } });
    await router.next(named('EventRouteRequest', id));

    const read = (client: TestClient) => client.request({ message: 'RequestGetInteractionProperties', interactionId: id });
    const answer = await read(router);
    expect(answer).toMatchObject({
      message: 'EventInteractionProperties',
      referenceId: answer.referenceId,
      interaction: { interactionId: id, mediaType: 'email', state: 'routing', queue: 'routed', userData: { subject: 'Hi' }, assignedTo: null },
    });
    const { ticketId } = await invite(router, agent, id, 'agent-1');
    expect(await read(agent)).toMatchObject({ message: 'EventInteractionProperties', interaction: { interactionId: id, state: 'invited' } });
    expect(await read(router)).toMatchObject({ message: 'EventInteractionProperties', interaction: { state: 'invited' } });
    await expectAck(agent, { message: 'RequestAccept', ticketId, interactionId: id });
    expect(await read(agent)).toMatchObject({ message: 'EventInteractionProperties', interaction: { state: 'handling', assignedTo: 'agent-1', queue: null } });
    expect(await read(s.media)).toMatchObject({ message: 'EventInteractionProperties', interaction: { state: 'handling', assignedTo: 'agent-1' } });
  });

  test('an agent may read an interaction in a workbin it may use, and another agent may not', async () => {
    const s = await open();
    const id = await s.submit();
    const owner = await s.agent('agent-1', 'place-1');
    await s.pull(owner, { queue: 'backlog' });
    await expectAck(owner, { message: 'RequestPlaceInWorkbin', interactionId: id, workbin: drafts1 });
    const other = await s.agent('agent-2', 'place-2');

    expect(await owner.request({ message: 'RequestGetInteractionProperties', interactionId: id })).toMatchObject({
      message: 'EventInteractionProperties',
      interaction: { interactionId: id, state: 'queued', workbin: drafts1 },
    });
    await expectError(other, { message: 'RequestGetInteractionProperties', interactionId: id }, 'Forbidden');
  });

  test('others are Forbidden: an agent for a queued or another agent\'s interaction, a router not holding it, a reporting client', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const bystanderRouter = await s.router('router-2', ['other']);
    const queued = await s.submit();
    const owned = await s.submit();
    const routing = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', routing));
    const owner = await s.agent('agent-1', 'place-1');
    await s.pull(owner, { queue: 'backlog', interactionIds: [owned] });
    const other = await s.agent('agent-2', 'place-2');
    const reporter = await TestClient.register(s.url, 'ReportingEngine', 'warehouse');

    await expectError(other, { message: 'RequestGetInteractionProperties', interactionId: queued }, 'Forbidden');
    await expectError(other, { message: 'RequestGetInteractionProperties', interactionId: owned }, 'Forbidden');
    await expectError(other, { message: 'RequestGetInteractionProperties', interactionId: routing }, 'Forbidden');
    await expectError(bystanderRouter, { message: 'RequestGetInteractionProperties', interactionId: routing }, 'Forbidden');
    await expectError(bystanderRouter, { message: 'RequestGetInteractionProperties', interactionId: owned }, 'Forbidden');
    await expectError(reporter, { message: 'RequestGetInteractionProperties', interactionId: queued }, 'Forbidden');
    reporter.socket.terminate();
  });
});

describe('RequestGetWorkbinContent', () => {
  test('answers EventWorkbinContent {workbin, interactions} in the order placed; an empty workbin has none', async () => {
    const s = await open();
    const a = await s.submit();
    const b = await s.submit();
    const agent = await s.agent('agent-1', 'place-1');
    await s.pull(agent, { queue: 'backlog', count: 2 });
    await expectAck(agent, { message: 'RequestPlaceInWorkbin', interactionId: b, workbin: drafts1 });
    await expectAck(agent, { message: 'RequestPlaceInWorkbin', interactionId: a, workbin: drafts1 });

    const answer = await s.media.request({ message: 'RequestGetWorkbinContent', workbin: drafts1 });

    expect(answer).toMatchObject({
      message: 'EventWorkbinContent',
      referenceId: answer.referenceId,
      workbin: drafts1,
      interactions: [
        { interactionId: b, state: 'queued', queue: null, workbin: drafts1, assignedTo: null },
        { interactionId: a, state: 'queued', queue: null, workbin: drafts1, assignedTo: null },
      ],
    });
    expect(answer.interactions).toHaveLength(2);
    expect(await s.media.request({ message: 'RequestGetWorkbinContent', workbin: { name: 'drafts', ownerId: 'agent-2' } })).toMatchObject({
      message: 'EventWorkbinContent',
      workbin: { name: 'drafts', ownerId: 'agent-2' },
      interactions: [],
    });
  });
});

describe('RequestWorkbinNotifications', () => {
  test('subscribe: true brings Add and Remove; subscribe: false stops them', async () => {
    const s = await open();
    const a = await s.submit();
    const b = await s.submit();
    const agent = await s.agent('agent-1', 'place-1');
    await s.pull(agent, { queue: 'backlog', count: 2 });

    const answer = await agent.request({ message: 'RequestWorkbinNotifications', workbin: { name: 'drafts' }, subscribe: true });
    expect(answer).toEqual({ message: 'EventAck', referenceId: answer.referenceId });
    await expectAck(agent, { message: 'RequestPlaceInWorkbin', interactionId: a, workbin: drafts1 });
    expect(await agent.next(named('EventWorkbinContentChanged', a))).toMatchObject({ operation: 'Add', workbin: drafts1 });
    await s.pull(agent, { workbin: drafts1 });
    expect(await agent.next(named('EventWorkbinContentChanged', a))).toMatchObject({ operation: 'Remove', workbin: drafts1 });

    await expectAck(agent, { message: 'RequestWorkbinNotifications', workbin: drafts1, subscribe: false });
    await expectAck(agent, { message: 'RequestPlaceInWorkbin', interactionId: b, workbin: drafts1 });

    await s.expectReports(b, [...pulledBy('agent-1', 'place-1'), { message: 'EventPartyRemoved' }, { message: 'EventPlacedInQueue' }, { message: 'EventPlacedInWorkbin', workbin: drafts1 }]);
    expect((await unreadAfterSettling(agent)).filter(called('EventWorkbinContentChanged'))).toEqual([]);
  });
});

describe('RequestStartReporting', () => {
  test('the EventAck comes first; seq starts at 1 and increases without a gap', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const agent = await s.agent('agent-1', 'place-1');
    const routed = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', routed));
    await invite(router, agent, routed, 'agent-1');
    await s.submit();
    await s.pull(agent, { queue: 'backlog' });
    await expectAck(agent, { message: 'RequestAgentLogout' });
    await s.expectAgentReports('agent-1', [{ message: 'EventAgentLogin' }, { message: 'EventAgentLogout' }]);

    await s.reporting.settle();
    const [registered, started, ...rest] = s.reporting.received;
    expect(registered).toMatchObject({ message: 'EventAck' });
    expect(started).toMatchObject({ message: 'EventAck' });
    const events = rest.filter((message) => message.message !== 'EventError');
    expect(events.every((message) => typeof message.seq === 'number' && typeof message.eventTime === 'string')).toBe(true);
    expect(events.length).toBeGreaterThan(10);
    expect(seqsOf(events)).toEqual(range(1, events.length));
    const times = events.map((message) => Date.parse(message.eventTime as string));
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });

  test('without fromSeq, only events after the EventAck', async () => {
    const s = await open();
    const before = await s.submit();

    const late = await s.reporter();
    const after = await s.submit();

    const event = await late.next((message) => typeof message.seq === 'number');
    expect(event).toMatchObject({ message: 'EventInteractionSubmitted', interactionId: after, seq: 3 });
    await late.settle();
    expect(about(late, before)).toEqual([]);
    expect(late.received[1]).toMatchObject({ message: 'EventAck' });
  });

  test('with fromSeq, replays the stored events from there, then goes on live with no gap and no duplicate', async () => {
    const s = await open();
    await s.submit();
    await s.submit();

    const replay = await s.reporter(2);
    const live = await s.submit();
    await replay.next((message) => message.seq === 6);

    expect(replay.received[1]).toMatchObject({ message: 'EventAck' });
    expect(seqsOf(reportingEvents(replay))).toEqual([2, 3, 4, 5, 6]);
    await s.expectReports(live, submittedTo('backlog'));
    expect(reportingEvents(replay)).toEqual(reportingEvents(s.reporting).filter((message) => (message.seq as number) >= 2));
  });

  test('with fromSeq while load runs: every event once, in seq order, the same as the live stream', async () => {
    const s = await open();
    const batches = 20;
    const perBatch = 25;
    const total = batches * perBatch * 2;
    let replay: Promise<TestClient> | undefined;
    for (let batch = 0; batch < batches; batch++) {
      let last = 0;
      for (let index = 0; index < perBatch; index++) last = s.media.send({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: { batch, index } });
      // The replay starts while the submits of later batches are in flight.
      if (batch === 4) replay = s.reporter(1);
      await s.media.next((message) => message.referenceId === last);
    }
    const replaying = await replay!;
    await s.reporting.next((message) => message.seq === total, 15_000);
    await replaying.next((message) => message.seq === total, 15_000);
    await replaying.settle();

    expect(replaying.received[1]).toMatchObject({ message: 'EventAck' });
    const replayed = reportingEvents(replaying);
    expect(seqsOf(replayed)).toEqual(range(1, total));
    expect(replayed).toEqual(reportingEvents(s.reporting));
  });

  test('a second RequestStartReporting on one connection gets InvalidState', async () => {
    const s = await open();

    await expectError(s.reporting, { message: 'RequestStartReporting' }, 'InvalidState');
    await expectError(s.reporting, { message: 'RequestStartReporting', fromSeq: 1 }, 'InvalidState');

    const id = await s.submit();
    await s.expectNextReports([{ message: 'EventInteractionSubmitted', interactionId: id, seq: 1 }, { message: 'EventPlacedInQueue', seq: 2 }]);
    await s.reporting.settle();
    expect(seqsOf(reportingEvents(s.reporting))).toEqual([1, 2]);
  });

  test('the log continues after a restart', async () => {
    const s = await open();
    const before = await s.submit();

    await s.restart();
    const replay = await s.reporter(1);
    const after = await s.submit();

    await replay.next((message) => message.seq === 4);
    expect(reportingEvents(replay)).toMatchObject([
      { message: 'EventInteractionSubmitted', interactionId: before, seq: 1 },
      { message: 'EventPlacedInQueue', interactionId: before, seq: 2 },
      { message: 'EventInteractionSubmitted', interactionId: after, seq: 3 },
      { message: 'EventPlacedInQueue', interactionId: after, seq: 4 },
    ]);
    await s.expectNextReports([{ message: 'EventInteractionSubmitted', interactionId: after, seq: 3 }, { message: 'EventPlacedInQueue', seq: 4 }]);
  });
});

describe('agents with several connections', () => {
  test('events for the agent go to all its connections, and either may answer', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const desktop = await s.agent('agent-1', 'place-1');
    const phone = await s.agent('agent-1', 'place-1');
    const id = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', id));
    const { ticketId, referenceId } = await invite(router, desktop, id, 'agent-1');
    expect(await phone.next(named('EventInvite', id))).toMatchObject({ ticketId, interaction: { interactionId: id } });

    await expectAck(phone, { message: 'RequestAccept', ticketId, interactionId: id });

    expect(await router.next(called('EventRouteUsed'))).toMatchObject({ referenceId, interactionId: id, result: 'Accepted', agentId: 'agent-1' });
    await expectAck(s.media, { message: 'RequestChangeProperties', interactionId: id, changedProperties: { note: 'vip' } });
    for (const connection of [desktop, phone]) {
      expect(await connection.next(named('EventPropertiesChanged', id))).toMatchObject({ changedProperties: { note: 'vip' } });
    }
    await expectAck(desktop, { message: 'RequestStopProcessing', interactionId: id });
    await s.expectReports(id, [
      ...offeredTo('routed', 'router-1'),
      { message: 'EventAgentInvited' },
      { message: 'EventTakenFromQueue' },
      { message: 'EventPartyRemoved' },
      { message: 'EventPartyAdded' },
      { message: 'EventPropertiesChanged' },
      { message: 'EventPartyRemoved', party: agentParty('agent-1', 'place-1') },
      { message: 'EventProcessingStopped' },
    ]);
    // The agent asked (on one of its connections): none of them is told it was revoked.
    for (const connection of [desktop, phone]) expect((await unreadAfterSettling(connection)).filter(named('EventRevoked', id))).toEqual([]);
  });

  test('closing the last connection logs the agent out and revokes its invites at once; what it owns stays owned', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const desktop = await s.agent('agent-1', 'place-1', { email: 'ready', chat: 'ready' });
    const phone = await s.agent('agent-1', 'place-1', { email: 'ready', chat: 'ready' });
    const owned = await s.submit({ mediaType: 'chat' });
    await s.pull(desktop, { queue: 'backlog' });
    const invited = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', invited));
    const { ticketId, referenceId } = await invite(router, desktop, invited, 'agent-1');
    await s.expectReports(invited, [...offeredTo('routed', 'router-1'), { message: 'EventAgentInvited', ticketId }]);

    await desktop.close();
    // One connection is left: the agent is still logged in and its invite still out.
    expect(await phone.request({ message: 'RequestGetInteractionProperties', interactionId: invited })).toMatchObject({ interaction: { state: 'invited' } });
    await phone.close();

    expect(await router.next(called('EventRouteUsed'))).toMatchObject({ referenceId, interactionId: invited, result: 'Revoked', reason: 'AgentDisconnected' });
    await s.expectReports(invited, [
      { message: 'EventRevoked', agentId: 'agent-1', ticketId, reason: 'AgentDisconnected' },
      { message: 'EventPartyRemoved', party: strategyParty('router-1') },
      { message: 'EventPartyAdded', party: strategyParty('router-1') },
    ]);
    await router.next(named('EventRouteRequest', invited));
    await s.expectAgentReports('agent-1', [
      { message: 'EventAgentLogin' },
      { message: 'EventAgentLogout', agentId: 'agent-1', placeId: 'place-1', reason: 'AgentDisconnected' },
    ]);
    expect(await s.properties(owned)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
    expect(await s.reportedNames(owned)).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue', 'EventTakenFromQueue', 'EventPartyAdded']);

    const again = await s.desktop('desktop-again');
    const login = await again.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1', media: { email: 'ready' } });
    expect(login).toMatchObject({ message: 'EventAck', interactions: [{ interactionId: owned, state: 'handling', assignedTo: 'agent-1' }] });
    expect(login.interactions).toHaveLength(1);
  });
});

describe('before any request: registration and client type (SPEC sections 3 and 5)', () => {
  test('a request before RequestRegisterClient gets NotRegistered, and the connection stays usable', async () => {
    const s = await open();
    const client = await TestClient.connect(s.url);

    await expectError(client, { message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' }, 'NotRegistered');
    await expectError(client, { message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1' }, 'NotRegistered');
    await expectError(client, { message: 'RequestStartReporting' }, 'NotRegistered');

    expect(await client.request({ message: 'RequestRegisterClient', clientType: 'MediaServer', clientName: 'late' })).toMatchObject({ message: 'EventAck' });
    expect(await client.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' })).toMatchObject({ message: 'EventAck', interactionId: expect.any(String) });
    client.socket.terminate();
    await s.expectNextReports([{ message: 'EventInteractionSubmitted', seq: 1 }]);
  });

  const submit = { message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' };
  const routeCall = { message: 'RequestRouteCall', interactionId: '0000000000000001', agentId: 'agent-1' };
  const refused: [string, string, Record<string, unknown>][] = [
    ['AgentApplication', 'RequestSubmit', submit],
    ['AgentApplication', 'RequestRouteCall', routeCall],
    ['AgentApplication', 'RequestStartReporting', { message: 'RequestStartReporting' }],
    ['MediaServer', 'RequestAgentLogin', { message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1' }],
    ['MediaServer', 'RequestPull', { message: 'RequestPull', queue: 'backlog' }],
    ['MediaServer', 'RequestRouteCall', routeCall],
    ['RoutingEngine', 'RequestSubmit', submit],
    ['RoutingEngine', 'RequestAccept', { message: 'RequestAccept', ticketId: 1, interactionId: '0000000000000001' }],
    ['ReportingEngine', 'RequestSubmit', submit],
    ['ReportingEngine', 'RequestGetWorkbinContent', { message: 'RequestGetWorkbinContent', workbin: drafts1 }],
  ];
  test.each(refused)('a client of type %s sending %s gets Forbidden, saying so, and nothing changes', async (clientType, name, request) => {
    const s = await open();
    const id = await s.submit();
    const client = await TestClient.register(s.url, clientType, 'someone');

    const answer = await expectError(client, request, 'Forbidden');
    expect(answer.errorDescription).toBe(`A client of type ${clientType} may not send ${name}.`);

    client.socket.terminate();
    expect(await s.properties(id)).toMatchObject({ state: 'queued', queue: 'backlog' });
    await s.reporting.settle();
    expect(seqsOf(reportingEvents(s.reporting))).toEqual([1, 2]);
  });
});
