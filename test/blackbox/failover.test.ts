// High availability (docs/deployment.md): several `openixn serve` processes on one PostgreSQL
// schema. One is the primary; the others stand by, answer /healthz with their role and /readyz
// with 503, and refuse WebSocket clients (close 4503) and REST requests (503) naming the primary.
// When the primary dies (SIGKILL) a standby takes over at once; when it is paused (SIGSTOP) past
// its lease a standby takes over with the next epoch, and the paused one, resumed, writes nothing:
// it refuses what it is asked, closes its clients naming the new primary and stands by again.

import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AgentClient } from '../../src/client/index.js';
import { sample, scrape } from '../support/metrics.js';
import { TestClient } from '../support/client.js';
import { quick, useSdkClients } from '../support/sdk.js';
import { durabilityConfig, runFailureCycles, World } from '../support/durability-load.js';
import { useChildServers, type ChildServer } from '../support/server.js';
import { administration, postgresTestUrl, terminateBackends, testStoreKind, waitUntil } from '../support/test-store.js';

/**
 * CI runs this many failovers; `npm run soak` more (OPENIXN_SOAK_FAILOVERS), in rounds of 21 on a
 * fresh store each, so that the audit's replay of the whole log stays short. OPENIXN_CRASH_SEED
 * replays a run.
 */
