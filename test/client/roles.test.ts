// Every role's methods against a real server (in-process, on a free port, over a fresh store):
// each resolves with the answer the SPEC names, unsolicited events reach typed listeners, and a
// refusal rejects with an OpenixnError carrying the server's code and description.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ConfigInput } from '../../src/config/config.js';
import { AgentClient, MediaServerClient, OpenixnError, ReportingClient, RouterClient, SupervisorClient, type ReportingEvent } from '../../src/client/index.js';
import { TestClient } from '../support/client.js';
import { nextEvent, quick, useSdkClients } from '../support/sdk.js';
import { startTestServer, type TestServer } from '../support/server.js';

const config: ConfigInput = {
  queues: { routed: { routing: 'external' }, backlog: { routing: 'none' } },
  workbins: { drafts: { owner: 'agent' } },
  router: { builtin: false },
};

let server: TestServer;
const track = useSdkClients();

beforeEach(async () => {
  server = await startTestServer(config);
});

afterEach(async () => {
  await server.dispose();
});

function options(clientName: string) {
  return { urls: [server.url], clientName, ...quick };
}

async function connected<Client extends { connect(): Promise<void> }>(client: Client): Promise<Client> {
  await client.connect();
  return client;
}

/** The refusal a promise rejects with; fails the test when it resolves. */
async function refusal(promise: Promise<unknown>): Promise<OpenixnError> {
  const outcome = await promise.then((answer) => ({ answer }), (error: unknown) => ({ error }));
  if (!('error' in outcome)) throw new Error(`expected a refusal, got ${JSON.stringify(outcome.answer)}`);
  expect(outcome.error).toBeInstanceOf(OpenixnError);
  return outcome.error as OpenixnError;
}

describe('MediaServerClient', () => {
  it('submits, reads, changes and stops an interaction; a repeated externalId answers the same id', async () => {
    const media = track(await connected(new MediaServerClient(options('gateway'))));
    const submitted = await media.submit({ queue: 'backlog', mediaType: 'email', userData: { subject: 'Order' }, externalId: 'mail-1' });
    expect(submitted.message).toBe('EventAck');
    const interactionId = submitted.interactionId!;
    expect((await media.submit({ queue: 'backlog', mediaType: 'email', externalId: 'mail-1' })).interactionId).toBe(interactionId);

    await media.changeProperties({ interactionId, changedProperties: { language: 'de' }, deletedProperties: ['subject'] });
    const properties = await media.getInteractionProperties({ interactionId });
    expect(properties.message).toBe('EventInteractionProperties');
    expect(properties.interaction.userData).toEqual({ language: 'de' });

    expect((await media.stopProcessing({ interactionId, reason: 'spam' })).message).toBe('EventAck');
    const stopped = await refusal(media.getInteractionProperties({ interactionId }));
    expect(stopped.code).toBe('InvalidState');
  });

  it('rejects with the server code and description: UnknownInteraction, UnknownQueue', async () => {
    const media = track(await connected(new MediaServerClient(options('gateway'))));
    const unknown = await refusal(media.stopProcessing({ interactionId: 'zzzzzzzzzzzzzzzz' }));
    expect(unknown).toMatchObject({ code: 'UnknownInteraction', request: 'RequestStopProcessing' });
    expect(unknown.description).toContain('zzzzzzzzzzzzzzzz');
    expect(unknown.message).toBe(`RequestStopProcessing: UnknownInteraction: ${unknown.description}`);
    expect((await refusal(media.submit({ queue: 'nowhere', mediaType: 'email' }))).code).toBe('UnknownQueue');
  });

  it('sends a request made before connect() once it is connected', async () => {
    const media = track(new MediaServerClient(options('gateway')));
    const early = media.submit({ queue: 'backlog', mediaType: 'chat' });
    expect(media.state).toBe('idle');
    await media.connect();
    expect(media.state).toBe('open');
    expect((await early).interactionId).toMatch(/^[0-9a-z]{16}$/);
  });
});

