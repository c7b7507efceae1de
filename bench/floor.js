// Storage floor: how many lifecycles per second the disk and the database can commit at all, with
// the very writes openixn makes for them and nothing of the server around them. The lifecycle
// benchmark's rate divided by this one is the share of what the storage allows that openixn gets.
//
// A lifecycle writes what the server writes for submit → invite → accept → stop: four versions of
// one interaction record (queued, invited, handling, stopped) and ten reporting events, in four
// moves. Each commit carries L lifecycles' worth of moves in steady state: L new submits, and the
// next move of the L lifecycles submitted one, two and three commits earlier (4 × L interaction
// rows, about 2.5 × L events as one reporting chunk, the counters). The statements are the
// stores' own: SqliteStore.commitMany (better-sqlite3, WAL, synchronous = FULL, on this thread),
// and the PostgreSQL store's one commit statement with its parameters (postgres.js, one
// connection, synchronous_commit = on), one commit at a time as the store runs them, and again
// with 8 commits in flight on the connection for what pipelining could add.
//
// Usage: node bench/floor.js [--seconds 3] [--lifecycles 1,4,16,64] [--stores sqlite,postgres]
//        [--postgres URL]   (default postgres://postgres@127.0.0.1:5432/test; a fresh schema, dropped after)
// Prints one JSON line on stdout; progress on stderr.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { SqliteStore } from '../dist/store/sqlite/sqlite-store.js';
import { migrate } from '../dist/store/postgres/migrations.js';
import { commitParameters } from '../dist/store/postgres/postgres-store.js';
import { statements } from '../dist/store/postgres/statements.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    lifecycles: { type: 'string', default: '1,4,16,64' },
    stores: { type: 'string', default: 'sqlite,postgres' },
    postgres: { type: 'string', default: process.env.OPENIXN_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const seconds = Number(values.seconds);
const sizes = values.lifecycles.split(',').map(Number);
const stores = values.stores.split(',');

function log(line) {
  process.stderr.write(`[floor] ${line}\n`);
}

/** Commit batches as the server makes them for a steady stream of lifecycles, L per commit. */
class LifecycleStream {
  constructor(lifecyclesPerCommit) {
    this.size = lifecyclesPerCommit;
    this.number = 0;
    this.seq = 0;
    this.ticket = 0;
    this.entry = 0;
    /** The lifecycles submitted by the last three commits, newest first. */
    this.stages = [];
  }

  next() {
    const now = Date.now();
    const time = new Date(now).toISOString();
    const interactions = [];
    const events = [];
    const event = (message, record, extra) => {
      events.push({ seq: ++this.seq, text: JSON.stringify({ message, seq: this.seq, eventTime: time, interactionId: record.interactionId, ...extra, mediaType: 'chat' }) });
    };
    const [invited = [], accepted = [], stopped = []] = this.stages;
    const submitted = [];
    for (let index = 0; index < this.size; index++) {
      const number = ++this.number;
      const record = {
        interactionId: number.toString(36).padStart(16, '0'), number, mediaType: 'chat', type: 'Inbound', subtype: 'InboundNew', priority: 0,
        userData: { subject: 'Where is my order?' }, submittedAt: now, submittedBy: 'media-1', externalId: null, state: 'queued', queue: 'bench',
        workbinName: null, workbinOwner: null, enteredAt: now, entryOrder: ++this.entry, assignedTo: null, placeId: null,
        ticketId: null, ticketAgentId: null, ticketPlaceId: null,
      };
      submitted.push(record);
      interactions.push(record);
      const view = {
        interactionId: record.interactionId, mediaType: 'chat', type: 'Inbound', subtype: 'InboundNew', state: 'queued', queue: 'bench', workbin: null,
        priority: 0, userData: record.userData, submittedAt: time, placedInQueueAt: time, assignedTo: null, placeId: null,
      };
      event('EventInteractionSubmitted', record, { interaction: view });
      event('EventPlacedInQueue', record, { queue: 'bench', workbin: null });
      event('EventPartyAdded', record, { party: { type: 'Strategy', name: 'router' } });
    }
    const agent = (record) => `agent-${record.number % 200}`;
    for (const record of invited) {
      Object.assign(record, { state: 'invited', ticketId: ++this.ticket, ticketAgentId: agent(record), ticketPlaceId: `place-${record.number % 200}` });
      interactions.push({ ...record });
      event('EventAgentInvited', record, { agentId: agent(record), placeId: record.ticketPlaceId, ticketId: record.ticketId });
    }
    for (const record of accepted) {
      Object.assign(record, { state: 'handling', queue: null, assignedTo: agent(record), placeId: record.ticketPlaceId, ticketId: null, ticketAgentId: null, ticketPlaceId: null });
      interactions.push({ ...record });
      event('EventTakenFromQueue', record, { queue: 'bench', workbin: null });
      event('EventPartyRemoved', record, { party: { type: 'Strategy', name: 'router' } });
      event('EventPartyAdded', record, { party: { type: 'Agent', agentId: record.assignedTo, placeId: record.placeId } });
    }
    for (const record of stopped) {
      const party = { type: 'Agent', agentId: record.assignedTo, placeId: record.placeId };
      Object.assign(record, { state: 'stopped', assignedTo: null, placeId: null });
      interactions.push({ ...record });
      event('EventPartyRemoved', record, { party, reason: 'Stopped' });
      event('EventProcessingStopped', record, { reason: null, queue: 'bench', workbin: null });
    }
    this.stages = [submitted, invited, accepted];
    return {
      batch: { interactions, events, agents: [], counters: { lastInteraction: this.number, lastTicket: this.ticket, lastEntry: this.entry, lastSeq: this.seq } },
      completed: stopped.length,
      rows: interactions.length,
    };
  }
}

function percentile(sorted, fraction) {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.max(1, Math.ceil(fraction * sorted.length)) - 1] * 1000) / 1000;
}

