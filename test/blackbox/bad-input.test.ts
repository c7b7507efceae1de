// Bad input over a real WebSocket (SPEC sections 3 and 7): every malformed, unknown, forbidden or
// oversized request gets one EventError with the right code, a sentence a person can act on and
// its referenceId when that can be read; it changes nothing (no reporting event, the same
// interactions and workbin content), and the connection goes on serving.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TestClient, type Message } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

const maxMessageBytes = 4096;

const config = {
  limits: { maxMessageBytes },
  timeouts: { handlingTimeout: 600 },
  queues: { backlog: { routing: 'none' as const } },
  workbins: { drafts: { owner: 'agent' as const } },
  router: { builtin: false },
};

let server: TestServer;
let reporting: TestClient;
let media: TestClient;
let agent1: TestClient;
let agent2: TestClient;
const opened: TestClient[] = [];
/** Three interactions, one in each place: waiting in backlog, owned by agent-1, in agent-1's drafts. */
let waiting: string;
let owned: string;
let filed: string;
let before: Message[];

const agent1Drafts = { name: 'drafts', ownerId: 'agent-1' };
const unknownId = 'zzzzzzzzzzzzzzzz';

async function open(clientType: string, clientName: string): Promise<TestClient> {
  const client = await TestClient.register(server.url, clientType, clientName);
  opened.push(client);
  return client;
}

async function acknowledged(client: TestClient, request: Record<string, unknown>): Promise<Message> {
  const answer = await client.request(request);
  if (answer.message === 'EventError') throw new Error(`setup request refused: ${JSON.stringify(answer)}`);
  return answer;
}

