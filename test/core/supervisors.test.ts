// SPEC 9.3, supervisors and snapshots, on the pure core with virtual time. Each table line is one
// request (or a tick, or a connection event) with every message each recipient gets beside it:
// 'rep' is the reporting stream, other keys are connection ids; a recipient not named gets nothing.

import { describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { interactionIdOf } from '../../src/core/interaction.js';
import { CoreHarness, placeOf, type AgentHandle, type ClientHandle } from '../support/core-harness.js';

const layout: ConfigInput = {
  timeouts: { deliveringTimeout: 30, handlingTimeout: 600 },
  mediaTypes: { chat: { capacity: 5 } },
  queues: { routed: { routing: 'external' }, pool: { routing: 'none' }, other: { routing: 'none' } },
  workbins: { drafts: { owner: 'agent' } },
  limits: { maxSnapshotInteractions: 50, maxSnapshotsPerConnection: 2 },
};

const [I1, I2, I3, I4] = [1, 2, 3, 4].map(interactionIdOf) as [string, string, string, string];
const agentParty = (agentId: string) => ({ type: 'Agent', agentId, placeId: placeOf(agentId) });
const error = (errorCode: string) => ({ message: 'EventError', errorCode });

interface World {
  t: CoreHarness;
  S: ClientHandle;
  R: ClientHandle;
  M: ClientHandle;
  A1: AgentHandle;
}

function world(): World {
  const t = new CoreHarness(layout);
  const S = t.client('S', 'Supervisor', 'floor-lead');
  const R = t.router('R');
  const M = t.media('M');
  const A1 = t.agent('agent-1');
  t.given(S.register(), R.register(), M.register(), A1.register(), A1.login({ chat: 'ready' }));
  return { t, S, R, M, A1 };
}

describe('9.3.1 a supervisor acts on interactions and agents', () => {
  test('9.3.1 a supervisor places an agent\'s interaction in a queue: the agent gets EventRevoked Moved', () => {
    const { t, S, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool' }));
    t.step(S.placeInQueue(I1, 'other'), {
      S: ['EventAck'],
      'agent-1': [{ message: 'EventRevoked', interactionId: I1, reason: 'Moved' }],
      rep: [{ message: 'EventPartyRemoved', party: agentParty('agent-1') }, { message: 'EventPlacedInQueue', queue: 'other' }],
    });
    expect(t.core.interaction(I1)).toMatchObject({ state: 'queued', queue: 'other', assignedTo: null });
  });

  test('9.3.1 a supervisor moves a routing interaction: its router gets EventRevoked Moved', () => {
    const { t, S, M } = world();
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }));
    t.step(S.placeInWorkbin(I1, { name: 'drafts', ownerId: 'agent-1' }), {
      S: ['EventAck'],
      R: [{ message: 'EventRevoked', interactionId: I1, reason: 'Moved' }],
      rep: [
        { message: 'EventPartyRemoved', party: { type: 'Strategy', name: 'R' }, reason: 'Moved' },
        { message: 'EventTakenFromQueue', queue: 'routed' },
        { message: 'EventPlacedInQueue', queue: null, workbin: { name: 'drafts', ownerId: 'agent-1' } },
        'EventPlacedInWorkbin',
      ],
    });
  });

  test('9.3.1 a supervisor stops a waiting interaction, and may not touch an invited one', () => {
    const { t, S, R, M } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), M.submit({ queue: 'routed', mediaType: 'chat' }), R.routeCall(I2, 'agent-1'));
    t.step(S.stop(I1, 'Spam'), {
      S: ['EventAck'],
      rep: [{ message: 'EventProcessingStopped', interactionId: I1, reason: 'Spam', queue: 'pool' }],
    });
    t.step(S.stop(I2), { S: [error('InvalidState')] });
    t.step(S.placeInQueue(I2, 'pool'), { S: [error('InvalidState')] });
    expect(t.core.interaction(I2)?.state).toBe('invited');
  });

  test('9.3.1 a supervisor stops a handled interaction: the agent gets EventRevoked Stopped', () => {
    const { t, S, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool' }));
    t.step(S.stop(I1), {
      S: ['EventAck'],
      'agent-1': [{ message: 'EventRevoked', reason: 'Stopped' }],
      rep: [{ message: 'EventPartyRemoved', reason: 'Stopped' }, 'EventProcessingStopped'],
    });
  });

  test('9.3.1 RequestForceAgentLogout: the agent hears why, its work returns, Rep has forcedBy', () => {
    const { t, S, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool' }));
    t.step(S.send({ message: 'RequestForceAgentLogout', agentId: 'agent-1', reason: 'Shift ended' }), {
      S: ['EventAck'],
      'agent-1': [
        { message: 'EventForcedAgentStateChange', agentId: 'agent-1', operation: 'Logout', reason: 'Shift ended', forcedBy: 'floor-lead' },
        { message: 'EventRevoked', interactionId: I1, reason: 'AgentLoggedOut' },
      ],
      rep: ['EventPartyRemoved', 'EventPlacedInQueue', { message: 'EventAgentLogout', agentId: 'agent-1', reason: 'AgentLoggedOut', forcedBy: 'floor-lead' }],
    });
    t.step(S.send({ message: 'RequestForceAgentLogout', agentId: 'agent-1' }), { S: [error('AgentNotLoggedIn')] });
  });

  test('9.3.1 RequestForceNotReady: the agent is not ready with the supervisor\'s reason; Rep has forcedBy', () => {
    const { t, S, M, R, A1 } = world();
    t.step(S.send({ message: 'RequestForceNotReady', agentId: 'agent-1', mediaType: 'chat', reason: 'Coaching' }), {
      S: ['EventAck'],
      'agent-1': [{ message: 'EventForcedAgentStateChange', operation: 'NotReady', mediaType: 'chat', reason: 'Coaching', forcedBy: 'floor-lead' }],
      rep: [{ message: 'EventNotReadyForMedia', agentId: 'agent-1', mediaType: 'chat', reason: 'Coaching', forcedBy: 'floor-lead' }],
    });
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }));
    t.step(R.routeCall(I1, 'agent-1'), { R: [error('AgentNotAvailable')] });
    t.step(A1.ready('chat'), { 'agent-1': ['EventAck'], rep: ['EventReadyForMedia'] });
  });

  test('9.3.1 only a supervisor may force an agent; a supervisor may not log in or submit', () => {
    const { t, S, R, M, A1 } = world();
    for (const client of [R, M, A1]) {
      t.step(client.send({ message: 'RequestForceNotReady', agentId: 'agent-1', mediaType: 'chat' }), { [client.clientId]: [error('Forbidden')] });
    }
    t.step(S.send({ message: 'RequestAgentLogin', agentId: 'agent-9', placeId: 'p' }), { S: [error('Forbidden')] });
    t.step(S.submit({ queue: 'pool', mediaType: 'chat' }), { S: [error('Forbidden')] });
  });
});

