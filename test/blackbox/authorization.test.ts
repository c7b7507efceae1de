// Who may do what (issue 5, part 2), as one table: every role against every request, each on its
// own target and on someone else's, over a real WebSocket with authentication on. Agents act only
// on their own invites, interactions and workbins (group workbins by membership); a media server
// with scope "submitted" only on what it submitted, one with scope "all" on any interaction;
// routers on what they hold; reporting clients only read the stream. A refusal is Forbidden with
// a description that names what was refused.
//
// Every cell gets a fresh connection for the role and a fresh target, so no cell depends on another.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestClient, type Message } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { agentToken, authConfig, newApiKey, type ApiKey } from '../support/auth.js';

type Role = 'agent' | 'media' | 'mediaAll' | 'router' | 'reporting' | 'supervisor';
const roles: Role[] = ['agent', 'media', 'mediaAll', 'router', 'reporting', 'supervisor'];
type Target = 'own' | 'other';

const keys = {
  media: newApiKey('MediaServer', 'gateway-1'),
  otherMedia: newApiKey('MediaServer', 'gateway-2'),
  mediaAll: newApiKey('MediaServer', 'gateway-all', 'all'),
  router: newApiKey('RoutingEngine', 'urs'),
  otherRouter: newApiKey('RoutingEngine', 'urs-2'),
  reporting: newApiKey('ReportingEngine', 'wallboard'),
  supervisor: newApiKey('Supervisor', 'floor-lead'),
} satisfies Record<string, ApiKey>;

let server: TestServer;
const opened: TestClient[] = [];
/** Long-lived clients that build the targets. */
let gateway1: TestClient;
let gateway2: TestClient;
let desk1: TestClient;
let desk2: TestClient;
let otherRouter: TestClient;

async function register(clientType: string, key: ApiKey | { token: string; clientName: string }, queues?: string[]): Promise<TestClient> {
  const token = 'key' in key ? key.key : key.token;
  const client = await TestClient.register(server.url, clientType, key.clientName, { token, ...(queues !== undefined ? { queues } : {}) });
  opened.push(client);
  return client;
}

async function agentDesk(agentId: string): Promise<TestClient> {
  const desk = await register('AgentApplication', { token: await agentToken(agentId), clientName: `desk-${agentId}` });
  await ok(desk, { message: 'RequestAgentLogin', agentId, placeId: `place-${agentId}`, media: { chat: 'ready' } });
  return desk;
}

async function ok(client: TestClient, request: Record<string, unknown>): Promise<Message> {
  const answer = await client.request(request);
  if (answer.message === 'EventError') throw new Error(`setup refused: ${JSON.stringify(request)} → ${JSON.stringify(answer)}`);
  return answer;
}

beforeAll(async () => {
  server = await startTestServer({
    mediaTypes: { chat: { capacity: 1000 } },
    timeouts: { handlingTimeout: 600, deliveringTimeout: 600 },
    queues: { backlog: { routing: 'none' }, r1: { routing: 'external' }, r2: { routing: 'external' } },
    workbins: { drafts: { owner: 'agent' }, team: { owner: 'agentGroup' } },
    agentGroups: { tier2: ['agent-1'], tier3: ['agent-2'] },
    router: { builtin: false },
    limits: { agentRequestsPerSecond: 10_000 },
    auth: authConfig(Object.values(keys)),
  });
  gateway1 = await register('MediaServer', keys.media);
  gateway2 = await register('MediaServer', keys.otherMedia);
  desk1 = await agentDesk('agent-1');
  desk2 = await agentDesk('agent-2');
  otherRouter = await register('RoutingEngine', keys.otherRouter, ['r2']);
});

afterAll(async () => {
  for (const client of opened) client.socket.terminate();
  await server?.dispose();
});

// ---- Targets --------------------------------------------------------------------------------

async function submit(by: TestClient, queue = 'backlog'): Promise<string> {
  return (await ok(by, { message: 'RequestSubmit', queue, mediaType: 'chat' })).interactionId as string;
}

/** A desk's agent may have been logged out by the cell before: log it in again (SPEC 5 allows it). */
async function loggedIn(desk: TestClient, agentId: string): Promise<TestClient> {
  await ok(desk, { message: 'RequestAgentLogin', agentId, placeId: `place-${agentId}`, media: { chat: 'ready' } });
  return desk;
}

