// The protocol fuzzer (issue 5, part 4). A real session is recorded first: every frame a media
// server, two agents, a router and a reporting client send through a delivery, a pull, workbins,
// property changes and stops. fast-check then sends generated and mutated frames from that
// recording over eight real WebSocket connections, with authentication on and short timers:
// recorded frames with other ids, frames with keys dropped, retyped or added, renamed messages,
// deep user data, truncated, spliced or byte-flipped text, binary and oversized frames, random
// JSON, registrations with bad tokens, and connections that drop and come back.
//
// After every run: every message the server sent is a documented event (schemas in
// src/protocol/messages.ts), none is an Internal error, the reporting stream is gap-free, the
// core's invariants hold, and every connection is still served. After all runs the server
// restarts, and nothing it acknowledged is lost: the stored reporting log is exactly what was sent
// live, and every interaction is where, and as, the stream said it was.
//
// FUZZ_RUNS and FUZZ_FRAMES size the run (CI: 25 runs of 125 to 250 frames); FUZZ_SEED replays one;
// FUZZ_STORE=postgres runs it over a fresh schema of the local PostgreSQL (OPENIXN_TEST_POSTGRES_URL).
// `npm run fuzz` runs a long one.

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import postgres from 'postgres';
import { Compile } from 'typebox/compile';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import type { ConfigInput } from '../../src/config/config.js';
import { errorCodes } from '../../src/core/errors.js';
import { clientEvents, reportingEvents, requests } from '../../src/protocol/messages.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { temporaryDirectory } from '../support/test-store.js';
import { agentToken, authConfig, newApiKey, signToken, type ApiKey } from '../support/auth.js';

