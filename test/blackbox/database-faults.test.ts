// PostgreSQL faults against a running server (README, "Decisions": database outages). The server's
// own backends are killed with pg_terminate_backend in the middle of a commit, again and again
// under the mixed durability load, and its database is made to refuse connections for a while.
// The server must not stop, must acknowledge nothing it could not commit, must answer requests
// made meanwhile with a clear error, report not ready on /healthz, recover by itself, and lose
// nothing it acknowledged (the kill -9 audit, after a restart). Other test runs share this
// PostgreSQL: only this server's connections (by application_name) or its own database are hit.

import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { TestClient, type Message } from '../support/client.js';
import { seededRandom } from '../support/durability-peer.js';
import { audit, databaseUnavailable, durabilityConfig, startLoad, World } from '../support/durability-load.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  allowConnections, backendsWaitingForLock, createTestDatabase, createTestStore, lockCounters, terminateBackends, testStoreKind, waitUntil,
} from '../support/test-store.js';

async function health(server: TestServer): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${server.server.port}/healthz`);
  return { status: response.status, body: await response.json() };
}

describe.runIf(testStoreKind() === 'postgres')('PostgreSQL faults under a running server', () => {
  let server: TestServer | undefined;
  const clients: TestClient[] = [];
  const releases: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const release of releases.splice(0)) await release().catch(() => {});
    for (const client of clients.splice(0)) client.socket.terminate();
    await server?.dispose();
    server = undefined;
  });

  it('survives its connections killed mid-commit under load: refuses meanwhile, acknowledges nothing uncommitted, recovers, loses nothing', async () => {
    const store = createTestStore('postgres');
    server = await startTestServer(durabilityConfig, store);
    const seed = Number(process.env.OPENIXN_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const world = new World();
    world.databaseFaults = true;
    const load = await startLoad(server.url, 0, world, seededRandom(seed));
    // The load's actors each wait for their answers, which the outage holds; this client asks anew.
    const prober = await TestClient.register(server.url, 'MediaServer', 'prober');
    clients.push(prober);
    const faults = 4;
    for (let fault = 0; fault < faults; fault++) {
      const progress = world.acknowledged + 100;
      await waitUntil(() => world.acknowledged >= progress, `the load makes progress before fault ${fault + 1}`, 20_000);
      // The lock holds the next commit inside PostgreSQL, so the kill lands in the middle of it.
      const lock = await lockCounters(store.schema!);
      releases.push(lock.release);
      await waitUntil(async () => (await backendsWaitingForLock(store.applicationName!)) > 0, 'a commit waits inside PostgreSQL');
      expect(await terminateBackends(store.applicationName!), `seed ${seed}`).toBeGreaterThan(0);
      await waitUntil(async () => (await health(server!)).status === 503, '/healthz reports not ready');
      expect(await health(server)).toMatchObject({ status: 503, body: { status: 'storeUnavailable', role: 'primary' } });
      expect(await prober.request({ message: 'RequestGetWorkbinContent', workbin: { name: 'drafts', ownerId: 'agent-1' } })).toMatchObject({
        message: 'EventError', errorCode: 'Internal', errorDescription: databaseUnavailable,
      });
      // The retried commit waits for the same lock: while it cannot land, nothing is acknowledged.
      const acknowledged = world.acknowledged;
      await waitUntil(async () => (await backendsWaitingForLock(store.applicationName!)) > 0, 'the retried commit waits inside PostgreSQL');
      expect(world.acknowledged, `seed ${seed}: acknowledged while the database was away`).toBe(acknowledged);
      releases.splice(0);
      await lock.release();
      await waitUntil(async () => (await health(server!)).status === 200, '/healthz reports ready again');
    }
    const progress = world.acknowledged + 100;
    await waitUntil(() => world.acknowledged >= progress, 'the load makes progress after the last fault', 20_000);
    await load.close();
    expect(world.surprises, `seed ${seed}: unexpected answers under load`).toEqual([]);

    // The same server went on throughout (a fail-stop would have closed every connection), and
    // after a restart it still holds everything any client was acknowledged.
    server = await server.restart();
    await audit(server.url, 1, world, seed);
  }, 60_000);

  it('while its database refuses connections: not ready, new connections refused, requests refused, what was in flight answered once it is back', async () => {
    const store = await createTestDatabase();
    const config: ConfigInput = { queues: { backlog: { routing: 'none' } }, router: { builtin: false } };
    server = await startTestServer(config, store);
    const media = await TestClient.register(server.url, 'MediaServer', 'media-1');
    clients.push(media);
    // No externalId: a submit with one asks the store first, and that read would be refused at once.
    const submit = { message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat' };
    const first = await media.request(submit);
    expect(first.message).toBe('EventAck');

    releases.push(() => allowConnections(store.database, true));
    await allowConnections(store.database, false);
    expect(await terminateBackends(store.applicationName)).toBeGreaterThan(0);
    // This submit reaches the core; its commit cannot land, so it is held, unanswered.
    const heldReference = media.send(submit);
    const heldAnswer = media.next((message) => message.referenceId === heldReference, 20_000);
    await waitUntil(async () => (await health(server!)).status === 503, '/healthz reports not ready');
    expect(await health(server)).toMatchObject({ status: 503, body: { status: 'storeUnavailable', role: 'primary' } });
    expect(await media.request(submit)).toMatchObject({ message: 'EventError', errorCode: 'Internal', errorDescription: databaseUnavailable });
    await expect(TestClient.connect(server.url)).rejects.toThrow(/503/);
    expect(media.received.filter((message: Message) => message.referenceId === heldReference)).toEqual([]);

    releases.splice(0);
    await allowConnections(store.database, true);
    const held = await heldAnswer;
    expect(held.message).toBe('EventAck');
    await waitUntil(async () => (await health(server!)).status === 200, '/healthz reports ready again');
    const after = await media.request(submit);
    expect(after.message).toBe('EventAck');
    expect(media.socket.readyState).toBe(media.socket.OPEN);

    // Restarted, the server has the three acknowledged submits, in order, and nothing of the refused one.
    clients.splice(0);
    await media.close();
    server = await server.restart();
    const desk = await TestClient.register(server.url, 'AgentApplication', 'desk-1');
    clients.push(desk);
    expect((await desk.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1' })).message).toBe('EventAck');
    const pulled = await desk.request({ message: 'RequestPull', queue: 'backlog', count: 10 });
    expect((pulled.interactions as Message[]).map((interaction) => interaction.interactionId)).toEqual([first, held, after].map((answer) => answer.interactionId));
  }, 60_000);
});
