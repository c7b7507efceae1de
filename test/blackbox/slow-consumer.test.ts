// A client that stops reading (issue 5, part 3, the send buffer): an agent desktop and a wallboard
// whose TCP sockets are paused while a media server keeps changing an interaction's large user
// data. The server does not grow their buffers without bound: past limits.maxBufferedBytes it
// closes them with 4090 and forgets them at once (the agent is logged out), while the media
// server and a second reporting client go on at full speed. When the slow clients read again they
// find the close code after what was queued; the wallboard catches up from its next seq, the agent
// finds its interaction in its login's EventAck.

import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Socket } from 'node:net';
import { TestClient } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

const maxBufferedBytes = 256 * 1024;
const valueBytes = 32 * 1024;

let server: TestServer;
const opened: TestClient[] = [];

beforeAll(async () => {
  server = await startTestServer({
    queues: { backlog: { routing: 'none' } },
    router: { builtin: false },
    timeouts: { handlingTimeout: 600 },
    limits: { maxBufferedBytes },
  });
});

afterAll(async () => {
  for (const client of opened) client.socket.terminate();
  await server?.dispose();
});

async function register(clientType: string, clientName: string): Promise<TestClient> {
  const client = await TestClient.register(server.url, clientType, clientName);
  opened.push(client);
  return client;
}

function tcpOf(client: TestClient): Socket {
  return (client.socket as unknown as { _socket: Socket })._socket;
}

test('slow consumers are closed with 4090 at limits.maxBufferedBytes while the others keep their pace, and catch up afterwards', async () => {
  const media = await register('MediaServer', 'gateway');
  const fastReporting = await register('ReportingEngine', 'fast-wallboard');
  await fastReporting.request({ message: 'RequestStartReporting' });
  const slowReporting = await register('ReportingEngine', 'slow-wallboard');
  await slowReporting.request({ message: 'RequestStartReporting' });
  const slowAgent = await register('AgentApplication', 'frozen-desktop');
  await slowAgent.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1' });
  const { interactionId } = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' });
  await slowAgent.request({ message: 'RequestPull', queue: 'backlog', interactionIds: [interactionId] });

  // Every change sends the owner agent and every reporting client an event of about 32 KiB.
  let version = 0;
  const change = async () => {
    version++;
    const answer = await media.request({ message: 'RequestChangeProperties', interactionId, changedProperties: { body: `${version}:`.padEnd(valueBytes, 'x') } }, 10_000);
    expect(answer.message).toBe('EventAck');
  };
  const timed = async (count: number) => {
    const started = performance.now();
    for (let index = 0; index < count; index++) await change();
    return count / ((performance.now() - started) / 1000);
  };

  const baseline = await timed(100);

  // The desktop and the slow wallboard freeze: their sockets are read no more.
  tcpOf(slowAgent).pause();
  tcpOf(slowReporting).pause();
  let loggedOut = false;
  const logout = fastReporting.next((message) => message.message === 'EventAgentLogout' && message.agentId === 'agent-1', 60_000).then((event) => {
    loggedOut = true;
    return event;
  });
  const started = performance.now();
  let changes = 0;
  while (!loggedOut && changes < 4000) {
    await change();
    changes++;
  }
  expect(loggedOut, 'the server dropped the desktop that stopped reading').toBe(true);
  expect((await logout).reason).toBe('AgentDisconnected');
  // As much again as the bound, so the slow wallboard is surely past it too.
  for (let index = 0; index < 2 * (maxBufferedBytes / valueBytes) + 20; index++, changes++) await change();
  const whileFrozen = changes / ((performance.now() - started) / 1000);
  console.info(`slow consumer: ${baseline.toFixed(0)} changes/s before, ${whileFrozen.toFixed(0)} changes/s while two clients were frozen (${changes} changes, ${(changes * valueBytes / 1048576).toFixed(0)} MiB each would have queued)`);
  expect(whileFrozen, 'the media server kept its pace').toBeGreaterThan(baseline / 4);

  // The fast wallboard saw every event, gap-free.
  await fastReporting.settle();
  const seqs = fastReporting.received.filter((message) => typeof message.seq === 'number').map((message) => message.seq as number);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => seqs[0]! + index));
  const lastSeq = seqs.at(-1)!;

  // Reading again, the slow clients find what was queued, then the close code that says why.
  tcpOf(slowAgent).resume();
  tcpOf(slowReporting).resume();
  expect((await slowAgent.closed).code).toBe(4090);
  expect((await slowReporting.closed).code).toBe(4090);
  const slowSeqs = slowReporting.received.filter((message) => typeof message.seq === 'number').map((message) => message.seq as number);
  expect(slowSeqs.length, 'the slow wallboard was cut off well before the end').toBeLessThan(seqs.length);

  // The wallboard comes back from its next seq and misses nothing.
  const nextSeq = (slowSeqs.at(-1) ?? seqs[0]! - 1) + 1;
  const back = await register('ReportingEngine', 'slow-wallboard');
  await back.request({ message: 'RequestStartReporting', fromSeq: nextSeq });
  await back.next((message) => message.seq === lastSeq, 20_000);
  const replayed = back.received.filter((message) => typeof message.seq === 'number').map((message) => message.seq as number);
  expect(replayed).toEqual(Array.from({ length: lastSeq - nextSeq + 1 }, (_, index) => nextSeq + index));

  // The desktop logs in again and finds its interaction, with the last change.
  const desktop = await register('AgentApplication', 'desktop');
  const login = await desktop.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1' });
  const owned = (login.interactions as { interactionId: string; userData: { body: string } }[]).find((interaction) => interaction.interactionId === interactionId);
  expect(owned?.userData.body.startsWith(`${version}:`)).toBe(true);
});
