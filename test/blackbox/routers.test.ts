// SPEC 4.1 "Routers" and SPEC 3: how the server shares routed interactions among RoutingEngines
// (round-robin, `queues` lists), what happens to a router's work when its connection closes, and
// that a router may act only on what it holds.

import { afterEach, describe, expect, it } from 'vitest';
import type { TestClient } from '../support/client.js';
import {
  about,
  interactionOf,
  invite,
  named,
  namesOf,
  Scene,
  withDeliveringTimeout,
} from '../support/deliver-scene.js';

let scene: Scene;

afterEach(async () => {
  await scene?.dispose();
});

/** The interactions each router has been offered so far, once everything sent before has arrived. */
async function offeredTo(...routers: TestClient[]): Promise<string[][]> {
  const offered: string[][] = [];
  for (const router of routers) {
    await router.settle();
    offered.push(router.received.filter((message) => message.message === 'EventRouteRequest').map((message) => interactionOf(message).interactionId));
  }
  return offered;
}

async function submitMany(count: number, attributes: Record<string, unknown> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) ids.push(await scene.submit(attributes));
  return ids;
}

describe('SPEC 4.1 routers: sharing the work', () => {
  it('offers the interactions of a queue round-robin between two routers', async () => {
    scene = await Scene.open();
    const first = await scene.router('router-1');
    const second = await scene.router('router-2');
    const ids = await submitMany(6);

    const [toFirst, toSecond] = (await offeredTo(first, second)) as [string[], string[]];
    expect(toFirst).toHaveLength(3);
    expect(toSecond).toHaveLength(3);
    const holders = ids.map((id) => (toFirst.includes(id) ? 'router-1' : toSecond.includes(id) ? 'router-2' : 'nobody'));
    for (let index = 1; index < holders.length; index++) expect(holders[index]).not.toBe(holders[index - 1]);
    // The reported Strategy party is the router that got it.
    for (const [index, id] of ids.entries()) {
      expect((await scene.reported('EventPartyAdded', id)).party).toEqual({ type: 'Strategy', name: holders[index] });
    }
  });

  it('a router registered with queues: [q] receives only the interactions of q', async () => {
    scene = await Scene.open();
    const onlyQ = await scene.router('router-q', ['q']);
    const elsewhere = await scene.submit({ queue: 'q2' });
    const inQ = await scene.submit({ queue: 'q' });
    expect(await offeredTo(onlyQ)).toEqual([[inQ]]);
    expect(await scene.properties(elsewhere)).toMatchObject({ state: 'queued', queue: 'q2' });
    expect(await scene.reportedNames(elsewhere)).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue']);

    // A router naming no queues serves every external queue: it takes the waiting q2 interaction at once.
    const general = await scene.router('router-all');
    await general.next(named('EventRouteRequest', elsewhere));
    const moreElsewhere = await submitMany(3, { queue: 'q2' });
    const [toOnlyQ, toGeneral] = (await offeredTo(onlyQ, general)) as [string[], string[]];
    expect(toOnlyQ).toEqual([inQ]);
    expect(toGeneral).toEqual([elsewhere, ...moreElsewhere]);
  });

  it('a builtin queue goes only to a router that names it, and a none queue to no router at all', async () => {
    scene = await Scene.open();
    const general = await scene.router('router-all');
    const builtin = await scene.router('router-bq', ['bq', 'backlog']);
    const inBuiltin = await scene.submit({ queue: 'bq' });
    const inBacklog = await scene.submit({ queue: 'backlog' });

    const [toGeneral, toBuiltin] = (await offeredTo(general, builtin)) as [string[], string[]];
    expect(toGeneral).toEqual([]);
    expect(toBuiltin).toEqual([inBuiltin]);
    expect(await scene.properties(inBuiltin)).toMatchObject({ state: 'routing', queue: 'bq' });
    expect(await scene.properties(inBacklog)).toMatchObject({ state: 'queued', queue: 'backlog' });
  });
});