const runs = Number(process.env.FUZZ_RUNS ?? 25);
const framesPerRun = Number(process.env.FUZZ_FRAMES ?? 250);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const postgresUrl = process.env.FUZZ_STORE === 'postgres' ? (process.env.OPENIXN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test') : null;
const postgresSchema = `fuzz_${randomBytes(6).toString('hex')}`;

const maxMessageBytes = 16 * 1024;
const config: ConfigInput = {
  timeouts: { deliveringTimeout: 0.3, handlingTimeout: 0.8, rejectCooldown: 0.2 },
  mediaTypes: { chat: { capacity: 3 }, email: { capacity: 2 } },
  queues: { routed: { routing: 'external' }, auto: { routing: 'builtin' }, pool: { routing: 'none' } },
  workbins: { drafts: { owner: 'agent' }, desk: { owner: 'place' }, team: { owner: 'agentGroup' } },
  agentGroups: { tier2: ['agent-1', 'agent-2'] },
  limits: { maxMessageBytes, maxUserDataBytes: 4096, maxUserDataDepth: 8, requestsPerSecond: 1_000_000, agentRequestsPerSecond: 1_000_000 },
};

// ---- Connections ----------------------------------------------------------------------------

type Message = { message: string; referenceId?: number; [attribute: string]: unknown };

/** A raw client: records what it receives, answers a wait for one referenceId. */
class FuzzClient {
  readonly received: Message[] = [];
  readonly closed: Promise<number>;
  private waiters = new Map<number, (message: Message) => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('error', () => undefined);
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Message;
      this.received.push(message);
      if (message.referenceId !== undefined) this.waiters.get(message.referenceId)?.(message);
    });
    this.closed = new Promise((resolve) => socket.on('close', (code) => resolve(code)));
  }

  static async open(url: string): Promise<FuzzClient> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new FuzzClient(socket);
  }

  isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(data: string | Buffer, binary = false): void {
    if (this.isOpen()) this.socket.send(data, { binary });
  }

  /** Sends a request and waits for its answer; null when the connection closes first. */
  async request(message: Record<string, unknown>, referenceId: number, timeoutMs = 10_000): Promise<Message | null> {
    if (!this.isOpen()) return null;
    const answer = new Promise<Message | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(message)} within ${timeoutMs} ms`)), timeoutMs);
      const done = (value: Message | null) => {
        clearTimeout(timer);
        this.waiters.delete(referenceId);
        resolve(value);
      };
      this.waiters.set(referenceId, done);
      void this.closed.then(() => done(null));
    });
    this.send(JSON.stringify({ ...message, referenceId }));
    return answer;
  }
}

interface Slot {
  name: string;
  clientType: string;
  clientName: string;
  /** The credentials the slot registers with; none for the anonymous slot. */
  token: () => Promise<string> | string;
  registered: boolean;
  client?: FuzzClient;
}

const keys: Record<string, ApiKey> = {
  gateway: newApiKey('MediaServer', 'gateway'),
  archive: newApiKey('MediaServer', 'archive', 'all'),
  router: newApiKey('RoutingEngine', 'urs'),
  reporting: newApiKey('ReportingEngine', 'stats'),
  supervisor: newApiKey('Supervisor', 'floor-lead'),
};

const slots: Slot[] = [
  { name: 'agent-1', clientType: 'AgentApplication', clientName: 'desk-1', token: () => agentToken('agent-1'), registered: true },
  { name: 'agent-1b', clientType: 'AgentApplication', clientName: 'phone-1', token: () => agentToken('agent-1'), registered: true },
  { name: 'agent-2', clientType: 'AgentApplication', clientName: 'desk-2', token: () => agentToken('agent-2'), registered: true },
  { name: 'gateway', clientType: 'MediaServer', clientName: 'gateway', token: () => keys.gateway!.key, registered: true },
  { name: 'archive', clientType: 'MediaServer', clientName: 'archive', token: () => keys.archive!.key, registered: true },
  { name: 'router', clientType: 'RoutingEngine', clientName: 'urs', token: () => keys.router!.key, registered: true },
  { name: 'reporting', clientType: 'ReportingEngine', clientName: 'stats', token: () => keys.reporting!.key, registered: true },
  { name: 'anonymous', clientType: 'AgentApplication', clientName: 'anyone', token: () => '', registered: false },
  { name: 'supervisor', clientType: 'Supervisor', clientName: 'floor-lead', token: () => keys.supervisor!.key, registered: true },
];
const reportingSlot = 6;
const anonymousSlot = 7;

let server: RunningServer;
let directory: string;
/** Why the server stopped, if it did (a failed commit, a broken invariant): the run fails with it. */
let fatal: Error | null = null;

function startFuzzServer(input: ConfigInput): Promise<RunningServer> {
  const store = postgresUrl === null ? `sqlite:${join(directory, 'openixn.db')}` : `${postgresUrl}?schema=${postgresSchema}`;
  return startServer({ config: { ...input, auth: authConfig(Object.values(keys)) }, host: '127.0.0.1', port: 0, store, logLevel: 'silent', onFatal: (error) => (fatal ??= error) });
}
let nextControlReference = 9_000_000_000_000;

/** The reporting stream as the reporting slot received it, across its reconnections. */
const stream: Message[] = [];
/** Interaction ids and tickets seen in any message: the fuzzer aims at real ones. */
const interactionIds: string[] = [];
const ticketIds: number[] = [];
const seen = new Set<string | number>();
const acknowledgedSubmits = new Set<string>();
let framesSent = 0;

function learn(message: Message): void {
  const ids = [message.interactionId, (message.interaction as { interactionId?: unknown } | undefined)?.interactionId];
  for (const interactions of [message.interactions]) if (Array.isArray(interactions)) for (const interaction of interactions) ids.push((interaction as { interactionId?: unknown }).interactionId);
  for (const id of ids) {
    if (typeof id !== 'string' || seen.has(id)) continue;
    seen.add(id);
    interactionIds.push(id);
  }
  if (typeof message.ticketId === 'number' && !seen.has(message.ticketId)) {
    seen.add(message.ticketId);
    ticketIds.push(message.ticketId);
  }
}

/** Opens (or reopens) a slot's connection and registers it with its credentials; the reporting slot resumes its stream. */
async function connect(slot: Slot): Promise<FuzzClient> {
  const client = await FuzzClient.open(server.url);
  slot.client = client;
  if (!slot.registered) return client;
  const answer = await client.request({ message: 'RequestRegisterClient', clientType: slot.clientType, clientName: slot.clientName, token: await slot.token(), ...(slot.clientType === 'RoutingEngine' ? { queues: ['routed'] } : {}) }, nextControlReference++);
  if (fatal !== null) throw new Error(`the server stopped: ${fatal.message}`, { cause: fatal });
  expect(answer, `${slot.name} registers`).toMatchObject({ message: 'EventAck' });
  if (slot.clientType === 'ReportingEngine') {
    const fromSeq = ((stream.at(-1)?.seq as number | undefined) ?? 0) + 1;
    expect(await client.request({ message: 'RequestStartReporting', fromSeq }, nextControlReference++)).toMatchObject({ message: 'EventAck' });
  }
  return client;
}

async function liveClient(slotIndex: number): Promise<FuzzClient> {
  const slot = slots[slotIndex]!;
  if (slot.client?.isOpen()) return slot.client;
  if (slot.client !== undefined) absorb(slot, slot.client);
  return connect(slot);
}

// ---- What the server sent must be documented ------------------------------------------------

const eventValidators = new Map(Object.entries(clientEvents).map(([name, schema]) => [name, Compile(schema)] as const));
const reportingValidators = new Map(Object.entries(reportingEvents).map(([name, schema]) => [name, Compile(schema)] as const));

function checkMessage(message: Message, where: string): void {
  const validator = typeof message.seq === 'number' ? reportingValidators.get(message.message) : eventValidators.get(message.message);
  expect(validator, `${where}: ${message.message} is a documented event`).toBeDefined();
  if (!validator!.Check(message)) throw new Error(`${where}: ${JSON.stringify(message).slice(0, 500)} does not fit its schema: ${JSON.stringify(validator!.Errors(message).slice(0, 3))}`);
  if (message.message === 'EventError') {
    expect(Object.keys(errorCodes), `${where}: ${message.errorCode as string}`).toContain(message.errorCode);
    expect(message.errorCode, `${where}: ${message.errorDescription as string}`).not.toBe('Internal');
  }
}

/** Checks and takes everything a slot's client received so far. */
function absorb(slot: Slot, client: FuzzClient): void {
  for (const message of client.received.splice(0)) {
    checkMessage(message, slot.name);
    learn(message);
    if (slot.clientType === 'ReportingEngine' && slot.registered && typeof message.seq === 'number') stream.push(message);
    if (message.message === 'EventAck' && typeof message.interactionId === 'string') acknowledgedSubmits.add(message.interactionId);
  }
}

// ---- The recorded session -------------------------------------------------------------------

const corpus: Record<string, unknown>[] = [];
/** The slot each recorded frame came from: replays mostly go back to it, so sessions stay realistic. */
const corpusSlots: number[] = [];

async function recorded(slotIndex: number, message: Record<string, unknown>): Promise<Message | null> {
  const client = await liveClient(slotIndex);
  const referenceId = nextControlReference++;
  corpus.push({ ...message, referenceId: corpus.length + 1 });
  corpusSlots.push(slotIndex);
  const answer = await client.request(message, referenceId);
  if (answer !== null) learn(answer);
  return answer;
}

/** A session as a contact centre would have it, through the public protocol; its frames become the corpus. */
async function recordSession(): Promise<void> {
  const [agent1, , agent2, gateway, archive, router] = [0, 1, 2, 3, 4, 5];
  for (const slotIndex of [0, 1, 2, 3, 4, 5, 6, 8]) await liveClient(slotIndex);
  corpus.push({ message: 'RequestRegisterClient', clientType: 'MediaServer', clientName: 'gateway', token: keys.gateway!.key });
  corpus.push({ message: 'RequestRegisterClient', clientType: 'AgentApplication', clientName: 'desk-1', token: await agentToken('agent-1') });
  corpus.push({ message: 'RequestStartReporting', fromSeq: 1 });
  corpusSlots.push(gateway, agent1, reportingSlot);
  await recorded(agent1, { message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1', media: { chat: 'ready', email: 'ready' } });
  await recorded(agent2, { message: 'RequestAgentLogin', agentId: 'agent-2', placeId: 'place-2', media: { chat: 'ready' }, skills: { english: 3 } });
  const submitted = await recorded(gateway, { message: 'RequestSubmit', queue: 'routed', mediaType: 'chat', priority: 5, userData: { subject: 'Where is my order?', customer: { id: 42, vip: true } }, externalId: 'mail-1' });
  const routedId = submitted!.interactionId as string;
  await recorded(gateway, { message: 'RequestSubmit', queue: 'routed', mediaType: 'chat', externalId: 'mail-1' });
  await recorded(router, { message: 'RequestRouteCall', interactionId: routedId, agentId: 'agent-9' });
  slots[router]!.client!.send(JSON.stringify({ message: 'RequestRouteCall', referenceId: nextControlReference++, interactionId: routedId, agentId: 'agent-1', placeId: 'place-1' }));
  corpus.push({ message: 'RequestRouteCall', referenceId: 7, interactionId: routedId, agentId: 'agent-1', placeId: 'place-1' });
  corpusSlots.push(router);
  await waitFor(() => ticketIds.length > 0 || slots[agent1]!.client!.received.some((message) => message.message === 'EventInvite'));
  absorb(slots[agent1]!, slots[agent1]!.client!);
  const ticketId = ticketIds[0] ?? 1;
  await recorded(agent1, { message: 'RequestAccept', ticketId, interactionId: routedId });
  await recorded(agent1, { message: 'RequestReject', ticketId, interactionId: routedId, reason: 'busy' });
  await recorded(agent1, { message: 'RequestChangeProperties', interactionId: routedId, changedProperties: { note: 'called back' }, deletedProperties: ['customer'] });
  await recorded(agent1, { message: 'RequestGetInteractionProperties', interactionId: routedId });
  await recorded(agent1, { message: 'RequestPlaceInWorkbin', interactionId: routedId, workbin: { name: 'drafts' } });
  await recorded(agent1, { message: 'RequestWorkbinNotifications', workbin: { name: 'team', ownerId: 'tier2' }, subscribe: true });
  await recorded(agent1, { message: 'RequestGetWorkbinContent', workbin: { name: 'drafts', ownerId: 'agent-1' } });
  await recorded(agent1, { message: 'RequestPull', workbin: { name: 'drafts' }, interactionIds: [routedId] });
  await recorded(agent1, { message: 'RequestPlaceInQueue', interactionId: routedId, queue: 'pool' });
  const pooled = await recorded(archive, { message: 'RequestSubmit', queue: 'pool', mediaType: 'email', type: 'Inbound', subtype: 'InboundNew', userData: { 'handling-timeout': 30 } });
  await recorded(agent2, { message: 'RequestPull', queue: 'pool', count: 2 });
  await recorded(agent2, { message: 'RequestPlaceInWorkbin', interactionId: pooled!.interactionId, workbin: { name: 'team', ownerId: 'tier2' } });
  await recorded(agent2, { message: 'RequestNotReadyForMedia', mediaType: 'chat', reason: 'lunch' });
  await recorded(agent2, { message: 'RequestCancelNotReadyForMedia', mediaType: 'chat' });
  await recorded(archive, { message: 'RequestChangeProperties', interactionId: pooled!.interactionId, changedProperties: { priority: 'high' } });
  await recorded(gateway, { message: 'RequestSubmit', queue: 'auto', mediaType: 'chat', userData: { channel: 'web' } });
  await recorded(gateway, { message: 'RequestStopProcessing', interactionId: routedId, reason: 'answered' });
  await recorded(archive, { message: 'RequestGetInteractionProperties', interactionId: pooled!.interactionId });
  await recorded(agent2, { message: 'RequestAgentLogout' });
  await recorded(agent2, { message: 'RequestAgentLogin', agentId: 'agent-2', placeId: 'place-2', media: { chat: 'ready' } });
  // SPEC 9.3 and 9.4: a supervisor's session, scheduled and expiring work.
  const supervisor = 8;
  const soon = new Date(Date.now() + 60_000).toISOString();
  const later = new Date(Date.now() + 3_600_000).toISOString();
  const callback = await recorded(gateway, { message: 'RequestSubmit', queue: 'pool', mediaType: 'email', priority: 3, userData: { language: 'de' }, scheduledAt: soon, expiresAt: later });
  await recorded(supervisor, { message: 'RequestTakeSnapshot', queue: 'pool', condition: { priority: { gte: 1 }, 'userData.language': { in: ['de', 'fr'] }, submittedAt: { lt: later } }, order: 'age', max: 50, lock: true });
  await recorded(supervisor, { message: 'RequestGetSnapshotInteractions', snapshotId: 1, from: 0, count: 10 });
  await recorded(supervisor, { message: 'RequestUnlockInteraction', snapshotId: 1, interactionId: callback!.interactionId });
  await recorded(supervisor, { message: 'RequestMoveInteractions', snapshotId: 1, queue: 'routed' });
  await recorded(supervisor, { message: 'RequestReleaseSnapshot', snapshotId: 1 });
  await recorded(supervisor, { message: 'RequestForceNotReady', agentId: 'agent-2', mediaType: 'chat', reason: 'coaching' });
  await recorded(supervisor, { message: 'RequestGetInteractionProperties', interactionId: callback!.interactionId });
  await recorded(supervisor, { message: 'RequestPlaceInQueue', interactionId: callback!.interactionId, queue: 'pool', scheduledAt: later });
  await recorded(supervisor, { message: 'RequestStopProcessing', interactionId: callback!.interactionId, reason: 'duplicate' });
  await recorded(supervisor, { message: 'RequestForceAgentLogout', agentId: 'agent-2', reason: 'shift ended' });
  await recorded(agent2, { message: 'RequestAgentLogin', agentId: 'agent-2', placeId: 'place-2', media: { chat: 'ready' } });
  // SPEC 9.1–9.2: a transfer offered and withdrawn, a conference joined, and both parties leaving.
  const shared = await recorded(archive, { message: 'RequestSubmit', queue: 'pool', mediaType: 'chat', userData: { topic: 'billing' } });
  const sharedId = shared!.interactionId as string;
  await recorded(agent1, { message: 'RequestPull', queue: 'pool', interactionIds: [sharedId] });
  await recorded(agent1, { message: 'RequestTransfer', interactionId: sharedId, agentId: 'agent-2', reason: 'billing' });
  await recorded(agent1, { message: 'RequestCancelTransfer', interactionId: sharedId });
  await recorded(agent1, { message: 'RequestConference', interactionId: sharedId, agentId: 'agent-2', placeId: 'place-2' });
  const agent2Client = await liveClient(agent2);
  await waitFor(() => agent2Client.received.some((message) => message.message === 'EventInvite' && message.operation === 'Conference'));
  const conferenceInvite = agent2Client.received.find((message) => message.message === 'EventInvite' && message.operation === 'Conference')!;
  await recorded(agent2, { message: 'RequestAccept', ticketId: conferenceInvite.ticketId, interactionId: sharedId });
  await recorded(agent2, { message: 'RequestChangeProperties', interactionId: sharedId, changedProperties: { note: 'joined' } });
  await recorded(agent1, { message: 'RequestLeaveInteraction', interactionId: sharedId, reason: 'handed over' });
  await recorded(agent2, { message: 'RequestLeaveInteraction', interactionId: sharedId });
  await settleAll();
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Every open connection answers one harmless request, so all it was sent before has been handled. */
async function settleAll(): Promise<void> {
  for (const slot of slots) {
    if (slot.client === undefined) continue;
    if (slot.client.isOpen()) await slot.client.request({ message: 'RequestGetWorkbinContent', workbin: { name: '__settle__', ownerId: 'x' } }, nextControlReference++);
    absorb(slot, slot.client);
  }
}

// ---- Commands -------------------------------------------------------------------------------

type Mutation =
  | { kind: 'drop'; key: number }
  | { kind: 'set'; key: number; value: unknown }
  | { kind: 'add'; key: string; value: unknown }
  | { kind: 'rename'; name: string }
  | { kind: 'string'; key: number; value: string }
  | { kind: 'number'; key: number; value: number }
  | { kind: 'deep'; depth: number }
  | { kind: 'control'; key: number; character: string }
  | { kind: 'reference'; value: unknown };

type TextMutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'splice'; other: number; at: number };

type Command =
  | { kind: 'replay'; slot: number; ownSlot: boolean; frame: number; pick: number; ticket: number; referenceId: number }
  | { kind: 'mutate'; slot: number; ownSlot: boolean; frame: number; pick: number; mutations: Mutation[] }
  | { kind: 'text'; slot: number; ownSlot: boolean; frame: number; mutation: TextMutation }
  | { kind: 'json'; slot: number; value: unknown }
  | { kind: 'raw'; slot: number; text: string; binary: boolean }
  | { kind: 'oversize'; slot: number; referenceId: number }
  | { kind: 'register'; token: 'none' | 'garbage' | 'expired' | 'forged' | 'wrongType' | 'valid'; clientType: string }
  | { kind: 'reconnect'; slot: number; gracefully: boolean }
  | { kind: 'pause'; ms: number };

const requestNames = Object.keys(requests);
const weirdStrings = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\u001f', '\ud800', '__proto__', 'constructor', 'x'.repeat(300), '0000000000000001', 'zzzzzzzzzzzzzzzz', '🙂'.repeat(50)),
);
const weirdNumbers = fc.oneof(fc.integer(), fc.constantFrom(-1, 0, 1, 2 ** 31, 2 ** 53 + 2, -(2 ** 53), 1e308, 0.5, -0), fc.double({ noNaN: true, noDefaultInfinity: true }));
const anyJson = fc.jsonValue({ maxDepth: 4 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), key: fc.nat() }),
  fc.record({ kind: fc.constant('set' as const), key: fc.nat(), value: anyJson }),
  fc.record({ kind: fc.constant('add' as const), key: fc.oneof(fc.constantFrom('queue', 'workbin', 'interactionId', 'agentId', 'userData', 'token', 'fromSeq', 'count', 'media', '__proto__'), fc.string({ maxLength: 10 })), value: anyJson }),
  fc.record({ kind: fc.constant('rename' as const), name: fc.oneof(fc.constantFrom(...requestNames), weirdStrings) }),
  fc.record({ kind: fc.constant('string' as const), key: fc.nat(), value: weirdStrings }),
  fc.record({ kind: fc.constant('number' as const), key: fc.nat(), value: weirdNumbers }),
  fc.record({ kind: fc.constant('control' as const), key: fc.nat(), character: fc.constantFrom('\u0000', '\u0001', '\n', '\u001f', '\u007f') }),
  fc.record({ kind: fc.constant('deep' as const), depth: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 4000, max: 7000 }), fc.integer({ min: 1, max: 7000 })) }),
  fc.record({ kind: fc.constant('reference' as const), value: fc.oneof(weirdNumbers, weirdStrings, fc.constant(null)) }),
);

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.string({ unit: 'binary', maxLength: 5 }), fc.constantFrom('{', '}', '"', ',', '[', ']', '\\', ':', 'null')) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('splice' as const), other: fc.nat(), at: fc.nat() }),
);

const slotIndex = fc.integer({ min: 0, max: slots.length - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('replay' as const), slot: slotIndex, ownSlot: fc.boolean(), frame: fc.nat(), pick: fc.nat(), ticket: fc.nat(), referenceId: fc.integer({ min: -5, max: 1_000_000 }) }) },
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('mutate' as const), slot: slotIndex, ownSlot: fc.boolean(), frame: fc.nat(), pick: fc.nat(), mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }) }) },
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('text' as const), slot: slotIndex, ownSlot: fc.boolean(), frame: fc.nat(), mutation: textMutation }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('json' as const), slot: slotIndex, value: fc.oneof(anyJson, fc.dictionary(fc.constantFrom('message', 'referenceId', 'queue', 'mediaType', 'interactionId'), anyJson)) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('raw' as const), slot: slotIndex, text: fc.string({ unit: 'binary', maxLength: 60 }), binary: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('oversize' as const), slot: slotIndex, referenceId: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('register' as const), token: fc.constantFrom('none', 'garbage', 'expired', 'forged', 'wrongType', 'valid'), clientType: fc.constantFrom('AgentApplication', 'MediaServer', 'RoutingEngine', 'ReportingEngine') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), slot: slotIndex, gracefully: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 30 }) }) },
);

function pick<T>(pool: readonly T[], index: number, fallback: T): T {
  return pool.length === 0 ? fallback : pool[index % pool.length]!;
}

/** A recorded frame aimed at the ids of now. */
function aimed(frameIndex: number, pickIndex: number, ticketIndex: number): Record<string, unknown> {
  const frame = structuredClone(corpus[frameIndex % corpus.length]!);
  if ('interactionId' in frame) frame.interactionId = pick(interactionIds, pickIndex, 'zzzzzzzzzzzzzzzz');
  if (Array.isArray(frame.interactionIds)) frame.interactionIds = [pick(interactionIds, pickIndex, 'zzzzzzzzzzzzzzzz')];
  if ('ticketId' in frame) frame.ticketId = pick(ticketIds, ticketIndex, 1);
  return frame;
}

/**
 * Arrays in arrays, two bytes a level, so a frame within the size limit can nest deeper than
 * JSON.stringify can write (about 5,000). The frame holds a marker that text() expands, since the
 * fuzzer cannot stringify such a value either.
 */
const deepMarker = /"@@deep:(\d+)@@"/g;

function deepValue(depth: number): string {
  return `@@deep:${depth}@@`;
}

function text(frame: unknown): string {
  return JSON.stringify(frame).replace(deepMarker, (_, depth: string) => '['.repeat(Number(depth)) + ']'.repeat(Number(depth)));
}

function mutate(frame: Record<string, unknown>, mutations: readonly Mutation[]): Record<string, unknown> {
  for (const change of mutations) {
    const keys = Object.keys(frame);
    const key = (index: number) => keys[index % Math.max(keys.length, 1)] ?? 'message';
    switch (change.kind) {
      case 'drop': delete frame[key(change.key)]; break;
      case 'set': frame[key(change.key)] = change.value; break;
      case 'add': Object.defineProperty(frame, change.key, { value: change.value, enumerable: true, writable: true, configurable: true }); break;
      case 'rename': frame.message = change.name; break;
      case 'string': frame[key(change.key)] = change.value; break;
      case 'number': frame[key(change.key)] = change.value; break;
      case 'control': {
        // Into one of the frame's strings, so that the rest of it stays valid.
        const strings = keys.filter((name) => typeof frame[name] === 'string' && name !== 'message');
        if (strings.length > 0) {
          const name = strings[change.key % strings.length]!;
          frame[name] = `${frame[name] as string}${change.character}`;
        }
        break;
      }
      case 'deep': frame[frame.message === 'RequestChangeProperties' ? 'changedProperties' : 'userData'] = { deep: deepValue(change.depth) }; break;
      case 'reference': frame.referenceId = change.value; break;
    }
  }
  return frame;
}

function mutateText(text: string, change: TextMutation): Buffer {
  switch (change.kind) {
    case 'truncate': return Buffer.from(text.slice(0, change.at % (text.length + 1)));
    case 'insert': {
      const at = change.at % (text.length + 1);
      return Buffer.from(text.slice(0, at) + change.text + text.slice(at));
    }
    case 'flip': {
      const bytes = Buffer.from(text);
      bytes[change.at % bytes.length] = change.byte;
      return bytes;
    }
    case 'splice': {
      const other = JSON.stringify(corpus[change.other % corpus.length]);
      const at = change.at % (text.length + 1);
      return Buffer.from(text.slice(0, at) + other.slice(at % (other.length + 1)));
    }
  }
}

async function registrationToken(kind: Extract<Command, { kind: 'register' }>['token'], clientType: string): Promise<string | undefined> {
  switch (kind) {
    case 'none': return undefined;
    case 'garbage': return 'eyJhbGciOiJIUzI1NiJ9.e30.not-a-signature';
    case 'expired': return signToken({ clientType, agentId: 'agent-3', clientName: 'anyone' }, { expiresIn: -3600 });
    case 'forged': return signToken({ clientType, agentId: 'agent-3', clientName: 'anyone' }, { key: new TextEncoder().encode('an-attacker-secret-that-is-long-enough-000000') });
    case 'wrongType': return signToken({ clientType: clientType === 'MediaServer' ? 'RoutingEngine' : 'MediaServer', clientName: 'anyone' });
    case 'valid': return signToken({ clientType, agentId: 'agent-3', clientName: 'anyone' });
  }
}

async function execute(step: Command): Promise<void> {
  switch (step.kind) {
    case 'pause':
      await new Promise((resolve) => setTimeout(resolve, step.ms));
      return;
    case 'reconnect': {
      const slot = slots[step.slot]!;
      const client = await liveClient(step.slot);
      if (step.gracefully) client.socket.close();
      else client.socket.terminate();
      await client.closed;
      absorb(slot, client);
      await connect(slot);
      return;
    }
    case 'register': {
      // The anonymous slot: a fresh connection whose registration is fuzzed.
      const slot = slots[anonymousSlot]!;
      if (slot.client !== undefined) {
        slot.client.socket.terminate();
        await slot.client.closed;
        absorb(slot, slot.client);
      }
      const client = await connect(slot);
      const token = await registrationToken(step.token, step.clientType);
      client.send(JSON.stringify({ message: 'RequestRegisterClient', referenceId: 1, clientType: step.clientType, clientName: 'anyone', ...(token !== undefined ? { token } : {}), ...(step.clientType === 'RoutingEngine' ? { queues: ['routed'] } : {}) }));
      framesSent++;
      return;
    }
    default:
      break;
  }
  const slotOfStep = 'ownSlot' in step && step.ownSlot ? corpusSlots[step.frame % corpus.length]! : step.slot;
  const client = await liveClient(slotOfStep);
  framesSent++;
  switch (step.kind) {
    case 'replay':
      client.send(JSON.stringify({ ...aimed(step.frame, step.pick, step.ticket), referenceId: step.referenceId }));
      return;
    case 'mutate':
      client.send(text(mutate(aimed(step.frame, step.pick, step.pick), step.mutations)));
      return;
    case 'text':
      client.send(mutateText(JSON.stringify(aimed(step.frame, 0, 0)), step.mutation));
      return;
    case 'json':
      client.send(JSON.stringify(step.value));
      return;
    case 'raw':
      client.send(step.binary ? Buffer.from(step.text) : step.text, step.binary);
      return;
    case 'oversize':
      client.send(`{"referenceId":${step.referenceId},"message":"RequestSubmit","queue":"pool","mediaType":"chat","userData":{"x":"${'y'.repeat(maxMessageBytes)}"}}`);
      return;
  }
}

// ---- The runs -------------------------------------------------------------------------------

beforeAll(async () => {
  directory = temporaryDirectory();
  server = await startFuzzServer(config);
  await recordSession();
  expect(corpus.length).toBeGreaterThan(25);
}, 60_000);

afterAll(async () => {
  for (const slot of slots) slot.client?.socket.terminate();
  await server?.close();
  rmSync(directory, { recursive: true, force: true });
  if (postgresUrl !== null) {
    const sql = postgres(postgresUrl, { onnotice: () => undefined });
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${postgresSchema}" CASCADE`);
    await sql.end();
  }
});

