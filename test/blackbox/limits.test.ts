// Every limit hit from a real WebSocket client (issue 5, part 3): frame size, user data size and
// depth, requests per second (LimitExceeded, then close 4029), an agent's lower rate, connections
// per address and in total (HTTP 429 and 503 before the upgrade), and the registration deadline
// (close 4008). The send-buffer bound has its own file (slow-consumer.test.ts). After each limit
// the server goes on serving everyone else.

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { TestClient, type Message } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

const opened: TestClient[] = [];

afterEach(() => {
  for (const client of opened.splice(0)) client.socket.terminate();
});

async function register(server: TestServer, clientType: string, clientName: string): Promise<TestClient> {
  const client = await TestClient.register(server.url, clientType, clientName);
  opened.push(client);
  return client;
}

async function expectServing(server: TestServer): Promise<void> {
  const media = await register(server, 'MediaServer', 'probe');
  expect(await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' })).toMatchObject({ message: 'EventAck' });
}

/** Opens a WebSocket; resolves with the client, or with the HTTP status that refused the upgrade. */
function attempt(url: string, localAddress?: string): Promise<TestClient | number> {
  const socket = new WebSocket(url, { perMessageDeflate: false, ...(localAddress !== undefined ? { localAddress } : {}) });
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => resolve(TestClient.adopt(socket)));
    socket.once('error', reject);
  });
}

describe('size limits', () => {
  let server: TestServer;
  let media: TestClient;
  let reporting: TestClient;

  beforeAll(async () => {
    server = await startTestServer({
      queues: { backlog: { routing: 'none' } },
      router: { builtin: false },
      limits: { maxMessageBytes: 8192, maxUserDataBytes: 1024, maxUserDataDepth: 4 },
    });
  });

  afterAll(async () => {
    await server?.dispose();
  });

  async function stage(): Promise<void> {
    media = await register(server, 'MediaServer', 'gateway');
    reporting = await register(server, 'ReportingEngine', 'stats');
    await reporting.request({ message: 'RequestStartReporting' });
  }

  /** User data whose JSON text is exactly `bytes` bytes: {"note":"xxx…"}. */
  function userDataOf(bytes: number): Record<string, string> {
    const userData = { note: 'x'.repeat(bytes - '{"note":""}'.length) };
    expect(Buffer.byteLength(JSON.stringify(userData))).toBe(bytes);
    return userData;
  }

  test('a frame over limits.maxMessageBytes gets LimitExceeded with its referenceId; the connection stays', async () => {
    await stage();
    const answer = await media.request({ message: 'RequestSubmit', referenceId: 77, queue: 'backlog', mediaType: 'email', padding: 'p'.repeat(9000) });
    expect(answer).toMatchObject({ message: 'EventError', errorCode: 'LimitExceeded', referenceId: 77 });
    expect(answer.errorDescription).toContain('limits.maxMessageBytes');
    await expectServing(server);
  });

  test('user data over limits.maxUserDataBytes is refused and nothing is created; at the limit it is accepted', async () => {
    await stage();
    const over = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: userDataOf(1025) });
    expect(over).toMatchObject({ message: 'EventError', errorCode: 'LimitExceeded' });
    expect(over.errorDescription).toContain('limits.maxUserDataBytes');
    // Multi-byte characters count as the bytes they take: 400 × "é" is 800 bytes, not 400.
    const wide = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: { note: 'é'.repeat(400) + 'x'.repeat(300) } });
    expect(wide).toMatchObject({ errorCode: 'LimitExceeded' });
    const atLimit = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: userDataOf(1024) });
    expect(atLimit).toMatchObject({ message: 'EventAck' });
    await reporting.settle();
    const submitted = reporting.takeUnread().filter((message) => message.message === 'EventInteractionSubmitted');
    expect(submitted.map((message) => message.interactionId)).toEqual([atLimit.interactionId]);
  });

  test('a property change that would take user data over the limit is refused and changes nothing', async () => {
    await stage();
    const { interactionId } = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: userDataOf(600) });
    const refused = await media.request({ message: 'RequestChangeProperties', interactionId, changedProperties: { more: 'y'.repeat(500) } });
    expect(refused).toMatchObject({ message: 'EventError', errorCode: 'LimitExceeded' });
    const properties = await media.request({ message: 'RequestGetInteractionProperties', interactionId });
    expect((properties.interaction as { userData: object }).userData).toEqual(userDataOf(600));
    // Replacing the large value with a small one fits.
    expect(await media.request({ message: 'RequestChangeProperties', interactionId, changedProperties: { note: 'short', more: 'y'.repeat(500) } })).toMatchObject({ message: 'EventAck' });
  });

  test('user data nested deeper than limits.maxUserDataDepth is refused', async () => {
    await stage();
    const atDepth = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: { a: { b: [{}] } } });
    expect(atDepth).toMatchObject({ message: 'EventAck' });
    const deeper = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: { a: { b: [{ c: 1 }, [[]]] } } });
    expect(deeper).toMatchObject({ message: 'EventError', errorCode: 'LimitExceeded' });
    expect(deeper.errorDescription).toContain('limits.maxUserDataDepth');
  });

  test('user data nested 3,000 deep (which JSON.stringify cannot write) is refused, and the server goes on serving', async () => {
    await stage();
    const depth = 3000;
    media.sendRaw(`{"message":"RequestSubmit","referenceId":88,"queue":"backlog","mediaType":"email","userData":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`);
    expect(await media.next((message) => message.referenceId === 88)).toMatchObject({ message: 'EventError', errorCode: 'LimitExceeded' });
    await expectServing(server);
  });
});

