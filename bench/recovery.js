// Recovery and memory at scale: how long a server takes to come back with N interactions waiting,
// after a clean stop and after a kill -9, and how much memory each waiting interaction holds while
// running and after a restart.
//
// 1. "running": a fresh server takes `--running` submits over WebSocket (100 bytes of user data
//    each, a window in flight); its memory is read from its side: RSS from /proc, and the V8 heap
//    from /metrics right after a full collection (bench/gc-on-signal.js, preloaded, runs one on
//    SIGUSR2). Both are net of an empty server's.
// 2. "seed": `--count` waiting interactions are written into the store directly with the store's
//    own commit (dist/store/open-store.js), in batches, as a server would have committed them:
//    submitting a million over WebSocket would measure submits, not recovery.
// 3. "restart": the server starts on that store; the time from spawn until an agent has logged in
//    and pulled one of the waiting interactions is "back and served". Then kill -9 and again.
//
// Usage: npm run bench:recovery [-- --count 1000000 --running 200000 --store sqlite|postgres]
// Prints one JSON line; progress on stderr.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { connect, heapAfterGc, interactionIdOf, postgresUrl, rssOf, seedStore, startServer, stopServer, userData } from './large.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    running: { type: 'string', default: '200000' },
    store: { type: 'string', default: 'sqlite' },
  },
});
const count = Number(values.count);
const running = Number(values.running);
const log = (line) => process.stderr.write(`[recovery] ${line}\n`);
const QUEUE = 'backlog';

const directory = await mkdtemp(join(tmpdir(), 'openixn-recovery-'));
const configPath = join(directory, 'openixn.yaml');
await writeFile(configPath, `queues: { ${QUEUE}: { routing: none } }
router: { builtin: false }
limits: { requestsPerSecond: 1000000, bytesPerSecond: 1073741824, agentRequestsPerSecond: 1000000, agentBytesPerSecond: 1073741824 }
log: { level: warn }
`);
let schemas = 0;
function newStoreUrl() {
  if (values.store === 'postgres') return `${postgresUrl}?schema=openixn_recovery_${process.pid}_${++schemas}`;
  return `sqlite:${join(directory, `store-${++schemas}.db`)}`;
}

/** From the server's spawn until an agent has pulled a waiting interaction. */
async function backAndServed(storeUrl, interactionId) {
  const server = await startServer(configPath, storeUrl);
  const agent = await connect(server.port);
  await agent.request({ message: 'RequestRegisterClient', clientType: 'AgentApplication', clientName: 'desk-1' });
  await agent.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1' });
  const pulled = await agent.request({ message: 'RequestPull', queue: QUEUE, interactionIds: [interactionId] });
  if (pulled.message !== 'EventPulledInteractions' || pulled.interactions?.length !== 1) throw new Error(`the pull was answered ${JSON.stringify(pulled)}`);
  const servedMs = performance.now() - server.started;
  // Handed back, so that the next restart finds every one of them waiting again.
  await agent.request({ message: 'RequestPlaceInQueue', interactionId, queue: QUEUE });
  agent.close();
  return { server, readyMs: Math.round(server.readyMs), servedMs: Math.round(servedMs) };
}

async function memoryOf(server) {
  return { rss: rssOf(server.child.pid), heap: await heapAfterGc(server) };
}

// ---- 1. Memory while running -------------------------------------------------------------------

const empty = await startServer(configPath, newStoreUrl());
const baseline = await memoryOf(empty);
await stopServer(empty);
log(`empty server: RSS ${(baseline.rss / 2 ** 20).toFixed(0)} MiB, heap ${(baseline.heap / 2 ** 20).toFixed(0)} MiB`);

let runningFigures = null;
if (running > 0) {
  const live = await startServer(configPath, newStoreUrl());
  const media = await Promise.all(Array.from({ length: 4 }, async (_, index) => {
    const connection = await connect(live.port);
    await connection.request({ message: 'RequestRegisterClient', clientType: 'MediaServer', clientName: `gateway-${index}` });
    return connection;
  }));
  let submitted = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: 64 }, async (_, lane) => {
    while (submitted < running) {
      submitted++;
      await media[lane % media.length].request({ message: 'RequestSubmit', queue: QUEUE, mediaType: 'email', userData });
    }
  }));
  const submitSeconds = (performance.now() - started) / 1000;
  const memory = await memoryOf(live);
  runningFigures = {
    interactions: running,
    submitsPerSecond: Math.round(running / submitSeconds),
    rssBytesPerInteraction: Math.round((memory.rss - baseline.rss) / running),
    heapBytesPerInteraction: Math.round((memory.heap - baseline.heap) / running),
  };
  log(`running with ${running}: ${JSON.stringify(runningFigures)}`);
  for (const connection of media) connection.close();
  await stopServer(live);
}

// ---- 2. Seed -----------------------------------------------------------------------------------

const storeUrl = newStoreUrl();
const seedStarted = performance.now();
await seedStore(storeUrl, { count, queue: QUEUE });
log(`seeded ${count} waiting interactions in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

// ---- 3. Restarts -------------------------------------------------------------------------------

const firstId = interactionIdOf(1);
const afterStop = await backAndServed(storeUrl, firstId);
const recovered = await memoryOf(afterStop.server);
log(`after a clean start: ready ${afterStop.readyMs} ms, served ${afterStop.servedMs} ms`);
await stopServer(afterStop.server);

const victim = await startServer(configPath, storeUrl);
await stopServer(victim, 'SIGKILL');
const afterKill = await backAndServed(storeUrl, firstId);
log(`after kill -9: ready ${afterKill.readyMs} ms, served ${afterKill.servedMs} ms`);
await stopServer(afterKill.server);

await rm(directory, { recursive: true, force: true });
if (values.store === 'postgres') {
  const postgres = (await import('postgres')).default;
  const sql = postgres(postgresUrl, { onnotice: () => {} });
  for (let index = 1; index <= schemas; index++) await sql.unsafe(`DROP SCHEMA IF EXISTS "openixn_recovery_${process.pid}_${index}" CASCADE`);
  await sql.end();
}

process.stdout.write(`${JSON.stringify({
  benchmark: 'recovery',
  date: new Date().toISOString(),
  store: values.store,
  node: process.version,
  loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  running: runningFigures,
  waiting: count,
  afterRestart: {
    readyMs: afterStop.readyMs,
    servedMs: afterStop.servedMs,
    rssBytesPerInteraction: Math.round((recovered.rss - baseline.rss) / count),
    heapBytesPerInteraction: Math.round((recovered.heap - baseline.heap) / count),
  },
  afterKill: { readyMs: afterKill.readyMs, servedMs: afterKill.servedMs },
})}\n`);
process.exit(0);