describe('9.3.2 snapshots with conditions, order and max', () => {
  function filled(): World {
    const w = world();
    w.t.given(
      w.M.send({ message: 'RequestSubmit', queue: 'pool', mediaType: 'chat', priority: 1, userData: { language: 'de' } }),
      w.t.tick(1),
      w.M.send({ message: 'RequestSubmit', queue: 'pool', mediaType: 'email', priority: 5, userData: { language: 'de' } }),
      w.t.tick(1),
      w.M.send({ message: 'RequestSubmit', queue: 'pool', mediaType: 'chat', priority: 5, userData: { language: 'fr' } }),
      w.t.tick(1),
      w.M.send({ message: 'RequestSubmit', queue: 'pool', mediaType: 'chat', priority: 9, userData: { language: 'de' } }),
    );
    return w;
  }

  function snapshotIds(t: CoreHarness, S: ClientHandle, body: Record<string, unknown>): string[] {
    const take = S.send({ message: 'RequestTakeSnapshot', queue: 'pool', ...body });
    const taken = CoreHarness.answerTo(take, t.run(take))!;
    expect(taken.message).toBe('EventSnapshotTaken');
    const page = S.send({ message: 'RequestGetSnapshotInteractions', snapshotId: taken.snapshotId as number, count: 1000 });
    const answer = CoreHarness.answerTo(page, t.run(page))!;
    expect(answer.message).toBe('EventSnapshotInteractions');
    const ids = (answer.interactions as { interactionId: string }[]).map((interaction) => interaction.interactionId);
    expect(ids).toHaveLength(taken.numberOfInteractions as number);
    t.given(S.send({ message: 'RequestReleaseSnapshot', snapshotId: taken.snapshotId as number }));
    return ids;
  }

  test('9.3.2 a snapshot in queue order, with a condition of equality and range tests', () => {
    const { t, S } = filled();
    expect(snapshotIds(t, S, {})).toEqual([I4, I2, I3, I1]);
    expect(snapshotIds(t, S, { condition: { priority: { gte: 5 }, 'userData.language': 'de' } })).toEqual([I4, I2]);
    expect(snapshotIds(t, S, { condition: { mediaType: 'chat', submittedAt: { lt: '2025-01-06T09:00:02Z' } } })).toEqual([I1]);
  });

  test('9.3.2 order priority, age, and max', () => {
    const { t, S } = filled();
    expect(snapshotIds(t, S, { order: 'age' })).toEqual([I1, I2, I3, I4]);
    expect(snapshotIds(t, S, { order: 'priority', max: 3 })).toEqual([I4, I2, I3]);
    expect(snapshotIds(t, S, { max: 1 })).toEqual([I4]);
  });

  test('9.3.2 max above limits.maxSnapshotInteractions, too many snapshots, and a malformed condition are refused', () => {
    const { t, S } = filled();
    t.step(S.send({ message: 'RequestTakeSnapshot', queue: 'pool', max: 51 }), { S: [error('LimitExceeded')] });
    t.step(S.send({ message: 'RequestTakeSnapshot', queue: 'pool', condition: { 'userData.x': { between: 1 } } as never }), { S: [error('InvalidRequest')] });
    t.step(S.send({ message: 'RequestTakeSnapshot', queue: 'nowhere' }), { S: [error('UnknownQueue')] });
    t.given(S.send({ message: 'RequestTakeSnapshot', queue: 'pool' }), S.send({ message: 'RequestTakeSnapshot', queue: 'pool' }));
    t.step(S.send({ message: 'RequestTakeSnapshot', queue: 'pool' }), { S: [error('LimitExceeded')] });
  });
});