describe('the protocol fuzzer', () => {
  let runsDone = 0;

  test(`${runs} runs of up to ${framesPerRun} generated and mutated frames: documented answers, gap-free stream, invariants, every connection served`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: Math.floor(framesPerRun / 2), maxLength: framesPerRun, size: 'max' }), async (commands) => {
        // A connection refused or cut is only the symptom when the server stopped: its own reason is the finding.
        const symptom = await (async () => {
          for (const step of commands) await execute(step);
          await settleAll();
        })().then(() => null, (error: unknown) => error);
        if (fatal !== null) throw new Error(`the server stopped: ${fatal.stack ?? fatal.message}`, { cause: fatal });
        if (symptom !== null) throw symptom;
        server.assertInvariants();
        const seqs = stream.map((event) => event.seq as number);
        for (let index = 1; index < seqs.length; index++) {
          if (seqs[index] !== seqs[index - 1]! + 1) throw new Error(`reporting stream gap or repeat at ${seqs[index - 1]} → ${seqs[index]}`);
        }
        runsDone++;
      }),
      { numRuns: runs, endOnFailure: true, ...(seed !== undefined ? { seed } : {}) },
    );
    console.info(`protocol fuzzer (${postgresUrl === null ? 'SQLite' : 'PostgreSQL'}): ${runsDone} runs, ${framesSent} frames, ${stream.length} reporting events, ${interactionIds.length} interactions`);
    expect(runsDone).toBe(runs);
  }, Math.max(600_000, runs * 2000));

  test('after a restart nothing acknowledged is lost: the stored log is what was sent, every interaction is where the stream left it', async () => {
    await settleAll();
    const lastLiveSeq = stream.at(-1)!.seq as number;
    expect(stream[0]!.seq).toBe(1);
    for (const slot of slots) slot.client?.socket.terminate();
    await server.close();
    // Long timers after the restart, so nothing moves while it is checked.
    server = await startFuzzServer({ ...config, timeouts: { handlingTimeout: 3600, deliveringTimeout: 3600 } });
    const reporting = slots[reportingSlot]!;
    const replay = await FuzzClient.open(server.url);
    await replay.request({ message: 'RequestRegisterClient', clientType: 'ReportingEngine', clientName: 'stats', token: keys.reporting!.key }, 1);
    reporting.client = replay;
    await replay.request({ message: 'RequestStartReporting', fromSeq: 1 }, 2);
    await waitFor(() => replay.received.some((message) => message.seq === lastLiveSeq), 30_000);
    const stored = replay.received.filter((message) => typeof message.seq === 'number' && (message.seq as number) <= lastLiveSeq);
    expect(stored.length).toBe(stream.length);
    for (let index = 0; index < stream.length; index++) {
      if (JSON.stringify(stored[index]) !== JSON.stringify(stream[index])) {
        expect(stored[index], `the stored event with seq ${stream[index]!.seq as number}`).toEqual(stream[index]);
      }
    }

    // Where the stream left each interaction, and its user data.
    const model = new Map<string, { stopped: boolean; userData: Record<string, unknown>; location: { queue: unknown; workbin: unknown } | { agent: string; participants: string[] } }>();
    for (const event of stream) {
      const id = event.interactionId as string;
      const entry = model.get(id);
      switch (event.message) {
        case 'EventInteractionSubmitted': {
          const interaction = event.interaction as { userData: Record<string, unknown>; queue: string };
          model.set(id, { stopped: false, userData: structuredClone(interaction.userData), location: { queue: interaction.queue, workbin: null } });
          break;
        }
        case 'EventPlacedInQueue': entry!.location = { queue: event.queue, workbin: event.workbin }; break;
        case 'EventPartyAdded': {
          // An owner (an accept, a pull, a transfer: participants stay), or a conference's participant (SPEC 9.1–9.2).
          const party = event.party as { type: string; agentId: string };
          if (party.type !== 'Agent') break;
          const participants = 'agent' in entry!.location ? entry!.location.participants : [];
          if (event.operation === 'Conference') participants.push(party.agentId);
          else entry!.location = { agent: party.agentId, participants };
          break;
        }
        case 'EventPartyRemoved': {
          // A party leaves; the first participant succeeds an owner. A transfer's old owner was already replaced.
          const party = event.party as { type: string; agentId: string };
          if (party.type !== 'Agent' || event.operation === 'Transfer' || !('agent' in entry!.location)) break;
          const location = entry!.location;
          if (location.agent === party.agentId) {
            if (location.participants.length > 0) location.agent = location.participants.shift()!;
          } else {
            location.participants = location.participants.filter((agentId) => agentId !== party.agentId);
          }
          break;
        }
        case 'EventPropertiesChanged': {
          const userData = { ...entry!.userData, ...(event.changedProperties as Record<string, unknown>) };
          for (const key of event.deletedProperties as string[]) delete userData[key];
          entry!.userData = userData;
          break;
        }
        case 'EventProcessingStopped': entry!.stopped = true; break;
      }
    }
    for (const id of acknowledgedSubmits) expect(model.has(id), `acknowledged interaction ${id} was reported`).toBe(true);
    const archive = await FuzzClient.open(server.url);
    await archive.request({ message: 'RequestRegisterClient', clientType: 'MediaServer', clientName: 'archive', token: keys.archive!.key }, 1);
    let checked = 0;
    for (const [id, expected] of model) {
      const answer = (await archive.request({ message: 'RequestGetInteractionProperties', interactionId: id }, 100 + checked++))!;
      if (expected.stopped) {
        expect(answer, `${id} stopped`).toMatchObject({ message: 'EventError', errorCode: 'InvalidState' });
        continue;
      }
      expect(answer.message, `${id}: ${JSON.stringify(answer)}`).toBe('EventInteractionProperties');
      const interaction = answer.interaction as { userData: unknown; queue: unknown; workbin: unknown; assignedTo: unknown; state: string; parties: { agentId: string }[] };
      expect(interaction.userData, `${id}'s user data`).toEqual(expected.userData);
      if ('agent' in expected.location) {
        expect({ state: interaction.state, assignedTo: interaction.assignedTo, parties: interaction.parties.map((party) => party.agentId) }, id)
          .toEqual({ state: 'handling', assignedTo: expected.location.agent, parties: [expected.location.agent, ...expected.location.participants] });
      }
      else expect({ queue: interaction.queue, workbin: interaction.workbin }, id).toEqual(expected.location);
    }
    console.info(`protocol fuzzer: after the restart, ${stream.length} stored events and ${model.size} interactions (${[...model.values()].filter((entry) => entry.stopped).length} stopped) checked`);
    archive.socket.terminate();
    replay.socket.terminate();
    reporting.client = undefined;
  }, 120_000);
});
