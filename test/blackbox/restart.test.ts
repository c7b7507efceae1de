// SPEC section 6 across a clean restart: the server stops (in-process `restart()`, or SIGTERM of a
// child process) and a new one starts on the same store. Queued and workbin interactions are
// where they were, in the same order; invites that were out are revoked with ServerRestart and
// offered again; handling interactions stay owned with a fresh handling timer; routing ones are
// offered to routers again; the reporting log continues at the next seq; ids and tickets are never
// reused.

import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { TestClient, type Message } from '../support/client.js';
import { oneToN, seqsOf } from '../support/durability-peer.js';
import { recordingLogger, startTestServer, useChildServers, type TestServer } from '../support/server.js';

const baseConfig: ConfigInput = {
  timeouts: { deliveringTimeout: 30, handlingTimeout: 600 },
  queues: { q: { routing: 'external' }, backlog: { routing: 'none' } },
  workbins: { drafts: { owner: 'agent' } },
  router: { builtin: false },
};

let server: TestServer | undefined;
let clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients) client.socket.terminate();
  clients = [];
  await server?.dispose();
  server = undefined;
});

async function open(clientType: string, clientName: string, extra: Record<string, unknown> = {}): Promise<TestClient> {
  const client = await TestClient.register(server!.url, clientType, clientName, extra);
  clients.push(client);
  return client;
}

async function acknowledged(client: TestClient, request: Record<string, unknown>): Promise<Message> {
  const answer = await client.request(request);
  if (answer.message === 'EventError') throw new Error(`request refused: ${JSON.stringify(request)} -> ${JSON.stringify(answer)}`);
  return answer;
}

async function agent(agentId: string, media: Record<string, string> = {}): Promise<{ client: TestClient; login: Message }> {
  const client = await open('AgentApplication', `desk-${agentId}`);
  const login = await acknowledged(client, { message: 'RequestAgentLogin', agentId, placeId: `place-${agentId}`, media });
  return { client, login };
}

async function submit(media: TestClient, attributes: Record<string, unknown>): Promise<string> {
  const ack = await acknowledged(media, { message: 'RequestSubmit', mediaType: 'chat', ...attributes });
  return ack.interactionId as string;
}

/** A reporting client that gets the stored events from `fromSeq` on, then live ones. */
async function reportingFrom(fromSeq: number, name = 'reporting'): Promise<TestClient> {
  const reporting = await open('ReportingEngine', name);
  await acknowledged(reporting, { message: 'RequestStartReporting', fromSeq });
  return reporting;
}

function about(interactionId: string, message: string) {
  return (event: Message) =>
    event.message === message && (event.interactionId ?? (event.interaction as Message | undefined)?.interactionId) === interactionId;
}

/** Stops the server cleanly and starts a new one on the same store; the old clients are closed with 1001. */
async function restart(): Promise<void> {
  const old = clients;
  clients = [];
  server = await server!.restart();
  for (const client of old) {
    expect((await client.closed).code).toBe(1001);
  }
}