async function ownedBy(agentId: 'agent-1' | 'agent-2'): Promise<string> {
  const desk = await loggedIn(agentId === 'agent-1' ? desk1 : desk2, agentId);
  const id = await submit(gateway1);
  await ok(desk, { message: 'RequestPull', queue: 'backlog', interactionIds: [id] });
  return id;
}

/** An interaction routed to a router: submitted to its queue, offered to it. */
async function routedTo(router: TestClient, queue: 'r1' | 'r2'): Promise<string> {
  const id = await submit(gateway1, queue);
  await router.next((message) => message.message === 'EventRouteRequest' && (message.interaction as { interactionId: string }).interactionId === id);
  return id;
}

/** A ticket for the agent, from the other router. */
async function ticketFor(agentId: 'agent-1' | 'agent-2'): Promise<{ ticketId: number; interactionId: string }> {
  const desk = await loggedIn(agentId === 'agent-1' ? desk1 : desk2, agentId);
  const interactionId = await routedTo(otherRouter, 'r2');
  otherRouter.send({ message: 'RequestRouteCall', interactionId, agentId });
  const invite = await desk.next((message) => message.message === 'EventInvite' && (message.interaction as { interactionId: string }).interactionId === interactionId);
  return { ticketId: invite.ticketId as number, interactionId };
}

/** The client acting in one cell, and what "own" and "other" mean for it. */
interface Actor {
  client: TestClient;
  /** An interaction this actor may act on if anyone of its kind may, and one it may not. */
  interaction(target: Target): Promise<string>;
  workbin(target: Target): { name: string; ownerId?: string };
}

async function actor(role: Role): Promise<Actor> {
  const sharedWorkbin = (target: Target) => ({ name: 'drafts', ownerId: target === 'own' ? 'agent-1' : 'agent-2' });
  switch (role) {
    case 'agent': {
      const client = await agentDesk('agent-1');
      return {
        client,
        interaction: (target) => ownedBy(target === 'own' ? 'agent-1' : 'agent-2'),
        workbin: (target) => (target === 'own' ? { name: 'drafts' } : { name: 'drafts', ownerId: 'agent-2' }),
      };
    }
    case 'media':
    case 'mediaAll':
      return {
        client: await register('MediaServer', role === 'media' ? keys.media : keys.mediaAll),
        interaction: (target) => submit(target === 'own' ? (role === 'media' ? gateway1 : gateway2) : gateway2),
        workbin: sharedWorkbin,
      };
    case 'router': {
      const client = await register('RoutingEngine', keys.router, ['r1']);
      return { client, interaction: (target) => (target === 'own' ? routedTo(client, 'r1') : routedTo(otherRouter, 'r2')), workbin: sharedWorkbin };
    }
    case 'reporting':
      return { client: await register('ReportingEngine', keys.reporting), interaction: () => submit(gateway1), workbin: sharedWorkbin };
    case 'supervisor':
      // A supervisor acts on any interaction that is not invited: "own" waits, "other" an agent handles.
      return { client: await register('Supervisor', keys.supervisor), interaction: (target) => (target === 'own' ? submit(gateway1) : ownedBy('agent-2')), workbin: sharedWorkbin };
  }
}

// ---- The table ------------------------------------------------------------------------------

/** The answer a cell expects: a success message, or an error code. */
type Outcome = 'EventAck' | 'EventPulledInteractions' | 'EventInteractionProperties' | 'EventWorkbinContent' | 'EventSnapshotTaken' | 'EventSnapshotInteractions' | 'EventInteractionsMoved' | 'Forbidden' | 'AgentNotAvailable' | 'InvalidState';

interface Row {
  name: string;
  build(actor: Actor): Promise<Record<string, unknown>>;
  expected: Record<Role, Outcome>;
}

const onlyAgent = (outcome: Outcome): Record<Role, Outcome> => ({ agent: outcome, media: 'Forbidden', mediaAll: 'Forbidden', router: 'Forbidden', reporting: 'Forbidden', supervisor: 'Forbidden' });
const onlySupervisor = (outcome: Outcome): Record<Role, Outcome> => ({ agent: 'Forbidden', media: 'Forbidden', mediaAll: 'Forbidden', router: 'Forbidden', reporting: 'Forbidden', supervisor: outcome });
/** SPEC 9.3 step 2: supervisors, routers and media servers with scope "all" take snapshots and act through them. */
const snapshotters = (outcome: Outcome): Record<Role, Outcome> => ({ agent: 'Forbidden', media: 'Forbidden', mediaAll: outcome, router: outcome, reporting: 'Forbidden', supervisor: outcome });
const F = 'Forbidden';

