// What the large-scale benchmarks (recovery.js, stalls.js) share: a server process started on a
// store, a store filled directly with many interactions or events, and a plain WebSocket client.
// Filling a store through its own commit (dist/store/open-store.js), as a server would have
// committed it, takes seconds where submitting a million over WebSocket would take minutes and
// measure submits rather than what the benchmark is about.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { delay, findFreePort, waitForServer } from './harness.js';

const mainFile = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const gcOnSignal = new URL('./gc-on-signal.js', import.meta.url).href;
const loopDelayOnSignal = new URL('./loop-delay-on-signal.js', import.meta.url).href;
export const postgresUrl = process.env.OPENIXN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const eventsPerCommit = 100;

/** About 100 bytes of user data, as the figures assume. */
export const userData = { subject: 'Where is my order?', customer: 'C-104233', language: 'en', channel: 'web', note: 'x'.repeat(24) };

export function interactionIdOf(number) {
  return number.toString(36).padStart(16, '0');
}

/**
 * Commits `count` interactions into the store in batches; `shape(number)` gives each one's
 * state fields (queued in `queue` by default). Then `events` reporting events, if asked.
 */
export async function seedStore(storeUrl, { count = 0, queue = 'backlog', shape = () => ({}), events = 0 } = {}) {
  const { openStore } = await import(fileURLToPath(new URL('../dist/store/open-store.js', import.meta.url)));
  const store = await openStore(storeUrl);
  // A PostgreSQL store commits only while it holds the lease; closing lets it go for the server.
  await store.primacy?.acquire(null);
  const batchSize = 10_000;
  const now = Date.now() - 60_000;
  let lastSeq = 0;
  for (let first = 1; first <= count; first += batchSize) {
    const interactions = [];
    for (let number = first; number < Math.min(first + batchSize, count + 1); number++) {
      interactions.push({
        interactionId: interactionIdOf(number), number, mediaType: 'email', type: 'Inbound', subtype: 'InboundNew', priority: 0,
        userData, submittedAt: now, submittedBy: 'gateway-1', externalId: null, state: 'queued', queue, workbinName: null, workbinOwner: null,
        enteredAt: now, entryOrder: number, assignedTo: null, placeId: null, ticketId: null, ticketAgentId: null, ticketPlaceId: null,
        expiresAt: null, scheduledAt: null, participants: [],
        ...shape(number),
      });
    }
    const last = first + interactions.length - 1;
    await store.commit({ interactions, events: [], agents: [], counters: { lastInteraction: last, lastTicket: 0, lastEntry: last, lastSeq } });
  }
  // Events as the core writes them: one JSON line each, consecutive seqs, a group commit's worth
  // (100) at a time, and many commits in one store transaction.
  for (let first = 1; first <= events; first += batchSize) {
    const commits = [];
    for (let seq = first; seq < Math.min(first + batchSize, events + 1); seq++) {
      if ((seq - first) % eventsPerCommit === 0) commits.push([]);
      commits.at(-1).push({ seq, text: JSON.stringify({ message: 'EventPropertiesChanged', seq, eventTime: new Date(now).toISOString(), interactionId: interactionIdOf(1 + (seq % Math.max(count, 1))), changedProperties: userData }) });
    }
    await Promise.all(commits.map((batch) => {
      lastSeq = batch.at(-1).seq;
      return store.commit({ interactions: [], events: batch, agents: [], counters: { lastInteraction: count, lastTicket: 0, lastEntry: count, lastSeq } });
    }));
  }
  await store.close();
}

/**
 * `node dist/main.js serve` on a free port; resolves once /readyz answers 200 (it serves as the primary). What the server
 * does on SIGUSR2 is preloaded: a full collection (`onSignal: 'gc'`, for heapAfterGc), or a report
 * of its longest event-loop pause since the last signal (`'loop'`, for loopWindow). Not both: a
 * collection on the signal would be a pause in the next window.
 */
export async function startServer(configPath, storeUrl, { onSignal = 'gc' } = {}) {
  const port = await findFreePort();
  const started = performance.now();
  const preload = onSignal === 'gc' ? ['--expose-gc', '--import', gcOnSignal] : ['--import', loopDelayOnSignal];
  const child = spawn(process.execPath, [...preload, '--max-old-space-size=8192', mainFile, 'serve', '--config', configPath, '--port', String(port), '--store', storeUrl], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  const loopReports = [];
  let partial = '';
  child.stderr.on('data', (chunk) => {
    partial += chunk;
    for (let newline = partial.indexOf('\n'); newline >= 0; newline = partial.indexOf('\n')) {
      const line = partial.slice(0, newline);
      partial = partial.slice(newline + 1);
      if (line.startsWith('{"loopDelayMaxMs"')) loopReports.push(JSON.parse(line));
      else errors += `${line}\n`;
    }
  });
  await waitForServer(port, { exited: () => (child.exitCode !== null ? errors : null) });
  return { child, port, started, readyMs: performance.now() - started, loopReports };
}

/** The server's longest event-loop pause since the previous call (started with `onSignal: 'loop'`). */
export async function loopWindow(server) {
  const before = server.loopReports.length;
  server.child.kill('SIGUSR2');
  while (server.loopReports.length === before) await delay(5);
  return server.loopReports.at(-1);
}

export async function stopServer(server, signal = 'SIGTERM') {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill(signal);
  await exited;
}

/**
 * A connection that resolves each request with the answer carrying its referenceId; `onEvent` gets
 * the rest. `maxPayload`: the largest frame it takes (ws's default is 100 MiB).
 */
export async function connect(port, onEvent = () => undefined, { maxPayload } = {}) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false, ...(maxPayload !== undefined ? { maxPayload } : {}) });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const pending = new Map();
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString());
    const settle = message.referenceId === undefined ? undefined : pending.get(message.referenceId);
    if (settle === undefined) return onEvent(message);
    pending.delete(message.referenceId);
    settle(message);
  });
  let next = 0;
  return {
    request(message) {
      const referenceId = ++next;
      return new Promise((resolve) => {
        pending.set(referenceId, resolve);
        socket.send(JSON.stringify({ ...message, referenceId }));
      });
    },
    socket,
    close: () => socket.terminate(),
  };
}

export function rssOf(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((text) => text.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** One value of the server's /metrics, or NaN. */
export async function metric(port, name) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
}

/** The server's V8 heap after a full collection (bench/gc-on-signal.js, preloaded, runs one on SIGUSR2). */
export async function heapAfterGc(server) {
  process.kill(server.child.pid, 'SIGUSR2');
  await delay(1500);
  return metric(server.port, 'nodejs_heap_size_used_bytes');
}
