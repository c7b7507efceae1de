// The core's read-only views for the metrics (src/metrics/): what waits in each configured queue
// and since when, and the logged-in agents per media type, after a known sequence of moves.

import { describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { interactionIdOf } from '../../src/core/interaction.js';
import type { MediaReadiness } from '../../src/core/requests.js';
import { CoreHarness, startTime } from '../support/core-harness.js';

const layout: ConfigInput = {
  timeouts: { deliveringTimeout: 30, handlingTimeout: 60 },
  queues: { routed: { routing: 'external' }, pool: { routing: 'none' }, idle: { routing: 'none' } },
};

const [I1, I2] = [1, 2].map(interactionIdOf) as [string, string];

describe('queueStatistics', () => {
  test('counts queued, routing and invited interactions in their queue, and the entry time of the oldest one', () => {
    const t = new CoreHarness(layout);
    const M = t.media('M');
    const R = t.router('R');
    const A = t.agent('agent-1');
    t.given(M.register(), R.register(), A.register(), A.login({ chat: 'ready' }));
    expect(t.core.queueStatistics()).toEqual([
      { queue: 'routed', waiting: 0, oldestEnteredAt: null },
      { queue: 'pool', waiting: 0, oldestEnteredAt: null },
      { queue: 'idle', waiting: 0, oldestEnteredAt: null },
    ]);
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }), t.tick(5), M.submit({ queue: 'routed', mediaType: 'chat', priority: 9 }));
    t.given(t.tick(5), M.submit({ queue: 'pool', mediaType: 'email' }), M.submit({ queue: 'pool', mediaType: 'email', priority: -3 }));
    // I2 jumps the queue by priority, but I1 has waited longest.
    t.given(R.routeCall(I2, 'agent-1'));
    expect(t.core.interaction(I2)?.state).toBe('invited');
    expect(t.core.queueStatistics()).toEqual([
      { queue: 'routed', waiting: 2, oldestEnteredAt: startTime },
      { queue: 'pool', waiting: 2, oldestEnteredAt: startTime + 10_000 },
      { queue: 'idle', waiting: 0, oldestEnteredAt: null },
    ]);
    // Taken by an agent, an interaction leaves its queue; the oldest is then the next one.
    t.given(A.send({ message: 'RequestPull', queue: 'routed', interactionIds: [I1] }));
    expect(t.core.queueStatistics()[0]).toEqual({ queue: 'routed', waiting: 1, oldestEnteredAt: startTime + 5000 });
    // A handling timeout returns it with its old entry time.
    t.given(t.tick(61));
    expect(t.core.interaction(I1)?.state).not.toBe('handling');
    expect(t.core.queueStatistics()[0]).toEqual({ queue: 'routed', waiting: 2, oldestEnteredAt: startTime });
  });
});

describe('agentStatistics', () => {
  test('counts logged-in agents, and per media type named how many are ready and not ready', () => {
    const t = new CoreHarness(layout);
    const [A1, A2, A3] = [t.agent('agent-1'), t.agent('agent-2'), t.agent('agent-3')];
    // A media type named like an Object.prototype member is counted as any other.
    const media: Record<string, MediaReadiness> = { chat: 'ready' };
    media['constructor'] = 'ready';
    expect(t.core.agentStatistics()).toEqual({ loggedIn: 0, media: new Map() });
    t.given(A1.register(), A1.login({ chat: 'ready', email: 'notReady' }));
    t.given(A2.register(), A2.login(media));
    t.given(A3.register(), A3.login({}));
    t.given(A2.notReady('chat', 'Lunch'));
    expect(t.core.agentStatistics()).toEqual({
      loggedIn: 3,
      media: new Map([
        ['chat', { ready: 1, notReady: 1 }],
        ['email', { ready: 0, notReady: 1 }],
        ['constructor', { ready: 1, notReady: 0 }],
      ]),
    });
    t.given(A1.logout(), A3.disconnect());
    expect(t.core.agentStatistics()).toEqual({ loggedIn: 1, media: new Map([['chat', { ready: 0, notReady: 1 }], ['constructor', { ready: 1, notReady: 0 }]]) });
  });
});