describe('AgentClient', () => {
  it('logs in, pulls, files into its workbin with a subscription event, and logs out', async () => {
    const media = track(await connected(new MediaServerClient(options('gateway'))));
    const { interactionId } = await media.submit({ queue: 'backlog', mediaType: 'email' });
    const agent = track(await connected(new AgentClient(options('desk-7'))));
    const loggedIn = nextEvent(agent, 'loggedIn');
    const login = await agent.agentLogin({ agentId: 'agent-7', placeId: 'place-7', media: { email: 'ready' } });
    expect(login.interactions).toEqual([]);
    expect(await loggedIn).toEqual({ agentId: 'agent-7', placeId: 'place-7', interactions: [], restored: false });

    expect((await agent.notReadyForMedia({ mediaType: 'email', reason: 'Break' })).message).toBe('EventAck');
    expect((await agent.cancelNotReadyForMedia({ mediaType: 'email' })).message).toBe('EventAck');

    const pulled = await agent.pull({ queue: 'backlog' });
    expect(pulled.interactions.map((interaction) => interaction.interactionId)).toEqual([interactionId]);
    expect(pulled.interactions[0]!.state).toBe('handling');

    await agent.workbinNotifications({ workbin: { name: 'drafts' }, subscribe: true });
    const added = nextEvent(agent, 'EventWorkbinContentChanged');
    await agent.placeInWorkbin({ interactionId: interactionId!, workbin: { name: 'drafts' } });
    expect(await added).toMatchObject({ operation: 'Add', workbin: { name: 'drafts', ownerId: 'agent-7' }, interaction: { interactionId } });
    const content = await agent.getWorkbinContent({ workbin: { name: 'drafts' } });
    expect(content.interactions.map((interaction) => interaction.interactionId)).toEqual([interactionId]);

    const again = await agent.pull({ workbin: { name: 'drafts' } });
    await agent.placeInQueue({ interactionId: again.interactions[0]!.interactionId, queue: 'backlog' });
    expect((await agent.agentLogout()).message).toBe('EventAck');
    expect((await refusal(agent.pull({ queue: 'backlog' }))).code).toBe('AgentNotLoggedIn');
  });

  it('transfers, conferences and leaves (SPEC 9.1, 9.2), with the new events on typed listeners', async () => {
    const media = track(await connected(new MediaServerClient(options('gateway'))));
    const first = (await media.submit({ queue: 'backlog', mediaType: 'email' })).interactionId!;
    const second = (await media.submit({ queue: 'backlog', mediaType: 'chat' })).interactionId!;
    const one = track(await connected(new AgentClient(options('desk-1'))));
    const two = track(await connected(new AgentClient(options('desk-2'))));
    await one.agentLogin({ agentId: 'agent-1', placeId: 'place-1', media: { email: 'ready', chat: 'ready' } });
    await two.agentLogin({ agentId: 'agent-2', placeId: 'place-2', media: { email: 'ready', chat: 'ready' } });
    await one.pull({ queue: 'backlog', count: 2 });

    // A transfer the colleague rejects, then one it accepts.
    let invited = nextEvent(two, 'EventInvite');
    await one.transfer({ interactionId: first, agentId: 'agent-2' });
    let invite = await invited;
    expect(invite).toMatchObject({ operation: 'Transfer', fromAgentId: 'agent-1' });
    const failed = nextEvent(one, 'EventTransferFailed');
    await two.reject({ ticketId: invite.ticketId, interactionId: first });
    expect(await failed).toMatchObject({ interactionId: first, operation: 'Transfer', reason: 'Rejected' });
    invited = nextEvent(two, 'EventInvite');
    await one.transfer({ interactionId: first, agentId: 'agent-2' });
    expect((await invited).ticketId).toBeGreaterThan(invite.ticketId);
    const cancelled = nextEvent(two, 'EventRevoked');
    await one.cancelTransfer({ interactionId: first });
    expect(await cancelled).toMatchObject({ reason: 'Cancelled' });
    invited = nextEvent(two, 'EventInvite');
    await one.transfer({ interactionId: first, agentId: 'agent-2' });
    invite = await invited;
    const transferred = nextEvent(one, 'EventRevoked');
    await two.accept({ ticketId: invite.ticketId, interactionId: first });
    expect(await transferred).toMatchObject({ interactionId: first, reason: 'Transferred' });

    // A conference on the chat: agent 2 joins, then leaves.
    invited = nextEvent(two, 'EventInvite');
    await one.conference({ interactionId: second, agentId: 'agent-2' });
    invite = await invited;
    const joined = nextEvent(one, 'EventPartyAdded');
    await two.accept({ ticketId: invite.ticketId, interactionId: second });
    expect(await joined).toMatchObject({ party: { type: 'Agent', agentId: 'agent-2' }, operation: 'Conference' });
    const left = nextEvent(one, 'EventPartyRemoved');
    await two.leaveInteraction({ interactionId: second, reason: 'done' });
    expect(await left).toMatchObject({ party: { agentId: 'agent-2' }, reason: 'done', ownerId: 'agent-1' });
    expect((await refusal(two.leaveInteraction({ interactionId: second }))).code).toBe('InvalidState');
  });

  it('refuses a ticket never issued with UnknownTicket, and another role\'s request with Forbidden', async () => {
    const agent = track(await connected(new AgentClient(options('desk-7'))));
    await agent.agentLogin({ agentId: 'agent-7', placeId: 'place-7' });
    expect((await refusal(agent.accept({ ticketId: 99, interactionId: '0000000000000001' }))).code).toBe('UnknownTicket');
    const reporting = track(await connected(new ReportingClient(options('wallboard'))));
    // A reporting client has no method to submit; the base request shows the server's answer.
    const forbidden = await refusal((reporting as unknown as { request(name: string, body: object): Promise<unknown> }).request('RequestSubmit', { queue: 'backlog', mediaType: 'chat' }));
    expect(forbidden.code).toBe('Forbidden');
  });
});

