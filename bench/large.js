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
import { delay, findFreePort, httpStatus } from './harness.js';

const mainFile = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const gcOnSignal = new URL('./gc-on-signal.js', import.meta.url).href;
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

/** `node dist/main.js serve` on a free port; resolves once /healthz answers 200. */
export async function startServer(configPath, storeUrl) {
  const port = await findFreePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--expose-gc', '--import', gcOnSignal, '--max-old-space-size=8192', mainFile, 'serve', '--config', configPath, '--port', String(port), '--store', storeUrl], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += chunk));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited: ${errors}`);
    if (await httpStatus(`http://127.0.0.1:${port}/healthz`).catch(() => 0) === 200) break;
    await delay(20);
  }
  return { child, port, started, readyMs: performance.now() - started };
}

export async function stopServer(server, signal = 'SIGTERM') {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill(signal);
  await exited;
}

/** A connection that resolves each request with the answer carrying its referenceId; `onEvent` gets the rest. */
export async function connect(port, onEvent = () => undefined) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
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