describe('in-process restart on the same store', () => {
  it('says at start where interactions wait that the config no longer names, and what it does not reach', async () => {
    server = await startTestServer({ ...baseConfig, queues: { ...baseConfig.queues, retired: { routing: 'none' } } });
    const media = await open('MediaServer', 'media-1');
    await submit(media, { queue: 'retired' });
    await submit(media, { queue: 'retired' });
    await submit(media, { queue: 'backlog' });
    const store = server.store;
    await server.stop();
    clients = [];
    const { logger, lines } = recordingLogger();
    server = await startTestServer(baseConfig, store, logger);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, where: { 'queue retired': 2 }, msg: expect.stringContaining('the config no longer names') }));
  });

  it('keeps queued and workbin interactions where they were, in the same order', async () => {
    server = await startTestServer(baseConfig);
    const media = await open('MediaServer', 'media-1');
    const priorities = [0, 2, 0, 1, 2, 0];
    const queued: string[] = [];
    for (const priority of priorities) queued.push(await submit(media, { queue: 'backlog', priority, userData: { priority } }));
    const [a, b, c, d, e, f] = queued as [string, string, string, string, string, string];
    const filed = [await submit(media, { queue: 'backlog', priority: 9 }), await submit(media, { queue: 'backlog', priority: 9 }), await submit(media, { queue: 'backlog', priority: 9 })];
    const { client: desk } = await agent('agent-1');
    // Filed in the order 2, 0, 1: a workbin keeps the order of entry.
    for (const index of [2, 0, 1]) {
      await acknowledged(desk, { message: 'RequestPull', queue: 'backlog', interactionIds: [filed[index]] });
      await acknowledged(desk, { message: 'RequestPlaceInWorkbin', interactionId: filed[index], workbin: { name: 'drafts' } });
    }
    const propertiesBefore = [];
    for (const interactionId of queued) propertiesBefore.push((await acknowledged(media, { message: 'RequestGetInteractionProperties', interactionId })).interaction);
    const workbinBefore = await acknowledged(media, { message: 'RequestGetWorkbinContent', workbin: { name: 'drafts', ownerId: 'agent-1' } });
    expect((workbinBefore.interactions as { interactionId: string }[]).map((interaction) => interaction.interactionId)).toEqual([filed[2], filed[0], filed[1]]);

    await restart();

    const media2 = await open('MediaServer', 'media-1');
    const propertiesAfter = [];
    for (const interactionId of queued) propertiesAfter.push((await acknowledged(media2, { message: 'RequestGetInteractionProperties', interactionId })).interaction);
    expect(propertiesAfter).toEqual(propertiesBefore);
    expect(propertiesAfter.map((interaction) => (interaction as Message).state)).toEqual(queued.map(() => 'queued'));
    const workbinAfter = await acknowledged(media2, { message: 'RequestGetWorkbinContent', workbin: { name: 'drafts', ownerId: 'agent-1' } });
    expect(workbinAfter.interactions).toEqual(workbinBefore.interactions);

    // The order survives: pulling everything takes the queue and the workbin in their order.
    const { client: desk2 } = await agent('agent-1');
    const pulledFromQueue = await acknowledged(desk2, { message: 'RequestPull', queue: 'backlog', count: 20 });
    expect((pulledFromQueue.interactions as { interactionId: string }[]).map((interaction) => interaction.interactionId)).toEqual([b, e, d, a, c, f]);
    const pulledFromWorkbin = await acknowledged(desk2, { message: 'RequestPull', workbin: { name: 'drafts' }, count: 20 });
    expect((pulledFromWorkbin.interactions as { interactionId: string }[]).map((interaction) => interaction.interactionId)).toEqual([filed[2], filed[0], filed[1]]);
  });

  it('revokes an invite that was out with ServerRestart, keeps the interaction queued and offers it again when a router registers', async () => {
    server = await startTestServer(baseConfig);
    const live = await reportingFrom(1);
    const router = await open('RoutingEngine', 'router-1');
    const { client: desk } = await agent('agent-1', { chat: 'ready' });
    const media = await open('MediaServer', 'media-1');
    const interactionId = await submit(media, { queue: 'q' });
    await router.next(about(interactionId, 'EventRouteRequest'));
    router.send({ message: 'RequestRouteCall', interactionId, agentId: 'agent-1', placeId: 'place-agent-1' });
    const invite = await desk.next('EventInvite');
    const ticketId = invite.ticketId as number;
    const invited = await live.next(about(interactionId, 'EventAgentInvited'));
    expect(invited.ticketId).toBe(ticketId);

    await restart();

    const reporting = await reportingFrom((invited.seq as number) + 1);
    const revoked = await reporting.next(about(interactionId, 'EventRevoked'));
    expect(revoked).toMatchObject({ interactionId, agentId: 'agent-1', placeId: 'place-agent-1', ticketId, reason: 'ServerRestart' });
    expect(revoked.seq).toBe((invited.seq as number) + 1);
    const strategyRemoved = await reporting.next(about(interactionId, 'EventPartyRemoved'));
    expect(strategyRemoved.party).toMatchObject({ type: 'Strategy' });
    expect(strategyRemoved.seq).toBe((invited.seq as number) + 2);

    const media2 = await open('MediaServer', 'media-1');
    const properties = await acknowledged(media2, { message: 'RequestGetInteractionProperties', interactionId });
    expect(properties.interaction).toMatchObject({ interactionId, state: 'queued', queue: 'q', workbin: null, assignedTo: null });

    // The revoked ticket is closed for good, and the agent does not own the interaction.
    const { client: desk2, login } = await agent('agent-1', { chat: 'ready' });
    expect(login.interactions).toEqual([]);
    const lateAccept = await desk2.request({ message: 'RequestAccept', ticketId, interactionId });
    expect(lateAccept).toMatchObject({ message: 'EventError', errorCode: 'InvalidState' });

    // Offered again as soon as a router is there, with a new ticket when routed.
    const router2 = await open('RoutingEngine', 'router-2');
    const offered = await router2.next('EventRouteRequest');
    expect(offered.interaction).toMatchObject({ interactionId, state: 'routing', queue: 'q' });
    const partyAdded = await reporting.next(about(interactionId, 'EventPartyAdded'));
    expect(partyAdded.party).toEqual({ type: 'Strategy', name: 'router-2' });
    router2.send({ message: 'RequestRouteCall', interactionId, agentId: 'agent-1' });
    const reinvite = await desk2.next('EventInvite');
    expect(reinvite.ticketId as number).toBeGreaterThan(ticketId);
    await acknowledged(desk2, { message: 'RequestAccept', ticketId: reinvite.ticketId, interactionId });
  });

  it('offers an interaction that was routing to a router again', async () => {
    server = await startTestServer(baseConfig);
    const live = await reportingFrom(1);
    const router = await open('RoutingEngine', 'router-1');
    const media = await open('MediaServer', 'media-1');
    const interactionId = await submit(media, { queue: 'q', priority: 4 });
    await router.next(about(interactionId, 'EventRouteRequest'));
    const partyAdded = await live.next(about(interactionId, 'EventPartyAdded'));

    await restart();

    const reporting = await reportingFrom((partyAdded.seq as number) + 1);
    const strategyRemoved = await reporting.next(about(interactionId, 'EventPartyRemoved'));
    expect(strategyRemoved).toMatchObject({ interactionId, seq: (partyAdded.seq as number) + 1 });
    expect(strategyRemoved.party).toMatchObject({ type: 'Strategy' });
    const media2 = await open('MediaServer', 'media-1');
    const waiting = await acknowledged(media2, { message: 'RequestGetInteractionProperties', interactionId });
    expect(waiting.interaction).toMatchObject({ state: 'queued', queue: 'q', priority: 4 });

    const router2 = await open('RoutingEngine', 'router-2');
    const offered = await router2.next('EventRouteRequest');
    expect(offered.interaction).toMatchObject({ interactionId, state: 'routing', queue: 'q', priority: 4 });
    const readded = await reporting.next(about(interactionId, 'EventPartyAdded'));
    expect(readded.party).toEqual({ type: 'Strategy', name: 'router-2' });
    // Nothing else was reported about it: it was not placed in the queue again.
    await reporting.settle();
    expect(reporting.takeUnread().filter((event) => event.interactionId === interactionId)).toEqual([]);
  });

  it('keeps handling interactions owned, found in the next login, with a handling timer that starts afresh', async () => {
    const handlingTimeoutMs = 1600;
    server = await startTestServer({ ...baseConfig, timeouts: { deliveringTimeout: 30, handlingTimeout: handlingTimeoutMs / 1000 } });
    const media = await open('MediaServer', 'media-1');
    const owned = await submit(media, { queue: 'backlog', userData: { subject: 'kept' } });
    // A second interaction with a shorter handling timeout serves as the clock: when it times out,
    // most of the first one's handling time has passed.
    const clock = await submit(media, { queue: 'backlog', userData: { 'handling-timeout': 1.2 } });
    const { client: desk } = await agent('agent-1');
    const pulled = await acknowledged(desk, { message: 'RequestPull', queue: 'backlog', interactionIds: [owned, clock] });
    expect((pulled.interactions as unknown[]).length).toBe(2);
    const clockRevoked = await desk.next(about(clock, 'EventRevoked'));
    expect(clockRevoked.reason).toBe('HandlingTimeout');

    const restartedAt = Date.now();
    await restart();

    const reporting = await reportingFrom(1);
    const { client: desk2, login } = await agent('agent-1');
    const ownedAfter = (login.interactions as Message[]).map((interaction) => interaction.interactionId);
    expect(ownedAfter).toEqual([owned]);
    expect((login.interactions as Message[])[0]).toMatchObject({ interactionId: owned, state: 'handling', assignedTo: 'agent-1', queue: null, userData: { subject: 'kept' } });

    // The old deadline (pull + 1.6 s) has nearly passed; a fresh timer runs the full 1.6 s from the restart.
    const revoked = await desk2.next(about(owned, 'EventRevoked'), 8000);
    expect(revoked.reason).toBe('HandlingTimeout');
    const agentRemoved = await reporting.next((event) => about(owned, 'EventPartyRemoved')(event) && event.reason === 'HandlingTimeout');
    expect(Date.parse(agentRemoved.eventTime as string) - restartedAt).toBeGreaterThanOrEqual(handlingTimeoutMs - 5);
    const placed = await reporting.next((event) => about(owned, 'EventPlacedInQueue')(event) && (event.seq as number) > (agentRemoved.seq as number));
    expect(placed).toMatchObject({ queue: 'backlog', workbin: null });
  });

  it('continues the reporting log at the next seq, without gap, and replays it whole from seq 1', async () => {
    server = await startTestServer(baseConfig);
    const live = await reportingFrom(1);
    const media = await open('MediaServer', 'media-1');
    const first = await submit(media, { queue: 'backlog' });
    await submit(media, { queue: 'q' });
    const { client: desk } = await agent('agent-1');
    await acknowledged(desk, { message: 'RequestPull', queue: 'backlog', interactionIds: [first] });
    await acknowledged(desk, { message: 'RequestPlaceInWorkbin', interactionId: first, workbin: { name: 'drafts' } });
    await live.next(about(first, 'EventPlacedInWorkbin'));
    await live.settle();
    const eventsBefore = [...live.received.filter((event) => event.seq !== undefined)];
    expect(seqsOf(eventsBefore)).toEqual(oneToN(eventsBefore.length));

    await restart();

    const media2 = await open('MediaServer', 'media-1');
    const afterRestart = await submit(media2, { queue: 'backlog' });
    const replay = await reportingFrom(1, 'replay');
    const submitted = await replay.next(about(afterRestart, 'EventPlacedInQueue'));
    const events = [...replay.takeUnread(), submitted].filter((event) => event.seq !== undefined);
    // 1..N with no gap and no duplicate, the events before the restart exactly as they were sent.
    expect(seqsOf(events)).toEqual(oneToN(events.length));
    expect(events.slice(0, eventsBefore.length)).toEqual(eventsBefore);
    const firstAfter = events[eventsBefore.length]!;
    expect(firstAfter.seq).toBe(eventsBefore.length + 1);
    expect(events.find(about(afterRestart, 'EventInteractionSubmitted'))).toBeDefined();
  });

  it('never reuses an interaction id or a ticket', async () => {
    server = await startTestServer(baseConfig);
    const router = await open('RoutingEngine', 'router-1');
    const { client: desk } = await agent('agent-1', { chat: 'ready' });
    const media = await open('MediaServer', 'media-1');
    const before: string[] = [];
    for (let index = 0; index < 3; index++) before.push(await submit(media, { queue: 'backlog' }));
    const routed = await submit(media, { queue: 'q' });
    before.push(routed);
    await router.next('EventRouteRequest');
    router.send({ message: 'RequestRouteCall', interactionId: routed, agentId: 'agent-1' });
    const invite = await desk.next('EventInvite');
    await acknowledged(desk, { message: 'RequestReject', ticketId: invite.ticketId, interactionId: routed });
    // The last id issued is stopped: its id must stay known as stopped, and never be handed out again.
    const stopped = await submit(media, { queue: 'backlog' });
    before.push(stopped);
    await acknowledged(media, { message: 'RequestStopProcessing', interactionId: stopped });

    await restart();

    const media2 = await open('MediaServer', 'media-1');
    const stoppedAnswer = await media2.request({ message: 'RequestGetInteractionProperties', interactionId: stopped });
    expect(stoppedAnswer).toMatchObject({ message: 'EventError', errorCode: 'InvalidState' });
    const after: string[] = [];
    for (let index = 0; index < 3; index++) after.push(await submit(media2, { queue: 'backlog' }));
    const routedAfter = await submit(media2, { queue: 'q' });
    after.push(routedAfter);
    for (const id of after) expect(before).not.toContain(id);
    expect(new Set(after).size).toBe(after.length);
    // Ids keep growing: each new one is later in the server's sequence than every earlier one.
    const largestBefore = Math.max(...before.map((id) => Number.parseInt(id, 36)));
    for (const id of after) expect(Number.parseInt(id, 36)).toBeGreaterThan(largestBefore);

    const { client: desk2 } = await agent('agent-1', { chat: 'ready' });
    const router2 = await open('RoutingEngine', 'router-2');
    // Both wait in q: the one routing at the restart (earlier in the queue) and the new one.
    const offered: string[] = [];
    for (let index = 0; index < 2; index++) offered.push(((await router2.next('EventRouteRequest')).interaction as Message).interactionId as string);
    expect(offered).toEqual([routed, routedAfter]);
    router2.send({ message: 'RequestRouteCall', interactionId: routedAfter, agentId: 'agent-1' });
    const reinvite = await desk2.next('EventInvite');
    expect(reinvite.ticketId as number).toBeGreaterThan(invite.ticketId as number);
  });
});