describe('9.3.3 paging and release', () => {
  test('9.3.3 pages of a snapshot; a released snapshot, or another connection\'s, is unknown', () => {
    const { t, S, R, M } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), M.submit({ queue: 'pool', mediaType: 'chat' }), M.submit({ queue: 'pool', mediaType: 'chat' }));
    t.step(S.send({ message: 'RequestTakeSnapshot', queue: 'pool' }), { S: [{ message: 'EventSnapshotTaken', snapshotId: 1, numberOfInteractions: 3 }] });
    t.step(S.send({ message: 'RequestGetSnapshotInteractions', snapshotId: 1, from: 1, count: 1 }), {
      S: [{ message: 'EventSnapshotInteractions', snapshotId: 1, from: 1, interactions: [{ interactionId: I2, state: 'queued' }] }],
    });
    t.step(R.send({ message: 'RequestGetSnapshotInteractions', snapshotId: 1 }), { R: [error('InvalidRequest')] });
    t.step(S.send({ message: 'RequestReleaseSnapshot', snapshotId: 1 }), { S: ['EventAck'] });
    t.step(S.send({ message: 'RequestGetSnapshotInteractions', snapshotId: 1 }), { S: [error('InvalidRequest')] });
  });

  test('9.3.3 a page shows each interaction as it is now: one stopped since shows stopped', () => {
    const { t, S, M } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), S.send({ message: 'RequestTakeSnapshot', queue: 'pool' }), M.stop(I1));
    t.step(S.send({ message: 'RequestGetSnapshotInteractions', snapshotId: 1 }), {
      S: [{ message: 'EventSnapshotInteractions', interactions: [{ interactionId: I1, state: 'stopped' }] }],
    });
  });
});

