// SPEC 9.4, expiry, scheduling and wrap-up, on the pure core with virtual time: a table line is
// one request, tick or restart with every message each recipient gets beside it ('rep' is the
// reporting stream); a recipient not named gets nothing.

import { describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { interactionIdOf, iso } from '../../src/core/interaction.js';
import { CoreHarness, startTime, type AgentHandle, type ClientHandle } from '../support/core-harness.js';

const layout: ConfigInput = {
  timeouts: { deliveringTimeout: 30, handlingTimeout: 600 },
  mediaTypes: { chat: { capacity: 5, wrapUp: 20 }, email: { capacity: 5 } },
  queues: {
    routed: { routing: 'external' },
    pool: { routing: 'none' },
    stale: { routing: 'none', expireAfter: 60 },
    vip: { routing: 'external', expireAfter: 120, expiredQueue: 'pool' },
  },
  workbins: { drafts: { owner: 'agent' } },
};

const [I1, I2] = [1, 2].map(interactionIdOf) as [string, string];
const at = (seconds: number) => iso(startTime + seconds * 1000);
const error = (errorCode: string) => ({ message: 'EventError', errorCode });

interface World {
  t: CoreHarness;
  R: ClientHandle;
  M: ClientHandle;
  A1: AgentHandle;
}

function world(): World {
  const t = new CoreHarness(layout);
  const R = t.router('R');
  const M = t.media('M');
  const A1 = t.agent('agent-1');
  t.given(R.register(), M.register(), A1.register(), A1.login({ chat: 'ready', email: 'ready' }));
  return { t, R, M, A1 };
}

describe('9.4.1 expiry', () => {
  test('9.4.1 an interaction still queued at its expiresAt is stopped with reason Expired', () => {
    const { t, M } = world();
    t.step(M.send({ message: 'RequestSubmit', queue: 'pool', mediaType: 'chat', expiresAt: at(90) }), {
      M: ['EventAck'],
      rep: ['EventInteractionSubmitted', { message: 'EventPlacedInQueue', queue: 'pool', expiresAt: at(90) }],
    });
    t.step(t.tick(89), {});
    t.step(t.tick(1), { rep: [{ message: 'EventProcessingStopped', interactionId: I1, reason: 'Expired', queue: 'pool' }] });
    expect(t.records.get(I1)?.state).toBe('stopped');
  });

  test('9.4.1 a queue\'s expireAfter expires a routing interaction: its router hears EventRevoked Expired', () => {
    const { t, M } = world();
    t.given(M.submit({ queue: 'stale', mediaType: 'chat' }), M.submit({ queue: 'routed', mediaType: 'chat' }));
    t.step(t.tick(60), { rep: [{ message: 'EventProcessingStopped', interactionId: I1, reason: 'Expired' }] });
    expect(t.core.interaction(I2)?.state).toBe('routing');
    t.given(M.send({ message: 'RequestSubmit', queue: 'routed', mediaType: 'chat', expiresAt: at(90) }));
    t.step(t.tick(30), {
      R: [{ message: 'EventRevoked', reason: 'Expired' }],
      rep: [{ message: 'EventPartyRemoved', reason: 'Expired' }, { message: 'EventProcessingStopped', reason: 'Expired', queue: 'routed' }],
    });
  });

  test('9.4.1 with an expiredQueue the expired interaction moves there instead', () => {
    const { t, M } = world();
    t.given(M.submit({ queue: 'vip', mediaType: 'chat' }));
    t.step(t.tick(120), {
      R: [{ message: 'EventRevoked', interactionId: I1, reason: 'Expired' }],
      rep: ['EventPartyRemoved', { message: 'EventTakenFromQueue', queue: 'vip' }, { message: 'EventPlacedInQueue', queue: 'pool' }],
    });
    expect(t.core.interaction(I1)).toMatchObject({ state: 'queued', queue: 'pool' });
  });

  test('9.4.1 an interaction an agent handles at its expiry does not expire; it expires when it comes back to wait', () => {
    const { t, M, A1 } = world();
    t.given(M.send({ message: 'RequestSubmit', queue: 'pool', mediaType: 'email', expiresAt: at(30) }), A1.pull({ queue: 'pool' }));
    t.step(t.tick(60), {});
    t.step(A1.placeInQueue(I1, 'pool'), { 'agent-1': ['EventAck'], rep: ['EventPartyRemoved', 'EventPlacedInQueue'] });
    expect(t.core.interaction(I1)?.expiresAt).toBeNull();
    t.given(M.send({ message: 'RequestSubmit', queue: 'pool', mediaType: 'email', expiresAt: at(120) }), A1.pull({ queue: 'pool', interactionIds: [I2] }));
    t.step(t.tick(600), {
      'agent-1': [{ message: 'EventRevoked', interactionId: I2, reason: 'HandlingTimeout' }],
      rep: ['EventPartyRemoved', 'EventPlacedInQueue', { message: 'EventProcessingStopped', interactionId: I2, reason: 'Expired' }],
    });
  });

  test('9.4.1 an expiresAt that is not an ISO time, or not after scheduledAt, is refused', () => {
    const { t, M } = world();
    t.step(M.send({ message: 'RequestSubmit', queue: 'pool', mediaType: 'chat', expiresAt: 'tomorrow' }), { M: [error('InvalidRequest')] });
    t.step(M.send({ message: 'RequestSubmit', queue: 'pool', mediaType: 'chat', expiresAt: at(10), scheduledAt: at(20) }), { M: [error('InvalidRequest')] });
    expect(t.core.interactionCount()).toBe(0);
  });
});

describe('9.4.2 scheduling', () => {
  test('9.4.2 a scheduled interaction is offered to no router and pulled by no one until scheduledAt', () => {
    const { t, M, A1 } = world();
    t.step(M.send({ message: 'RequestSubmit', queue: 'routed', mediaType: 'chat', scheduledAt: at(300) }), {
      M: ['EventAck'],
      rep: ['EventInteractionSubmitted', { message: 'EventPlacedInQueue', queue: 'routed', scheduledAt: at(300) }],
    });
    t.step(A1.pull({ queue: 'routed' }), { 'agent-1': [{ message: 'EventPulledInteractions', interactions: [] }] });
    t.step(A1.pull({ queue: 'routed', interactionIds: [I1] }), { 'agent-1': [error('InvalidState')] });
    t.step(t.tick(299), {});
    t.step(t.tick(1), {
      R: [{ message: 'EventRouteRequest', interaction: { interactionId: I1, state: 'routing' } }],
      rep: ['EventPartyAdded'],
    });
  });

  test('9.4.2 at scheduledAt it takes its place in the queue order, ahead of later work', () => {
    const { t, M, A1 } = world();
    t.given(M.send({ message: 'RequestSubmit', queue: 'pool', mediaType: 'chat', scheduledAt: at(60) }), t.tick(10), M.submit({ queue: 'pool', mediaType: 'chat' }));
    t.step(A1.pull({ queue: 'pool' }), { 'agent-1': [{ message: 'EventPulledInteractions', interactions: [{ interactionId: I2 }] }], rep: ['EventTakenFromQueue', 'EventPartyAdded'] });
    t.given(A1.placeInQueue(I2, 'pool'), t.tick(50));
    t.step(A1.pull({ queue: 'pool' }), { 'agent-1': [{ message: 'EventPulledInteractions', interactions: [{ interactionId: I1 }] }], rep: ['EventTakenFromQueue', 'EventPartyAdded'] });
  });

  test('9.4.2 RequestPlaceInQueue with scheduledAt: a callback for later', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'email' }), A1.pull({ queue: 'pool' }));
    t.step(A1.send({ message: 'RequestPlaceInQueue', interactionId: I1, queue: 'routed', scheduledAt: at(3600) }), {
      'agent-1': ['EventAck'],
      rep: ['EventPartyRemoved', { message: 'EventPlacedInQueue', queue: 'routed', scheduledAt: at(3600) }],
    });
    t.step(t.tick(3600), { R: ['EventRouteRequest'], rep: ['EventPartyAdded'] });
  });
});

