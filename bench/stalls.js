// No stalls: while the server does a lot at once, how long does another client wait for an answer?
//
// "timers": `--timers` interactions are owned (handling) when the server starts, so the restart
// gives every one a fresh handling timer of the same moment (SPEC 6); when they fire, each is
// revoked and returned to its queue. "replay": a reporting client asks for the whole log from
// `fromSeq: 1` (`--events` events) and reads it as fast as it can. Meanwhile a probe client sends
// a read (RequestGetInteractionProperties) and a write (RequestSubmit) every 10 ms and records how
// long each waited. The server's longest event-loop pause over the same window comes from its
// /metrics (nodejs_eventloop_lag_max_seconds, reset at each scrape).
//
// Usage: npm run bench:stalls [-- --timers 100000 --events 1000000 --store sqlite|postgres]
// Prints one JSON line; progress on stderr.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { delay } from './harness.js';
import { connect, interactionIdOf, metric, postgresUrl, seedStore, startServer, stopServer, userData } from './large.js';

const { values } = parseArgs({
  options: {
    timers: { type: 'string', default: '100000' },
    events: { type: 'string', default: '1000000' },
    store: { type: 'string', default: 'sqlite' },
    reader: { type: 'string' },
  },
});
// The replaying client runs in a process of its own, so that decoding a million events does not
// slow the probe's own timing: `--reader PORT` reads until seq `--events`, then prints its time.
if (values.reader !== undefined) {
  let lastSeq = 0;
  let finished;
  const done = new Promise((resolve) => (finished = resolve));
  const reader = await connect(Number(values.reader), (event) => {
    if (typeof event.seq === 'number') lastSeq = event.seq;
    if (lastSeq >= Number(values.events)) finished();
  });
  const started = performance.now();
  await reader.request({ message: 'RequestRegisterClient', clientType: 'ReportingEngine', clientName: 'warehouse' });
  await reader.request({ message: 'RequestStartReporting', fromSeq: 1 });
  await Promise.race([done, delay(300_000)]);
  process.stdout.write(`${JSON.stringify({ replayed: lastSeq, replayMs: Math.round(performance.now() - started) })}\n`);
  process.exit(0);
}

const timers = Number(values.timers);
const events = Number(values.events);
const log = (line) => process.stderr.write(`[stalls] ${line}\n`);
const QUEUE = 'backlog';
const HANDLING_TIMEOUT_SECONDS = 8;
const PROBE_EVERY_MS = 10;

const directory = await mkdtemp(join(tmpdir(), 'openixn-stalls-'));
const configPath = join(directory, 'openixn.yaml');
await writeFile(configPath, `queues: { ${QUEUE}: { routing: none } }
router: { builtin: false }
timeouts: { handlingTimeout: ${HANDLING_TIMEOUT_SECONDS} }
limits: { requestsPerSecond: 1000000, bytesPerSecond: 1073741824 }
log: { level: warn }
`);
const schemas = [];
function newStoreUrl(name) {
  if (values.store === 'postgres') {
    schemas.push(`openixn_stalls_${process.pid}_${name}`);
    return `${postgresUrl}?schema=${schemas.at(-1)}`;
  }
  return `sqlite:${join(directory, `${name}.db`)}`;
}

