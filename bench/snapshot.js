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

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { delay, findFreePort, httpStatus } from './harness.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '100000' }, store: { type: 'string', default: 'sqlite' } } });
const count = Number(values.count);
const postgresUrl = process.env.OPENIXN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const mainFile = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const loopDelayOnSignal = new URL('./loop-delay-on-signal.js', import.meta.url).href;
const { openStore } = await import(fileURLToPath(new URL('../dist/store/open-store.js', import.meta.url)));
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

{
  const store = await openStore(storeUrl);
  const batchSize = 10_000;
  const now = Date.now() - 3_600_000;
  for (let first = 1; first <= count; first += batchSize) {
    const interactions = [];
    for (let number = first; number < Math.min(first + batchSize, count + 1); number++) {
      interactions.push({
        interactionId: number.toString(36).padStart(16, '0'), number, mediaType: 'email', type: 'Inbound', subtype: 'InboundNew', priority: number % 10,
        userData: { subject: 'Where is my order?', customer: `C-${number}`, language: number % 3 === 0 ? 'de' : 'en', note: 'x'.repeat(24) },
        submittedAt: now + number, submittedBy: 'gateway-1', externalId: null, state: 'queued', queue: QUEUE, workbinName: null, workbinOwner: null,
        enteredAt: now + number, entryOrder: number, assignedTo: null, placeId: null, ticketId: null, ticketAgentId: null, ticketPlaceId: null,
        expiresAt: null, scheduledAt: null,
      });
    }
    const last = first + interactions.length - 1;
    await store.commit({ interactions, events: [], agents: [], counters: { lastInteraction: last, lastTicket: 0, lastEntry: last, lastSeq: 0 } });
  }
  await store.close();
  log(`seeded ${count} waiting interactions`);
}

// ---- 2. The server -----------------------------------------------------------------------------

const port = await findFreePort();
const child = spawn(process.execPath, ['--import', loopDelayOnSignal, mainFile, 'serve', '--config', configPath, '--port', String(port), '--store', storeUrl], { stdio: ['ignore', 'ignore', 'pipe'] });
const loopReports = [];
let stderr = '';
child.stderr.on('data', (chunk) => {
  stderr += chunk;
  for (let newline = stderr.indexOf('\n'); newline >= 0; newline = stderr.indexOf('\n')) {
    const line = stderr.slice(0, newline);
    stderr = stderr.slice(newline + 1);
    if (line.startsWith('{"loopDelayMaxMs"')) loopReports.push(JSON.parse(line));
  }
});
for (;;) {
  if (child.exitCode !== null) throw new Error('the server exited');
  if (await httpStatus(`http://127.0.0.1:${port}/healthz`).catch(() => 0) === 200) break;
  await delay(50);
}

/** The longest event-loop pause since the previous call, as the server measured it. */
async function loopWindow() {
  const before = loopReports.length;
  child.kill('SIGUSR2');
  while (loopReports.length === before) await delay(5);
  return loopReports.at(-1);
}

async function connect(clientType, clientName) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const pending = new Map();
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString());
    pending.get(message.referenceId)?.(message);
    pending.delete(message.referenceId);
  });
  let next = 0;
  const connection = {
    request(message) {
      const referenceId = ++next;
      return new Promise((resolve) => {
        pending.set(referenceId, resolve);
        socket.send(JSON.stringify({ ...message, referenceId }));
      });
    },
    close: () => socket.terminate(),
  };
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
await loopWindow();
otherWindow();
await delay(2000);
const alone = { ...(await loopWindow()), ...otherWindow() };
log(`the other client alone: ${JSON.stringify(alone)}`);

const supervisor = await connect('Supervisor', 'floor-lead');
const started = performance.now();
const taken = await supervisor.request({ message: 'RequestTakeSnapshot', queue: QUEUE, condition: { priority: { gte: 0 }, 'userData.language': { in: ['de', 'en'] } }, order: 'age', max: count, lock: true });
const takenMs = performance.now() - started;
if (taken.message !== 'EventSnapshotTaken' || taken.numberOfInteractions !== count) throw new Error(`the snapshot was answered ${JSON.stringify(taken)}`);
const page = await supervisor.request({ message: 'RequestGetSnapshotInteractions', snapshotId: taken.snapshotId, count: 1000 });
await supervisor.request({ message: 'RequestReleaseSnapshot', snapshotId: taken.snapshotId });
const snapshot = { ...(await loopWindow()), ...otherWindow(), takeSnapshotMs: Math.round(takenMs), firstPage: page.interactions.length };
log(`while the snapshot was taken: ${JSON.stringify(snapshot)}`);

running = false;
await otherLoop;
other.close();
supervisor.close();
child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
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