const failoverCycles = Number(process.env.OPENIXN_FAILOVER_CYCLES ?? 21);
const cyclesPerRound = 21;
const rounds = Math.ceil(failoverCycles / cyclesPerRound);
const baseSeed = Number(process.env.OPENIXN_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** A short lease keeps the SIGSTOP tests short; the default (3 s) is measured by bench/failover.js. */
const config = {
  queues: { backlog: { routing: 'none' as const } },
  router: { builtin: false },
  highAvailability: { lease: 1 },
};

function httpBase(child: ChildServer): string {
  return `http://127.0.0.1:${child.port}`;
}

/** openixn_server_primary and openixn_server_epoch from a node's /metrics. */
async function roleMetrics(child: ChildServer): Promise<{ primary: number; epoch: number }> {
  const { text } = await scrape(`${httpBase(child)}/metrics`);
  return { primary: sample(text, 'openixn_server_primary'), epoch: sample(text, 'openixn_server_epoch') };
}

async function probe(child: ChildServer, path: string): Promise<{ status: number; body: Record<string, unknown>; primary: string | null }> {
  // A paused node accepts the connection (the kernel does) but never answers.
  const response = await fetch(`${httpBase(child)}${path}`, { signal: AbortSignal.timeout(2000) });
  return { status: response.status, body: await response.json() as Record<string, unknown>, primary: response.headers.get('openixn-primary') };
}

/** Upgrades a raw socket to a WebSocket, sends `frame` as it is, and resolves once the server closes it. */
async function sendAfterUpgrade(child: ChildServer, frame: Buffer): Promise<void> {
  const socket = connect(child.port, '127.0.0.1');
  socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${child.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  socket.once('data', () => socket.write(frame));
  socket.on('error', () => undefined);
  await once(socket, 'close');
}

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
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
  const track = useSdkClients();

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
    // Malformed frames (a length over 2^53, an unmasked frame) close that socket, and the standby stands by.
    for (const frame of [[0x81, 0xff, 1, 2, 3, 4, 5, 6, 7, 8], [0x81, 0x02, 0x68, 0x69]]) await sendAfterUpgrade(standby, Buffer.from(frame));
    expect(await probe(standby, '/healthz')).toMatchObject({ status: 200, body: { status: 'standby' } });
    // Its metrics say it stands by, so that a dashboard reads the queues' series of the primary.
    expect(await roleMetrics(primary)).toEqual({ primary: 1, epoch: 1 });
    expect(await roleMetrics(standby)).toEqual({ primary: 0, epoch: 0 });

    const media = await TestClient.register(primary.url, 'MediaServer', 'gateway');
    const { interactionId } = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' });
    primary.process.kill('SIGKILL');
    const killedAt = Date.now();
    await primary.exited;
    await waitUntil(() => standby.output().includes('"msg":"serving as the primary"'), 'the standby takes over', 10_000);
    // The primary's session died with it: no lease period to wait out.
    expect(Date.now() - killedAt).toBeLessThan(3000);
    expect(await probe(standby, '/readyz')).toMatchObject({ status: 200, body: { role: 'primary', epoch: 2 } });
    expect(await roleMetrics(standby)).toEqual({ primary: 1, epoch: 2 });
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
    await waitUntil(async () => (await probe(first, '/healthz').catch(() => ({ body: {} as Record<string, unknown> }))).body.primaryUrl === httpBase(second), 'the old primary stands by again', 10_000);
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

  it('the SDK follows a standby\'s hint to the primary at once, and after a kill -9 finds the new primary and logs the agent in again with its work', async () => {
    const primary = await children.start(config);
    const standby = await children.start(config, 0, { waitFor: 'listening', configName: 'standby.yaml' });
    await waitUntil(async () => (await probe(standby, '/healthz')).body.primaryUrl !== null, 'the standby reads the lease');
    // The standby first: it names the primary, and the SDK goes there without a backoff.
    const agent = track(new AgentClient({ urls: [standby.url, primary.url], clientName: 'desk-1', ...quick, backoffMinMs: 1000, backoffMaxMs: 2000 }));
    const retries: { url: string; delayMs: number }[] = [];
    agent.on('reconnecting', ({ url, delayMs }) => retries.push({ url, delayMs }));
    const connectedTo: string[] = [];
    agent.on('connected', ({ url }) => connectedTo.push(url));
    const logins: { restored: boolean; interactions: string[] }[] = [];
    agent.on('loggedIn', ({ restored, interactions }) => logins.push({ restored, interactions: interactions.map((interaction) => interaction.interactionId) }));
    await agent.connect();
    expect(connectedTo).toEqual([primary.url]);
    expect(retries).toEqual([{ url: primary.url, delayMs: 0 }]);
    await agent.agentLogin({ agentId: 'agent-1', placeId: 'place-1', media: { email: 'ready' } });
    const media = await TestClient.register(primary.url, 'MediaServer', 'gateway');
    const { interactionId } = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' });
    const pulled = await agent.pull({ queue: 'backlog' });
    expect(pulled.interactions.map((interaction) => interaction.interactionId)).toEqual([interactionId]);

    primary.process.kill('SIGKILL');
    await waitUntil(() => logins.some((login) => login.restored), 'the SDK logs in again on the new primary', 15_000);
    expect(connectedTo.at(-1)).toBe(standby.url);
    expect(logins.at(-1)).toEqual({ restored: true, interactions: [interactionId] });
  }, 30_000);

  for (let round = 0; round < rounds; round++) {
    const roundCycles = Math.min(cyclesPerRound, failoverCycles - round * cyclesPerRound);
    const seed = baseSeed + round;
    it(`loses nothing acknowledged over ${roundCycles} failovers of three nodes under load: kill -9, a pause past the lease, the database cut off${rounds > 1 ? ` (round ${round + 1} of ${rounds}, seed ${seed})` : ''}`, async () => {
      // Two seconds: the audit's replay of the whole log keeps a loaded machine's event loop busy for
      // long stretches, and a primary whose renewals come late refuses requests (and may be replaced).
      const haConfig = { ...durabilityConfig, highAvailability: { lease: 2 } };
      const store = children.store();
      let named = 0;
      const live: ChildServer[] = [];
      const applicationNames = new Map<ChildServer, string>();
      /** Starts a node that names its connections, so that a cut reaches only its own. */
      const startNode = async (waitFor: 'primary' | 'listening') => {
        const applicationName = `openixn-${store.schema!}-n${named++}`;
        const node = await children.start(haConfig, 0, { waitFor, storeUrl: `${postgresTestUrl}?schema=${store.schema!}&application_name=${applicationName}`, configName: `${applicationName}.yaml` });
        applicationNames.set(node, applicationName);
        live.push(node);
        return node;
      };
      const ready = async (node: ChildServer) => (await probe(node, '/readyz').catch(() => ({ status: 0 }))).status === 200;
      /** The node serving now: exactly one answers /readyz with 200. */
      const primaryNow = async (): Promise<ChildServer> => {
        let found: ChildServer[] = [];
        await waitUntil(async () => {
          // A paused node would keep each probe waiting for its timeout.
          const candidates = live.filter((node) => failing?.kind !== 'pause' || node !== failing.node);
          const answers = await Promise.all(candidates.map((node) => ready(node)));
          found = candidates.filter((_, index) => answers[index]);
          return found.length > 0;
        }, 'a node serves', 20_000);
        expect(found, `seed ${seed}: primaries at once`).toHaveLength(1);
        return found[0]!;
      };
      await startNode('primary');
      await startNode('listening');
      await startNode('listening');
      const kinds = ['kill', 'pause', 'cut'] as const;
      const takeoverMs: Record<(typeof kinds)[number], number[]> = { kill: [], pause: [], cut: [] };
      let failing: { node: ChildServer; kind: (typeof kinds)[number]; atMs: number } | null = null;
      const world = new World();
      // A node cut off from the database, or waking from a pause, refuses what it is asked as while the database is away.
      world.databaseFaults = true;

      const result = await runFailureCycles({
        async serving() {
          const primary = await primaryNow();
          if (failing !== null) {
            const { node, kind, atMs } = failing;
            takeoverMs[kind].push(Date.now() - atMs);
            if (process.env.OPENIXN_FAILOVER_TRACE !== undefined) process.stderr.write(`[failover] ${kind}: served again after ${Date.now() - atMs} ms\n`);
            expect(primary, `seed ${seed}: a standby took over after the ${kind}`).not.toBe(node);
            if (kind === 'pause') node.process.kill('SIGCONT');
            // Three nodes again.
            if (kind === 'kill') await startNode('listening');
            if (kind !== 'kill') {
              // It finds its lease gone, writes nothing, and stands by again in the same process.
              await waitUntil(async () => (await probe(node, '/healthz').catch(() => ({ body: {} as Record<string, unknown> }))).body.primaryUrl === httpBase(primary), `the old primary (${kind}) stands by`, 15_000)
            }
            failing = null;
          }
          return primary.url;
        },
        async fail(cycle) {
          const node = await primaryNow();
          const kind = kinds[cycle % kinds.length]!;
          failing = { node, kind, atMs: Date.now() };
          if (kind === 'kill') {
            node.process.kill('SIGKILL');
            await node.exited;
            live.splice(live.indexOf(node), 1);
          } else if (kind === 'pause') {
            node.process.kill('SIGSTOP');
          } else {
            // Cut every connection it has, again and again, until another node serves: a partition from the database.
            const others = live.filter((other) => other !== node);
            let serving = false;
            while (!serving) {
              await terminateBackends(applicationNames.get(node)!);
              for (const other of others) if (await ready(other)) serving = true;
            }
          }
        },
        async finish() {
          for (const node of live) node.process.kill('SIGTERM');
          for (const node of live) expect(await node.exited, `seed ${seed}: a clean stop`).toEqual({ code: 0, signal: null });
        },
      }, roundCycles, seed, world);

      const epochs = await chunkEpochs(store.schema!);
      expect(epochs, `seed ${seed}: every chunk of the log in its epoch's order`).toEqual([...epochs].sort((a, b) => a - b));
      const figures = Object.entries(takeoverMs).map(([kind, times]) => `${kind} ${times.length}× p50 ${percentile(times, 0.5)} ms max ${Math.max(...times)} ms`).join('; ');
      process.stderr.write(`[failover] seed ${seed}: ${result.kills} failovers, ${result.world.known.size} interactions, ${result.world.acknowledged} acknowledged moves; served again after: ${figures}\n`);
      expect(result.world.known.size, `seed ${seed}`).toBeGreaterThan(roundCycles * 10);
      expect(epochs.at(-1), `seed ${seed}: one epoch per takeover`).toBe(roundCycles + 1);
    }, 60_000 + roundCycles * 8_000);
  }
});