/**
 * Runs `commit` back to back (or `inFlight` at a time) for the configured seconds. The batches are
 * made beforehand, enough for the rate the warm-up showed, so that making them is not timed.
 */
async function measure(name, lifecyclesPerCommit, inFlight, commit) {
  const stream = new LifecycleStream(lifecyclesPerCommit);
  // Warm-up: fill the pipeline of stages, let prepared statements and caches settle, and gauge the rate.
  const warmUpStarted = performance.now();
  let warmUps = 0;
  while (warmUps < 20 || performance.now() - warmUpStarted < 500) {
    await commit(stream.next().batch);
    warmUps++;
  }
  const expected = Math.ceil((warmUps / ((performance.now() - warmUpStarted) / 1000)) * seconds * 2) + 100;
  const prepared = Array.from({ length: expected }, () => stream.next());
  const latencies = [];
  let completed = 0;
  let rows = 0;
  let commits = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline && next < prepared.length) {
      const item = prepared[next++];
      const at = performance.now();
      await commit(item.batch);
      latencies.push(performance.now() - at);
      completed += item.completed;
      rows += item.rows;
      commits++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  if (next >= prepared.length) log(`${name}: ran out of prepared batches; the rate is a lower bound`);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const result = {
    store: name, lifecyclesPerCommit, commitsInFlight: inFlight, rowsPerCommit: lifecyclesPerCommit * 4,
    commitsPerSec: Math.round(commits / elapsed), lifecyclesPerSec: Math.round(completed / elapsed), rowsPerSec: Math.round(rows / elapsed),
    commitP50Ms: percentile(latencies, 0.5), commitP99Ms: percentile(latencies, 0.99),
  };
  log(JSON.stringify(result));
  return result;
}

async function sqliteFloor() {
  const results = [];
  for (const size of sizes) {
    const directory = mkdtempSync(join(tmpdir(), 'openixn-floor-'));
    const store = new SqliteStore(join(directory, 'floor.db'));
    try {
      results.push(await measure('sqlite', size, 1, (batch) => store.commitMany([batch])));
    } finally {
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    }
  }
  return results;
}

async function postgresFloor() {
  const results = [];
  for (const inFlight of [1, 8]) {
    for (const size of sizes) {
      const schema = `openixn_floor_${randomBytes(6).toString('hex')}`;
      const sql = postgres(values.postgres, { max: 1, onnotice: () => {}, connection: { application_name: 'openixn-floor', synchronous_commit: 'on' } });
      try {
        await migrate(sql, schema);
        const text = statements(schema).commit;
        // Numbered as the store numbers them: each lands only on top of the one before it.
        let commitNumber = 0;
        results.push(await measure('postgres', size, inFlight, (batch) => sql.unsafe(text, commitParameters([batch], ++commitNumber, 'floor'), { prepare: true })));
      } finally {
        await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
        await sql.end({ timeout: 5 });
      }
    }
  }
  return results;
}

const loadBefore = loadavg();
const results = [];
if (stores.includes('sqlite')) results.push(...(await sqliteFloor()));
if (stores.includes('postgres')) results.push(...(await postgresFloor()));
process.stdout.write(`${JSON.stringify({
  bench: 'floor', seconds, results, node: process.version, cpus: availableParallelism(),
  loadAverage: { before: loadBefore.map((value) => Math.round(value * 100) / 100), after: loadavg().map((value) => Math.round(value * 100) / 100) },
})}\n`);