describe('RouterClient', () => {
  it('is offered work, routes it, and routeCall resolves with the EventRouteUsed that ends the invite', async () => {
    const router = track(await connected(new RouterClient({ ...options('router-1'), queues: ['routed'] })));
    const agent = track(await connected(new AgentClient(options('desk-7'))));
    await agent.agentLogin({ agentId: 'agent-7', placeId: 'place-7', media: { chat: 'ready' } });
    const media = track(await connected(new MediaServerClient(options('gateway'))));

    const offered = nextEvent(router, 'EventRouteRequest');
    const { interactionId } = await media.submit({ queue: 'routed', mediaType: 'chat' });
    expect((await offered).interaction).toMatchObject({ interactionId, state: 'routing' });

    const invited = nextEvent(agent, 'EventInvite');
    const routed = router.routeCall({ interactionId: interactionId!, agentId: 'agent-7' });
    const invite = await invited;
    // The first invite is rejected: routeCall resolves with result Rejected, not an error.
    await agent.reject({ ticketId: invite.ticketId, interactionId: interactionId!, reason: 'busy' });
    expect(await routed).toMatchObject({ message: 'EventRouteUsed', result: 'Rejected', interactionId, agentId: 'agent-7' });

    const second = nextEvent(agent, 'EventInvite');
    const accepted = router.routeCall({ interactionId: interactionId!, agentId: 'agent-7' });
    await agent.accept({ ticketId: (await second).ticketId, interactionId: interactionId! });
    expect(await accepted).toMatchObject({ result: 'Accepted', interactionId, agentId: 'agent-7' });
  });

  it('rejects a route call to an agent who is not ready with AgentNotAvailable', async () => {
    const router = track(await connected(new RouterClient({ ...options('router-1'), queues: ['routed'] })));
    const agent = track(await connected(new AgentClient(options('desk-7'))));
    await agent.agentLogin({ agentId: 'agent-7', placeId: 'place-7', media: { chat: 'notReady' } });
    const media = track(await connected(new MediaServerClient(options('gateway'))));
    const offered = nextEvent(router, 'EventRouteRequest');
    await media.submit({ queue: 'routed', mediaType: 'chat' });
    const { interaction } = await offered;
    const error = await refusal(router.routeCall({ interactionId: interaction.interactionId, agentId: 'agent-7' }));
    expect(error).toMatchObject({ code: 'AgentNotAvailable', request: 'RequestRouteCall' });
  });
});