describe('9.3.4 locks, unlock and move', () => {
  test('9.3.4 a locked interaction is offered to no router and pulled by no one until it is unlocked', () => {
    const { t, S, R, M, A1 } = world();
    const R2 = t.router('R2', { queues: ['routed'] });
    t.given(R.disconnect(), M.submit({ queue: 'routed', mediaType: 'chat' }), M.submit({ queue: 'routed', mediaType: 'chat' }));
    t.step(S.send({ message: 'RequestTakeSnapshot', queue: 'routed', lock: true, max: 1 }), { S: ['EventSnapshotTaken'] });
    t.step(R2.register(), {
      R2: ['EventAck', { message: 'EventRouteRequest', interaction: { interactionId: I2 } }],
      rep: [{ message: 'EventPartyAdded', interactionId: I2 }],
    });
    t.step(A1.pull({ queue: 'routed', interactionIds: [I1] }), { 'agent-1': [error('InvalidState')] });
    t.step(A1.pull({ queue: 'routed' }), {
      'agent-1': [{ message: 'EventPulledInteractions', interactions: [{ interactionId: I2 }] }],
      R2: [{ message: 'EventRevoked', interactionId: I2, reason: 'Pulled' }],
      rep: ['EventPartyRemoved', 'EventTakenFromQueue', 'EventPartyAdded'],
    });
    t.step(S.send({ message: 'RequestUnlockInteraction', snapshotId: 1, interactionId: I1 }), {
      S: ['EventAck'],
      R2: [{ message: 'EventRouteRequest', interaction: { interactionId: I1 } }],
      rep: [{ message: 'EventPartyAdded', interactionId: I1 }],
    });
    t.step(S.send({ message: 'RequestUnlockInteraction', snapshotId: 1, interactionId: I1 }), { S: [error('InvalidState')] });
  });

  test('9.3.4 locks end when the snapshot is released or its connection closes', () => {
    const { t, S, R, M } = world();
    t.given(R.disconnect(), M.submit({ queue: 'routed', mediaType: 'chat' }), S.send({ message: 'RequestTakeSnapshot', queue: 'routed', lock: true }));
    const R2 = t.router('R2', { queues: ['routed'] });
    t.step(R2.register(), { R2: ['EventAck'] });
    t.step(S.disconnect(), {
      R2: [{ message: 'EventRouteRequest', interaction: { interactionId: I1 } }],
      rep: ['EventPartyAdded'],
    });
    const S2 = t.client('S2', 'Supervisor', 'lead-2');
    t.given(S2.register(), M.submit({ queue: 'pool', mediaType: 'chat' }), S2.send({ message: 'RequestTakeSnapshot', queue: 'pool', lock: true }));
    expect(t.core.interaction(I2)?.lockedBy).toBe(2);
    t.step(S2.send({ message: 'RequestReleaseSnapshot', snapshotId: 2 }), { S2: ['EventAck'] });
    expect(t.core.interaction(I2)?.lockedBy).toBeNull();
  });

  test('9.3.4 a router that closes while its snapshot locks work leaves the rotation first: the work goes to another router', () => {
    const { t, R, M } = world();
    const R2 = t.router('R2', { queues: ['routed'] });
    t.given(R2.register());
    // Scheduled a minute ahead, so that no router holds it when R locks it (found by the property test).
    t.given(M.send({ message: 'RequestSubmit', queue: 'routed', mediaType: 'chat', scheduledAt: new Date(t.now + 60_000).toISOString() }));
    t.given(R.send({ message: 'RequestTakeSnapshot', queue: 'routed', lock: true }), t.tick(61));
    expect(t.core.interaction(I1)).toMatchObject({ state: 'queued', lockedBy: 1 });
    t.step(R.disconnect(), {
      R2: [{ message: 'EventRouteRequest', interaction: { interactionId: I1 } }],
      rep: [{ message: 'EventPartyAdded', interactionId: I1 }],
    });
  });

  test('9.3.4 RequestMoveInteractions moves what is still where the snapshot saw it and counts the rest as skipped', () => {
    const { t, S, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), M.submit({ queue: 'pool', mediaType: 'chat' }), M.submit({ queue: 'pool', mediaType: 'chat' }));
    t.given(S.send({ message: 'RequestTakeSnapshot', queue: 'pool', lock: true }));
    t.given(S.send({ message: 'RequestUnlockInteraction', snapshotId: 1, interactionId: I1 }), A1.pull({ queue: 'pool', interactionIds: [I1] }), M.stop(I2));
    t.step(S.send({ message: 'RequestMoveInteractions', snapshotId: 1, queue: 'other' }), {
      S: [{ message: 'EventInteractionsMoved', snapshotId: 1, moved: 1, skipped: 2 }],
      rep: [{ message: 'EventTakenFromQueue', interactionId: I3, queue: 'pool' }, { message: 'EventPlacedInQueue', interactionId: I3, queue: 'other' }],
    });
    expect(t.core.interaction(I3)).toMatchObject({ queue: 'other', lockedBy: null });
    t.step(S.send({ message: 'RequestMoveInteractions', snapshotId: 1, queue: 'pool' }), { S: [{ message: 'EventInteractionsMoved', moved: 0, skipped: 3 }] });
  });

  test('9.3.4 a move skips what another snapshot locks', () => {
    const { t, S, M } = world();
    const S2 = t.client('S2', 'Supervisor', 'lead-2');
    t.given(S2.register(), M.submit({ queue: 'pool', mediaType: 'chat' }), S.send({ message: 'RequestTakeSnapshot', queue: 'pool' }), S2.send({ message: 'RequestTakeSnapshot', queue: 'pool', lock: true }));
    t.step(S.send({ message: 'RequestMoveInteractions', snapshotId: 1, queue: 'other' }), { S: [{ message: 'EventInteractionsMoved', moved: 0, skipped: 1 }] });
  });
});