function percentile(sorted, fraction) {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

/** A media server that asks a read and a write every PROBE_EVERY_MS until stopped; their waits in ms. */
async function probe(port) {
  const client = await connect(port);
  await client.request({ message: 'RequestRegisterClient', clientType: 'MediaServer', clientName: 'gateway-1' });
  const waits = { read: [], write: [] };
  let running = true;
  let submitted = 0;
  const timed = async (kind, message) => {
    const sent = performance.now();
    const answer = await client.request(message);
    if (answer.message === 'EventError') throw new Error(`the probe's ${kind} was refused: ${JSON.stringify(answer)}`);
    waits[kind].push(performance.now() - sent);
  };
  const loop = (async () => {
    const inFlight = [];
    while (running) {
      inFlight.push(timed('read', { message: 'RequestGetInteractionProperties', interactionId: interactionIdOf(1) }));
      inFlight.push(timed('write', { message: 'RequestSubmit', queue: QUEUE, mediaType: 'email', userData }));
      submitted++;
      await delay(PROBE_EVERY_MS);
    }
    await Promise.all(inFlight);
  })();
  return {
    submitted: () => submitted,
    async stop() {
      running = false;
      await loop;
      client.close();
      const summary = (list) => {
        const sorted = [...list].sort((a, b) => a - b);
        return { count: sorted.length, p99Ms: Math.round(percentile(sorted, 0.99) * 10) / 10, maxMs: Math.round((sorted.at(-1) ?? 0) * 10) / 10 };
      };
      return { read: summary(waits.read), write: summary(waits.write) };
    },
  };
}

// ---- Timers ------------------------------------------------------------------------------------

let timerFigures = null;
if (timers > 0) {
  const storeUrl = newStoreUrl('timers');
  await seedStore(storeUrl, {
    count: timers,
    queue: QUEUE,
    // Owned by 100 agents; the restart gives each a fresh handling timer of the same moment.
    shape: (number) => ({ state: 'handling', assignedTo: `agent-${number % 100}`, placeId: `place-${number % 100}` }),
  });
  log(`seeded ${timers} owned interactions`);
  const server = await startServer(configPath, storeUrl);
  const running = await probe(server.port);
  // Every scrape resets the event-loop monitor, so the longest pause is the largest of all scrapes.
  let lagMax = await metric(server.port, 'nodejs_eventloop_lag_max_seconds');
  let firstReturned = null;
  let allReturned = null;
  const deadline = performance.now() + HANDLING_TIMEOUT_SECONDS * 1000 + 120_000;
  while (allReturned === null && performance.now() < deadline) {
    await delay(100);
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    lagMax = Math.max(lagMax, Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1] ?? 0));
    const waiting = Number(new RegExp(`^openixn_queue_waiting_interactions\\{queue="${QUEUE}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    // The probe's own submits wait in the queue too: the storm has begun once more than those do.
    if (firstReturned === null && waiting > running.submitted()) firstReturned = performance.now();
    if (waiting >= timers) allReturned = performance.now();
  }
  await delay(500);
  lagMax = Math.max(lagMax, await metric(server.port, 'nodejs_eventloop_lag_max_seconds'));
  const waits = await running.stop();
  timerFigures = {
    timers,
    returnedWithinMs: firstReturned === null || allReturned === null ? null : Math.round(allReturned - firstReturned),
    probe: waits,
    eventLoopLagMaxMs: Math.round(lagMax * 1000),
  };
  log(`timers: ${JSON.stringify(timerFigures)}`);
  await stopServer(server);
}

// ---- Replay ------------------------------------------------------------------------------------

let replayFigures = null;
if (events > 0) {
  const storeUrl = newStoreUrl('replay');
  await seedStore(storeUrl, { count: 1, queue: QUEUE, events });
  log(`seeded ${events} events`);
  const server = await startServer(configPath, storeUrl);
  const running = await probe(server.port);
  await delay(500);
  await metric(server.port, 'nodejs_eventloop_lag_max_seconds');
  const reader = spawn(process.execPath, [fileURLToPath(import.meta.url), '--reader', String(server.port), '--events', String(events)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  reader.stdout.on('data', (chunk) => (output += chunk));
  await new Promise((resolve) => reader.once('exit', resolve));
  const { replayed: lastSeq, replayMs } = JSON.parse(output);
  const lagMax = await metric(server.port, 'nodejs_eventloop_lag_max_seconds');
  const waits = await running.stop();
  replayFigures = { events, replayed: lastSeq, replayMs, eventsPerSecond: Math.round(lastSeq / (replayMs / 1000)), probe: waits, eventLoopLagMaxMs: Math.round(lagMax * 1000) };
  log(`replay: ${JSON.stringify(replayFigures)}`);
  await stopServer(server);
}

await rm(directory, { recursive: true, force: true });
if (schemas.length > 0) {
  const postgres = (await import('postgres')).default;
  const sql = postgres(postgresUrl, { onnotice: () => {} });
  for (const schema of schemas) await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await sql.end();
}

process.stdout.write(`${JSON.stringify({
  benchmark: 'stalls',
  date: new Date().toISOString(),
  store: values.store,
  node: process.version,
  loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  timers: timerFigures,
  replay: replayFigures,
})}\n`);
process.exit(0);
