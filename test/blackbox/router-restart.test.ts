// The built-in router across a server restart (SPEC section 6, issue 3): an in-process restart
// on the same store, and a kill -9 of a child server process. What was routing is routed again
// once the agents log in again, invites that were out are revoked (ServerRestart) and routed
// again, and nothing is delivered twice: the whole reporting log, read from seq 1, shows at most
// one open invite per interaction at any time and no invite after an accept.

import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { TestClient, type Message } from '../support/client.js';
import { startTestServer, useChildServers, type TestServer } from '../support/server.js';

let clients: TestClient[] = [];

afterEach(() => {
  for (const client of clients) client.socket.terminate();
  clients = [];
});

async function register(url: string, clientType: string, clientName: string): Promise<TestClient> {
  const client = await TestClient.register(url, clientType, clientName);
  // A killed server resets the connection: expected here, not a failure.
  client.socket.on('error', () => undefined);
  clients.push(client);
  return client;
}

async function acknowledged(client: TestClient, request: Record<string, unknown>): Promise<Message> {
  const answer = await client.request(request);
  if (answer.message === 'EventError') throw new Error(`request refused: ${JSON.stringify(request)} -> ${JSON.stringify(answer)}`);
  return answer;
}

async function agent(url: string, agentId: string): Promise<{ desktop: TestClient; owned: string[] }> {
  const desktop = await register(url, 'AgentApplication', `desktop-${agentId}`);
  const login = await acknowledged(desktop, { message: 'RequestAgentLogin', agentId, placeId: `place-${agentId}`, media: { email: 'ready' } });
  return { desktop, owned: (login.interactions as Message[]).map((interaction) => interaction.interactionId as string) };
}

async function submit(media: TestClient, queue = 'q'): Promise<string> {
  return (await acknowledged(media, { message: 'RequestSubmit', queue, mediaType: 'email' })).interactionId as string;
}

interface Invite {
  ticketId: number;
  interactionId: string;
}

async function nextInvite(desktop: TestClient, timeoutMs = 5000): Promise<Invite> {
  const event = await desktop.next('EventInvite', timeoutMs);
  return { ticketId: event.ticketId as number, interactionId: (event.interaction as Message).interactionId as string };
}

async function accept(desktop: TestClient, invite: Invite): Promise<void> {
  await acknowledged(desktop, { message: 'RequestAccept', ticketId: invite.ticketId, interactionId: invite.interactionId });
}

/** A reporting client that replays the log from seq 1, then stays live. */
async function reportingFromStart(url: string): Promise<TestClient> {
  const reporting = await register(url, 'ReportingEngine', 'auditor');
  await acknowledged(reporting, { message: 'RequestStartReporting', fromSeq: 1 });
  return reporting;
}

/** Accepts every invite the agent gets and stops the interaction as soon as the accept is acknowledged. */
function workEveryInvite(desktop: TestClient): void {
  const accepting = new Map<number, string>();
  desktop.socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as Message;
    if (message.message === 'EventInvite') {
      const interactionId = (message.interaction as Message).interactionId as string;
      accepting.set(desktop.send({ message: 'RequestAccept', ticketId: message.ticketId, interactionId }), interactionId);
      return;
    }
    const interactionId = message.referenceId === undefined ? undefined : accepting.get(message.referenceId);
    if (interactionId === undefined) return;
    accepting.delete(message.referenceId!);
    if (message.message === 'EventAck') desktop.send({ message: 'RequestStopProcessing', interactionId });
  });
}

async function waitForStops(reporting: TestClient, count: number): Promise<void> {
  for (let stopped = 0; stopped < count; stopped++) await reporting.next('EventProcessingStopped', 15_000);
  // Whatever came in the same reads as the last stop is in the log too.
  await reporting.settle();
}

interface InviteAudit {
  /** Each broken rule, described; empty when the log is sound. */
  violations: string[];
  /** Per interaction, the agent of each invite in order. */
  invitedAgents: Map<string, string[]>;
  /** Per interaction, how many times an agent took it (accept or pull). */
  taken: Map<string, number>;
}

/**
 * Walks a reporting log from seq 1: seqs are gap-free, an interaction never has two open invites,
 * every revoke or reject closes the invite that is open, and nothing is invited once an agent has
 * taken it.
 */