describe("SPEC 4.1 routers: a router's connection closes", () => {
  it('each interaction it held in routing loses its Strategy party and is offered to the other router', async () => {
    scene = await Scene.open();
    const leaving = await scene.router('router-1');
    const staying = await scene.router('router-2');
    await submitMany(4);
    const [held, kept] = (await offeredTo(leaving, staying)) as [string[], string[]];
    expect(held).toHaveLength(2);

    await leaving.close();
    for (const id of held) {
      await staying.next(named('EventRouteRequest', id));
      expect(await scene.reportedNames(id)).toEqual([
        'EventInteractionSubmitted', 'EventPlacedInQueue', 'EventPartyAdded', 'EventPartyRemoved', 'EventPartyAdded',
      ]);
      const [, , , removed, added] = about(scene.reporting, id);
      expect(removed!.party).toMatchObject({ type: 'Strategy' });
      expect(added!.party).toEqual({ type: 'Strategy', name: 'router-2' });
      expect(await scene.properties(id)).toMatchObject({ state: 'routing', queue: 'q' });
    }
    // What the other router already held is untouched.
    for (const id of kept) expect(await scene.reportedNames(id)).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue', 'EventPartyAdded']);
    const [offeredToStaying] = (await offeredTo(staying)) as [string[]];
    expect(offeredToStaying.toSorted()).toEqual([...kept, ...held].toSorted());

    // The other router now holds them and may route them.
    const agent = await scene.agent('agent-1', 'place-1');
    await invite(staying, agent, held[0]!, 'agent-1');
  });

  it('the removed Strategy party names the router that held the interaction', async () => {
    scene = await Scene.open();
    const leaving = await scene.router('router-1');
    const id = await scene.submit();
    await leaving.next(named('EventRouteRequest', id));
    expect((await scene.reported('EventPartyAdded', id)).party).toEqual({ type: 'Strategy', name: 'router-1' });

    await leaving.close();
    expect((await scene.reported('EventPartyRemoved', id)).party).toEqual({ type: 'Strategy', name: 'router-1' });
  });

  it('with no other router, its interactions wait queued until a router registers, then are offered in queue order', async () => {
    scene = await Scene.open();
    const leaving = await scene.router('router-1');
    const ids = await submitMany(3);
    await offeredTo(leaving);

    await leaving.close();
    for (const id of ids) {
      expect((await scene.reported('EventPartyRemoved', id)).party).toMatchObject({ type: 'Strategy' });
      expect(await scene.reportedNames(id)).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue', 'EventPartyAdded', 'EventPartyRemoved']);
      expect(await scene.properties(id)).toMatchObject({ state: 'queued', queue: 'q' });
    }

    const newcomer = await scene.router('router-3');
    const order: string[] = [];
    for (let index = 0; index < ids.length; index++) order.push(interactionOf(await newcomer.next('EventRouteRequest')).interactionId);
    expect(order).toEqual(ids);
    await scene.reporting.settle();
    for (const id of ids) expect(about(scene.reporting, id).at(-1)).toMatchObject({ message: 'EventPartyAdded', party: { type: 'Strategy', name: 'router-3' } });
  });
});