describe('ReportingClient', () => {
  it('yields the stored stream from fromSeq, then live events, as a raw replay sees them', async () => {
    const media = track(await connected(new MediaServerClient(options('gateway'))));
    await media.submit({ queue: 'backlog', mediaType: 'chat' });
    const reporting = track(await connected(new ReportingClient(options('wallboard'))));
    const received: ReportingEvent[] = [];
    for await (const event of reporting.events({ fromSeq: 1 })) {
      received.push(event);
      if (received.length === 2) await media.submit({ queue: 'backlog', mediaType: 'email' });
      if (received.length === 4) break;
    }
    expect(reporting.state).toBe('closed');
    expect(received.map((event) => [event.seq, event.message])).toEqual([
      [1, 'EventInteractionSubmitted'], [2, 'EventPlacedInQueue'], [3, 'EventInteractionSubmitted'], [4, 'EventPlacedInQueue'],
    ]);
    const raw = await TestClient.register(server.url, 'ReportingEngine', 'raw');
    await raw.request({ message: 'RequestStartReporting', fromSeq: 1 });
    const replayed = [await raw.next('EventInteractionSubmitted'), await raw.next('EventPlacedInQueue'), await raw.next('EventInteractionSubmitted'), await raw.next('EventPlacedInQueue')];
    expect(received).toEqual(replayed);
    raw.socket.terminate();
  });

  it('serves one stream per client', async () => {
    const reporting = track(await connected(new ReportingClient(options('wallboard'))));
    reporting.events();
    expect(() => reporting.events()).toThrow(/one stream/);
  });
});

describe('SupervisorClient', () => {
  it('9.3 forces an agent, snapshots a queue page by page, locks, moves and releases; the agent SDK keeps the supervisor\'s decision', async () => {
    const lead = track(await connected(new SupervisorClient(options('floor-lead'))));
    const media = track(await connected(new MediaServerClient(options('gateway'))));
    const agent = track(await connected(new AgentClient(options('desk'))));
    await agent.agentLogin({ agentId: 'agent-1', placeId: 'place-1', media: { email: 'ready' } });

    const forced = nextEvent(agent, 'EventForcedAgentStateChange');
    expect((await lead.forceNotReady({ agentId: 'agent-1', mediaType: 'email', reason: 'Coaching' })).message).toBe('EventAck');
    expect(await forced).toMatchObject({ operation: 'NotReady', mediaType: 'email', reason: 'Coaching', forcedBy: 'floor-lead' });

    const ids: string[] = [];
    for (let index = 0; index < 5; index++) ids.push((await media.submit({ queue: 'backlog', mediaType: 'email', priority: index })).interactionId!);
    const taken = await lead.takeSnapshot({ queue: 'backlog', condition: { priority: { gte: 1 } }, order: 'age', lock: true });
    expect(taken).toMatchObject({ message: 'EventSnapshotTaken', numberOfInteractions: 4 });
    const seen: string[] = [];
    for await (const interaction of lead.snapshotInteractions(taken.snapshotId, 3)) seen.push(interaction.interactionId);
    expect(seen).toEqual(ids.slice(1));
    expect((await lead.unlockInteraction({ snapshotId: taken.snapshotId, interactionId: ids[1]! })).message).toBe('EventAck');
    expect(await lead.moveInteractions({ snapshotId: taken.snapshotId, workbin: { name: 'drafts', ownerId: 'agent-1' } })).toMatchObject({ message: 'EventInteractionsMoved', moved: 4, skipped: 0 });
    expect((await lead.releaseSnapshot({ snapshotId: taken.snapshotId })).message).toBe('EventAck');
    expect((await refusal(lead.getSnapshotInteractions({ snapshotId: taken.snapshotId }))).code).toBe('InvalidRequest');
    expect((await refusal(lead.changeProperties({ interactionId: ids[0]!, changedProperties: { a: 1 } }))).code).toBe('Forbidden');

    const loggedOut = nextEvent(agent, 'EventForcedAgentStateChange');
    await lead.forceAgentLogout({ agentId: 'agent-1' });
    expect(await loggedOut).toMatchObject({ operation: 'Logout' });
    expect((await refusal(lead.forceAgentLogout({ agentId: 'agent-1' }))).code).toBe('AgentNotLoggedIn');
  });

  it('9.3.3 snapshots die with the connection: snapshotsLost after a reconnect', async () => {
    // The sockets the client opens, so that the test can cut one as a network would.
    const sockets: WebSocket[] = [];
    class CuttableWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    }
    const lead = track(await connected(new SupervisorClient({ ...options('floor-lead'), WebSocket: CuttableWebSocket })));
    const taken = await lead.takeSnapshot({ queue: 'backlog' });
    const lost = nextEvent(lead, 'snapshotsLost');
    const reconnected = nextEvent(lead, 'connected', (event) => event.reconnected);
    sockets[0]!.terminate();
    expect(await lost).toEqual({ snapshotIds: [taken.snapshotId] });
    await reconnected;
    expect((await refusal(lead.getSnapshotInteractions({ snapshotId: taken.snapshotId }))).code).toBe('InvalidRequest');
  });
});