function auditInvites(events: readonly Message[]): InviteAudit {
  const violations: string[] = [];
  const open = new Map<string, number>();
  const invitedAgents = new Map<string, string[]>();
  const taken = new Map<string, number>();
  events.forEach((event, index) => {
    if (event.seq !== index + 1) violations.push(`seq ${String(event.seq)} at position ${index + 1}`);
    const id = event.interactionId as string;
    const party = event.party as { type: string } | undefined;
    switch (event.message) {
      case 'EventAgentInvited':
        if (open.has(id)) violations.push(`seq ${index + 1}: ${id} invited (ticket ${String(event.ticketId)}) while ticket ${open.get(id)} is open`);
        if (taken.has(id)) violations.push(`seq ${index + 1}: ${id} invited after an agent took it`);
        open.set(id, event.ticketId as number);
        invitedAgents.set(id, [...(invitedAgents.get(id) ?? []), event.agentId as string]);
        break;
      case 'EventRejected':
      case 'EventRevoked':
        if (event.ticketId === null || event.ticketId === undefined) break;
        if (open.get(id) !== event.ticketId) violations.push(`seq ${index + 1}: ${event.message} of ticket ${String(event.ticketId)} for ${id}, which is not its open invite`);
        open.delete(id);
        break;
      case 'EventPartyAdded':
        if (party?.type !== 'Agent') break;
        open.delete(id);
        taken.set(id, (taken.get(id) ?? 0) + 1);
        break;
      case 'EventProcessingStopped':
        if (open.has(id)) violations.push(`seq ${index + 1}: ${id} stopped with ticket ${open.get(id)} still open`);
        break;
    }
  });
  return { violations, invitedAgents, taken };
}

describe('in-process restart on the same store', () => {
  let server: TestServer | undefined;

  afterEach(async () => {
    await server?.dispose();
    server = undefined;
  });

  it('revokes the invite that was out (ServerRestart), routes it and what was routing again once agents log in, and never re-invites what was accepted', async () => {
    const config: ConfigInput = { timeouts: { deliveringTimeout: 30, handlingTimeout: 600 }, queues: { q: {} } };
    server = await startTestServer(config);
    const media = await register(server.url, 'MediaServer', 'gateway');
    const { desktop: one } = await agent(server.url, 'agent-1');
    const { desktop: two } = await agent(server.url, 'agent-2');
    const accepted = await submit(media);
    const acceptedInvite = await nextInvite(one);
    expect(acceptedInvite.interactionId).toBe(accepted);
    await accept(one, acceptedInvite);
    const invited = await submit(media);
    const openInvite = await nextInvite(two);
    expect(openInvite.interactionId).toBe(invited);
    const routing = [await submit(media), await submit(media)];

    const old = clients;
    clients = [];
    server = await server.restart();
    for (const client of old) expect((await client.closed).code).toBe(1001);

    const reporting = await reportingFromStart(server.url);
    const revoked = await reporting.next((event) => event.message === 'EventRevoked' && event.interactionId === invited);
    expect(revoked).toMatchObject({ agentId: 'agent-2', placeId: 'place-agent-2', ticketId: openInvite.ticketId, reason: 'ServerRestart' });

    // agent-1 still owns what it accepted: at capacity, it gets nothing; agent-2 gets the revoked one first (it kept its place).
    const again1 = await agent(server.url, 'agent-1');
    expect(again1.owned).toEqual([accepted]);
    // The login tells routers what the agent already handles, so none invites it over capacity.
    const login = await reporting.next((event) => event.message === 'EventAgentLogin' && event.agentId === 'agent-1' && (event.seq as number) > (revoked.seq as number));
    expect(login).toMatchObject({ media: { email: 'ready' }, handling: { email: 1 } });
    const again2 = await agent(server.url, 'agent-2');
    const reinvite = await nextInvite(again2.desktop);
    expect(reinvite.interactionId).toBe(invited);
    expect(reinvite.ticketId).toBeGreaterThan(openInvite.ticketId);
    await accept(again2.desktop, reinvite);
    workEveryInvite(again1.desktop);
    workEveryInvite(again2.desktop);
    // Freed by the stop, agent-2 takes the oldest of what was routing before the restart.
    await acknowledged(again2.desktop, { message: 'RequestStopProcessing', interactionId: invited });
    const next = await reporting.next((event) => event.message === 'EventAgentInvited' && event.interactionId === routing[0]);
    expect(next.agentId).toBe('agent-2');
    await acknowledged(again1.desktop, { message: 'RequestStopProcessing', interactionId: accepted });
    await waitForStops(reporting, 4);

    const audit = auditInvites(reporting.received.filter((event) => typeof event.seq === 'number'));
    expect(audit.violations).toEqual([]);
    expect(audit.invitedAgents.get(accepted)).toEqual(['agent-1']);
    expect(audit.invitedAgents.get(invited)).toEqual(['agent-2', 'agent-2']);
    expect(audit.invitedAgents.get(routing[0]!)).toEqual(['agent-2']);
    expect(audit.invitedAgents.get(routing[1]!)).toHaveLength(1);
    for (const id of [accepted, invited, ...routing]) expect(audit.taken.get(id), id).toBe(1);
    // None of agent-1's desktops was ever invited to what it had accepted after that accept.
    expect(again1.desktop.received.filter((message) => message.message === 'EventInvite' && (message.interaction as Message).interactionId === accepted)).toEqual([]);
  });
});

