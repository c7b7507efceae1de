// High availability (docs/deployment.md): several `openixn serve` processes on one PostgreSQL
// schema. One is the primary; the others stand by, answer /healthz with their role and /readyz
// with 503, and refuse WebSocket clients (close 4503) and REST requests (503) naming the primary.
// When the primary dies (SIGKILL) a standby takes over at once; when it is paused (SIGSTOP) past
// its lease a standby takes over with the next epoch, and the paused one, resumed, writes nothing:
// it refuses what it is asked, closes its clients naming the new primary and stands by again.

import { describe, expect, it } from 'vitest';
import { TestClient } from '../support/client.js';
import { useChildServers, type ChildServer } from '../support/server.js';
import { administration, testStoreKind, waitUntil } from '../support/test-store.js';

/** A short lease keeps the SIGSTOP tests short; the default (3 s) is measured by bench/failover.js. */
const config = {
  queues: { backlog: { routing: 'none' as const } },
  router: { builtin: false },
  highAvailability: { lease: 1 },
};

function httpBase(child: ChildServer): string {
  return `http://127.0.0.1:${child.port}`;
}

async function probe(child: ChildServer, path: string): Promise<{ status: number; body: Record<string, unknown>; primary: string | null }> {
  const response = await fetch(`${httpBase(child)}${path}`);
  return { status: response.status, body: await response.json() as Record<string, unknown>, primary: response.headers.get('openixn-primary') };
}

/** The reporting log's chunks with the epoch that wrote each, in seq order. */
async function chunkEpochs(schema: string): Promise<number[]> {
  const sql = administration();
  try {
    return (await sql.unsafe<{ epoch: string }[]>(`SELECT epoch FROM "${schema}".reporting_log ORDER BY first_seq`)).map((row) => Number(row.epoch));
  } finally {
    await sql.end();
  }
}

describe.runIf(testStoreKind() === 'postgres')('highly available servers on one PostgreSQL schema', () => {
  const children = useChildServers();

  it('one primary: a standby answers its role, refuses clients naming the primary, and takes over at once after a kill -9', async () => {
    const primary = await children.start(config);
    const standby = await children.start(config, 0, { waitFor: 'listening', configName: 'standby.yaml' });
    await waitUntil(async () => (await probe(standby, '/healthz')).body.primaryUrl !== null, 'the standby reads the lease');

    expect(await probe(primary, '/healthz')).toMatchObject({ status: 200, body: { status: 'ready', role: 'primary', epoch: 1 } });
    expect(await probe(primary, '/readyz')).toMatchObject({ status: 200, body: { role: 'primary' } });
    expect(await probe(standby, '/healthz')).toMatchObject({ status: 200, body: { status: 'standby', role: 'standby', primaryUrl: httpBase(primary) } });
    expect(await probe(standby, '/readyz')).toMatchObject({ status: 503, body: { role: 'standby' } });
    const refusedRest = await probe(standby, '/api/v1/queues');
    expect(refusedRest).toMatchObject({ status: 503, primary: httpBase(primary), body: { errorCode: 'Internal' } });
    expect(refusedRest.body.errorDescription).toContain(httpBase(primary));
    const refusedSocket = await TestClient.connect(standby.url);
    expect(await refusedSocket.closed).toEqual({ code: 4503, reason: `standby; primary at ${primary.url}` });

    const media = await TestClient.register(primary.url, 'MediaServer', 'gateway');
    const { interactionId } = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' });
    primary.process.kill('SIGKILL');
    const killedAt = Date.now();
    await primary.exited;
    await waitUntil(() => standby.output().includes('"msg":"serving as the primary"'), 'the standby takes over', 10_000);
    // The primary's session died with it: no lease period to wait out.
    expect(Date.now() - killedAt).toBeLessThan(3000);
    expect(await probe(standby, '/readyz')).toMatchObject({ status: 200, body: { role: 'primary', epoch: 2 } });
    const reader = await TestClient.register(standby.url, 'MediaServer', 'gateway');
    expect(await reader.request({ message: 'RequestGetInteractionProperties', interactionId })).toMatchObject({ interaction: { interactionId, state: 'queued', queue: 'backlog' } });
    reader.socket.terminate();
  }, 30_000);

  it('a primary paused past its lease is replaced; resumed, it writes nothing, closes its clients naming the new primary and stands by', async () => {
    const first = await children.start(config);
    const second = await children.start(config, 0, { waitFor: 'listening', configName: 'second.yaml' });
    const desk = await TestClient.register(first.url, 'MediaServer', 'gateway');
    const { interactionId } = await desk.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' });

    first.process.kill('SIGSTOP');
    await waitUntil(() => second.output().includes('"msg":"serving as the primary"'), 'the standby takes over once the lease runs out', 10_000);
    // Sent to the paused primary: it reads it only when it wakes, with its lease gone.
    const unanswered = desk.request({ message: 'RequestStopProcessing', interactionId }, 15_000).catch(() => ({ message: 'unanswered' }));
    const media = await TestClient.register(second.url, 'MediaServer', 'gateway');
    const { interactionId: later } = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' });

    first.process.kill('SIGCONT');
    const answer = await Promise.race([unanswered, desk.closed.then(() => ({ message: 'closed before an answer' }))]);
    expect(answer).not.toMatchObject({ message: 'EventAck' });
    expect(await desk.closed).toEqual({ code: 4503, reason: `standby; primary at ${second.url}` });
    await waitUntil(() => first.output().includes('another server holds the store\'s lease now'), 'the old primary finds out');
    await waitUntil(async () => (await probe(first, '/healthz').catch(() => ({ body: {} }))).body.primaryUrl === httpBase(second), 'the old primary stands by again', 10_000);
    expect(await probe(first, '/readyz')).toMatchObject({ status: 503, body: { role: 'standby', primaryUrl: httpBase(second) } });

    // Nothing of the old primary after the takeover: the stop it was sent did not happen, and the
    // log's chunks go from epoch 1 to epoch 2 and never back.
    expect(await media.request({ message: 'RequestGetInteractionProperties', interactionId })).toMatchObject({ interaction: { state: 'queued' } });
    expect(await media.request({ message: 'RequestGetInteractionProperties', interactionId: later })).toMatchObject({ interaction: { state: 'queued' } });
    const epochs = await chunkEpochs(children.store().schema!);
    expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
    expect(epochs[0]).toBe(1);
    expect(epochs.at(-1)).toBe(2);
    media.socket.terminate();
  }, 30_000);
});
