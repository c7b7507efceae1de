// Black-box tests for SPEC 9.3 (supervisors and snapshots) and 9.4 (expiry, scheduling, wrap-up)
// over real WebSockets, on both stores: what each client hears, and what survives a restart.

import { afterEach, describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { expectAck, expectError, idsOf, named, pace, Stage, stageConfig } from '../support/lifecycle-stage.js';
import type { TestClient } from '../support/client.js';
import { httpBase } from '../support/server.js';

let stage: Stage | undefined;

afterEach(async () => {
  await stage?.dispose();
  stage = undefined;
});

const config: ConfigInput = {
  ...stageConfig,
  mediaTypes: { email: { capacity: 5 }, chat: { capacity: 5, wrapUp: 0.3 } },
  queues: { ...stageConfig.queues, stale: { routing: 'none', expireAfter: 0.3, expiredQueue: 'other' } },
};

async function open(): Promise<Stage> {
  stage = await Stage.open(config);
  return stage;
}

const inMs = (milliseconds: number) => new Date(Date.now() + milliseconds).toISOString();

describe('9.3 supervisors', () => {
  test('9.3.1 force not ready and force logout: the agent hears EventForcedAgentStateChange, Rep carries forcedBy', async () => {
    const s = await open();
    const lead = await s.supervisor();
    const agent = await s.agent('agent-1', 'place-1', { chat: 'ready' });
    await expectAck(lead, { message: 'RequestForceNotReady', agentId: 'agent-1', mediaType: 'chat', reason: 'Coaching' });
    expect(await agent.next('EventForcedAgentStateChange')).toMatchObject({ agentId: 'agent-1', operation: 'NotReady', mediaType: 'chat', reason: 'Coaching', forcedBy: 'floor-lead' });
    await s.expectAgentReports('agent-1', [{ message: 'EventAgentLogin' }, { message: 'EventNotReadyForMedia', reason: 'Coaching', forcedBy: 'floor-lead' }]);
    const owned = await s.submit();
    await s.pull(agent, { queue: 'backlog' });
    await expectAck(lead, { message: 'RequestForceAgentLogout', agentId: 'agent-1' });
    expect(await agent.next('EventForcedAgentStateChange')).toMatchObject({ operation: 'Logout', forcedBy: 'floor-lead', reason: null });
    expect(await agent.next('EventRevoked')).toMatchObject({ interactionId: owned, reason: 'AgentLoggedOut' });
    await s.expectAgentReports('agent-1', [{ message: 'EventAgentLogout', reason: 'AgentLoggedOut', forcedBy: 'floor-lead' }]);
    await expectError(lead, { message: 'RequestForceAgentLogout', agentId: 'agent-1' }, 'AgentNotLoggedIn');
    expect(await s.properties(owned)).toMatchObject({ state: 'queued', queue: 'backlog' });
  });

  test('9.3.1 a supervisor reads everything and moves an agent\'s interaction: the agent gets EventRevoked Moved', async () => {
    const s = await open();
    const lead = await s.supervisor();
    const agent = await s.agent('agent-1');
    const id = await s.submit();
    await s.pull(agent, { queue: 'backlog' });
    expect(await lead.request({ message: 'RequestGetInteractionProperties', interactionId: id })).toMatchObject({ message: 'EventInteractionProperties', interaction: { state: 'handling', assignedTo: 'agent-1' } });
    expect(await lead.request({ message: 'RequestGetWorkbinContent', workbin: { name: 'drafts', ownerId: 'agent-1' } })).toMatchObject({ message: 'EventWorkbinContent', interactions: [] });
    await expectAck(lead, { message: 'RequestStartReporting' });
    await expectAck(lead, { message: 'RequestPlaceInQueue', interactionId: id, queue: 'other' });
    expect(await agent.next(named('EventRevoked', id))).toMatchObject({ reason: 'Moved' });
    expect(await lead.next((message) => message.message === 'EventPlacedInQueue' && message.interactionId === id)).toMatchObject({ queue: 'other' });
  });
});

describe('9.3 snapshots', () => {
  test('9.3.2 9.3.3 a snapshot with a condition and order, read in pages, released', async () => {
    const s = await open();
    const lead = await s.supervisor();
    const ids = [];
    for (const [priority, language] of [[1, 'de'], [7, 'de'], [9, 'fr'], [5, 'de']] as const) ids.push(await s.submit({ priority, userData: { language } }));
    const taken = await lead.request({ message: 'RequestTakeSnapshot', queue: 'backlog', condition: { priority: { gte: 2 }, 'userData.language': 'de' }, order: 'priority' });
    expect(taken).toMatchObject({ message: 'EventSnapshotTaken', numberOfInteractions: 2 });
    const page = await lead.request({ message: 'RequestGetSnapshotInteractions', snapshotId: taken.snapshotId, from: 1, count: 1 });
    expect(page).toMatchObject({ message: 'EventSnapshotInteractions', snapshotId: taken.snapshotId, from: 1 });
    expect(idsOf(page.interactions)).toEqual([ids[3]]);
    await expectAck(lead, { message: 'RequestReleaseSnapshot', snapshotId: taken.snapshotId });
    await expectError(lead, { message: 'RequestGetSnapshotInteractions', snapshotId: taken.snapshotId }, 'InvalidRequest');
    await expectError(lead, { message: 'RequestTakeSnapshot', queue: 'backlog', condition: { 'priority; DROP TABLE': 1 } }, 'InvalidRequest');
  });

  test('9.3.4 locked work is offered to no router and pulled by no one; the lock dies with the connection', async () => {
    const s = await open();
    const lead = await s.supervisor();
    const id = await s.submit({ queue: 'routed' });
    const taken = await lead.request({ message: 'RequestTakeSnapshot', queue: 'routed', lock: true });
    expect(taken).toMatchObject({ message: 'EventSnapshotTaken', numberOfInteractions: 1 });
    const router = await s.router();
    const agent = await s.agent('agent-1');
    await expectError(agent, { message: 'RequestPull', queue: 'routed', interactionIds: [id] }, 'InvalidState');
    expect(idsOf((await agent.request({ message: 'RequestPull', queue: 'routed' })).interactions)).toEqual([]);
    lead.socket.close();
    expect(await router.next('EventRouteRequest')).toMatchObject({ interaction: { interactionId: id, state: 'routing' } });
  });

  test('9.3.4 RequestMoveInteractions moves what is still there: EventInteractionsMoved {moved, skipped}', async () => {
    const s = await open();
    const lead = await s.supervisor();
    const agent = await s.agent('agent-1');
    const [a, b] = [await s.submit(), await s.submit()];
    const taken = await lead.request({ message: 'RequestTakeSnapshot', queue: 'backlog' });
    await s.pull(agent, { queue: 'backlog', interactionIds: [a] });
    expect(await lead.request({ message: 'RequestMoveInteractions', snapshotId: taken.snapshotId, queue: 'other' })).toMatchObject({ message: 'EventInteractionsMoved', moved: 1, skipped: 1 });
    expect(await s.properties(b)).toMatchObject({ queue: 'other', state: 'queued' });
    expect(await s.properties(a)).toMatchObject({ state: 'handling' });
  });
});

describe('9.4 expiry, scheduling and wrap-up', () => {
  test('9.4.1 an interaction still waiting at expiresAt is stopped Expired; a queue\'s expireAfter moves it to expiredQueue', async () => {
    const s = await open();
    const expiring = await s.submit({ expiresAt: inMs(300) });
    expect(await s.reporting.next((message) => message.message === 'EventProcessingStopped' && message.interactionId === expiring, 5000)).toMatchObject({ reason: 'Expired', queue: 'backlog' });
    const stale = await s.submit({ queue: 'stale' });
    expect(await s.reporting.next((message) => message.message === 'EventPlacedInQueue' && message.interactionId === stale && message.queue === 'other', 5000)).toBeDefined();
    expect(await s.properties(stale)).toMatchObject({ queue: 'other', state: 'queued' });
  });

  test('9.4.2 a scheduled interaction is pulled by no one until scheduledAt, then offered to a router', async () => {
    const s = await open();
    const router = await s.router();
    const agent = await s.agent('agent-1');
    const id = await s.submit({ queue: 'routed', scheduledAt: inMs(400) });
    expect(await s.reporting.next(named('EventPlacedInQueue', id))).toMatchObject({ scheduledAt: expect.any(String) });
    await expectError(agent, { message: 'RequestPull', queue: 'routed', interactionIds: [id] }, 'InvalidState');
    expect(await router.next('EventRouteRequest', 5000)).toMatchObject({ interaction: { interactionId: id } });
  });

  /** agent-1, ready for chat, pulls a chat and stops it: its wrap-up begins. */
  async function afterChatStopped(): Promise<{ s: Stage; agent: TestClient }> {
    const s = await open();
    const agent = await s.agent('agent-1', 'place-1', { chat: 'ready' });
    const id = await s.submit({ mediaType: 'chat' });
    await s.pull(agent, { queue: 'backlog' });
    await expectAck(agent, { message: 'RequestStopProcessing', interactionId: id });
    return { s, agent };
  }

  test('9.4.3 wrap-up: not ready AfterCallWork after a stop, then ready again', async () => {
    const { s } = await afterChatStopped();
    await s.expectAgentReports('agent-1', [
      { message: 'EventAgentLogin' },
      { message: 'EventNotReadyForMedia', mediaType: 'chat', reason: 'AfterCallWork' },
      { message: 'EventReadyForMedia', mediaType: 'chat' },
    ]);
  });

  test('9.4.3 a login during wrap-up ends it: the agent keeps the media types and readiness it logged in with', async () => {
    const { s, agent } = await afterChatStopped();
    await s.expectAgentReports('agent-1', [{ message: 'EventAgentLogin' }, { message: 'EventNotReadyForMedia', mediaType: 'chat', reason: 'AfterCallWork' }]);
    // As many media types as an agent may hold, chat not among them. The wrap-up's end put chat
    // back, ready: a 33rd media type, and readiness for work the agent no longer said it takes.
    const media = Object.fromEntries(Array.from({ length: 32 }, (_, index) => [`media-${index}`, 'notReady']));
    await expectAck(agent, { message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1', media });
    await pace(600);
    await expectAck(agent, { message: 'RequestCancelNotReadyForMedia', mediaType: 'media-0' });
    await s.expectAgentReports('agent-1', [{ message: 'EventAgentLogin', media }, { message: 'EventReadyForMedia', mediaType: 'media-0' }]);
    const base = httpBase(s.url);
    const { agents } = await (await fetch(`${base}/api/v1/agents`)).json() as { agents: { agentId: string; media: Record<string, { ready: boolean }> }[] };
    const shown = agents.find((row) => row.agentId === 'agent-1')!.media;
    expect(Object.keys(shown)).toHaveLength(32);
    expect(shown.chat).toBeUndefined();
  });

  test('9.4.4 an expiry that passed while the server was down fires at start; a schedule survives', async () => {
    const s = await open();
    const expiresAt = Date.now() + 600;
    const expiring = await s.submit({ expiresAt: new Date(expiresAt).toISOString() });
    const scheduled = await s.submit({ scheduledAt: inMs(60_000) });
    await s.server.stop();
    // The subject is time passing while the server is down: wait until the deadline has.
    while (Date.now() <= expiresAt) await pace(50);
    await s.restart();
    await expectError(s.media, { message: 'RequestGetInteractionProperties', interactionId: expiring }, 'InvalidState');
    expect(await s.properties(scheduled)).toMatchObject({ state: 'queued', scheduledAt: expect.any(String) });
  });
});

describe('9.4 the built-in router honours schedules and wrap-up', () => {
  const routed: ConfigInput = {
    ...config,
    queues: { auto: { routing: 'builtin' } },
    router: { builtin: true },
  };

  test('9.4.2 9.4.3 scheduled work is offered at scheduledAt, and an agent in wrap-up is invited only when it is ready again', async () => {
    stage = await Stage.open(routed);
    const s = stage;
    const agent = await s.agent('agent-1', 'place-1', { chat: 'ready' });
    const scheduledAt = Date.now() + 500;
    const id = await s.submit({ queue: 'auto', mediaType: 'chat', scheduledAt: new Date(scheduledAt).toISOString() });
    const invite = await agent.next('EventInvite', 5000);
    expect(Date.now()).toBeGreaterThanOrEqual(scheduledAt);
    expect(invite).toMatchObject({ interaction: { interactionId: id } });
    await expectAck(agent, { message: 'RequestAccept', ticketId: invite.ticketId, interactionId: id });
    await expectAck(agent, { message: 'RequestStopProcessing', interactionId: id });
    const stoppedAt = Date.now();
    const next = await s.submit({ queue: 'auto', mediaType: 'chat' });
    const second = await agent.next('EventInvite', 5000);
    // The chat wrap-up is 0.3 s: no invite comes before the agent is ready again.
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(250);
    expect(second).toMatchObject({ interaction: { interactionId: next } });
    await s.expectAgentReports('agent-1', [
      { message: 'EventAgentLogin' },
      { message: 'EventNotReadyForMedia', reason: 'AfterCallWork' },
      { message: 'EventReadyForMedia', mediaType: 'chat' },
    ]);
  });
});