describe('kill -9 of a child server process', () => {
  const children = useChildServers();

  it('after the kill, routes again what was routing or invited, revokes the open invite, and delivers nothing twice', async () => {
    const config: ConfigInput = {
      timeouts: { deliveringTimeout: 30, handlingTimeout: 600 },
      mediaTypes: { email: { capacity: 2 } },
      queues: { q: {} },
    };
    const child = await children.start(config);
    const media = await register(child.url, 'MediaServer', 'gateway');
    const { desktop: one } = await agent(child.url, 'agent-1');
    const { desktop: two } = await agent(child.url, 'agent-2');
    const ids: string[] = [];
    for (let index = 0; index < 8; index++) ids.push(await submit(media));
    // Capacity 2 each: four invites go out, four interactions wait routing.
    const toOne = [await nextInvite(one), await nextInvite(one)];
    const toTwo = [await nextInvite(two), await nextInvite(two)];
    for (const invite of toOne) await accept(one, invite);
    await accept(two, toTwo[0]!);
    const acceptedBefore = [...toOne, toTwo[0]!].map((invite) => invite.interactionId);
    const openAtKill = toTwo[1]!;

    child.process.kill('SIGKILL');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const second = await children.start(config);
    const reporting = await reportingFromStart(second.url);
    const revoked = await reporting.next((event) => event.message === 'EventRevoked' && event.interactionId === openAtKill.interactionId, 10_000);
    expect(revoked).toMatchObject({ agentId: 'agent-2', ticketId: openAtKill.ticketId, reason: 'ServerRestart' });

    const again1 = await register(second.url, 'AgentApplication', 'desktop-agent-1');
    const again2 = await register(second.url, 'AgentApplication', 'desktop-agent-2');
    for (const desktop of [again1, again2]) workEveryInvite(desktop);
    const login1 = await acknowledged(again1, { message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-agent-1', media: { email: 'ready' } });
    const login2 = await acknowledged(again2, { message: 'RequestAgentLogin', agentId: 'agent-2', placeId: 'place-agent-2', media: { email: 'ready' } });
    const owned = (login: Message) => (login.interactions as Message[]).map((interaction) => interaction.interactionId as string).toSorted();
    expect(owned(login1)).toEqual(toOne.map((invite) => invite.interactionId).toSorted());
    expect(owned(login2)).toEqual([toTwo[0]!.interactionId]);
    // The agents finish what they owned; every invite from now on is accepted and stopped.
    for (const id of owned(login1)) await acknowledged(again1, { message: 'RequestStopProcessing', interactionId: id });
    for (const id of owned(login2)) await acknowledged(again2, { message: 'RequestStopProcessing', interactionId: id });
    await waitForStops(reporting, ids.length);

    const audit = auditInvites(reporting.received.filter((event) => typeof event.seq === 'number'));
    expect(audit.violations).toEqual([]);
    for (const id of ids) expect(audit.taken.get(id), id).toBe(1);
    for (const id of acceptedBefore) expect(audit.invitedAgents.get(id), id).toHaveLength(1);
    expect(audit.invitedAgents.get(openAtKill.interactionId)).toHaveLength(2);
    const invitedAfter = [again1, again2].flatMap((desktop) => desktop.received.filter((message) => message.message === 'EventInvite').map((message) => (message.interaction as Message).interactionId as string));
    expect(invitedAfter.toSorted()).toEqual(ids.filter((id) => !acceptedBefore.includes(id)).toSorted());

    second.process.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });
});
