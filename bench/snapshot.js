// A supervisor's snapshot of a large queue must not stall other clients (SPEC 9.3, issue 12): this
// measures the longest pause of the server's event loop, and the slowest answer another client
// gets, while a snapshot of `--count` waiting interactions is taken (with a condition, in age
// order, locking them), against the same figures with the other client alone.
//
// 1. `--count` waiting interactions (100 bytes of user data each) are written into a fresh store
//    with the store's own commit (dist/store/open-store.js), as a server would have committed them.
// 2. The server starts on it as a child process with bench/loop-delay-on-signal.js preloaded:
//    SIGUSR2 makes it print the longest event-loop pause since the previous signal.
// 3. Another client (a media server) submits to another queue and stops what it submitted, one
//    request after the other, for the whole run; its slowest answer per window is kept.
// 4. Windows: "alone" (the other client only, 2 s), then "snapshot" (a supervisor takes the
//    snapshot of all of them with lock: true and reads its first page of 1000, then releases it).
//
// Usage: npm run bench:snapshot [-- --count 100000 --store sqlite|postgres]
// Prints one JSON line; progress on stderr.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { delay } from './harness.js';
import { connect as connectTo, loopWindow, postgresUrl, seedStore, startServer, stopServer } from './large.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '100000' }, store: { type: 'string', default: 'sqlite' } } });
const count = Number(values.count);
const log = (line) => process.stderr.write(`[snapshot] ${line}\n`);
const QUEUE = 'backlog';

const directory = await mkdtemp(join(tmpdir(), 'openixn-snapshot-'));
const configPath = join(directory, 'openixn.yaml');
await writeFile(configPath, `queues: { ${QUEUE}: { routing: none }, live: { routing: none } }
router: { builtin: false }
limits: { maxSnapshotInteractions: ${Math.max(count, 1000)}, requestsPerSecond: 1000000 }
log: { level: warn }
`);
const storeUrl = values.store === 'postgres' ? `${postgresUrl}?schema=openixn_snapshot_${process.pid}` : `sqlite:${join(directory, 'store.db')}`;

// ---- 1. Seed -----------------------------------------------------------------------------------

const now = Date.now() - 3_600_000;
await seedStore(storeUrl, {
  count,
  queue: QUEUE,
  // Ten priorities and two languages, for the snapshot's condition and its age order.
  shape: (number) => ({
    priority: number % 10, submittedAt: now + number, enteredAt: now + number,
    userData: { subject: 'Where is my order?', customer: `C-${number}`, language: number % 3 === 0 ? 'de' : 'en', note: 'x'.repeat(24) },
  }),
});
log(`seeded ${count} waiting interactions`);

// ---- 2. The server -----------------------------------------------------------------------------

const server = await startServer(configPath, storeUrl, { onSignal: 'loop' });

/** A registered connection that takes a page of a large snapshot in one frame. */
async function connect(clientType, clientName) {
  const connection = await connectTo(server.port, undefined, { maxPayload: 256 * 1024 * 1024 });
  await connection.request({ message: 'RequestRegisterClient', clientType, clientName });
  return connection;
}

// ---- 3. The other client -----------------------------------------------------------------------

const other = await connect('MediaServer', 'gateway-live');
let slowestMs = 0;
let answered = 0;
let running = true;
const otherLoop = (async () => {
  while (running) {
    const started = performance.now();
    const submitted = await other.request({ message: 'RequestSubmit', queue: 'live', mediaType: 'chat' });
    await other.request({ message: 'RequestStopProcessing', interactionId: submitted.interactionId });
    slowestMs = Math.max(slowestMs, (performance.now() - started) / 2);
    answered += 2;
  }
})();
function otherWindow() {
  const figures = { slowestAnswerMs: Math.round(slowestMs * 10) / 10, answers: answered };
  slowestMs = 0;
  answered = 0;
  return figures;
}

// ---- 4. Windows --------------------------------------------------------------------------------

await delay(1000);
await loopWindow(server);
otherWindow();
await delay(2000);
const alone = { ...(await loopWindow(server)), ...otherWindow() };
log(`the other client alone: ${JSON.stringify(alone)}`);

const supervisor = await connect('Supervisor', 'floor-lead');
const started = performance.now();
const taken = await supervisor.request({ message: 'RequestTakeSnapshot', queue: QUEUE, condition: { priority: { gte: 0 }, 'userData.language': { in: ['de', 'en'] } }, order: 'age', max: count, lock: true });
const takenMs = performance.now() - started;
if (taken.message !== 'EventSnapshotTaken' || taken.numberOfInteractions !== count) throw new Error(`the snapshot was answered ${JSON.stringify(taken)}`);
const page = await supervisor.request({ message: 'RequestGetSnapshotInteractions', snapshotId: taken.snapshotId, count: 1000 });
await supervisor.request({ message: 'RequestReleaseSnapshot', snapshotId: taken.snapshotId });
const snapshot = { ...(await loopWindow(server)), ...otherWindow(), takeSnapshotMs: Math.round(takenMs), firstPage: page.interactions.length };
log(`while the snapshot was taken: ${JSON.stringify(snapshot)}`);

running = false;
await otherLoop;
other.close();
supervisor.close();
await stopServer(server);
await rm(directory, { recursive: true, force: true });
if (values.store === 'postgres') {
  const { default: postgres } = await import('postgres');
  const sql = postgres(postgresUrl, { onnotice: () => undefined });
  await sql.unsafe(`DROP SCHEMA IF EXISTS openixn_snapshot_${process.pid} CASCADE`);
  await sql.end();
}

console.log(JSON.stringify({
  bench: 'snapshot', store: values.store, interactions: count, alone, snapshot,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadAverage: loadavg().map((value) => Math.round(value * 100) / 100) },
  date: new Date().toISOString(),
}));