describe('9.3.2 a snapshot larger than one slice', () => {
  test('9.3.2 taken in slices, it has the order, max and locks of one taken at once', () => {
    const t = new CoreHarness({ ...layout, limits: { maxSnapshotInteractions: 100_000 } });
    const count = 12_345;
    const records = Array.from({ length: count }, (_, index) => {
      const number = index + 1;
      return {
        interactionId: interactionIdOf(number), number, mediaType: 'chat', type: 'Inbound', subtype: 'InboundNew', priority: number % 7,
        userData: { language: number % 3 === 0 ? 'de' : 'en' }, submittedAt: t.now - (number * 7919) % count, submittedBy: 'M', externalId: null,
        state: 'queued' as const, queue: 'pool', workbinName: null, workbinOwner: null, enteredAt: t.now, entryOrder: number,
        assignedTo: null, placeId: null, ticketId: null, ticketAgentId: null, ticketPlaceId: null, expiresAt: null, scheduledAt: null, participants: [],
      };
    });
    t.core.recover(records, { lastInteraction: count, lastTicket: 0, lastEntry: count, lastSeq: 0 }, t.now);
    const S = t.client('S', 'Supervisor', 'lead');
    t.given(S.register());
    const german = records.filter((record) => record.userData.language === 'de');
    const byQueue = [...german].sort((a, b) => b.priority - a.priority || a.entryOrder - b.entryOrder);
    const byAge = [...german].sort((a, b) => a.submittedAt - b.submittedAt || b.priority - a.priority || a.entryOrder - b.entryOrder);
    const byPriority = [...german].sort((a, b) => b.priority - a.priority || a.submittedAt - b.submittedAt || a.entryOrder - b.entryOrder);
    for (const [order, expected, max] of [['queue', byQueue, 50], ['age', byAge, 50], ['priority', byPriority, 50], ['age', byAge, 3000]] as const) {
      const take = S.send({ message: 'RequestTakeSnapshot', queue: 'pool', condition: { 'userData.language': 'de' }, order, max, lock: true });
      const taken = CoreHarness.answerTo(take, t.run(take))!;
      expect(taken).toMatchObject({ message: 'EventSnapshotTaken', numberOfInteractions: max });
      const snapshotId = taken.snapshotId as number;
      const page = S.send({ message: 'RequestGetSnapshotInteractions', snapshotId, from: max - 50, count: 50 });
      const ids = (CoreHarness.answerTo(page, t.run(page))!.interactions as { interactionId: string }[]).map((interaction) => interaction.interactionId);
      expect(ids, `order ${order}, max ${max}`).toEqual(expected.slice(max - 50, max).map((record) => record.interactionId));
      expect(t.core.interaction(expected[max - 1]!.interactionId)?.lockedBy).toBe(snapshotId);
      t.given(S.send({ message: 'RequestReleaseSnapshot', snapshotId }));
      expect(t.core.interaction(expected[0]!.interactionId)?.lockedBy).toBeNull();
    }
  });
});