describe("SPEC 4.1 routers: an invite that is out when its router's connection closes", () => {
  /** router-1 invites agent-1, then its connection closes; router-2 stays. */
  async function inviteThenLoseRouter(config = withDeliveringTimeout(30)) {
    scene = await Scene.open(config);
    const leaving = await scene.router('router-1');
    const agent = await scene.agent('agent-1', 'place-1');
    const interactionId = await scene.submit();
    await leaving.next(named('EventRouteRequest', interactionId));
    const { ticketId } = await invite(leaving, agent, interactionId, 'agent-1');
    await leaving.close();
    const staying = await scene.router('router-2');
    const history = ['EventInteractionSubmitted', 'EventPlacedInQueue', 'EventPartyAdded', 'EventAgentInvited'];
    return { agent, staying, interactionId, ticketId, history };
  }

  it('stays out: the agent keeps the invite and may accept it', async () => {
    const { agent, staying, interactionId, ticketId, history } = await inviteThenLoseRouter();
    await agent.settle();
    expect(namesOf(about(agent, interactionId))).toEqual(['EventInvite']);
    expect(await scene.reportedNames(interactionId)).toEqual(history);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'invited', queue: 'q' });
    expect(await offeredTo(staying)).toEqual([[]]);

    expect((await agent.request({ message: 'RequestAccept', ticketId, interactionId })).message).toBe('EventAck');
    await scene.reported('EventPartyAdded', interactionId);
    expect(await scene.reportedNames(interactionId)).toEqual([...history, 'EventTakenFromQueue', 'EventPartyRemoved', 'EventPartyAdded']);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'handling', assignedTo: 'agent-1', queue: null });
  });

  it('if the agent then rejects it, the interaction is offered to another router', async () => {
    const { agent, staying, interactionId, ticketId, history } = await inviteThenLoseRouter();
    const answer = await agent.request({ message: 'RequestReject', ticketId, interactionId, reason: 'busy' });
    expect(answer.message).toBe('EventAck');

    const request = await staying.next(named('EventRouteRequest', interactionId));
    expect(interactionOf(request)).toMatchObject({ interactionId, state: 'routing', queue: 'q' });
    await scene.reported('EventPartyAdded', interactionId);
    expect(await scene.reportedNames(interactionId)).toEqual([...history, 'EventRejected', 'EventPartyRemoved', 'EventPartyAdded']);
    const reported = about(scene.reporting, interactionId);
    expect(reported[4]).toMatchObject({ agentId: 'agent-1', ticketId, reason: 'busy' });
    expect(reported[5]!.party).toMatchObject({ type: 'Strategy' });
    expect(reported[6]!.party).toEqual({ type: 'Strategy', name: 'router-2' });

    // The new holder may route it, to the same agent too.
    await invite(staying, agent, interactionId, 'agent-1');
  });

  it('if the delivering timer fires, the interaction is offered to another router', async () => {
    const { agent, staying, interactionId, ticketId, history } = await inviteThenLoseRouter(withDeliveringTimeout(0.3));
    expect(await agent.next(named('EventRevoked', interactionId))).toMatchObject({ ticketId, reason: 'DeliveringTimeout' });
    await staying.next(named('EventRouteRequest', interactionId));
    await scene.reported('EventPartyAdded', interactionId);
    expect(await scene.reportedNames(interactionId)).toEqual([...history, 'EventRevoked', 'EventPartyRemoved', 'EventPartyAdded']);
    expect(about(scene.reporting, interactionId)[6]!.party).toEqual({ type: 'Strategy', name: 'router-2' });
  });

  it('if it is rejected while no router is connected, the interaction waits queued', async () => {
    scene = await Scene.open();
    const leaving = await scene.router('router-1');
    const agent = await scene.agent('agent-1', 'place-1');
    const interactionId = await scene.submit();
    await leaving.next(named('EventRouteRequest', interactionId));
    const { ticketId } = await invite(leaving, agent, interactionId, 'agent-1');
    await leaving.close();

    expect((await agent.request({ message: 'RequestReject', ticketId, interactionId })).message).toBe('EventAck');
    await scene.reported('EventPartyRemoved', interactionId);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'queued', queue: 'q' });
    const newcomer = await scene.router('router-2');
    await newcomer.next(named('EventRouteRequest', interactionId));
  });
});

describe('SPEC 4.1 routers: only the holder may route', () => {
  it('RequestRouteCall for an interaction held by another router gets Forbidden and changes nothing', async () => {
    scene = await Scene.open();
    const holder = await scene.router('router-1');
    const interactionId = await scene.submit();
    await holder.next(named('EventRouteRequest', interactionId));
    const other = await scene.router('router-2');
    const agent = await scene.agent('agent-1', 'place-1');
    const before = await scene.reportedNames(interactionId);

    const answer = await other.request({ message: 'RequestRouteCall', interactionId, agentId: 'agent-1' });
    expect(answer).toMatchObject({ message: 'EventError', errorCode: 'Forbidden' });

    expect(await scene.reportedNames(interactionId)).toEqual(before);
    await agent.settle();
    expect(about(agent, interactionId)).toEqual([]);
    expect(await scene.properties(interactionId)).toMatchObject({ state: 'routing' });
    await invite(holder, agent, interactionId, 'agent-1');
  });
});
