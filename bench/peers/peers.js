// openixn beside the job queues a team might reach for instead, and beside the messaging floor,
// in one run on one machine: BullMQ on a Redis this script starts with `appendonly yes,
// appendfsync always` (so that both are fsync-durable), pg-boss on the local PostgreSQL, and
// openixn's pull cycle (submit → pull → stop) and lifecycle (submit → route → invite → accept →
// stop, bench/lifecycle.js), with the same payload and the same number of cycles in flight. The
// messaging floor is the same JSON frames, one for one, through a bare `ws` echo server with no
// logic and no storage: no server that answers over WebSocket can beat it.
//
// Usage: npm run bench:peers [-- --seconds 10 --in-flight 64 --store sqlite|postgres]
// Prints one JSON line with every rate and the ratios; progress on stderr.

import { fork, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';
import { delay, findFreePort, httpStatus } from '../harness.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    'in-flight': { type: 'string', default: '64' },
    store: { type: 'string', default: 'sqlite' },
    echo: { type: 'boolean', default: false },
    port: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const inFlight = Number(values['in-flight']);
const postgresUrl = process.env.OPENIXN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const here = fileURLToPath(new URL('.', import.meta.url));
const mainFile = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
/** The same ~100 bytes of user data in every system's payload. */
const payload = { subject: 'Where is my order?', customer: 'C-104233', language: 'en', channel: 'web', note: 'x'.repeat(30) };
const log = (line) => process.stderr.write(`[peers] ${line}\n`);

// ---- The echo server, in a process of its own (as a server would be) ---------------------------

if (values.echo) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: Number(values.port), perMessageDeflate: false });
  server.on('connection', (socket) => socket.on('message', (data) => socket.send(data, { binary: false })));
  await new Promise(() => undefined);
}

/** Runs `cycle` with `inFlight` of them going at once for `seconds`; cycles per second. */
async function measure(name, cycle) {
  let done = 0;
  let running = true;
  const started = performance.now();
  const lanes = Array.from({ length: inFlight }, async (_, lane) => {
    while (running) {
      await cycle(lane);
      done++;
    }
  });
  await delay(seconds * 1000);
  running = false;
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(lanes);
  const rate = Math.round(done / elapsed);
  log(`${name}: ${rate}/s`);
  return rate;
}

/** A WebSocket that answers each sent frame with the next frame received, in order. */
async function pipe(url) {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const waiting = [];
  const matchers = new Map();
  socket.on('message', (data) => {
    const text = data.toString();
    const reference = /"referenceId":(\d+)/.exec(text)?.[1];
    const matcher = reference === undefined ? undefined : matchers.get(Number(reference));
    if (matcher !== undefined) {
      matchers.delete(Number(reference));
      matcher(text);
      return;
    }
    waiting.shift()?.(text);
  });
  let next = 0;
  return {
    /** Sends a frame; resolves with the answer that carries its referenceId. */
    request(message) {
      const referenceId = ++next;
      return new Promise((resolve) => {
        matchers.set(referenceId, resolve);
        socket.send(JSON.stringify({ ...message, referenceId }));
      });
    },
    close: () => socket.terminate(),
  };
}

async function startProcess(command, args, ready) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  for (let tries = 0; tries < 200 && !(await ready(output)); tries++) await delay(50);
  return child;
}

async function stopProcess(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

// ---- The messaging floor -----------------------------------------------------------------------

async function floor() {
  const port = await findFreePort();
  const echo = fork(fileURLToPath(import.meta.url), ['--echo', '--port', String(port)], { stdio: 'ignore' });
  await delay(500);
  const pipes = await Promise.all(Array.from({ length: Math.min(inFlight, 16) }, () => pipe(`ws://127.0.0.1:${port}`)));
  const frames = [
    { message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat', userData: payload },
    { message: 'RequestPull', queue: 'backlog', interactionIds: ['0000000000000001'] },
    { message: 'RequestStopProcessing', interactionId: '0000000000000001' },
  ];
  // One round trip per cycle here; the floor of a cycle of N round trips is this rate over N.
  const roundTrips = await measure('ws echo round trips', (lane) => pipes[lane % pipes.length].request(frames[lane % frames.length]));
  for (const connection of pipes) connection.close();
  echo.kill('SIGKILL');
  return roundTrips;
}

// ---- openixn -----------------------------------------------------------------------------------

async function openixnServer() {
  const directory = await mkdtemp(join(tmpdir(), 'openixn-peers-'));
  const configPath = join(directory, 'openixn.yaml');
  // The desktops' rates are for people; a benchmark's agents work as fast as the server answers.
  await writeFile(configPath, `queues: { backlog: { routing: none } }
router: { builtin: false }
limits: { agentRequestsPerSecond: 1000000, agentBytesPerSecond: 1073741824, requestsPerSecond: 1000000, bytesPerSecond: 1073741824 }
log: { level: warn }
`);
  const port = await findFreePort();
  const schema = `openixn_peers_${process.pid}`;
  const store = values.store === 'postgres' ? `${postgresUrl}?schema=${schema}` : `sqlite:${join(directory, 'openixn.db')}`;
  const server = spawn(process.execPath, [mainFile, 'serve', '--config', configPath, '--port', String(port), '--store', store], { stdio: 'ignore' });
  for (let tries = 0; tries < 200; tries++) {
    if (await httpStatus(`http://127.0.0.1:${port}/healthz`).catch(() => 0) === 200) break;
    await delay(50);
  }
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    async stop() {
      await stopProcess(server);
      await rm(directory, { recursive: true, force: true });
      if (values.store === 'postgres') {
        const postgres = (await import('postgres')).default;
        const sql = postgres(postgresUrl, { onnotice: () => {} });
        await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await sql.end();
      }
    },
  };
}

async function registered(url, clientType, clientName, login) {
  const connection = await pipe(url);
  await connection.request({ message: 'RequestRegisterClient', clientType, clientName });
  if (login !== undefined) await connection.request({ message: 'RequestAgentLogin', agentId: login, placeId: `place-${login}` });
  return connection;
}

async function pullCycle() {
  const server = await openixnServer();
  const media = await Promise.all(Array.from({ length: 4 }, (_, index) => registered(server.url, 'MediaServer', `gateway-${index}`)));
  const agents = await Promise.all(Array.from({ length: 16 }, (_, index) => registered(server.url, 'AgentApplication', `desk-${index}`, `agent-${index}`)));
  const rate = await measure('openixn pull cycle', async (lane) => {
    const submitted = JSON.parse(await media[lane % media.length].request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'chat', userData: payload }));
    const agent = agents[lane % agents.length];
    await agent.request({ message: 'RequestPull', queue: 'backlog', interactionIds: [submitted.interactionId] });
    await agent.request({ message: 'RequestStopProcessing', interactionId: submitted.interactionId });
  });
  for (const connection of [...media, ...agents]) connection.close();
  await server.stop();
  return rate;
}