describe('SIGTERM of a child server process', () => {
  const children = useChildServers();

  it('exits 0 within 10 s, closes clients with 1001, and the next start finds every acknowledged interaction', async () => {
    const child = await children.start(baseConfig);
    const media = await TestClient.register(child.url, 'MediaServer', 'media-1');
    const ids: string[] = [];
    for (let index = 0; index < 6; index++) {
      const ack = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat', priority: index % 2, externalId: `sigterm-${index}` });
      expect(ack.message).toBe('EventAck');
      ids.push(ack.interactionId as string);
    }
    const desk = await TestClient.register(child.url, 'AgentApplication', 'desk-1');
    expect((await desk.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1' })).message).toBe('EventAck');
    const pulled = await desk.request({ message: 'RequestPull', queue: 'backlog', interactionIds: [ids[0], ids[1]] });
    expect(pulled.message).toBe('EventPulledInteractions');
    expect((await desk.request({ message: 'RequestPlaceInWorkbin', interactionId: ids[1], workbin: { name: 'drafts' } })).message).toBe('EventAck');
    expect((await media.request({ message: 'RequestStopProcessing', interactionId: ids[2] })).message).toBe('EventAck');
    const queueBefore: Message[] = [];
    for (const interactionId of ids.slice(3)) queueBefore.push((await media.request({ message: 'RequestGetInteractionProperties', interactionId })).interaction as Message);

    const signalledAt = Date.now();
    child.process.kill('SIGTERM');
    const exit = await child.exited;
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect((await media.closed).code).toBe(1001);
    expect((await desk.closed).code).toBe(1001);

    const second = await children.start(baseConfig);
    const media2 = await TestClient.register(second.url, 'MediaServer', 'media-1');
    for (const [index, interactionId] of ids.slice(3).entries()) {
      const answer = await media2.request({ message: 'RequestGetInteractionProperties', interactionId });
      expect(answer.interaction).toEqual(queueBefore[index]);
    }
    expect(await media2.request({ message: 'RequestGetInteractionProperties', interactionId: ids[2] })).toMatchObject({ message: 'EventError', errorCode: 'InvalidState' });
    for (const [index, interactionId] of ids.entries()) {
      const again = await media2.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat', externalId: `sigterm-${index}` });
      expect(again).toMatchObject({ message: 'EventAck', interactionId });
    }
    const desk2 = await TestClient.register(second.url, 'AgentApplication', 'desk-1');
    const login = await desk2.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1' });
    expect((login.interactions as Message[]).map((interaction) => interaction.interactionId)).toEqual([ids[0]]);
    const workbin = await desk2.request({ message: 'RequestGetWorkbinContent', workbin: { name: 'drafts' } });
    expect((workbin.interactions as Message[]).map((interaction) => interaction.interactionId)).toEqual([ids[1]]);
    const pulledAll = await desk2.request({ message: 'RequestPull', queue: 'backlog', count: 10 });
    // Priority 1 first (ids 3, 5), then priority 0 (id 4).
    expect((pulledAll.interactions as Message[]).map((interaction) => interaction.interactionId)).toEqual([ids[3], ids[5], ids[4]]);

    second.process.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });
});