async function submit(): Promise<string> {
  const ack = await acknowledged(media, { message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat' });
  return ack.interactionId as string;
}

/** What the tests compare before and after: each interaction as a media server reads it, and the workbin. */
async function snapshot(): Promise<Message[]> {
  const answers = [];
  for (const interactionId of [waiting, owned, filed]) {
    answers.push(await media.request({ message: 'RequestGetInteractionProperties', interactionId }));
  }
  answers.push(await media.request({ message: 'RequestGetWorkbinContent', workbin: agent1Drafts }));
  return answers.map(({ referenceId: _referenceId, ...rest }) => rest as Message);
}

beforeAll(async () => {
  server = await startTestServer(config);
  reporting = await open('ReportingEngine', 'bad-input-reporting');
  await acknowledged(reporting, { message: 'RequestStartReporting' });
  media = await open('MediaServer', 'bad-input-media');
  agent1 = await open('AgentApplication', 'desk-1');
  await acknowledged(agent1, { message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1', media: { chat: 'notReady' } });
  agent2 = await open('AgentApplication', 'desk-2');
  await acknowledged(agent2, { message: 'RequestAgentLogin', agentId: 'agent-2', placeId: 'place-2', media: { chat: 'notReady' } });
  waiting = await submit();
  owned = await submit();
  filed = await submit();
  await acknowledged(agent1, { message: 'RequestPull', queue: 'backlog', interactionIds: [owned] });
  await acknowledged(agent1, { message: 'RequestPull', queue: 'backlog', interactionIds: [filed] });
  await acknowledged(agent1, { message: 'RequestPlaceInWorkbin', interactionId: filed, workbin: { name: 'drafts' } });
  await reporting.settle();
  reporting.takeUnread();
  before = await snapshot();
  expect(before.map((answer) => answer.message)).toEqual(['EventInteractionProperties', 'EventInteractionProperties', 'EventInteractionProperties', 'EventWorkbinContent']);
});

afterAll(async () => {
  for (const client of opened) client.socket.terminate();
  await server?.dispose();
});

/** One EventError: the code, an actionable description, and the referenceId when it could be read. */
function expectError(error: Message, errorCode: string, referenceId: number | undefined): void {
  expect(error.message).toBe('EventError');
  expect(error.errorCode).toBe(errorCode);
  expect(typeof error.errorDescription).toBe('string');
  expect((error.errorDescription as string).trim().length).toBeGreaterThan(0);
  expect(error.referenceId).toBe(referenceId);
}

/** No reporting event was produced, the interactions and the workbin read as before, and nothing else came in. */
async function expectNothingChanged(...clients: TestClient[]): Promise<void> {
  await reporting.settle();
  expect(reporting.takeUnread()).toEqual([]);
  expect(await snapshot()).toEqual(before);
  for (const client of clients) {
    await client.settle();
    expect(client.takeUnread()).toEqual([]);
  }
}

/** A valid request on the same connection still gets its answer. */
async function expectStillServing(client: TestClient, ownerId: string): Promise<void> {
  const answer = await client.request({ message: 'RequestGetWorkbinContent', workbin: { name: 'drafts', ownerId } });
  expect(answer.message).toBe('EventWorkbinContent');
}

let nextReferenceId = 1;

/** Sends a request with a known referenceId; the answer is the message that carries it. */
async function refusedRequest(client: TestClient, request: Record<string, unknown>): Promise<{ error: Message; referenceId: number }> {
  const referenceId = nextReferenceId++;
  const error = await client.request({ ...request, referenceId });
  return { error, referenceId };
}

/** The next EventError on a connection, for frames whose referenceId cannot be read. */
function nextError(client: TestClient): Promise<Message> {
  return client.next('EventError');
}

describe('frames that are not a request', () => {
  it('answers malformed JSON with InvalidRequest and keeps serving', async () => {
    media.sendRaw('{"message": "RequestSubmit", "queue": "backlog", "mediaType": "chat"');
    expectError(await nextError(media), 'InvalidRequest', undefined);
    await expectNothingChanged(media);
    await expectStillServing(media, 'agent-1');
  });

  it.each([
    ['a JSON array', '[{"message": "RequestSubmit", "referenceId": 5, "queue": "backlog", "mediaType": "chat"}]'],
    ['a JSON number', '42'],
    ['a JSON string', '"RequestSubmit"'],
    ['JSON null', 'null'],
  ])('answers %s with InvalidRequest and keeps serving', async (_name, frame) => {
    media.sendRaw(frame);
    expectError(await nextError(media), 'InvalidRequest', undefined);
    await expectNothingChanged(media);
    await expectStillServing(media, 'agent-1');
  });

  it('answers a binary frame with InvalidRequest, does not execute it, and keeps serving', async () => {
    // A valid request sent as a binary frame: text frames only (SPEC section 3).
    media.sendRaw(Buffer.from(JSON.stringify({ message: 'RequestSubmit', referenceId: 71, queue: 'backlog', mediaType: 'chat' })));
    const error = await nextError(media);
    expect(error.errorCode).toBe('InvalidRequest');
    expect((error.errorDescription as string).length).toBeGreaterThan(0);
    // The server does not decode binary frames, so it need not have read the referenceId.
    expect([undefined, 71]).toContain(error.referenceId);
    await expectNothingChanged(media);
    await expectStillServing(media, 'agent-1');
  });

  it('answers an object without "message" with InvalidRequest and its referenceId', async () => {
    const referenceId = media.send({ queue: 'backlog', mediaType: 'chat' });
    expectError(await nextError(media), 'InvalidRequest', referenceId);
    await expectNothingChanged(media);
    await expectStillServing(media, 'agent-1');
  });

  it.each([
    ['an unknown request', { message: 'RequestTeleport', interactionId: 'x' }],
    ['an event name', { message: 'EventAck' }],
    ['a non-string message', { message: 7, queue: 'backlog', mediaType: 'chat' }],
  ])('answers %s with InvalidRequest and its referenceId', async (_name, request) => {
    const { error, referenceId } = await refusedRequest(media, request);
    expectError(error, 'InvalidRequest', referenceId);
    await expectNothingChanged(media);
    await expectStillServing(media, 'agent-1');
  });
});

describe('requests with wrong, missing or extra attributes get InvalidRequest', () => {
  // Each of these would change state if the server were lax about it.
  const cases: [string, () => TestClient, () => Record<string, unknown>][] = [
    ['a number for queue', () => media, () => ({ message: 'RequestSubmit', queue: 42, mediaType: 'chat' })],
    ['a string for priority', () => media, () => ({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat', priority: 'high' })],
    ['a fractional priority', () => media, () => ({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat', priority: 1.5 })],
    ['a string for userData', () => media, () => ({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat', userData: 'subject=refund' })],
    ['an empty mediaType', () => media, () => ({ message: 'RequestSubmit', queue: 'backlog', mediaType: '' })],
    ['a string for count', () => agent1, () => ({ message: 'RequestPull', queue: 'backlog', count: 'two' })],
    ['a string for interactionIds', () => agent1, () => ({ message: 'RequestPull', queue: 'backlog', interactionIds: waiting })],
    ['a string for the workbin', () => agent1, () => ({ message: 'RequestPlaceInWorkbin', interactionId: owned, workbin: 'drafts' })],
    ['a string for ticketId', () => agent1, () => ({ message: 'RequestAccept', ticketId: '1', interactionId: waiting })],
    ['a number for interactionId', () => media, () => ({ message: 'RequestStopProcessing', interactionId: 12 })],
    ['a string for subscribe', () => agent1, () => ({ message: 'RequestWorkbinNotifications', workbin: { name: 'drafts' }, subscribe: 'yes' })],
    ['a readiness that is not ready/notReady', () => agent1, () => ({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1', media: { chat: 'busy' } })],
    ['no mediaType', () => media, () => ({ message: 'RequestSubmit', queue: 'backlog' })],
    ['no queue', () => media, () => ({ message: 'RequestSubmit', mediaType: 'chat' })],
    ['no workbin', () => agent1, () => ({ message: 'RequestPlaceInWorkbin', interactionId: owned })],
    ['no interactionId', () => media, () => ({ message: 'RequestStopProcessing' })],
    ['no placeId', () => agent1, () => ({ message: 'RequestAgentLogin', agentId: 'agent-1', media: { chat: 'ready' } })],
    ['an unknown attribute', () => media, () => ({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat', colour: 'red' })],
    ['an unknown attribute in a queue move', () => agent1, () => ({ message: 'RequestPlaceInQueue', interactionId: owned, queue: 'backlog', urgent: true })],
    ['an unknown attribute in a workbin reference', () => agent1, () => ({ message: 'RequestPlaceInWorkbin', interactionId: owned, workbin: { name: 'drafts', owner: 'agent-1' } })],
    ['a snake_case attribute', () => media, () => ({ message: 'RequestStopProcessing', interaction_id: waiting })],
  ];

  it.each(cases)('%s', async (_name, client, request) => {
    const sender = client();
    const { error, referenceId } = await refusedRequest(sender, request());
    expectError(error, 'InvalidRequest', referenceId);
    await expectNothingChanged(sender);
    await expectStillServing(sender, 'agent-1');
  });

  it('answers a request whose referenceId is not an integer with InvalidRequest', async () => {
    media.sendRaw(JSON.stringify({ message: 'RequestSubmit', referenceId: 'r-1', queue: 'backlog', mediaType: 'chat' }));
    const error = await nextError(media);
    expect(error.errorCode).toBe('InvalidRequest');
    expect((error.errorDescription as string).length).toBeGreaterThan(0);
    await expectNothingChanged(media);
    await expectStillServing(media, 'agent-1');
  });
});

describe('integers past the largest a JSON number carries exactly get InvalidRequest, not a rounded value', () => {
  // Written as text: JavaScript cannot hold these numbers to send them. 2^53 + 1 would be read as
  // 2^53, and 1e23 passes as an integer; both are refused by the bound on every integer field.
  const tooLarge = ['99999999999999999999999', '9007199254740993'];
  const cases: [string, string, () => TestClient, (number: string) => string][] = [
    ['RequestAccept', 'ticketId', () => agent1, (number) => `"ticketId":${number},"interactionId":"${waiting}"`],
    ['RequestReject', 'ticketId', () => agent1, (number) => `"ticketId":${number},"interactionId":"${waiting}"`],
    ['RequestTakeSnapshot', 'max', () => media, (number) => `"queue":"backlog","max":${number}`],
    ['RequestGetSnapshotInteractions', 'snapshotId', () => media, (number) => `"snapshotId":${number}`],
    ['RequestGetSnapshotInteractions', 'from', () => media, (number) => `"snapshotId":1,"from":${number}`],
    ['RequestReleaseSnapshot', 'snapshotId', () => media, (number) => `"snapshotId":${number}`],
    ['RequestUnlockInteraction', 'snapshotId', () => media, (number) => `"snapshotId":${number},"interactionId":"${waiting}"`],
    ['RequestMoveInteractions', 'snapshotId', () => media, (number) => `"snapshotId":${number},"queue":"backlog"`],
  ];

  it.each(cases.flatMap(([message, field, client, attributes]) => tooLarge.map((number) => [message, field, number, client, attributes] as const)))(
    '%s with %s %s', async (message, field, number, client, attributes) => {
      const sender = client();
      const referenceId = nextReferenceId++;
      sender.sendRaw(`{"message":"${message}","referenceId":${referenceId},${attributes(number)}}`);
      const error = await sender.next((received) => received.referenceId === referenceId);
      expectError(error, 'InvalidRequest', referenceId);
      expect(error.errorDescription).toBe(`In ${message}, "${field}" must be at most 9007199254740991.`);
      await expectNothingChanged(sender);
      await expectStillServing(sender, 'agent-1');
    },
  );

  it.each(tooLarge)('a replay from seq %s is refused, and one from a seq that is one starts', async (number) => {
    const reader = await open('ReportingEngine', `bad-input-replay-${number.length}`);
    reader.sendRaw(`{"message":"RequestStartReporting","referenceId":5,"fromSeq":${number}}`);
    const error = await reader.next((received) => received.referenceId === 5);
    expectError(error, 'InvalidRequest', 5);
    expect(error.errorDescription).toBe('In RequestStartReporting, "fromSeq" must be at most 9007199254740991.');
    // Refused, it started nothing: a second request is the first, not InvalidState.
    expect(await reader.request({ message: 'RequestStartReporting', fromSeq: 1 })).toMatchObject({ message: 'EventAck' });
    expect((await reader.next((received) => received.seq === 1)).message).toBe('EventAgentLogin');
    reader.socket.terminate();
  });

  it('a referenceId past it is not echoed as another number', async () => {
    media.sendRaw('{"message":"RequestSubmit","referenceId":99999999999999999999999,"queue":"backlog","mediaType":"chat"}');
    const error = await nextError(media);
    expectError(error, 'InvalidRequest', undefined);
    expect(error.errorDescription).toBe('In RequestSubmit, "referenceId" must be at most 9007199254740991.');
    await expectNothingChanged(media);
    await expectStillServing(media, 'agent-1');
  });
});

describe('requests that name what does not exist', () => {
  const cases: [string, string, () => TestClient, () => Record<string, unknown>][] = [
    ['a stop of an unknown interaction', 'UnknownInteraction', () => media, () => ({ message: 'RequestStopProcessing', interactionId: unknownId })],
    ['a read of an id that is not an id', 'UnknownInteraction', () => media, () => ({ message: 'RequestGetInteractionProperties', interactionId: 'no-such-interaction' })],
    ['a property change of an unknown interaction', 'UnknownInteraction', () => media, () => ({ message: 'RequestChangeProperties', interactionId: unknownId, changedProperties: { a: 1 } })],
    ['a pull naming an unknown interaction', 'UnknownInteraction', () => agent1, () => ({ message: 'RequestPull', queue: 'backlog', interactionIds: [waiting, unknownId] })],
    ['a submit to an unknown queue', 'UnknownQueue', () => media, () => ({ message: 'RequestSubmit', queue: 'nowhere', mediaType: 'chat' })],
    ['a pull from an unknown queue', 'UnknownQueue', () => agent1, () => ({ message: 'RequestPull', queue: 'nowhere' })],
    ['a move to an unknown queue', 'UnknownQueue', () => agent1, () => ({ message: 'RequestPlaceInQueue', interactionId: owned, queue: 'nowhere' })],
    ['a move to an unknown workbin', 'UnknownWorkbin', () => agent1, () => ({ message: 'RequestPlaceInWorkbin', interactionId: owned, workbin: { name: 'nowhere' } })],
    ['a read of an unknown workbin', 'UnknownWorkbin', () => agent1, () => ({ message: 'RequestGetWorkbinContent', workbin: { name: 'nowhere', ownerId: 'agent-1' } })],
    ['a pull from an unknown workbin', 'UnknownWorkbin', () => agent1, () => ({ message: 'RequestPull', workbin: { name: 'nowhere', ownerId: 'agent-1' } })],
    ['a media server reading an unknown workbin', 'UnknownWorkbin', () => media, () => ({ message: 'RequestGetWorkbinContent', workbin: { name: 'nowhere', ownerId: 'agent-1' } })],
    ['an accept of a ticket never issued', 'UnknownTicket', () => agent1, () => ({ message: 'RequestAccept', ticketId: 987654, interactionId: waiting })],
    ['a reject of a ticket never issued', 'UnknownTicket', () => agent1, () => ({ message: 'RequestReject', ticketId: 987654, interactionId: waiting })],
  ];

  it.each(cases)('%s gets %s', async (_name, errorCode, client, request) => {
    const sender = client();
    const { error, referenceId } = await refusedRequest(sender, request());
    expectError(error, errorCode, referenceId);
    await expectNothingChanged(sender);
    await expectStillServing(sender, 'agent-1');
  });
});

describe("another agent's interaction or workbin is Forbidden", () => {
  const cases: [string, () => Record<string, unknown>][] = [
    ['stopping it', () => ({ message: 'RequestStopProcessing', interactionId: owned })],
    ['moving it to a queue', () => ({ message: 'RequestPlaceInQueue', interactionId: owned, queue: 'backlog' })],
    ['moving it to its own workbin', () => ({ message: 'RequestPlaceInWorkbin', interactionId: owned, workbin: { name: 'drafts' } })],
    ['changing its properties', () => ({ message: 'RequestChangeProperties', interactionId: owned, changedProperties: { taken: true } })],
    ['reading it', () => ({ message: 'RequestGetInteractionProperties', interactionId: owned })],
    ['reading a workbin of another agent', () => ({ message: 'RequestGetWorkbinContent', workbin: agent1Drafts })],
    ['pulling from a workbin of another agent', () => ({ message: 'RequestPull', workbin: agent1Drafts })],
    ['pulling a named interaction from a workbin of another agent', () => ({ message: 'RequestPull', workbin: agent1Drafts, interactionIds: [filed] })],
    ['subscribing to a workbin of another agent', () => ({ message: 'RequestWorkbinNotifications', workbin: agent1Drafts, subscribe: true })],
    ['reading an interaction in a workbin of another agent', () => ({ message: 'RequestGetInteractionProperties', interactionId: filed })],
  ];

  it.each(cases)('agent-2 %s', async (_name, request) => {
    const { error, referenceId } = await refusedRequest(agent2, request());
    expectError(error, 'Forbidden', referenceId);
    await expectNothingChanged(agent1, agent2);
    await expectStillServing(agent2, 'agent-2');
  });
});

describe('frame size limits', () => {
  /** A RequestSubmit of exactly `bytes` bytes, with its referenceId first so a prefix reader finds it. */
  function submitFrame(referenceId: number, bytes: number): string {
    const head = `{"referenceId":${referenceId},"message":"RequestSubmit","queue":"backlog","mediaType":"chat","userData":{"note":"`;
    const tail = '"}}';
    const frame = head + 'x'.repeat(bytes - head.length - tail.length) + tail;
    expect(Buffer.byteLength(frame)).toBe(bytes);
    return frame;
  }

  it('answers a frame just over limits.maxMessageBytes with LimitExceeded and its referenceId, and keeps the connection', async () => {
    media.sendRaw(submitFrame(4242, maxMessageBytes + 1));
    const error = await media.next((message) => message.message === 'EventError');
    expectError(error, 'LimitExceeded', 4242);
    await expectNothingChanged(media);
    await expectStillServing(media, 'agent-1');
  });

  it('accepts a frame of exactly limits.maxMessageBytes', async () => {
    media.sendRaw(submitFrame(4343, maxMessageBytes));
    const ack = await media.next((message) => message.referenceId === 4343);
    expect(ack).toMatchObject({ message: 'EventAck', referenceId: 4343 });
    const submitted = await reporting.next((message) => message.message === 'EventInteractionSubmitted' && message.interactionId === ack.interactionId);
    expect(submitted.interactionId).toBe(ack.interactionId);
    // Tidy up so the tests after this one see an unchanged stage.
    await acknowledged(media, { message: 'RequestStopProcessing', interactionId: ack.interactionId });
    await reporting.settle();
    reporting.takeUnread();
  });

  it('closes a connection that sends a frame over 16 MiB with 1009 (or refuses it), and other connections keep serving', async () => {
    const sender = await open('MediaServer', 'bad-input-huge');
    // The server may reset the TCP connection while the frame is still being sent.
    sender.socket.on('error', () => undefined);
    const referenceId = 4444;
    const frame = `{"referenceId":${referenceId},"message":"RequestSubmit","queue":"backlog","mediaType":"chat","userData":{"note":"${'y'.repeat(16 * 1024 * 1024)}"}}`;
    sender.sendRaw(frame);
    const outcome = await Promise.race([
      sender.closed.then((closed) => ({ closed })),
      sender.next((message) => message.message === 'EventError', 20_000).then((error) => ({ error })),
    ]);
    if ('closed' in outcome) {
      expect(outcome.closed.code).toBe(1009);
    } else {
      expectError(outcome.error, 'LimitExceeded', referenceId);
      await expectStillServing(sender, 'agent-1');
    }
    await expectNothingChanged(media, agent1, agent2);
    await expectStillServing(media, 'agent-1');
    await expectStillServing(agent1, 'agent-1');
  });
});

describe('registration', () => {
  it.each([
    ['RequestSubmit', { message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat' }],
    ['RequestAgentLogin', { message: 'RequestAgentLogin', agentId: 'agent-9', placeId: 'place-9', media: { chat: 'ready' } }],
    ['RequestStartReporting', { message: 'RequestStartReporting', fromSeq: 1 }],
    ['RequestGetInteractionProperties', { message: 'RequestGetInteractionProperties', interactionId: 'x' }],
  ])('answers %s before RequestRegisterClient with NotRegistered, then registers', async (_name, request) => {
    const client = await TestClient.connect(server.url);
    opened.push(client);
    const { error, referenceId } = await refusedRequest(client, request);
    expectError(error, 'NotRegistered', referenceId);
    await expectNothingChanged();
    const ack = await client.request({ message: 'RequestRegisterClient', clientType: 'MediaServer', clientName: 'late-registrant' });
    expect(ack.message).toBe('EventAck');
    const answer = await client.request({ message: 'RequestGetInteractionProperties', interactionId: waiting });
    expect(answer.message).toBe('EventInteractionProperties');
    // Nothing of the refused request arrived late (a replay, an interaction, an error).
    await client.settle();
    expect(client.takeUnread()).toEqual([]);
  });

  it('answers a second RequestRegisterClient with InvalidState and keeps the first registration', async () => {
    const { error, referenceId } = await refusedRequest(media, { message: 'RequestRegisterClient', clientType: 'AgentApplication', clientName: 'someone-else' });
    expectError(error, 'InvalidState', referenceId);
    await expectNothingChanged(media);
    // Still a media server: it may read any interaction, which an agent that is not logged in may not.
    const answer = await media.request({ message: 'RequestGetInteractionProperties', interactionId: waiting });
    expect(answer.message).toBe('EventInteractionProperties');
    const login = await media.request({ message: 'RequestAgentLogin', agentId: 'agent-9', placeId: 'place-9' });
    expect(login).toMatchObject({ message: 'EventError', errorCode: 'Forbidden' });
  });
});

describe('HTTP', () => {
  const httpBase = () => server.url.replace(/^ws:/, 'http:').replace(/\/ws$/, '');

  it('answers GET /healthz with 200', async () => {
    const response = await fetch(`${httpBase()}/healthz`);
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it('refuses a WebSocket upgrade on a path other than /ws', async () => {
    const socket = new WebSocket(server.url.replace(/\/ws$/, '/other'), { perMessageDeflate: false });
    const outcome = await new Promise<{ opened: true } | { statusCode: number | undefined } | { error: string }>((resolve) => {
      socket.once('open', () => resolve({ opened: true }));
      socket.once('unexpected-response', (request, response) => {
        resolve({ statusCode: response.statusCode });
        request.destroy();
      });
      socket.once('error', (error) => resolve({ error: error.message }));
    });
    socket.terminate();
    expect(outcome).not.toHaveProperty('opened');
    if ('statusCode' in outcome) expect(outcome.statusCode).toBeGreaterThanOrEqual(400);
    // The endpoint itself still serves.
    await expectStillServing(media, 'agent-1');
  });
});
