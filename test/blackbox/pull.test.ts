// Black-box tests for SPEC 4.2, "Agent pulls interaction": pulls from queues and workbins over real
// WebSockets, the handling timer that the agent's requests keep alive, what its timeout returns
// where, and which workbins an agent may use (SPEC section 5, Workbins).

import { afterEach, describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { about, expectAck, expectError, idsOf, invite, named, pace, Stage, stageConfig, withTimeouts, type WireInteraction } from '../support/lifecycle-stage.js';

let stage: Stage | undefined;

afterEach(async () => {
  await stage?.dispose();
  stage = undefined;
});

async function open(config: ConfigInput = stageConfig): Promise<Stage> {
  stage = await Stage.open(config);
  return stage;
}

/** What the reporting stream says about a fresh submit to a queue (SPEC section 5, RequestSubmit). */
function submittedTo(queue: string): Record<string, unknown>[] {
  return [
    { message: 'EventInteractionSubmitted' },
    { message: 'EventPlacedInQueue', queue, workbin: null },
  ];
}

function agentParty(agentId: string, placeId: string): Record<string, unknown> {
  return { type: 'Agent', agentId, placeId };
}

const drafts1 = { name: 'drafts', ownerId: 'agent-1' };

describe('pull from a queue (SPEC 4.2 step 1)', () => {
  test('pulls one interaction by default, the first in queue order, and the agent owns it', async () => {
    const s = await open();
    const low = await s.submit({ priority: 0 });
    const high = await s.submit({ priority: 5 });
    const agent = await s.agent('agent-1', 'place-1');

    const referenceId = agent.send({ message: 'RequestPull', queue: 'backlog' });
    const answer = await agent.next((message) => message.referenceId === referenceId);

    expect(answer).toMatchObject({
      message: 'EventPulledInteractions',
      referenceId,
      interactions: [{ interactionId: high, mediaType: 'email', priority: 5, state: 'handling', assignedTo: 'agent-1', queue: null, workbin: null }],
    });
    await s.expectReports(high, [
      ...submittedTo('backlog'),
      { message: 'EventTakenFromQueue', interactionId: high, queue: 'backlog', workbin: null },
      { message: 'EventPartyAdded', interactionId: high, party: agentParty('agent-1', 'place-1') },
    ]);
    expect(await s.properties(high)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
    expect(await s.properties(low)).toMatchObject({ state: 'queued', queue: 'backlog', assignedTo: null });
    expect(await s.reportedNames(low)).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue']);
  });

  test('pulls up to count in queue order (priority, then arrival), beyond the media capacity', async () => {
    const s = await open();
    const first = await s.submit();
    const second = await s.submit();
    const urgent = await s.submit({ priority: 3 });
    const last = await s.submit();
    const agent = await s.agent('agent-1');

    // The email capacity is 1: a pull is not limited by capacity (SPEC section 5, Capacity).
    expect(await s.pull(agent, { queue: 'backlog', count: 3 })).toEqual([urgent, first, second]);
    expect(await s.pull(agent, { queue: 'backlog', count: 3 })).toEqual([last]);
    for (const id of [urgent, first, second, last]) expect(await s.properties(id)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
  });

  test('answers an empty list when nothing matches', async () => {
    const s = await open();
    const elsewhere = await s.submit({ queue: 'other' });
    const agent = await s.agent('agent-1');

    const answer = await agent.request({ message: 'RequestPull', queue: 'backlog', count: 5 });

    expect(answer).toEqual({ message: 'EventPulledInteractions', referenceId: answer.referenceId, interactions: [] });
    expect(await s.properties(elsewhere)).toMatchObject({ state: 'queued', queue: 'other' });
  });

  test('pulls exactly the named interactions, wherever they stand in the queue', async () => {
    const s = await open();
    const a = await s.submit();
    const b = await s.submit();
    const c = await s.submit();
    const agent = await s.agent('agent-1');

    const pulled = await s.pull(agent, { queue: 'backlog', interactionIds: [c, a] });

    expect([...pulled].sort()).toEqual([a, c].sort());
    expect(await s.pull(agent, { queue: 'backlog', count: 5 })).toEqual([b]);
  });

  test('a named id that was never issued gets UnknownInteraction and nothing is pulled', async () => {
    const s = await open();
    const a = await s.submit();
    const agent = await s.agent('agent-1');

    await expectError(agent, { message: 'RequestPull', queue: 'backlog', interactionIds: [a, 'zzzzzzzzzzzzzzzz'] }, 'UnknownInteraction');
    await expectError(agent, { message: 'RequestPull', queue: 'backlog', interactionIds: ['no-such-interaction', a] }, 'UnknownInteraction');

    expect(await s.properties(a)).toMatchObject({ state: 'queued', queue: 'backlog', assignedTo: null });
    expect(await s.reportedNames(a)).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue']);
  });

  test('a named interaction another agent handles gets InvalidState and nothing is pulled', async () => {
    const s = await open();
    const taken = await s.submit();
    const free = await s.submit();
    const other = await s.agent('agent-2');
    expect(await s.pull(other, { queue: 'backlog', interactionIds: [taken] })).toEqual([taken]);
    const agent = await s.agent('agent-1');

    await expectError(agent, { message: 'RequestPull', queue: 'backlog', interactionIds: [free, taken] }, 'InvalidState');

    expect(await s.properties(free)).toMatchObject({ state: 'queued', queue: 'backlog', assignedTo: null });
    expect(await s.properties(taken)).toMatchObject({ state: 'handling', assignedTo: 'agent-2' });
    expect(await s.reportedNames(free)).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue']);
  });

  test('never pulls an invited interaction: named it gets InvalidState, by count it is skipped', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const invited = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', invited));
    const waiting = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', waiting));
    const invitee = await s.agent('agent-2');
    await invite(router, invitee, invited, 'agent-2');
    const agent = await s.agent('agent-1', 'place-1', {});

    await expectError(agent, { message: 'RequestPull', queue: 'routed', interactionIds: [invited] }, 'InvalidState');
    expect(await s.pull(agent, { queue: 'routed', count: 5 })).toEqual([waiting]);

    expect(await s.properties(invited)).toMatchObject({ state: 'invited', queue: 'routed', assignedTo: null });
  });

  test('a routing interaction is first taken from its router, then given to the agent', async () => {
    const s = await open();
    const router = await s.router('router-1');
    const id = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', id));
    await s.expectReports(id, [...submittedTo('routed'), { message: 'EventPartyAdded', party: { type: 'Strategy', name: 'router-1' } }]);
    const agent = await s.agent('agent-1', 'place-1');

    const answer = await agent.request({ message: 'RequestPull', queue: 'routed' });

    expect(answer).toMatchObject({
      message: 'EventPulledInteractions',
      interactions: [{ interactionId: id, state: 'handling', assignedTo: 'agent-1', queue: null, workbin: null }],
    });
    expect(await router.next(named('EventRevoked', id))).toMatchObject({ message: 'EventRevoked', interactionId: id, reason: 'Pulled' });
    await s.expectReports(id, [
      { message: 'EventPartyRemoved', party: { type: 'Strategy', name: 'router-1' } },
      { message: 'EventTakenFromQueue', queue: 'routed', workbin: null },
      { message: 'EventPartyAdded', party: agentParty('agent-1', 'place-1') },
    ]);
    // The router no longer holds it.
    await expectError(router, { message: 'RequestRouteCall', interactionId: id, agentId: 'agent-1' }, 'InvalidState');
  });

  test('an unknown queue gets UnknownQueue', async () => {
    const s = await open();
    const agent = await s.agent('agent-1');

    await expectError(agent, { message: 'RequestPull', queue: 'nowhere' }, 'UnknownQueue');
  });
});

describe('pull from a workbin (SPEC 4.2 step 2)', () => {
  test('reports taken from queue (queue null) and from workbin, and subscribers hear Remove', async () => {
    const s = await open();
    const id = await s.submit();
    const agent = await s.agent('agent-1', 'place-1');
    await s.pull(agent, { queue: 'backlog' });
    const watcher = await s.mediaServer('watcher');
    await expectAck(watcher, { message: 'RequestWorkbinNotifications', workbin: drafts1, subscribe: true });
    await expectAck(agent, { message: 'RequestPlaceInWorkbin', interactionId: id, workbin: { name: 'drafts' } });
    expect(await watcher.next(named('EventWorkbinContentChanged', id))).toMatchObject({ operation: 'Add' });
    await s.expectReports(id, [
      ...submittedTo('backlog'),
      { message: 'EventTakenFromQueue' },
      { message: 'EventPartyAdded' },
      { message: 'EventPartyRemoved', party: agentParty('agent-1', 'place-1') },
      { message: 'EventPlacedInQueue', queue: null, workbin: drafts1 },
      { message: 'EventPlacedInWorkbin', workbin: drafts1 },
    ]);

    const answer = await agent.request({ message: 'RequestPull', workbin: { name: 'drafts' } });

    expect(answer).toMatchObject({
      message: 'EventPulledInteractions',
      interactions: [{ interactionId: id, state: 'handling', assignedTo: 'agent-1', queue: null, workbin: null }],
    });
    await s.expectReports(id, [
      { message: 'EventTakenFromQueue', interactionId: id, queue: null, workbin: drafts1 },
      { message: 'EventTakenFromWorkbin', interactionId: id, workbin: drafts1 },
      { message: 'EventPartyAdded', interactionId: id, party: agentParty('agent-1', 'place-1') },
    ]);
    expect(await watcher.next(named('EventWorkbinContentChanged', id))).toMatchObject({
      message: 'EventWorkbinContentChanged',
      workbin: drafts1,
      operation: 'Remove',
      interaction: { interactionId: id },
    });
  });

  test('pulls from a workbin in the order placed, by count or by name, and empty when nothing is left', async () => {
    const s = await open();
    const a = await s.submit();
    const b = await s.submit();
    const agent = await s.agent('agent-1');
    await s.pull(agent, { queue: 'backlog', count: 2 });
    await expectAck(agent, { message: 'RequestPlaceInWorkbin', interactionId: b, workbin: drafts1 });
    await expectAck(agent, { message: 'RequestPlaceInWorkbin', interactionId: a, workbin: drafts1 });

    expect(await s.pull(agent, { workbin: drafts1 })).toEqual([b]);
    expect(await s.pull(agent, { workbin: drafts1, interactionIds: [a] })).toEqual([a]);
    expect(await s.pull(agent, { workbin: drafts1, count: 5 })).toEqual([]);
  });
});

describe('processing keeps the interaction (SPEC 4.2 step 3)', () => {
  test("an agent that keeps sending requests, from any of its connections, keeps its interaction beyond the handling timeout", async () => {
    const s = await open(withTimeouts({ handlingTimeout: 0.6 }));
    const id = await s.submit();
    const desktop = await s.agent('agent-1');
    const phone = await s.agent('agent-1');
    await s.pull(desktop, { queue: 'backlog' });

    // Work for well over twice the timeout, one request every 0.2 s, alternating connections.
    const started = Date.now();
    for (let turn = 0; Date.now() - started < 1500; turn++) {
      await pace(200);
      const answer = await (turn % 2 === 0 ? desktop : phone).request({ message: 'RequestGetInteractionProperties', interactionId: id });
      expect(answer).toMatchObject({ message: 'EventInteractionProperties', interaction: { state: 'handling', assignedTo: 'agent-1' } });
    }
    expect(about(desktop, id).filter((message) => message.message === 'EventRevoked')).toEqual([]);

    // Left alone, it times out: the timer ran all along.
    expect(await desktop.next(named('EventRevoked', id), 3000)).toMatchObject({ reason: 'HandlingTimeout' });
    expect(await phone.next(named('EventRevoked', id), 3000)).toMatchObject({ reason: 'HandlingTimeout' });
  });

  test('a request answered with EventError does not reset the handling timer', async () => {
    const s = await open(withTimeouts({ handlingTimeout: 0.6 }));
    const id = await s.submit();
    const agent = await s.agent('agent-1');
    await s.pull(agent, { queue: 'backlog' });

    // Refused requests every 0.1 s: if they reset the timer, the revoke would never come.
    const revoked = agent.next(named('EventRevoked', id), 3000);
    let done = false;
    revoked.then(() => (done = true), () => (done = true));
    for (let turn = 0; !done; turn++) {
      await pace(100);
      const refused = turn % 2 === 0
        ? await agent.request({ message: 'RequestGetInteractionProperties', interactionId: 'zzzzzzzzzzzzzzzz' })
        : await agent.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' });
      expect(refused).toMatchObject({ message: 'EventError', errorCode: turn % 2 === 0 ? 'UnknownInteraction' : 'Forbidden' });
    }

    expect(await revoked).toMatchObject({ interactionId: id, reason: 'HandlingTimeout' });
  });

  test("the media type's handlingTimeout overrides the server's", async () => {
    const s = await open(withTimeouts({ handlingTimeout: 600 }, { chat: { capacity: 1, handlingTimeout: 0.5 } }));
    const chat = await s.submit({ mediaType: 'chat' });
    const email = await s.submit();
    const agent = await s.agent('agent-1');
    expect(await s.pull(agent, { queue: 'backlog', count: 2 })).toEqual([chat, email]);

    expect(await agent.next(named('EventRevoked', chat), 3000)).toMatchObject({ reason: 'HandlingTimeout' });

    expect(await s.properties(email)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
    expect(await s.properties(chat)).toMatchObject({ state: 'queued', queue: 'backlog', assignedTo: null });
  });

  test("the user-data key handling-timeout (seconds) shortens the media type's and the server's", async () => {
    const s = await open(withTimeouts({ handlingTimeout: 600 }, { email: { capacity: 1, handlingTimeout: 600 } }));
    const short = await s.submit({ userData: { 'handling-timeout': 0.5 } });
    const plain = await s.submit();
    const agent = await s.agent('agent-1');
    await s.pull(agent, { queue: 'backlog', count: 2 });

    expect(await agent.next(named('EventRevoked', short), 3000)).toMatchObject({ reason: 'HandlingTimeout' });

    expect(await s.properties(plain)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
  });

  test("the user-data key handling-timeout lengthens the server's", async () => {
    const s = await open(withTimeouts({ handlingTimeout: 0.5 }));
    const long = await s.submit({ userData: { 'handling-timeout': 600 } });
    const plain = await s.submit();
    const agent = await s.agent('agent-1');
    await s.pull(agent, { queue: 'backlog', count: 2 });

    expect(await agent.next(named('EventRevoked', plain), 3000)).toMatchObject({ reason: 'HandlingTimeout' });

    expect(await s.properties(long)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
  });
});

describe('handling timeout (SPEC 4.2 step 4)', () => {
  test('returns a queue interaction to its queue, at the same place in the queue order', async () => {
    const s = await open(withTimeouts({ handlingTimeout: 0.6 }));
    const first = await s.submit();
    const middle = await s.submit();
    const last = await s.submit();
    const [submitted] = await s.expectReports(middle, submittedTo('backlog'));
    const enteredAt = (submitted!.interaction as WireInteraction).placedInQueueAt;
    const agent = await s.agent('agent-1', 'place-1');
    expect(await s.pull(agent, { queue: 'backlog', interactionIds: [middle] })).toEqual([middle]);

    expect(await agent.next(named('EventRevoked', middle), 3000)).toMatchObject({ message: 'EventRevoked', interactionId: middle, reason: 'HandlingTimeout' });

    await s.expectReports(middle, [
      { message: 'EventTakenFromQueue', queue: 'backlog' },
      { message: 'EventPartyAdded', party: agentParty('agent-1', 'place-1') },
      { message: 'EventPartyRemoved', party: agentParty('agent-1', 'place-1') },
      { message: 'EventPlacedInQueue', queue: 'backlog', workbin: null },
    ]);
    expect(await s.properties(middle)).toMatchObject({ state: 'queued', queue: 'backlog', assignedTo: null, placedInQueueAt: enteredAt });
    const other = await s.agent('agent-2');
    expect(await s.pull(other, { queue: 'backlog', count: 3 })).toEqual([first, middle, last]);
  });

  test('routes a timed-out interaction of a routed queue again', async () => {
    const s = await open(withTimeouts({ handlingTimeout: 0.6 }));
    const router = await s.router('router-1');
    const id = await s.submit({ queue: 'routed' });
    await router.next(named('EventRouteRequest', id));
    const agent = await s.agent('agent-1', 'place-1');
    expect(await s.pull(agent, { queue: 'routed', interactionIds: [id] })).toEqual([id]);
    await router.next(named('EventRevoked', id));
    await s.expectReports(id, [
      ...submittedTo('routed'),
      { message: 'EventPartyAdded', party: { type: 'Strategy' } },
      { message: 'EventPartyRemoved', party: { type: 'Strategy' } },
      { message: 'EventTakenFromQueue', queue: 'routed' },
      { message: 'EventPartyAdded', party: agentParty('agent-1', 'place-1') },
    ]);

    expect(await agent.next(named('EventRevoked', id), 3000)).toMatchObject({ reason: 'HandlingTimeout' });

    await s.expectReports(id, [
      { message: 'EventPartyRemoved', party: agentParty('agent-1', 'place-1') },
      { message: 'EventPlacedInQueue', queue: 'routed', workbin: null },
      { message: 'EventPartyAdded', party: { type: 'Strategy', name: 'router-1' } },
    ]);
    expect(await router.next(named('EventRouteRequest', id))).toMatchObject({ interaction: { interactionId: id, state: 'routing', queue: 'routed' } });
  });

  test('returns a workbin interaction to its workbin, and subscribers hear Add', async () => {
    const s = await open(withTimeouts({ handlingTimeout: 0.6 }));
    const id = await s.submit();
    const watcher = await s.mediaServer('watcher');
    await expectAck(watcher, { message: 'RequestWorkbinNotifications', workbin: drafts1, subscribe: true });
    const agent = await s.agent('agent-1', 'place-1');
    await s.pull(agent, { queue: 'backlog' });
    await expectAck(agent, { message: 'RequestPlaceInWorkbin', interactionId: id, workbin: drafts1 });
    expect(await s.pull(agent, { workbin: drafts1 })).toEqual([id]);
    expect(await watcher.next(named('EventWorkbinContentChanged', id))).toMatchObject({ operation: 'Add' });
    expect(await watcher.next(named('EventWorkbinContentChanged', id))).toMatchObject({ operation: 'Remove' });
    await s.expectReports(id, [
      ...submittedTo('backlog'),
      { message: 'EventTakenFromQueue' },
      { message: 'EventPartyAdded' },
      { message: 'EventPartyRemoved' },
      { message: 'EventPlacedInQueue' },
      { message: 'EventPlacedInWorkbin' },
      { message: 'EventTakenFromQueue', queue: null, workbin: drafts1 },
      { message: 'EventTakenFromWorkbin', workbin: drafts1 },
      { message: 'EventPartyAdded' },
    ]);

    expect(await agent.next(named('EventRevoked', id), 3000)).toMatchObject({ interactionId: id, reason: 'HandlingTimeout' });

    await s.expectReports(id, [
      { message: 'EventPartyRemoved', party: agentParty('agent-1', 'place-1') },
      { message: 'EventPlacedInQueue', queue: null, workbin: drafts1 },
      { message: 'EventPlacedInWorkbin', workbin: drafts1 },
    ]);
    expect(await watcher.next(named('EventWorkbinContentChanged', id))).toMatchObject({
      workbin: drafts1,
      operation: 'Add',
      interaction: { interactionId: id, state: 'queued', queue: null, workbin: drafts1, assignedTo: null },
    });
    const content = await agent.request({ message: 'RequestGetWorkbinContent', workbin: drafts1 });
    expect(idsOf(content.interactions)).toEqual([id]);
  });
});

describe('workbin access (SPEC section 5, Workbins)', () => {
  test('an agent uses its own workbin, and a workbin reference without ownerId means the requesting agent', async () => {
    const s = await open();
    const id = await s.submit();
    const agent = await s.agent('agent-1', 'place-1');
    await s.pull(agent, { queue: 'backlog' });

    await expectAck(agent, { message: 'RequestWorkbinNotifications', workbin: { name: 'drafts' }, subscribe: true });
    await expectAck(agent, { message: 'RequestPlaceInWorkbin', interactionId: id, workbin: { name: 'drafts' } });

    expect(await agent.next(named('EventWorkbinContentChanged', id))).toMatchObject({ workbin: drafts1, operation: 'Add' });
    for (const workbin of [{ name: 'drafts' }, drafts1]) {
      expect(await agent.request({ message: 'RequestGetWorkbinContent', workbin })).toMatchObject({
        message: 'EventWorkbinContent',
        workbin: drafts1,
        interactions: [{ interactionId: id, state: 'queued', queue: null, workbin: drafts1 }],
      });
    }
    expect(await s.pull(agent, { workbin: drafts1 })).toEqual([id]);
  });

  test("an agent uses its place's workbin, and so does the next agent at that place", async () => {
    const s = await open();
    const id = await s.submit();
    const agent = await s.agent('agent-1', 'place-1');
    await s.pull(agent, { queue: 'backlog' });
    const desk1 = { name: 'desk', ownerId: 'place-1' };

    await expectAck(agent, { message: 'RequestPlaceInWorkbin', interactionId: id, workbin: { name: 'desk' } });

    await s.expectReports(id, [
      ...submittedTo('backlog'),
      { message: 'EventTakenFromQueue' },
      { message: 'EventPartyAdded' },
      { message: 'EventPartyRemoved' },
      { message: 'EventPlacedInQueue', queue: null, workbin: desk1 },
      { message: 'EventPlacedInWorkbin', workbin: desk1 },
    ]);
    const content = await agent.request({ message: 'RequestGetWorkbinContent', workbin: desk1 });
    expect(idsOf(content.interactions)).toEqual([id]);
    const elsewhere = await s.agent('agent-2', 'place-2');
    await expectError(elsewhere, { message: 'RequestGetWorkbinContent', workbin: desk1 }, 'Forbidden');
    await expectError(elsewhere, { message: 'RequestPull', workbin: desk1 }, 'Forbidden');
    await expectAck(agent, { message: 'RequestAgentLogout' });
    const next = await s.agent('agent-3', 'place-1');
    expect(await s.pull(next, { workbin: { name: 'desk' } })).toEqual([id]);
  });

  test('an agent uses the workbins of the agent groups it belongs to, and no other agent may', async () => {
    const s = await open();
    const id = await s.submit();
    const mine = await s.submit();
    const member = await s.agent('agent-7');
    const outsider = await s.agent('agent-1');
    await s.pull(member, { queue: 'backlog', interactionIds: [id] });
    await s.pull(outsider, { queue: 'backlog', interactionIds: [mine] });
    const team = { name: 'team', ownerId: 'tier2' };

    await expectAck(member, { message: 'RequestWorkbinNotifications', workbin: team, subscribe: true });
    await expectAck(member, { message: 'RequestPlaceInWorkbin', interactionId: id, workbin: team });
    expect(await member.next(named('EventWorkbinContentChanged', id))).toMatchObject({ workbin: team, operation: 'Add' });
    const content = await member.request({ message: 'RequestGetWorkbinContent', workbin: team });
    expect(content).toMatchObject({ message: 'EventWorkbinContent', workbin: team });
    expect(idsOf(content.interactions)).toEqual([id]);

    await expectError(outsider, { message: 'RequestGetWorkbinContent', workbin: team }, 'Forbidden');
    await expectError(outsider, { message: 'RequestWorkbinNotifications', workbin: team, subscribe: true }, 'Forbidden');
    await expectError(outsider, { message: 'RequestPull', workbin: team }, 'Forbidden');
    await expectError(outsider, { message: 'RequestPlaceInWorkbin', interactionId: mine, workbin: team }, 'Forbidden');
    expect(await s.properties(mine)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });

    expect(await s.pull(member, { workbin: team })).toEqual([id]);
  });

  test("another agent's workbin is Forbidden to read, watch, pull from and place into; routers and media servers may use it", async () => {
    const s = await open();
    const id = await s.submit();
    const mine = await s.submit();
    const owner = await s.agent('agent-1');
    const other = await s.agent('agent-2');
    await s.pull(owner, { queue: 'backlog', interactionIds: [id] });
    await s.pull(other, { queue: 'backlog', interactionIds: [mine] });
    await expectAck(owner, { message: 'RequestPlaceInWorkbin', interactionId: id, workbin: drafts1 });

    await expectError(other, { message: 'RequestGetWorkbinContent', workbin: drafts1 }, 'Forbidden');
    await expectError(other, { message: 'RequestWorkbinNotifications', workbin: drafts1, subscribe: true }, 'Forbidden');
    await expectError(other, { message: 'RequestPull', workbin: drafts1 }, 'Forbidden');
    await expectError(other, { message: 'RequestPull', workbin: drafts1, interactionIds: [id] }, 'Forbidden');
    await expectError(other, { message: 'RequestPlaceInWorkbin', interactionId: mine, workbin: drafts1 }, 'Forbidden');

    expect(await s.properties(mine)).toMatchObject({ state: 'handling', assignedTo: 'agent-2' });
    expect(await s.properties(id)).toMatchObject({ state: 'queued', workbin: drafts1 });
    const router = await s.router('router-1');
    for (const client of [s.media, router]) {
      const content = await client.request({ message: 'RequestGetWorkbinContent', workbin: drafts1 });
      expect(content).toMatchObject({ message: 'EventWorkbinContent', workbin: drafts1 });
      expect(idsOf(content.interactions)).toEqual([id]);
    }
  });

  test('an unknown workbin gets UnknownWorkbin', async () => {
    const s = await open();
    const id = await s.submit();
    const agent = await s.agent('agent-1');
    await s.pull(agent, { queue: 'backlog' });

    for (const workbin of [{ name: 'nowhere' }, { name: 'nowhere', ownerId: 'agent-1' }]) {
      await expectError(agent, { message: 'RequestGetWorkbinContent', workbin }, 'UnknownWorkbin');
      await expectError(agent, { message: 'RequestWorkbinNotifications', workbin, subscribe: true }, 'UnknownWorkbin');
      await expectError(agent, { message: 'RequestPull', workbin }, 'UnknownWorkbin');
      await expectError(agent, { message: 'RequestPlaceInWorkbin', interactionId: id, workbin }, 'UnknownWorkbin');
      await expectError(s.media, { message: 'RequestGetWorkbinContent', workbin }, 'UnknownWorkbin');
    }
    expect(await s.properties(id)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
  });
});