/** A snapshot of one fresh interaction in backlog, taken by the acting client if it may (else an id it does not hold). */
async function snapshotOfOne(actor: Actor, lock = false): Promise<{ snapshotId: number; interactionId: string }> {
  const cell = `cell-${Math.random()}`;
  const interactionId = (await ok(gateway1, { message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat', userData: { cell } })).interactionId as string;
  const taken = await actor.client.request({ message: 'RequestTakeSnapshot', queue: 'backlog', condition: { 'userData.cell': cell }, lock });
  return { snapshotId: taken.message === 'EventSnapshotTaken' ? (taken.snapshotId as number) : 1, interactionId };
}

const rows: Row[] = [
  { name: 'RequestSubmit', build: async () => ({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat' }), expected: { agent: F, media: 'EventAck', mediaAll: 'EventAck', router: F, reporting: F, supervisor: F } },
  { name: 'RequestAgentLogin as its own agent', build: async () => ({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1' }), expected: onlyAgent('EventAck') },
  { name: 'RequestAgentLogin as another agent', build: async () => ({ message: 'RequestAgentLogin', agentId: 'agent-2', placeId: 'place-1' }), expected: onlyAgent(F) },
  { name: 'RequestAgentLogout', build: async () => ({ message: 'RequestAgentLogout' }), expected: onlyAgent('EventAck') },
  { name: 'RequestNotReadyForMedia', build: async () => ({ message: 'RequestNotReadyForMedia', mediaType: 'email' }), expected: onlyAgent('EventAck') },
  { name: 'RequestCancelNotReadyForMedia', build: async () => ({ message: 'RequestCancelNotReadyForMedia', mediaType: 'email' }), expected: onlyAgent('EventAck') },
  {
    name: 'RequestRouteCall on its own interaction',
    build: async (actor) => ({ message: 'RequestRouteCall', interactionId: await actor.interaction('own'), agentId: 'agent-nobody' }),
    expected: { agent: F, media: F, mediaAll: F, router: 'AgentNotAvailable', reporting: F, supervisor: F },
  },
  {
    name: "RequestRouteCall on another's interaction",
    build: async (actor) => ({ message: 'RequestRouteCall', interactionId: await actor.interaction('other'), agentId: 'agent-nobody' }),
    expected: { agent: F, media: F, mediaAll: F, router: F, reporting: F, supervisor: F },
  },
  { name: 'RequestAccept of its own ticket', build: async () => ({ message: 'RequestAccept', ...(await ticketFor('agent-1')) }), expected: onlyAgent('EventAck') },
  { name: "RequestAccept of another agent's ticket", build: async () => ({ message: 'RequestAccept', ...(await ticketFor('agent-2')) }), expected: onlyAgent(F) },
  { name: 'RequestReject of its own ticket', build: async () => ({ message: 'RequestReject', ...(await ticketFor('agent-1')) }), expected: onlyAgent('EventAck') },
  { name: "RequestReject of another agent's ticket", build: async () => ({ message: 'RequestReject', ...(await ticketFor('agent-2')) }), expected: onlyAgent(F) },
  { name: 'RequestPull from a queue', build: async () => ({ message: 'RequestPull', queue: 'backlog' }), expected: onlyAgent('EventPulledInteractions') },
  { name: 'RequestPull from its own workbin', build: async (actor) => ({ message: 'RequestPull', workbin: actor.workbin('own') }), expected: onlyAgent('EventPulledInteractions') },
  { name: "RequestPull from another agent's workbin", build: async (actor) => ({ message: 'RequestPull', workbin: actor.workbin('other') }), expected: onlyAgent(F) },
  { name: 'RequestPull from the workbin of its group', build: async () => ({ message: 'RequestPull', workbin: { name: 'team', ownerId: 'tier2' } }), expected: onlyAgent('EventPulledInteractions') },
  { name: 'RequestPull from the workbin of another group', build: async () => ({ message: 'RequestPull', workbin: { name: 'team', ownerId: 'tier3' } }), expected: onlyAgent(F) },
  ...(['own', 'other'] as const).flatMap((target): Row[] => {
    const whose = target === 'own' ? 'its own' : "another's";
    const holder = (outcome: Outcome): Record<Role, Outcome> => ({ agent: outcome, media: F, mediaAll: F, router: outcome, reporting: F, supervisor: 'EventAck' });
    const allowed = (success: Outcome) => (target === 'own' ? success : F);
    // A media server with scope "all" may act on any interaction; everyone else only on its own.
    const anyMedia = (success: Outcome, supervisor: Outcome = success): Record<Role, Outcome> => ({ agent: allowed(success), media: allowed(success), mediaAll: success, router: allowed(success), reporting: F, supervisor });
    return [
      { name: `RequestPlaceInQueue of ${whose} interaction`, build: async (actor) => ({ message: 'RequestPlaceInQueue', interactionId: await actor.interaction(target), queue: 'backlog' }), expected: holder(allowed('EventAck')) },
      {
        name: `RequestPlaceInWorkbin of ${whose} interaction`,
        build: async (actor) => ({ message: 'RequestPlaceInWorkbin', interactionId: await actor.interaction(target), workbin: { name: 'drafts', ownerId: 'agent-1' } }),
        expected: holder(allowed('EventAck')),
      },
      { name: `RequestStopProcessing of ${whose} interaction`, build: async (actor) => ({ message: 'RequestStopProcessing', interactionId: await actor.interaction(target) }), expected: anyMedia('EventAck') },
      {
        name: `RequestChangeProperties of ${whose} interaction`,
        build: async (actor) => ({ message: 'RequestChangeProperties', interactionId: await actor.interaction(target), changedProperties: { note: 'x' } }),
        // A supervisor reads and moves work; what the work says is for those who handle it.
        expected: anyMedia('EventAck', F),
      },
      {
        name: `RequestGetInteractionProperties of ${whose} interaction`,
        build: async (actor) => ({ message: 'RequestGetInteractionProperties', interactionId: await actor.interaction(target) }),
        expected: anyMedia('EventInteractionProperties'),
      },
      {
        name: `RequestGetWorkbinContent of ${whose} workbin`,
        build: async (actor) => ({ message: 'RequestGetWorkbinContent', workbin: actor.workbin(target) }),
        expected: { agent: allowed('EventWorkbinContent'), media: F, mediaAll: 'EventWorkbinContent', router: 'EventWorkbinContent', reporting: F, supervisor: 'EventWorkbinContent' },
      },
      {
        name: `RequestWorkbinNotifications of ${whose} workbin`,
        build: async (actor) => ({ message: 'RequestWorkbinNotifications', workbin: actor.workbin(target), subscribe: true }),
        expected: { agent: allowed('EventAck'), media: F, mediaAll: 'EventAck', router: 'EventAck', reporting: F, supervisor: 'EventAck' },
      },
    ];
  }),
  { name: 'RequestStartReporting', build: async () => ({ message: 'RequestStartReporting' }), expected: { agent: F, media: F, mediaAll: F, router: F, reporting: 'EventAck', supervisor: 'EventAck' } },
  {
    name: 'RequestForceAgentLogout of a logged-in agent',
    build: async () => {
      await loggedIn(desk2, 'agent-2');
      return { message: 'RequestForceAgentLogout', agentId: 'agent-2' };
    },
    expected: onlySupervisor('EventAck'),
  },
  {
    name: 'RequestForceNotReady of a logged-in agent',
    build: async () => {
      await loggedIn(desk2, 'agent-2');
      return { message: 'RequestForceNotReady', agentId: 'agent-2', mediaType: 'chat' };
    },
    expected: onlySupervisor('EventAck'),
  },
  { name: 'RequestTakeSnapshot of a queue', build: async () => ({ message: 'RequestTakeSnapshot', queue: 'backlog', max: 10 }), expected: snapshotters('EventSnapshotTaken') },
  {
    name: 'RequestGetSnapshotInteractions of its own snapshot',
    build: async (actor) => ({ message: 'RequestGetSnapshotInteractions', snapshotId: (await snapshotOfOne(actor)).snapshotId }),
    expected: snapshotters('EventSnapshotInteractions'),
  },
  { name: 'RequestReleaseSnapshot of its own snapshot', build: async (actor) => ({ message: 'RequestReleaseSnapshot', snapshotId: (await snapshotOfOne(actor)).snapshotId }), expected: snapshotters('EventAck') },
  { name: 'RequestUnlockInteraction its own snapshot locks', build: async (actor) => ({ message: 'RequestUnlockInteraction', ...(await snapshotOfOne(actor, true)) }), expected: snapshotters('EventAck') },
  {
    name: 'RequestMoveInteractions of its own snapshot',
    build: async (actor) => ({ message: 'RequestMoveInteractions', snapshotId: (await snapshotOfOne(actor)).snapshotId, queue: 'backlog' }),
    expected: snapshotters('EventInteractionsMoved'),
  },
  // SPEC 9.1–9.2: only agents send these, and only the owner (or, to leave, a party) may: another agent's work is InvalidState.
  ...(['RequestTransfer', 'RequestConference'] as const).flatMap((message): Row[] => [
    // The target is logged in ready again first: a supervisor's row may have made it not ready.
    { name: `${message} of its own interaction`, build: async () => ({ message, interactionId: await ownedBy('agent-1'), agentId: (await loggedIn(desk2, 'agent-2'), 'agent-2') }), expected: onlyAgent('EventAck') },
    { name: `${message} of another's interaction`, build: async () => ({ message, interactionId: await ownedBy('agent-2'), agentId: 'agent-1' }), expected: onlyAgent('InvalidState') },
  ]),
  {
    name: 'RequestCancelTransfer of its own transfer',
    build: async () => {
      const interactionId = await ownedBy('agent-1');
      await loggedIn(desk2, 'agent-2');
      await ok(desk1, { message: 'RequestTransfer', interactionId, agentId: 'agent-2' });
      return { message: 'RequestCancelTransfer', interactionId };
    },
    expected: onlyAgent('EventAck'),
  },
  {
    name: "RequestCancelTransfer of another's transfer",
    build: async () => {
      const interactionId = await ownedBy('agent-2');
      await loggedIn(desk1, 'agent-1');
      await ok(desk2, { message: 'RequestTransfer', interactionId, agentId: 'agent-1' });
      return { message: 'RequestCancelTransfer', interactionId };
    },
    expected: onlyAgent('InvalidState'),
  },
  { name: 'RequestLeaveInteraction of its own interaction', build: async () => ({ message: 'RequestLeaveInteraction', interactionId: await ownedBy('agent-1') }), expected: onlyAgent('EventAck') },
  { name: "RequestLeaveInteraction of another's interaction", build: async () => ({ message: 'RequestLeaveInteraction', interactionId: await ownedBy('agent-2') }), expected: onlyAgent('InvalidState') },
];

/** A Forbidden names what it refused: the request, or its interaction, ticket, workbin or agent. */
function namesTheRefusal(description: string, request: Record<string, unknown>): boolean {
  const workbin = request.workbin as { name: string } | undefined;
  const candidates = [request.message, request.interactionId, request.ticketId, request.agentId, workbin?.name].filter((value) => value !== undefined).map(String);
  return candidates.some((candidate) => description.includes(candidate));
}

const cells = rows.flatMap((row) => roles.map((role) => ({ row, role, expected: row.expected[role] })));

describe('who may do what: every role against every request', () => {
  test.each(cells.map((cell) => [cell.row.name, cell.role, cell.expected, cell] as const))('%s by %s → %s', async (_name, role, expected, cell) => {
    const acting = await actor(role);
    const request = await cell.row.build(acting);
    const answer = await acting.client.request(request);
    if (expected.startsWith('Event')) {
      expect(answer, JSON.stringify(answer)).toMatchObject({ message: expected });
    } else {
      expect(answer, JSON.stringify(answer)).toMatchObject({ message: 'EventError', errorCode: expected });
    }
    if (expected === 'Forbidden') {
      expect(namesTheRefusal(answer.errorDescription as string, request), `"${answer.errorDescription as string}" names what was refused`).toBe(true);
    }
    await acting.client.close();
  });

  test('the table covers every request the server knows', async () => {
    const { requests } = await import('../../src/protocol/messages.js');
    const covered = new Set(rows.map((row) => row.name.split(' ')[0]));
    expect([...Object.keys(requests)].filter((name) => name !== 'RequestRegisterClient' && !covered.has(name))).toEqual([]);
  });
});