describe('9.4.3 wrap-up', () => {
  test('9.4.3 after a stop the agent is not ready with AfterCallWork for wrapUp, then ready again', () => {
    const { t, M, A1, R } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool' }));
    t.step(A1.stop(I1), {
      'agent-1': ['EventAck'],
      rep: ['EventPartyRemoved', 'EventProcessingStopped', { message: 'EventNotReadyForMedia', agentId: 'agent-1', mediaType: 'chat', reason: 'AfterCallWork' }],
    });
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }));
    t.step(R.routeCall(I2, 'agent-1'), { R: [error('AgentNotAvailable')] });
    t.step(t.tick(20), { rep: [{ message: 'EventReadyForMedia', agentId: 'agent-1', mediaType: 'chat' }] });
    t.step(R.routeCall(I2, 'agent-1'), { 'agent-1': ['EventInvite'], rep: ['EventAgentInvited'] });
  });

  test('9.4.3 placing elsewhere starts wrap-up; a media type without wrapUp has none', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), M.submit({ queue: 'pool', mediaType: 'email' }), A1.pull({ queue: 'pool', count: 2 }));
    t.step(A1.placeInWorkbin(I1, { name: 'drafts' }), {
      'agent-1': ['EventAck'],
      rep: ['EventPartyRemoved', 'EventPlacedInQueue', 'EventPlacedInWorkbin', { message: 'EventNotReadyForMedia', reason: 'AfterCallWork' }],
    });
    t.step(A1.stop(I2), { 'agent-1': ['EventAck'], rep: ['EventPartyRemoved', 'EventProcessingStopped'] });
  });

  test('9.4.3 an agent that chooses otherwise during wrap-up keeps its choice', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool' }), A1.stop(I1));
    t.step(A1.notReady('chat', 'Lunch'), { 'agent-1': ['EventAck'], rep: [{ message: 'EventNotReadyForMedia', reason: 'Lunch' }] });
    t.step(t.tick(20), {});
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool' }));
    t.step(A1.stop(I2), { 'agent-1': ['EventAck'], rep: ['EventPartyRemoved', 'EventProcessingStopped'] });
  });

  test('9.4.3 ready early: RequestCancelNotReadyForMedia ends the wrap-up at once', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool' }), A1.stop(I1));
    t.step(A1.ready('chat'), { 'agent-1': ['EventAck'], rep: ['EventReadyForMedia'] });
    t.step(t.tick(20), {});
  });
});

describe('9.4.4 deadlines survive restarts', () => {
  test('9.4.4 an expiry that passed while the server was down fires at start', () => {
    const { t, M } = world();
    t.given(M.send({ message: 'RequestSubmit', queue: 'pool', mediaType: 'chat', expiresAt: at(60) }), M.submit({ queue: 'stale', mediaType: 'chat' }));
    t.given(t.restart(300));
    t.step(t.tick(0), {
      rep: [
        { message: 'EventProcessingStopped', reason: 'Expired' },
        { message: 'EventProcessingStopped', reason: 'Expired' },
      ],
    });
    expect(t.core.interactionCount()).toBe(0);
  });

  test('9.4.4 a schedule survives a restart and fires at its time', () => {
    const { t, M } = world();
    t.given(M.send({ message: 'RequestSubmit', queue: 'routed', mediaType: 'chat', scheduledAt: at(600) }));
    t.given(t.restart(100));
    const R = t.router('R');
    t.step(R.register(), { R: ['EventAck'] });
    t.step(t.tick(499), {});
    t.step(t.tick(1), { R: [{ message: 'EventRouteRequest', interaction: { interactionId: I1 } }], rep: ['EventPartyAdded'] });
  });
});