describe('request rate', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      queues: { backlog: { routing: 'none' } },
      router: { builtin: false },
      limits: { requestsPerSecond: 20, agentRequestsPerSecond: 5, rateLimitCloseAfter: 30 },
    });
  });

  afterAll(async () => {
    await server?.dispose();
  });

  /** Sends `count` requests at once and returns each one's answer, in order. */
  async function burst(client: TestClient, count: number): Promise<Message[]> {
    const referenceIds = Array.from({ length: count }, () => client.send({ message: 'RequestGetWorkbinContent', workbin: { name: 'nowhere', ownerId: 'x' } }));
    return Promise.all(referenceIds.map((referenceId) => client.next((message) => message.referenceId === referenceId)));
  }

  test('a burst beyond limits.requestsPerSecond: the first ones are served, the rest get LimitExceeded with their referenceId', async () => {
    const media = await register(server, 'MediaServer', 'gateway');
    // The registration took one token of 20.
    const answers = await burst(media, 25);
    expect(answers.slice(0, 19).map((answer) => answer.errorCode)).toEqual(Array(19).fill('UnknownWorkbin'));
    const limited = answers.filter((answer) => answer.errorCode === 'LimitExceeded');
    expect(limited.length).toBeGreaterThanOrEqual(3);
    expect(limited[0]!.errorDescription).toContain('limits.requestsPerSecond');
    // The bucket refills: after a pause the connection is served again.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await burst(media, 5)).map((answer) => answer.errorCode)).toEqual(Array(5).fill('UnknownWorkbin'));
  });

  test('a client that keeps sending after limits.rateLimitCloseAfter refusals in a row is closed with 4029; others are not', async () => {
    const flooder = await register(server, 'MediaServer', 'flooder');
    const bystander = await register(server, 'MediaServer', 'bystander');
    for (let index = 0; index < 200; index++) flooder.send({ message: 'RequestGetWorkbinContent', workbin: { name: 'nowhere', ownerId: 'x' } });
    expect((await flooder.closed).code).toBe(4029);
    const refusals = flooder.received.filter((message) => message.errorCode === 'LimitExceeded');
    // Exactly 30 in a row, unless a token came back in between; the last says why the connection closes.
    expect(refusals.length).toBeGreaterThanOrEqual(30);
    expect(refusals.length).toBeLessThan(180);
    expect(refusals.at(-1)!.errorDescription).toContain('limits.rateLimitCloseAfter');
    expect(await bystander.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' })).toMatchObject({ message: 'EventAck' });
  });

  test('a connection registered as an agent gets limits.agentRequestsPerSecond', async () => {
    const agent = await register(server, 'AgentApplication', 'desktop');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const answers = await burst(agent, 12);
    const limited = answers.filter((answer) => answer.errorCode === 'LimitExceeded');
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(limited[0]!.errorDescription).toContain('limits.agentRequestsPerSecond');
  });
});

describe('connections', () => {
  let server: TestServer;

  // A server per test: the counts of one test's connections must not leak into the next.
  beforeEach(async () => {
    server = await startTestServer({ queues: { backlog: { routing: 'none' } }, router: { builtin: false }, limits: { maxConnectionsPerAddress: 3, maxConnections: 5, registrationTimeout: 0.4 } });
  });

  afterEach(async () => {
    await server?.dispose();
  });

  test('beyond limits.maxConnectionsPerAddress an address is refused with HTTP 429; once one closes it may connect again', async () => {
    const first = await attempt(server.url);
    const others = [await attempt(server.url), await attempt(server.url)];
    expect(await attempt(server.url)).toBe(429);
    // Another loopback address is another address.
    const elsewhere = await attempt(server.url, '127.0.0.2');
    expect(elsewhere).toBeInstanceOf(TestClient);
    await (first as TestClient).close();
    const again = await attempt(server.url);
    expect(again).toBeInstanceOf(TestClient);
    for (const client of [...others, elsewhere, again]) if (client instanceof TestClient) client.socket.terminate();
  });

  test('beyond limits.maxConnections anyone is refused with HTTP 503', async () => {
    const clients = [await attempt(server.url), await attempt(server.url), await attempt(server.url, '127.0.0.2'), await attempt(server.url, '127.0.0.2'), await attempt(server.url, '127.0.0.3')];
    expect(clients.every((client) => client instanceof TestClient)).toBe(true);
    expect(await attempt(server.url, '127.0.0.4')).toBe(503);
    for (const client of clients) if (client instanceof TestClient) await client.close();
    // The server counts the closes as they come; a new connection gets in once they have.
    let admitted: TestClient | number = 503;
    for (let tries = 0; tries < 50 && admitted === 503; tries++) {
      admitted = await attempt(server.url, '127.0.0.4');
      if (admitted === 503) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(admitted).toBeInstanceOf(TestClient);
    (admitted as TestClient).socket.terminate();
  });

  test('a connection that does not register within limits.registrationTimeout is closed with 4008; a registered one stays', async () => {
    const silent = await attempt(server.url);
    const registered = await register(server, 'MediaServer', 'gateway');
    expect((await (silent as TestClient).closed).code).toBe(4008);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await registered.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' })).toMatchObject({ message: 'EventAck' });
    registered.socket.terminate();
  });
});