async function lifecycle() {
  const script = fileURLToPath(new URL('../lifecycle.js', import.meta.url));
  const args = ['--seconds', String(seconds), '--window', String(inFlight), ...(values.store === 'postgres' ? ['--store', 'postgres'] : [])];
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  await new Promise((resolve) => child.once('exit', resolve));
  const result = JSON.parse(output.trim().split('\n').at(-1));
  if (result.full === undefined) throw new Error(`bench/lifecycle.js failed: ${output}`);
  const rate = Math.round(result.full.lifecyclesPerSec);
  log(`openixn lifecycle: ${rate}/s`);
  return rate;
}

// ---- BullMQ on a Redis that fsyncs every write -------------------------------------------------

async function bullmq() {
  const { Queue, Worker } = await import('bullmq');
  const directory = await mkdtemp(join(tmpdir(), 'openixn-peers-redis-'));
  const port = await findFreePort();
  const redis = await startProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--dir', directory], (output) => output.includes('Ready to accept connections'));
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const queue = new Queue('cycle', { connection });
  // Each cycle waits for its own job's completion, told by the worker in this process (BullMQ's
  // fastest way to learn it: QueueEvents would add a Redis stream read per job). Completed jobs
  // are removed, as openixn's stopped interactions leave its memory.
  const finished = new Map();
  const worker = new Worker('cycle', async () => 'done', { connection, concurrency: inFlight });
  worker.on('completed', (job) => {
    finished.get(job.id)?.();
    finished.delete(job.id);
  });
  await worker.waitUntilReady();
  let jobs = 0;
  const rate = await measure('BullMQ add → take → complete', async () => {
    const jobId = `job-${++jobs}`;
    const done = new Promise((resolve) => finished.set(jobId, resolve));
    await queue.add('interaction', payload, { jobId, removeOnComplete: true });
    await done;
  });
  await worker.close();
  await queue.close();
  await stopProcess(redis);
  await rm(directory, { recursive: true, force: true });
  return rate;
}

// ---- pg-boss on the local PostgreSQL -----------------------------------------------------------

async function pgBoss() {
  const { default: PgBoss } = await import('pg-boss');
  const schema = `pgboss_peers_${process.pid}`;
  const boss = new PgBoss({ connectionString: postgresUrl, schema, max: 16, supervise: false, schedule: false });
  boss.on('error', (error) => log(`pg-boss: ${error.message}`));
  await boss.start();
  await boss.createQueue('cycle');
  const rate = await measure('pg-boss send → fetch → complete', async () => {
    const id = await boss.send('cycle', payload);
    for (;;) {
      const jobs = await boss.fetch('cycle');
      const job = Array.isArray(jobs) ? jobs[0] : jobs;
      if (job) {
        await boss.complete('cycle', job.id);
        return id;
      }
    }
  });
  await boss.stop({ graceful: false, wait: true });
  const postgres = (await import('postgres')).default;
  const sql = postgres(postgresUrl, { onnotice: () => {} });
  await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await sql.end();
  return rate;
}

// ---- The run -----------------------------------------------------------------------------------

log(`${seconds} s each, ${inFlight} in flight, openixn on ${values.store}, node ${process.version} (${here})`);
const roundTrips = await floor();
const bull = await bullmq();
const boss = await pgBoss();
const pull = await pullCycle();
const life = await lifecycle();
const ratio = (a, b) => Math.round((a / b) * 100) / 100;
process.stdout.write(`${JSON.stringify({
  benchmark: 'peers',
  date: new Date().toISOString(),
  store: values.store,
  seconds,
  inFlight,
  wsEchoRoundTripsPerSecond: roundTrips,
  floor: { pullCyclePerSecond: Math.round(roundTrips / 3), lifecyclePerSecond: Math.round(roundTrips / 5.5) },
  bullmqCyclesPerSecond: bull,
  pgBossCyclesPerSecond: boss,
  openixn: { pullCyclesPerSecond: pull, lifecyclesPerSecond: life },
  ratios: {
    pullCycleOverBullmq: ratio(pull, bull),
    lifecycleOverBullmq: ratio(life, bull),
    pullCycleOverPgBoss: ratio(pull, boss),
    pullCycleOverFloor: ratio(pull, roundTrips / 3),
    lifecycleOverFloor: ratio(life, roundTrips / 5.5),
  },
})}\n`);
process.exit(0);
