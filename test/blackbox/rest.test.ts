// The REST API from real HTTP clients against a real server: every route, its errors and limits,
// the role table driven through the REST API and the WebSocket alike (the same credential must
// get the same answer on both), pages that hold still while the queue changes, the README's curl
// examples as written, and the OpenAPI and AsyncAPI documents (valid, complete, current).

import { execFile } from 'node:child_process';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Parser } from '@asyncapi/parser';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { openApiDocument } from '../../src/http/documents.js';
import { asyncApiDocument, reportingMessagePrefix } from '../../src/protocol/asyncapi.js';
import { compileCheck } from '../../src/protocol/codec.js';
import { clientEventExamples, reportingEventExamples, requestExamples } from '../../src/protocol/examples.js';
import { clientEvents, reportingEvents, requests } from '../../src/protocol/messages.js';
import { agentToken, authConfig, newApiKey, type ApiKey } from '../support/auth.js';
import { TestClient, type Message } from '../support/client.js';
import { rawTcp, readUntilClosed } from '../support/raw-socket.js';
import { httpBase, startTestServer, type TestServer } from '../support/server.js';

const root = resolve(import.meta.dirname, '../..');
const layout: ConfigInput = {
  queues: { backlog: { routing: 'none' }, routed: { routing: 'external' }, closed: { routing: 'none', pullable: false } },
  workbins: { drafts: { owner: 'agent' } },
  router: { builtin: false },
};

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** An HTTP request to the server; the body as JSON (or text when `raw`). */
async function call(server: TestServer, method: string, path: string, options: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const base = httpBase(server.url);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

describe('the REST API without authentication', () => {
  let server: TestServer;
  let media: TestClient;

  beforeAll(async () => {
    server = await startTestServer({ ...layout, limits: { maxMessageBytes: 8192 } });
    media = await TestClient.register(server.url, 'MediaServer', 'gateway');
  });

  afterAll(async () => {
    media.socket.terminate();
    await server.dispose();
  });

  test('submit, idempotency, read, change, stop: each the protocol request of the same name', async () => {
    const submitted = await call(server, 'POST', '/api/v1/interactions', { body: { queue: 'backlog', mediaType: 'email', userData: { subject: 'Hi' } } });
    expect(submitted).toMatchObject({ status: 201, body: { interactionId: expect.stringMatching(/^[0-9a-z]{16}$/) } });
    const id = submitted.body.interactionId as string;
    const once = await call(server, 'POST', '/api/v1/interactions', { body: { queue: 'backlog', mediaType: 'email' }, headers: { 'idempotency-key': 'mail-1' } });
    const again = await call(server, 'POST', '/api/v1/interactions', { body: { queue: 'backlog', mediaType: 'email' }, headers: { 'idempotency-key': 'mail-1' } });
    expect(again.body.interactionId).toBe(once.body.interactionId);
    expect(await call(server, 'POST', '/api/v1/interactions', { body: { queue: 'backlog', mediaType: 'email', externalId: 'x' }, headers: { 'idempotency-key': 'y' } })).toMatchObject({ status: 400 });
    expect(await call(server, 'PATCH', `/api/v1/interactions/${id}/properties`, { body: { changedProperties: { vip: true } } })).toMatchObject({ status: 204 });
    // The WebSocket sees the same interaction.
    const read = await media.request({ message: 'RequestGetInteractionProperties', interactionId: id });
    expect(read).toMatchObject({ interaction: { userData: { subject: 'Hi', vip: true } } });
    expect(await call(server, 'GET', `/api/v1/interactions/${id}`)).toEqual({ status: 200, body: { interaction: read.interaction } });
    expect(await call(server, 'POST', `/api/v1/interactions/${id}/stop`)).toMatchObject({ status: 204 });
    expect(await call(server, 'POST', `/api/v1/interactions/${id}/stop`, { body: { reason: 'twice' } })).toMatchObject({ status: 409, body: { errorCode: 'InvalidState' } });
    expect(await call(server, 'GET', '/api/v1/interactions/zzzzzzzzzzzzzzzz')).toMatchObject({ status: 404, body: { errorCode: 'UnknownInteraction' } });
    expect(await call(server, 'POST', '/api/v1/interactions', { body: { queue: 'nowhere', mediaType: 'email' } })).toMatchObject({ status: 404, body: { errorCode: 'UnknownQueue' } });
  });

  test('bad requests are refused with what to fix, and change nothing', async () => {
    expect(await call(server, 'POST', '/api/v1/interactions', { body: { queue: 'backlog' } })).toEqual({ status: 400, body: { errorCode: 'InvalidRequest', errorDescription: 'The body lacks the required attribute "mediaType".' } });
    expect((await call(server, 'POST', '/api/v1/interactions', { body: { queue: 'backlog', mediaType: 'e', bogus: 1 } })).body.errorDescription).toBe('The body has unknown attribute "bogus".');
    expect((await call(server, 'POST', '/api/v1/interactions', { body: { queue: 'back\u202elog', mediaType: 'e' } })).status).toBe(400);
    expect((await call(server, 'POST', '/api/v1/interactions', { raw: '{"queue":"backlog","mediaType":"\\ud800"}', headers: { 'content-type': 'application/json' } })).body.errorDescription).toContain('not valid Unicode');
    expect((await call(server, 'POST', '/api/v1/interactions', { raw: '{"queue":', headers: { 'content-type': 'application/json' } })).body).toEqual({ errorCode: 'InvalidRequest', errorDescription: 'The body is not valid JSON.' });
    // Only JSON: a page elsewhere may post a form or text/plain without asking first.
    expect((await call(server, 'POST', '/api/v1/interactions', { raw: 'queue=backlog', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415);
    expect(await call(server, 'POST', '/api/v1/interactions', { body: { queue: 'backlog', mediaType: 'e', userData: { big: 'x'.repeat(9000) } } })).toMatchObject({ status: 413, body: { errorCode: 'LimitExceeded' } });
    // A bound on what the request holds is 413 too, not 429: sending it again never helps.
    const nested = Array.from({ length: 40 }).reduce<Record<string, unknown>>((inner) => ({ a: inner }), {});
    const deep = await call(server, 'POST', '/api/v1/interactions', { body: { queue: 'backlog', mediaType: 'e', userData: nested } });
    expect(deep).toMatchObject({ status: 413, body: { errorCode: 'LimitExceeded', errorDescription: expect.stringContaining('limits.maxUserDataDepth') } });
    expect(await call(server, 'GET', '/api/v1/queues/backlog/interactions?limit=5000')).toMatchObject({ status: 400 });
    expect(await call(server, 'GET', '/api/v1/queues/backlog/interactions?after=bm9wZQ')).toMatchObject({ status: 400, body: { errorDescription: '"after" is not a cursor this server gave.' } });
    expect(await call(server, 'POST', '/api/v1/interactions', { body: { queue: 'backlog', mediaType: 'e' }, headers: { origin: 'https://evil.example' } })).toMatchObject({ status: 403 });
    // A route or method the API does not have is answered in the API's shape too.
    expect(await call(server, 'DELETE', '/api/v1/queues')).toEqual({ status: 404, body: { errorCode: 'InvalidRequest', errorDescription: 'There is no DELETE /api/v1/queues in this API; GET /openapi.json lists every route.' } });
  });

  test('a path Fastify cannot read, or an id that is not one, is answered in the API\'s shape', async () => {
    const unreadable = { errorCode: 'InvalidRequest', errorDescription: 'The request cannot be read: the path is not valid percent-encoding.' };
    expect(await call(server, 'GET', '/api/v1/interactions/%zz')).toEqual({ status: 400, body: unreadable });
    expect(await call(server, 'GET', '/api/v1/interactions/%zz/history')).toEqual({ status: 400, body: unreadable });
    expect(await call(server, 'GET', `/api/v1/interactions/${'a'.repeat(257)}`)).toEqual({
      status: 400,
      body: { errorCode: 'InvalidRequest', errorDescription: 'The request cannot be read: a part of the path is longer than 256 characters, the longest an id or name may be.' },
    });
    // An id of the wrong form, with control characters or not, is a mistake to point out; nothing of it is echoed.
    const notAnId = { errorCode: 'InvalidRequest', errorDescription: 'In the path, "interactionId" must be an interaction id: 16 characters, each 0-9 or a-z.' };
    for (const id of ['%00%0a', 'a'.repeat(101), 'no-such-interaction', '000000000000000A']) {
      expect(await call(server, 'GET', `/api/v1/interactions/${id}`)).toEqual({ status: 400, body: notAnId });
    }
    expect(await call(server, 'POST', '/api/v1/interactions/%0d%0a/stop')).toEqual({ status: 400, body: notAnId });
    // A name as long as names may be (256) fits in a path: past Fastify's default of 100, it reaches the route.
    expect(await call(server, 'GET', `/api/v1/queues/${'q'.repeat(256)}/interactions`)).toMatchObject({ status: 404, body: { errorCode: 'UnknownQueue' } });
    expect(await call(server, 'GET', `/api/v1/workbins/drafts/${'\u00e9'.repeat(256)}/interactions`)).toMatchObject({ status: 200, body: { interactions: [] } });
    // Outside the API, plain words, and none of Fastify's internal codes.
    const asset = await fetch(`${httpBase(server.url)}/assets/%zz`);
    expect(asset.status).toBe(400);
    expect(await asset.text()).toBe('Bad request: the path is not valid percent-encoding.\n');
  });

  test('a request that is not HTTP the server can read is answered in the API\'s shape too, and its connection closed', async () => {
    /** What the server answers to these bytes, until it closes the connection. */
    const answer = async (bytes: string): Promise<string> => {
      const socket = await rawTcp(server.url);
      const text = readUntilClosed(socket);
      socket.write(bytes);
      return text;
    };
    for (const bytes of ['GET /api/v1/queues HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 'GET /api/v1/queues HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 'NOT HTTP AT ALL\r\n\r\n']) {
      const text = await answer(bytes);
      expect(text).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
      expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({ errorCode: 'InvalidRequest', errorDescription: 'The request cannot be read: it is not HTTP this server can read.' });
    }
    const huge = await answer(`GET /api/v1/queues HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1.1 431 Request Header Fields Too Large\r\n/);
    expect(huge).toContain('"errorCode":"InvalidRequest"');
  });

  test('a seq past the largest integer JSON carries exactly is refused, not rounded', async () => {
    const tooLarge = { errorCode: 'InvalidRequest', errorDescription: 'In the querystring, "fromSeq" must be at most 9007199254740991.' };
    const id = (await call(server, 'POST', '/api/v1/interactions', { body: { queue: 'backlog', mediaType: 'email' } })).body.interactionId as string;
    for (const fromSeq of ['99999999999999999999999', '9007199254740993', '9007199254740992']) {
      expect(await call(server, 'GET', `/api/v1/reporting/events?fromSeq=${fromSeq}`)).toEqual({ status: 400, body: tooLarge });
      expect(await call(server, 'GET', `/api/v1/interactions/${id}/history?fromSeq=${fromSeq}`)).toEqual({ status: 400, body: tooLarge });
    }
    // The largest is still a seq: past the end of the log, an empty page that stays there.
    const last = await call(server, 'GET', '/api/v1/reporting/events?fromSeq=9007199254740991');
    expect(last).toMatchObject({ status: 200, body: { events: [], nextSeq: 9007199254740991 } });
  });

  test('a caller over its rate gets 429, and the server goes on', async () => {
    const limited = await startTestServer({ ...layout, limits: { requestsPerSecond: 2 } });
    try {
      // Two a second: of 12 sent at once at most 2, and a few refilled meanwhile, get through.
      const answers = await Promise.all(Array.from({ length: 12 }, () => call(limited, 'GET', '/api/v1/queues')));
      expect(answers.filter((answer) => answer.status === 429).length).toBeGreaterThanOrEqual(6);
      expect(answers.find((answer) => answer.status === 429)!.body.errorDescription).toContain('limits.requestsPerSecond');
      // Waiting helps here, and the answer says how long.
      const base = httpBase(limited.url);
      const refused = await Promise.all(Array.from({ length: 6 }, () => fetch(`${base}/api/v1/queues`)));
      expect(refused.find((response) => response.status === 429)?.headers.get('retry-after')).toBe('1');
      await Promise.all(refused.map((response) => response.body?.cancel()));
      expect(await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' })).toMatchObject({ message: 'EventAck' });
    } finally {
      await limited.dispose();
    }
  });
});

describe('the byte rate', () => {
  test('holds one largest body however low it is set: the first goes through, the next waits its turn', async () => {
    const limited = await startTestServer({ ...layout, limits: { bytesPerSecond: 1024, maxMessageBytes: 4096 } });
    try {
      const body = { queue: 'backlog', mediaType: 'email', userData: { text: 'x'.repeat(3000) } };
      expect(await call(limited, 'POST', '/api/v1/interactions', { body })).toMatchObject({ status: 201 });
      expect(await call(limited, 'POST', '/api/v1/interactions', { body })).toMatchObject({ status: 429, body: { errorDescription: expect.stringContaining('limits.bytesPerSecond') } });
    } finally {
      await limited.dispose();
    }
  });

  test('a body over limits.maxMessageBytes is 413 however low the rate: sending it again never helps', async () => {
    // The bucket holds 4096 bytes: a declared 6000 charged to it was 429 with Retry-After, every time.
    const limited = await startTestServer({ ...layout, limits: { bytesPerSecond: 1024, maxMessageBytes: 4096 } });
    try {
      const body = { queue: 'backlog', mediaType: 'email', userData: { text: 'x'.repeat(6000) } };
      const tooLarge = { errorCode: 'LimitExceeded', errorDescription: 'The body is larger than 4096 bytes (limits.maxMessageBytes).' };
      for (let attempt = 0; attempt < 3; attempt++) expect(await call(limited, 'POST', '/api/v1/interactions', { body })).toEqual({ status: 413, body: tooLarge });
      // Refused unread, it took nothing from the byte bucket: a body of legal size still fits.
      expect(await call(limited, 'POST', '/api/v1/interactions', { body: { ...body, userData: { text: 'x'.repeat(3000) } } })).toMatchObject({ status: 201 });
    } finally {
      await limited.dispose();
    }
  });
});

describe('a body sent chunked', () => {
  test('counts against the byte rate as one with a Content-Length does', async () => {
    // A burst holds one largest body (limits.maxMessageBytes), as a connection's does.
    const limited = await startTestServer({ ...layout, limits: { bytesPerSecond: 10_000, maxMessageBytes: 16_384 } });
    try {
      const base = httpBase(limited.url);
      const body = JSON.stringify({ queue: 'backlog', mediaType: 'email', userData: { text: 'x'.repeat(9000) } });
      // A stream has no length to declare: fetch sends it chunked, so onRequest sees no Content-Length.
      const chunked = async (): Promise<Answer> => {
        const stream = new ReadableStream({ start(controller) { controller.enqueue(new TextEncoder().encode(body)); controller.close(); } });
        const response = await fetch(`${base}/api/v1/interactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      // Five of 9 kB at once against 10 kB a second: the first fits, most of the rest do not.
      const answers = await Promise.all(Array.from({ length: 5 }, chunked));
      expect(answers.filter((answer) => answer.status === 201).length).toBeGreaterThanOrEqual(1);
      expect(answers.filter((answer) => answer.status === 429).length).toBeGreaterThanOrEqual(3);
      expect(answers.find((answer) => answer.status === 429)!.body).toMatchObject({ errorCode: 'LimitExceeded', errorDescription: expect.stringContaining('limits.bytesPerSecond') });
    } finally {
      await limited.dispose();
    }
  });

  test('is charged as it arrives: bodies that never end hold no more of the server than the byte rate allows', async () => {
    const limited = await startTestServer({ ...layout, limits: { bytesPerSecond: 10_000, maxMessageBytes: 16_384 } });
    const sockets: Socket[] = [];
    try {
      // Five bodies of which 9 kB each came and the rest never comes. Charged only once whole, all
      // five were held, unanswered, however many there were (up to limits.maxConnectionsPerAddress).
      const answers = await Promise.all(Array.from({ length: 5 }, async () => {
        const socket = await rawTcp(limited.url);
        sockets.push(socket);
        const chunk = `{"queue":"backlog","mediaType":"email","userData":{"text":"${'x'.repeat(9000)}`;
        socket.write(`POST /api/v1/interactions HTTP/1.1\r\nHost: openixn\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n`);
        let received = '';
        socket.on('data', (data: Buffer) => (received += data.toString()));
        const deadline = Date.now() + 2000;
        while (!received.includes('\r\n\r\n{') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        return received;
      }));
      const refused = answers.filter((answer) => answer.startsWith('HTTP/1.1 429'));
      expect(refused.length).toBeGreaterThanOrEqual(3);
      expect(refused[0]).toMatch(/retry-after: 1/i);
      expect(refused[0]).toContain('limits.bytesPerSecond');
      // A body over the bound, chunked, is 413 when its bucket is full: charged past the bound, it was 429 for ever.
      await new Promise((resolve) => setTimeout(resolve, 1700));
      const base = httpBase(limited.url);
      const body = JSON.stringify({ queue: 'backlog', mediaType: 'email', userData: { text: 'x'.repeat(20_000) } });
      const stream = new ReadableStream({ start(controller) { for (let at = 0; at < body.length; at += 4000) controller.enqueue(new TextEncoder().encode(body.slice(at, at + 4000))); controller.close(); } });
      const tooLarge = await fetch(`${base}/api/v1/interactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
      expect(tooLarge.status).toBe(413);
      expect(await tooLarge.json()).toEqual({ errorCode: 'LimitExceeded', errorDescription: 'The body is larger than 16384 bytes (limits.maxMessageBytes).' });
    } finally {
      for (const socket of sockets) socket.destroy();
      await limited.dispose();
    }
  });
});

describe('queues, agents and the reporting log', () => {
  let server: TestServer;
  afterEach(async () => {
    await server.dispose();
  });

  test('the queue counts agree with what waits, is routed, invited and handled', async () => {
    server = await startTestServer(layout);
    const media = await TestClient.register(server.url, 'MediaServer', 'gateway');
    const router = await TestClient.register(server.url, 'RoutingEngine', 'urs');
    const agent = await TestClient.register(server.url, 'AgentApplication', 'desk');
    await agent.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1', media: { chat: 'ready' } });
    const ids: string[] = [];
    for (let index = 0; index < 4; index++) ids.push((await media.request({ message: 'RequestSubmit', queue: 'routed', mediaType: 'chat' })).interactionId as string);
    for (let index = 0; index < 3; index++) await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat' });
    for (const id of ids) await router.next((message) => message.message === 'EventRouteRequest' && (message.interaction as Message).interactionId === id);
    router.send({ message: 'RequestRouteCall', interactionId: ids[0], agentId: 'agent-1' });
    const invite = await agent.next('EventInvite');
    await agent.request({ message: 'RequestAccept', ticketId: invite.ticketId, interactionId: ids[0] });
    router.send({ message: 'RequestRouteCall', interactionId: ids[1], agentId: 'agent-2' });
    await agent.request({ message: 'RequestCancelNotReadyForMedia', mediaType: 'chat' });
    const queues = (await call(server, 'GET', '/api/v1/queues')).body.queues as Record<string, unknown>[];
    expect(queues.find((row) => row.queue === 'routed')).toMatchObject({ mode: 'external', waiting: 3, queued: 0, routing: 3, invited: 0, handling: 1 });
    expect(queues.find((row) => row.queue === 'backlog')).toMatchObject({ mode: 'none', pullable: true, waiting: 3, queued: 3, routing: 0, handling: 0, oldestWaitingSeconds: expect.any(Number) });
    expect(queues.find((row) => row.queue === 'closed')).toMatchObject({ pullable: false, waiting: 0, oldestWaitingSeconds: null });
    expect((await call(server, 'GET', '/api/v1/agents')).body).toEqual({ agents: [{ agentId: 'agent-1', placeId: 'place-1', media: { chat: { ready: true, reason: null, load: 1, capacity: 1 } } }] });
    for (const client of [media, router, agent]) client.socket.terminate();
  });

  test('pages of a queue hold still while it changes: nothing twice, nothing that stayed is skipped', async () => {
    server = await startTestServer(layout);
    const media = await TestClient.register(server.url, 'MediaServer', 'gateway');
    const ids: string[] = [];
    for (let index = 0; index < 25; index++) ids.push((await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat', priority: index % 3 === 0 ? 1 : 0 })).interactionId as string);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page = (await call(server, 'GET', `/api/v1/queues/backlog/interactions?limit=10${after === null ? '' : `&after=${after}`}`)).body;
      seen.push(...(page.interactions as { interactionId: string }[]).map((interaction) => interaction.interactionId));
      after = page.next as string | null;
      // Meanwhile the first one of what is left is stopped, and a new one comes in at the back.
      if (pages++ === 0) {
        await media.request({ message: 'RequestStopProcessing', interactionId: ids[24] });
        ids.push((await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat' })).interactionId as string);
      }
    } while (after !== null);
    expect(new Set(seen).size).toBe(seen.length);
    const pull = await TestClient.register(server.url, 'AgentApplication', 'desk');
    await pull.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1' });
    const inOrder = ((await pull.request({ message: 'RequestPull', queue: 'backlog', count: 100 })).interactions as { interactionId: string }[]).map((interaction) => interaction.interactionId);
    expect(seen.filter((id) => id !== ids[24])).toEqual(inOrder);
    media.socket.terminate();
    pull.socket.terminate();
  });

  test('the reporting log a page at a time is what a replay over the WebSocket gives', async () => {
    server = await startTestServer(layout);
    const media = await TestClient.register(server.url, 'MediaServer', 'gateway');
    for (let index = 0; index < 12; index++) await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat', userData: { n: index } });
    const reporter = await TestClient.register(server.url, 'ReportingEngine', 'stats');
    await reporter.request({ message: 'RequestStartReporting', fromSeq: 1 });
    await reporter.next((message) => message.seq === 24);
    const replayed = reporter.received.filter((message) => typeof message.seq === 'number');
    const paged: Message[] = [];
    let fromSeq = 1;
    for (;;) {
      const page = (await call(server, 'GET', `/api/v1/reporting/events?fromSeq=${fromSeq}&limit=5`)).body;
      expect(page.lastSeq).toBe(24);
      if ((page.events as Message[]).length === 0) break;
      paged.push(...(page.events as Message[]));
      fromSeq = page.nextSeq as number;
    }
    expect(paged).toEqual(replayed);
    media.socket.terminate();
    reporter.socket.terminate();
  });

  test('an interaction\'s history comes a page of about a megabyte at a time, as the log does', async () => {
    server = await startTestServer(layout);
    const id = (await call(server, 'POST', '/api/v1/interactions', { body: { queue: 'backlog', mediaType: 'email' } })).body.interactionId as string;
    // 40 changes of 60 kB: one answer of 2.4 MB; 20,000 of them (a scan's reach) were one of 1.2 GB.
    for (let index = 0; index < 40; index++) {
      expect(await call(server, 'PATCH', `/api/v1/interactions/${id}/properties`, { body: { changedProperties: { text: String(index).padEnd(60_000, 'x') } } })).toMatchObject({ status: 204 });
    }
    expect(await call(server, 'POST', `/api/v1/interactions/${id}/stop`)).toMatchObject({ status: 204 });
    const events: Message[] = [];
    let query = '';
    for (let pages = 1; ; pages++) {
      const base = httpBase(server.url);
      const text = await (await fetch(`${base}/api/v1/interactions/${id}/history${query}`)).text();
      expect(text.length).toBeLessThan(1024 * 1024 + 70_000);
      const page = JSON.parse(text) as { events: Message[]; nextSeq: number; complete: boolean };
      events.push(...page.events);
      if (page.complete) {
        expect(pages).toBeGreaterThanOrEqual(3);
        break;
      }
      query = `?fromSeq=${page.nextSeq}`;
    }
    expect(events.filter((event) => event.message === 'EventPropertiesChanged')).toHaveLength(40);
    expect(events.at(-1)).toMatchObject({ message: 'EventProcessingStopped', interactionId: id });
    expect(events.map((event) => event.seq)).toEqual([...new Set(events.map((event) => event.seq))].sort((a, b) => (a as number) - (b as number)));
  });

  test('a history request scans a bounded stretch of the log: the rest is asked for from nextSeq', async () => {
    server = await startTestServer(layout);
    const media = await TestClient.register(server.url, 'MediaServer', 'gateway');
    const id = (await call(server, 'POST', '/api/v1/interactions', { body: { queue: 'backlog', mediaType: 'email' } })).body.interactionId as string;
    // 10 MB of other interactions' events after its submit. One request scanned up to 20,000 events
    // of any size (a log of 60 kB events: 120 MB read, copied and searched for one answer, 1.7 s).
    const others = Array.from({ length: 160 }, () => media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: { text: 'y'.repeat(60_000) } }));
    for (const answer of await Promise.all(others)) expect(answer).toMatchObject({ message: 'EventAck' });
    expect(await call(server, 'POST', `/api/v1/interactions/${id}/stop`)).toMatchObject({ status: 204 });
    const first = (await call(server, 'GET', `/api/v1/interactions/${id}/history`)).body as { events: Message[]; nextSeq: number; complete: boolean };
    expect(first).toMatchObject({ complete: false });
    expect(first.events.map((event) => event.message)).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue']);
    const rest = (await call(server, 'GET', `/api/v1/interactions/${id}/history?fromSeq=${first.nextSeq}`)).body as { events: Message[]; complete: boolean };
    expect(rest).toMatchObject({ complete: true, events: [{ message: 'EventProcessingStopped', interactionId: id }] });
    media.socket.terminate();
  });
});

describe('one role table for the WebSocket and the REST API', () => {
  let server: TestServer;
  const keys: Record<'media' | 'mediaAll' | 'router' | 'reporting' | 'supervisor' | 'other', ApiKey> = {
    media: newApiKey('MediaServer', 'gateway-1'),
    mediaAll: newApiKey('MediaServer', 'archive', 'all'),
    router: newApiKey('RoutingEngine', 'urs'),
    reporting: newApiKey('ReportingEngine', 'stats'),
    supervisor: newApiKey('Supervisor', 'floor-lead'),
    other: newApiKey('MediaServer', 'gateway-2'),
  };
  let agentCredential: string;
  const opened: TestClient[] = [];

  beforeAll(async () => {
    server = await startTestServer({ ...layout, auth: authConfig(Object.values(keys)) });
    agentCredential = await agentToken('agent-1');
  });

  afterAll(async () => {
    for (const client of opened) client.socket.terminate();
    await server.dispose();
  });

  async function registered(clientType: string, clientName: string, token: string): Promise<TestClient> {
    const client = await TestClient.register(server.url, clientType, clientName, { token });
    opened.push(client);
    return client;
  }

  type Role = 'agent' | 'media' | 'mediaAll' | 'router' | 'reporting' | 'supervisor';
  const roles: Role[] = ['agent', 'media', 'mediaAll', 'router', 'reporting', 'supervisor'];
  const credential = (role: Role) => (role === 'agent' ? agentCredential : keys[role].key);
  const identity = (role: Role): [string, string] => (role === 'agent' ? ['AgentApplication', 'desk'] : [keys[role].clientType, keys[role].clientName]);

  /** An interaction submitted by gateway-1 (the `media` role's own) or gateway-2 (someone else's). */
  async function interaction(whose: 'own' | 'other'): Promise<string> {
    const submitter = await registered('MediaServer', whose === 'own' ? 'gateway-1' : 'gateway-2', whose === 'own' ? keys.media.key : keys.other.key);
    return (await submitter.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat' })).interactionId as string;
  }

  const routes: { name: string; ws: (id: string) => Record<string, unknown>; rest: (id: string) => [string, string, unknown?] }[] = [
    { name: 'submit', ws: () => ({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat' }), rest: () => ['POST', '/api/v1/interactions', { queue: 'backlog', mediaType: 'chat' }] },
    { name: 'read', ws: (id) => ({ message: 'RequestGetInteractionProperties', interactionId: id }), rest: (id) => ['GET', `/api/v1/interactions/${id}`] },
    { name: 'change', ws: (id) => ({ message: 'RequestChangeProperties', interactionId: id, changedProperties: { a: 1 } }), rest: (id) => ['PATCH', `/api/v1/interactions/${id}/properties`, { changedProperties: { a: 1 } }] },
    { name: 'stop', ws: (id) => ({ message: 'RequestStopProcessing', interactionId: id }), rest: (id) => ['POST', `/api/v1/interactions/${id}/stop`, {}] },
    { name: 'workbin', ws: () => ({ message: 'RequestGetWorkbinContent', workbin: { name: 'drafts', ownerId: 'agent-1' } }), rest: () => ['GET', '/api/v1/workbins/drafts/agent-1/interactions'] },
  ];

  const cells = routes.flatMap((route) => roles.flatMap((role) => (['own', 'other'] as const).map((whose) => ({ route, role, whose }))));

  test.each(cells.map((cell) => [cell.route.name, cell.role, cell.whose, cell] as const))('%s by %s on %s work: the same answer on both', async (_name, role, whose, cell) => {
    const [clientType, clientName] = identity(role);
    const ws = await registered(clientType, clientName, credential(role));
    const wsAnswer = await ws.request(cell.route.ws(await interaction(whose)));
    const [method, path, body] = cell.route.rest(await interaction(whose));
    const restAnswer = await call(server, method, path, { token: credential(role), ...(body !== undefined ? { body } : {}) });
    const wsOutcome = wsAnswer.message === 'EventError' ? wsAnswer.errorCode : 'ok';
    const restOutcome = restAnswer.status < 300 ? 'ok' : restAnswer.body.errorCode;
    if (role === 'router') {
      // A router holds interactions over its connection: over REST it does not act on them at all
      // (registering one for a request would make it join, and leave, the round-robin).
      expect(restAnswer).toMatchObject({ status: 403, body: { errorCode: 'Forbidden', errorDescription: expect.stringContaining('over the WebSocket') } });
    } else {
      expect(restOutcome, JSON.stringify(restAnswer.body)).toBe(wsOutcome);
    }
  });

  test('the views: who may read queues, a queue\'s interactions, the agents and the log', async () => {
    const outcome = async (role: Role, path: string) => (await call(server, 'GET', path, { token: credential(role) })).status;
    const table: Record<string, Record<Role, number>> = {
      '/api/v1/queues': { agent: 200, media: 200, mediaAll: 200, router: 200, reporting: 200, supervisor: 200 },
      '/api/v1/queues/backlog/interactions': { agent: 200, media: 403, mediaAll: 200, router: 200, reporting: 200, supervisor: 200 },
      '/api/v1/queues/closed/interactions': { agent: 403, media: 403, mediaAll: 200, router: 200, reporting: 200, supervisor: 200 },
      '/api/v1/agents': { agent: 403, media: 403, mediaAll: 200, router: 200, reporting: 200, supervisor: 200 },
      '/api/v1/reporting/events?fromSeq=1': { agent: 403, media: 403, mediaAll: 403, router: 403, reporting: 200, supervisor: 200 },
    };
    for (const [path, expected] of Object.entries(table)) {
      for (const role of roles) expect(`${role} ${path} ${await outcome(role, path)}`).toBe(`${role} ${path} ${expected[role]}`);
    }
  });

  test('without a credential, or with a bad one, 401 and nothing else', async () => {
    expect(await call(server, 'GET', '/api/v1/queues')).toMatchObject({ status: 401, body: { errorCode: 'Unauthorized' } });
    expect(await call(server, 'GET', '/api/v1/queues', { token: 'not-a-key-of-this-server-0000000000' })).toMatchObject({ status: 401 });
    expect(await call(server, 'GET', '/api/v1/queues', { token: await agentToken('agent-1', { expiresIn: -60 }) })).toMatchObject({ status: 401, body: { errorDescription: expect.stringContaining('expired') } });
  });
});

describe('the README\'s curl examples', () => {
  test('run as written against a server without authentication', async () => {
    const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
    const script = /```sh example=rest\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(script).toBeDefined();
    const server = await startTestServer({ queues: { backlog: { routing: 'none' } } });
    try {
      const base = httpBase(server.url);
      const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script!.replace('OPENIXN=http://127.0.0.1:7120', `OPENIXN=${base}`)]);
      const lines = stdout.trim().split('\n');
      const id = /^submitted ([0-9a-z]{16})$/.exec(lines[0]!)?.[1];
      expect(id).toBeDefined();
      expect(JSON.parse(lines[1]!)).toMatchObject({ interaction: { interactionId: id, userData: { subject: 'Where is my order?', priorityCustomer: true } } });
      expect(JSON.parse(lines[2]!).queues).toContainEqual(expect.objectContaining({ queue: 'backlog', waiting: 1 }));
      expect(JSON.parse(lines[3]!).interactions).toHaveLength(1);
      expect((JSON.parse(lines[4]!).events as Message[]).map((event) => event.message)).toContain('EventProcessingStopped');
      expect(JSON.parse(lines[5]!)).toEqual({ errorCode: 'InvalidRequest', errorDescription: 'The body lacks the required attribute "mediaType".' });
    } finally {
      await server.dispose();
    }
  });
});

describe('the machine-readable documents', () => {
  test('the OpenAPI document is valid OpenAPI 3.1, has every route, and docs/openapi.json is current', async () => {
    const document = await openApiDocument();
    const validation = await new Validator().validate(document as never);
    expect(validation.errors ?? []).toEqual([]);
    expect(Object.keys(document.paths as object).sort()).toEqual([
      '/api/v1/agents', '/api/v1/interactions', '/api/v1/interactions/{interactionId}', '/api/v1/interactions/{interactionId}/history',
      '/api/v1/interactions/{interactionId}/properties', '/api/v1/interactions/{interactionId}/stop', '/api/v1/layout', '/api/v1/queues',
      '/api/v1/queues/{queue}/interactions', '/api/v1/reporting/events', '/api/v1/workbins/{workbin}/{ownerId}/interactions',
    ]);
    expect(JSON.parse(readFileSync(resolve(root, 'docs/openapi.json'), 'utf8')), 'run npm run docs:api').toEqual(JSON.parse(JSON.stringify(document)));
  });

  test('the server serves both, and the browsable reference', async () => {
    const server = await startTestServer(layout);
    try {
      expect((await call(server, 'GET', '/openapi.json')).body).toMatchObject({ openapi: '3.1.0' });
      expect((await call(server, 'GET', '/asyncapi.json')).body).toMatchObject({ asyncapi: '3.0.0' });
      const page = await fetch(`${httpBase(server.url)}/api/docs/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('swagger');
    } finally {
      await server.dispose();
    }
  });

  test('the AsyncAPI document is valid AsyncAPI 3.0, names every message the server takes or sends, and docs/asyncapi.json is current', async () => {
    const document = asyncApiDocument(JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')).version as string);
    const { document: parsed, diagnostics } = await new Parser().parse(JSON.stringify(document));
    expect(diagnostics.filter((diagnostic) => diagnostic.severity === 0)).toEqual([]);
    expect(parsed).toBeDefined();
    const messages = Object.keys((document.components as { messages: object }).messages).sort();
    expect(messages).toEqual([...Object.keys(requests), ...Object.keys(clientEvents), ...Object.keys(reportingEvents).map((name) => `${reportingMessagePrefix}${name}`)].sort());
    expect(JSON.parse(readFileSync(resolve(root, 'docs/asyncapi.json'), 'utf8')), 'run npm run docs:api').toEqual(document);
  });

  test('every example in it passes its message\'s schema', () => {
    for (const [examples, schemas] of [[requestExamples, requests], [clientEventExamples, clientEvents], [reportingEventExamples, reportingEvents]] as const) {
      for (const [name, schema] of Object.entries(schemas)) {
        const example = (examples as Record<string, unknown>)[name];
        expect(compileCheck(schema)(example, name), name).toBeNull();
      }
    }
  });
});
