// The store port's conformance suite (SPEC section 6, STYLE section 6): the same tests against the
// SQLite store on a temporary file and the PostgreSQL store in a fresh schema of the local
// PostgreSQL (OPENIXN_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test), which
// is dropped afterwards. Then what only one of them has: the PostgreSQL schema, migration lock
// and URL, and the refusal to commit after a failed commit in the stores the server runs.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentLoginRecord, Counters, InteractionRecord } from '../../src/core/types.js';
import { openStore, redactStoreUrl } from '../../src/store/open-store.js';
import { migrations as postgresMigrations } from '../../src/store/postgres/migrations.js';
import { PostgresStore, splitStoreUrl } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { SqliteWorkerStore } from '../../src/store/sqlite/worker-store.js';
import { loadBatchSize, type CommitBatch, type LoadedState, type Store, type StoredEvent } from '../../src/store/store.js';
import {
  administration, allowConnections, backendsWaitingForLock, createTestDatabase, dropSchema, lockCounters, postgresTestUrl, randomSchema, terminateBackends, waitUntil,
} from '../support/test-store.js';

const postgresUrl = postgresTestUrl;

/** One empty store location (a file, a schema) that a test may open, close and re-open. */
interface StoreHome {
  open(): Promise<Store>;
  /** The rows of schema_version, in order. */
  schemaVersions(): Promise<number[]>;
  dispose(): Promise<void>;
}

interface StoreKind {
  name: string;
  create(): StoreHome;
}

const sqlite: StoreKind = {
  name: 'SQLite',
  create() {
    const directory = mkdtempSync(join(tmpdir(), 'openixn-store-'));
    const path = join(directory, 'openixn.db');
    return {
      open: async () => new SqliteStore(path),
      schemaVersions() {
        const database = new Database(path, { readonly: true });
        try {
          return Promise.resolve((database.prepare('SELECT version FROM schema_version ORDER BY rowid').all() as { version: number }[]).map((row) => row.version));
        } finally {
          database.close();
        }
      },
      dispose() {
        rmSync(directory, { recursive: true, force: true });
        return Promise.resolve();
      },
    };
  },
};

function postgresHome(open: (schema: string) => Promise<Store>): StoreHome {
  const schema = randomSchema();
  return {
    open: () => open(schema),
    async schemaVersions() {
      const sql = administration();
      try {
        return (await sql.unsafe<{ version: number }[]>(`SELECT version FROM "${schema}".schema_version ORDER BY version`)).map((row) => row.version);
      } finally {
        await sql.end();
      }
    },
    dispose: () => dropSchema(schema),
  };
}

const postgresql: StoreKind = {
  name: 'PostgreSQL',
  create: () => postgresHome((schema) => PostgresStore.open(postgresUrl, { schema })),
};

/** The SQLite worker runs from the build; `npm test` builds first. */
const workerBuilt = existsSync(fileURLToPath(new URL('../../dist/store/sqlite/worker-entry.js', import.meta.url)));

const sqliteWorker: StoreKind = {
  name: 'SQLite in its worker',
  create() {
    const directory = mkdtempSync(join(tmpdir(), 'openixn-store-'));
    const path = join(directory, 'openixn.db');
    return {
      open: () => SqliteWorkerStore.open(path),
      schemaVersions: () => Promise.reject(new Error('not needed')),
      dispose() {
        rmSync(directory, { recursive: true, force: true });
        return Promise.resolve();
      },
    };
  },
};

/** A store's whole load, as one object; with the sizes of the batches it came in. */
async function loadAll(store: Store): Promise<LoadedState & { interactions: InteractionRecord[] }> {
  const loaded = await loadInBatches(store);
  return { agents: loaded.agents, counters: loaded.counters, interactions: loaded.batches.flat() };
}

async function loadInBatches(store: Store): Promise<LoadedState & { batches: InteractionRecord[][]; begunFirst: boolean }> {
  let state: LoadedState | null = null;
  let begunFirst = true;
  const batches: InteractionRecord[][] = [];
  await store.load({
    begin: (loaded) => (state = loaded),
    interactions: (records) => {
      if (state === null) begunFirst = false;
      batches.push(records);
    },
  });
  if (state === null) throw new Error('the load never began');
  return { ...(state as LoadedState), batches, begunFirst };
}

// ---- Records --------------------------------------------------------------------------------

/** 2100-01-01: times in ms need 64 bits, and they must come back exactly. */
const baseTime = Date.UTC(2100, 0, 1);

function interaction(interactionId: string, overrides: Partial<InteractionRecord> = {}): InteractionRecord {
  return {
    interactionId,
    number: Number(interactionId.replace(/\D/g, '')) || 1,
    mediaType: 'chat',
    type: 'Inbound',
    subtype: 'InboundNew',
    priority: 0,
    userData: {},
    submittedAt: baseTime,
    submittedBy: 'media-1',
    externalId: null,
    state: 'queued',
    queue: 'support',
    workbinName: null,
    workbinOwner: null,
    enteredAt: baseTime,
    entryOrder: 1,
    assignedTo: null,
    placeId: null,
    ticketId: null,
    ticketAgentId: null,
    ticketPlaceId: null,
    expiresAt: null,
    scheduledAt: null,
    participants: [],
    ...overrides,
  };
}

function counters(lastSeq: number, lastInteraction = 0, lastTicket = 0, lastEntry = 0): Counters {
  return { lastInteraction, lastTicket, lastEntry, lastSeq };
}

function event(seq: number, message = 'EventInteractionSubmitted'): StoredEvent {
  return { seq, text: JSON.stringify({ message, seq, eventTime: new Date(baseTime + seq).toISOString(), note: `event "${seq}"\n\\` }) };
}

function events(from: number, to: number): StoredEvent[] {
  const list: StoredEvent[] = [];
  for (let seq = from; seq <= to; seq++) list.push(event(seq));
  return list;
}

function batch(parts: Partial<CommitBatch> & { counters: Counters }): CommitBatch {
  return { interactions: [], events: [], agents: [], ...parts };
}

function login(agentId: string, placeId: string, loggedIn = true): AgentLoginRecord {
  return { agentId, placeId, loggedIn };
}

function byId(records: readonly InteractionRecord[]): InteractionRecord[] {
  return [...records].sort((left, right) => left.interactionId.localeCompare(right.interactionId));
}

function byAgent(agents: readonly AgentLoginRecord[]): AgentLoginRecord[] {
  return [...agents].sort((left, right) => left.agentId.localeCompare(right.agentId));
}

/** User data that a careless mapping would change: nesting, nulls, odd strings, key order. */
const awkwardUserData = {
  zeta: 'first key, though it sorts last',
  customer: { name: 'Zoë "Q" O\'Brien', tags: ['vip', null, 3, 4.5, -0.25, true, { deep: [[], {}] }], address: null },
  empty: '',
  backslash: 'C:\\path\\to',
  newline: 'line one\nline two',
  nul: 'before\u0000after',
  emoji: '🙂 ✓ 中文',
  big: 9007199254740991,
  alpha: 1,
};

// ---- The suite ------------------------------------------------------------------------------

describe.each([sqlite, postgresql])('the $name store', (kind) => {
  let home: StoreHome | undefined;
  let opened: Store[] = [];

  afterEach(async () => {
    for (const store of opened) await store.close().catch(() => {});
    opened = [];
    await home?.dispose();
    home = undefined;
  });

  async function open(): Promise<Store> {
    home ??= kind.create();
    const store = await home.open();
    opened.push(store);
    return store;
  }

  async function reopen(store: Store): Promise<Store> {
    await store.close();
    opened = opened.filter((other) => other !== store);
    return open();
  }

  // On PostgreSQL a second server stands by instead (test/store/lease.test.ts).
  it.runIf(!kind.name.startsWith('PostgreSQL'))('belongs to one server: a second open is refused, changing nothing, until the first closes', async () => {
    const store = await open();
    await store.commit(batch({ interactions: [interaction('i1')], events: events(1, 1), counters: counters(1, 1, 0, 1) }));
    await expect(home!.open()).rejects.toThrow(/another openixn is using this store/);
    expect(await loadAll(store)).toMatchObject({ interactions: [interaction('i1')], counters: counters(1, 1, 0, 1) });
    const again = await reopen(store);
    expect(await again.readEvents(1, 10, 10)).toEqual(events(1, 1));
  });

  it('reads a page of large events up to about maxBytes, but always at least one commit', async () => {
    const store = await open();
    const large = (seq: number) => ({ seq, text: JSON.stringify({ message: 'EventPropertiesChanged', seq, padding: 'x'.repeat(1000) }) });
    for (let seq = 1; seq <= 10; seq++) await store.commit(batch({ events: [large(seq)], counters: counters(seq) }));
    const page = await store.readEvents(1, 10, 100, 2500);
    expect(page.map((event) => event.seq)).toEqual([1, 2, 3]);
    expect(await store.readEvents(4, 10, 100, 1)).toEqual([large(4)]);
    expect((await store.readEvents(1, 10, 100)).map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('migrates an empty store, and re-opening it migrates nothing again', async () => {
    let store = await open();
    expect(await loadAll(store)).toEqual({ interactions: [], agents: [], counters: counters(0) });
    const versions = await home!.schemaVersions();
    expect(versions.length).toBeGreaterThanOrEqual(2);
    expect(versions).toEqual(versions.map((_, index) => index + 1));

    await store.commit(batch({ interactions: [interaction('i1')], events: events(1, 1), counters: counters(1, 1, 0, 1) }));
    store = await reopen(store);
    store = await reopen(store);
    expect(await home!.schemaVersions()).toEqual(versions);
    expect((await loadAll(store)).interactions).toEqual([interaction('i1')]);
    expect(await store.readEvents(1, 1, 10)).toEqual(events(1, 1));
  });

  it('loads exactly the live interactions with every field, the logged-in agents and the counters', async () => {
    const store = await open();
    const queued = interaction('i1', { userData: awkwardUserData, externalId: 'ext-1', priority: -1000000, entryOrder: 2 ** 40 });
    const inWorkbin = interaction('i2', { queue: null, workbinName: 'drafts', workbinOwner: 'agent-7', userData: { nested: { list: [1, [2, [3]]] } } });
    // A conference with a transfer invite out (SPEC 9.1, 9.2): every party and the invite come back.
    const handling = interaction('i3', {
      state: 'handling', assignedTo: 'agent-7', placeId: 'place-7', priority: 1000000, submittedBy: 'media-2', externalId: 'ext-1',
      enteredAt: baseTime + 1234, entryOrder: 3, ticketId: 9, ticketAgentId: 'agent-5', ticketPlaceId: 'place-5',
      participants: [{ agentId: 'agent-2', placeId: 'place-2' }, { agentId: 'agent-"\u0001', placeId: 'place-1' }],
    });
    const invited = interaction('i4', { state: 'invited', ticketId: 2 ** 33, ticketAgentId: 'agent-8', ticketPlaceId: 'place-8' });
    // SPEC 9.4: an expiry and a schedule, 64-bit times, survive a restart.
    const routing = interaction('i5', { state: 'routing', type: 'Outbound', subtype: 'OutboundNew', mediaType: 'email', expiresAt: baseTime + 2 ** 33, scheduledAt: baseTime + 1 });
    const stopped = interaction('i6', { state: 'stopped', queue: null });
    await store.commit(batch({
      interactions: [queued, inWorkbin, handling, invited, routing, stopped],
      events: events(1, 6),
      agents: [login('agent-7', 'place-7'), login('agent-8', 'place-8'), login('agent-9', 'place-9')],
      counters: counters(6, 6, 2 ** 33, 2 ** 40),
    }));
    await store.commit(batch({ agents: [login('agent-9', 'place-9', false), login('agent-8', 'place-8b')], counters: counters(6, 6, 2 ** 33, 2 ** 40) }));

    const loaded = await loadAll(store);
    expect(byId(loaded.interactions)).toEqual([queued, inWorkbin, handling, invited, routing]);
    const loadedQueued = loaded.interactions.find((record) => record.interactionId === 'i1')!;
    // Not only equal: the keys come back in the order they were written.
    expect(Object.keys(loadedQueued.userData)).toEqual(Object.keys(awkwardUserData));
    expect(JSON.stringify(loadedQueued.userData)).toBe(JSON.stringify(awkwardUserData));
    expect(byAgent(loaded.agents)).toEqual([login('agent-7', 'place-7'), login('agent-8', 'place-8b')]);
    expect(loaded.counters).toEqual(counters(6, 6, 2 ** 33, 2 ** 40));
  });

  it('keeps the latest record of an interaction', async () => {
    const store = await open();
    await store.commit(batch({ interactions: [interaction('i1', { userData: { step: 1 }, ticketId: 5, ticketAgentId: 'a', ticketPlaceId: 'p', state: 'invited' })], counters: counters(0, 1) }));
    const latest = interaction('i1', { userData: { step: 2, extra: [true] }, state: 'handling', assignedTo: 'a', placeId: 'p', priority: 7 });
    await store.commit(batch({ interactions: [latest], counters: counters(0, 1) }));
    expect((await loadAll(store)).interactions).toEqual([latest]);

    await store.commit(batch({ interactions: [interaction('i1', { state: 'stopped', queue: null })], counters: counters(0, 1) }));
    expect((await loadAll(store)).interactions).toEqual([]);
  });

  it('does not load stopped interactions, but finds them by externalId', async () => {
    const store = await open();
    await store.commit(batch({
      interactions: [
        interaction('i1', { externalId: 'ext-live' }),
        interaction('i2', { externalId: 'ext-done', state: 'stopped', queue: null }),
        interaction('i3', { externalId: 'ext-done', submittedBy: 'media-2' }),
      ],
      counters: counters(0, 3),
    }));
    expect(byId((await loadAll(store)).interactions).map((record) => record.interactionId)).toEqual(['i1', 'i3']);
    expect(await store.findByExternalId('media-1', 'ext-live')).toBe('i1');
    expect(await store.findByExternalId('media-1', 'ext-done')).toBe('i2');
    expect(await store.findByExternalId('media-2', 'ext-done')).toBe('i3');
    expect(await store.findByExternalId('media-2', 'ext-live')).toBeNull();
    expect(await store.findByExternalId('media-1', 'ext-unknown')).toBeNull();
    // When each was submitted, stopped ones included: where its history starts in the log.
    expect(await store.findSubmittedAt('i2')).toBe(baseTime);
    expect(await store.findSubmittedAt('i9')).toBeNull();
  });

  it('reads events across chunk boundaries, with a limit and bounds inside a chunk', async () => {
    const store = await open();
    // Chunks 1-3, 4, 5-9, 10-12: one per commit.
    for (const [from, to] of [[1, 3], [4, 4], [5, 9], [10, 12]] as const) {
      await store.commit(batch({ events: events(from, to), counters: counters(to) }));
    }
    expect(await store.readEvents(1, 12, 100)).toEqual(events(1, 12));
    expect(await store.readEvents(2, 6, 100)).toEqual(events(2, 6));
    expect(await store.readEvents(3, 11, 4)).toEqual(events(3, 6));
    expect(await store.readEvents(6, 8, 100)).toEqual(events(6, 8));
    expect(await store.readEvents(7, 7, 1)).toEqual(events(7, 7));
    expect(await store.readEvents(1, 12, 1)).toEqual(events(1, 1));
    expect(await store.readEvents(9, 100, 100)).toEqual(events(9, 12));
    expect(await store.readEvents(13, 20, 10)).toEqual([]);
    expect(await store.readEvents(0, 0, 10)).toEqual([]);
  });

  it('commits a batch with no events, and one with only counters', async () => {
    const store = await open();
    await store.commit(batch({ events: events(1, 2), counters: counters(2) }));
    await store.commit(batch({ interactions: [interaction('i1')], agents: [login('agent-1', 'place-1')], counters: counters(2, 1, 0, 1) }));
    await store.commit(batch({ counters: counters(2, 1, 1, 1) }));
    expect(await loadAll(store)).toEqual({ interactions: [interaction('i1')], agents: [login('agent-1', 'place-1')], counters: counters(2, 1, 1, 1) });
    expect(await store.readEvents(1, 100, 100)).toEqual(events(1, 2));
    await store.commit(batch({ events: events(3, 3), counters: counters(3, 1, 1, 1) }));
    expect(await store.readEvents(1, 100, 100)).toEqual(events(1, 3));
  });

  it('lands many commits issued without waiting, all of them and in order', async () => {
    const store = await open();
    const commits = 200;
    const resolved: number[] = [];
    const pending: Promise<void>[] = [];
    for (let index = 1; index <= commits; index++) {
      const interactions = [interaction(`i${index % 10}`, { priority: index, userData: { index } })];
      if (index % 25 === 0) interactions.push(interaction(`s${index}`, { state: 'stopped', queue: null, externalId: `ext-${index}` }));
      const agents = [login('agent-toggling', `place-${index}`, index % 2 === 0)];
      if (index === 1) agents.push(login('agent-steady', 'place-steady'));
      pending.push(store.commit(batch({ interactions, events: events(index, index), agents, counters: counters(index, index) })).then(() => {
        resolved.push(index);
      }));
      // Now and then a turn of the event loop, so that some commits start while others still run.
      if (index % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(pending);
    expect(resolved).toEqual(Array.from({ length: commits }, (_, index) => index + 1));

    const loaded = await loadAll(store);
    expect(byId(loaded.interactions).map((record) => [record.interactionId, record.priority, record.userData])).toEqual(
      Array.from({ length: 10 }, (_, digit) => {
        const last = commits - ((commits - digit) % 10);
        return [`i${digit}`, last, { index: last }];
      }),
    );
    expect(byAgent(loaded.agents)).toEqual([login('agent-steady', 'place-steady'), login('agent-toggling', `place-${commits}`)]);
    expect(loaded.counters).toEqual(counters(commits, commits));
    expect(await store.readEvents(1, commits, 1000)).toEqual(events(1, commits));
    expect(await store.findByExternalId('media-1', 'ext-175')).toBe('s175');
  });

  it('lands nothing of a batch whose commit failed', async () => {
    let store = await open();
    await store.commit(batch({ interactions: [interaction('i1')], events: events(1, 2), counters: counters(2, 1) }));
    // seq 1 is stored already: the reporting log refuses the chunk, after the interaction was written.
    await expect(store.commit(batch({
      interactions: [interaction('i1', { priority: 9 }), interaction('i2')],
      events: events(1, 3),
      agents: [login('agent-1', 'place-1')],
      counters: counters(3, 2),
    }))).rejects.toThrow();
    store = await reopen(store);
    expect(await loadAll(store)).toEqual({ interactions: [interaction('i1')], agents: [], counters: counters(2, 1) });
    expect(await store.readEvents(1, 10, 10)).toEqual(events(1, 2));
  });

  it('keeps each webhook endpoint\'s cursor apart from the core\'s commits, across a re-open', async () => {
    let store = await open();
    expect(await store.readWebhookCursors()).toEqual([]);
    await store.saveWebhookCursor({ endpoint: 'warehouse', lastSeq: 0 });
    await store.saveWebhookCursor({ endpoint: 'crm "eu"', lastSeq: 2 ** 40 });
    await store.commit(batch({ events: events(1, 3), counters: counters(3) }));
    await store.saveWebhookCursor({ endpoint: 'warehouse', lastSeq: 3 });
    const byEndpoint = (cursors: { endpoint: string; lastSeq: number }[]) => [...cursors].sort((left, right) => left.endpoint.localeCompare(right.endpoint));
    expect(byEndpoint(await store.readWebhookCursors())).toEqual([{ endpoint: 'crm "eu"', lastSeq: 2 ** 40 }, { endpoint: 'warehouse', lastSeq: 3 }]);
    store = await reopen(store);
    expect(byEndpoint(await store.readWebhookCursors())).toEqual([{ endpoint: 'crm "eu"', lastSeq: 2 ** 40 }, { endpoint: 'warehouse', lastSeq: 3 }]);
    // A cursor is no part of the core's state: loading and the counters do not see it.
    expect(await loadAll(store)).toEqual({ interactions: [], agents: [], counters: counters(3) });
  });

  it('finds everything again after a close and a re-open', async () => {
    let store = await open();
    const records = [interaction('i1', { userData: awkwardUserData, externalId: 'ext-1' }), interaction('i2', { state: 'handling', assignedTo: 'agent-1', placeId: 'place-1' })];
    await store.commit(batch({ interactions: records, events: events(1, 4), agents: [login('agent-1', 'place-1')], counters: counters(4, 2, 0, 2) }));
    await store.commit(batch({ interactions: [interaction('i3', { state: 'stopped', queue: null, externalId: 'ext-3' })], events: events(5, 6), counters: counters(6, 3, 0, 3) }));
    store = await reopen(store);
    expect(await loadAll(store)).toEqual({ interactions: expect.arrayContaining(records) as unknown, agents: [login('agent-1', 'place-1')], counters: counters(6, 3, 0, 3) });
    expect((await loadAll(store)).interactions).toHaveLength(2);
    expect(await store.readEvents(1, 6, 10)).toEqual(events(1, 6));
    expect(await store.findByExternalId('media-1', 'ext-3')).toBe('i3');
    await store.commit(batch({ events: events(7, 7), counters: counters(7, 3, 0, 3) }));
    expect(await store.readEvents(6, 7, 10)).toEqual(events(6, 7));
  });
});

// The server runs SQLite in its worker: the cursors cross the thread boundary and come back whole.
describe.runIf(workerBuilt)('the SQLite store in its worker', () => {
  it('saves and reads webhook cursors, across a re-open', async () => {
    const home = sqliteWorker.create();
    try {
      let store = await home.open();
      await store.saveWebhookCursor({ endpoint: 'warehouse', lastSeq: 7 });
      await store.saveWebhookCursor({ endpoint: 'warehouse', lastSeq: 9 });
      await store.close();
      store = await home.open();
      expect(await store.readWebhookCursors()).toEqual([{ endpoint: 'warehouse', lastSeq: 9 }]);
      await store.close();
    } finally {
      await home.dispose();
    }
  });
});

// A restart with a million waiting interactions must not hold them all as records at once.
describe.each([sqlite, ...(workerBuilt ? [sqliteWorker] : []), postgresql])('loading the $name store', (kind) => {
  it('hands over its counters first, then every live interaction once, in batches of at most loadBatchSize', async () => {
    const home = kind.create();
    try {
      let store = await home.open();
      const total = 2 * loadBatchSize + 17;
      for (let first = 1; first <= total; first += 5_000) {
        const records = Array.from({ length: Math.min(5_000, total - first + 1) }, (_, index) => interaction(`i${first + index}`, { number: first + index, entryOrder: first + index }));
        await store.commit(batch({ interactions: records, counters: counters(0, first + records.length - 1, first + records.length - 1) }));
      }
      await store.commit(batch({ interactions: [interaction('i5', { state: 'stopped', queue: null })], counters: counters(0, total, total) }));
      await store.close();
      store = await home.open();
      const loaded = await loadInBatches(store);
      await store.close();
      expect(loaded.begunFirst).toBe(true);
      expect(loaded.counters).toEqual(counters(0, total, total));
      expect(loaded.batches.length).toBeGreaterThanOrEqual(3);
      expect(Math.max(...loaded.batches.map((records) => records.length))).toBeLessThanOrEqual(loadBatchSize);
      const ids = loaded.batches.flat().map((record) => record.interactionId);
      expect(new Set(ids).size).toBe(total - 1);
      expect(ids).not.toContain('i5');
      expect(loaded.batches.flat().find((record) => record.interactionId === 'i7')).toEqual(interaction('i7', { number: 7, entryOrder: 7 }));
    } finally {
      await home.dispose();
    }
  }, 60_000);
});

// The server's stores refuse every commit after a failed one: a later batch must never land
// without an earlier one. (SqliteStore alone does not; its worker does.)
describe.each([...(workerBuilt ? [sqliteWorker] : []), postgresql])('after a failed commit, the $name store', (kind) => {
  let home: StoreHome | undefined;
  const opened: Store[] = [];

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close().catch(() => {});
    await home?.dispose();
    home = undefined;
  });

  it('fails every later commit, and none of them lands', async () => {
    home = kind.create();
    const store = await home.open();
    opened.push(store);
    await store.commit(batch({ events: events(1, 2), counters: counters(2) }));
    // seq 1 is stored already: the reporting log refuses this chunk.
    const failed = store.commit(batch({ interactions: [interaction('i1')], events: events(1, 3), counters: counters(3, 1) }));
    const later = store.commit(batch({ interactions: [interaction('i2')], events: events(4, 4), counters: counters(4, 2) }));
    await expect(failed).rejects.toThrow();
    await expect(later).rejects.toThrow();
    await expect(store.commit(batch({ interactions: [interaction('i3')], events: events(4, 4), counters: counters(4, 3) }))).rejects.toThrow(/earlier commit failed/);

    await store.close();
    opened.splice(0);
    const reopened = await home.open();
    opened.push(reopened);
    expect(await loadAll(reopened)).toEqual({ interactions: [], agents: [], counters: counters(2) });
    expect(await reopened.readEvents(1, 10, 10)).toEqual(events(1, 2));
  });
});

describe('the PostgreSQL store in its schema', () => {
  const schemas: string[] = [];
  const opened: Store[] = [];

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close().catch(() => {});
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  function newSchema(): string {
    const schema = randomSchema();
    schemas.push(schema);
    return schema;
  }

  async function tablesOf(schema: string): Promise<string[]> {
    const sql = administration();
    try {
      const rows = await sql<{ table_name: string }[]>`SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema} ORDER BY table_name`;
      return rows.map((row) => row.table_name);
    } finally {
      await sql.end();
    }
  }

  it('creates its schema; of servers opening it at once all migrate it once, and one of them takes the lease', async () => {
    const schema = newSchema();
    const stores = await Promise.all([1, 2, 3].map(() => PostgresStore.open(postgresUrl, { schema, standby: true })));
    opened.push(...stores);
    expect(await tablesOf(schema)).toEqual(['agent_logins', 'counters', 'interactions', 'lease', 'reporting_log', 'schema_version', 'webhook_cursors']);
    const sql = administration();
    try {
      expect((await sql.unsafe<{ version: number }[]>(`SELECT version FROM "${schema}".schema_version ORDER BY version`)).map((row) => row.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    } finally {
      await sql.end();
    }
    const primaries: number[] = [];
    const acquired = stores.map((store, index) => store.primacy.acquire(null).then(() => primaries.push(index), () => undefined));
    await waitUntil(() => primaries.length > 0, 'one store takes the lease');
    const primary = stores[primaries[0]!]!;
    await primary.commit(batch({ interactions: [interaction('i1')], events: events(1, 1), counters: counters(1, 1) }));
    for (const [index, store] of stores.entries()) {
      if (index === primaries[0]) continue;
      await expect(store.commit(batch({ events: events(2, 2), counters: counters(2, 1) }))).rejects.toThrow(/stands by/);
    }
    expect(primaries).toHaveLength(1);
    for (const store of opened.splice(0)) await store.close();
    await Promise.all(acquired);
  });

  it('keeps two schemas of one database apart', async () => {
    const [first, second] = [newSchema(), newSchema()];
    const one = await PostgresStore.open(postgresUrl, { schema: first });
    const two = await PostgresStore.open(postgresUrl, { schema: second });
    opened.push(one, two);
    await one.commit(batch({ interactions: [interaction('i1')], events: events(1, 1), counters: counters(1, 1) }));
    expect(await loadAll(two)).toEqual({ interactions: [], agents: [], counters: counters(0) });
    expect(await two.readEvents(1, 1, 1)).toEqual([]);
  });

  it('refuses to migrate a schema whose primary lives, and migrates it once the primary has stopped', async () => {
    const schema = newSchema();
    const first = await PostgresStore.open(postgresUrl, { schema, where: 'the test schema' });
    await expect(PostgresStore.migrate(postgresUrl, { schema, where: 'the test schema' })).rejects.toThrow(/another openixn is using this store \(the test schema\)/);
    await first.close();
    expect(await PostgresStore.migrate(postgresUrl, { schema })).toBe(postgresMigrations.length);
    const second = await PostgresStore.open(postgresUrl, { schema });
    opened.push(second);
    expect((await loadAll(second)).counters).toEqual(counters(0));
  });

  it('behind the lease, the commit chain stops a second writer on one schema and lands nothing of it', async () => {
    const schema = newSchema();
    const [first, second] = await Promise.all([PostgresStore.open(postgresUrl, { schema, withoutLease: true }), PostgresStore.open(postgresUrl, { schema, withoutLease: true })]);
    opened.push(first, second);
    await first.commit(batch({ interactions: [interaction('i1')], events: events(1, 1), counters: counters(1, 1) }));
    await expect(second.commit(batch({ interactions: [interaction('i2')], events: events(1, 1), counters: counters(1, 1) }))).rejects.toThrow(/two servers write the schema/);
    await first.commit(batch({ events: events(2, 2), counters: counters(2, 1) }));
    expect((await loadAll(first)).interactions).toEqual([interaction('i1')]);
    expect(await first.readEvents(1, 10, 10)).toEqual(events(1, 2));
  });

  it('refuses a schema newer than it knows, and a schema name that needs quoting', async () => {
    const schema = newSchema();
    await (await PostgresStore.open(postgresUrl, { schema })).close();
    const sql = administration();
    try {
      await sql.unsafe(`INSERT INTO "${schema}".schema_version (version) VALUES (99)`);
    } finally {
      await sql.end();
    }
    await expect(PostgresStore.open(postgresUrl, { schema })).rejects.toThrow(/newer than this server knows/);
    await expect(PostgresStore.open(postgresUrl, { schema: 'Openixn.Dev' })).rejects.toThrow(/not a plain identifier/);
  });

  it('opens postgres:// and postgresql:// store URLs in the schema their `schema` parameter names', async () => {
    expect(splitStoreUrl('postgres://u@h:5432/db')).toEqual({ url: 'postgres://u@h:5432/db', schema: 'openixn' });
    expect(splitStoreUrl('postgres://u@h1:5432,h2:5433/db?sslmode=disable&schema=openixn_dev&application_name=x')).toEqual({
      url: 'postgres://u@h1:5432,h2:5433/db?sslmode=disable&application_name=x',
      schema: 'openixn_dev',
    });
    for (const scheme of ['postgres:', 'postgresql:']) {
      const schema = newSchema();
      const store = await openStore(`${scheme}${postgresUrl.slice(postgresUrl.indexOf('//'))}?schema=${schema}`);
      opened.push(store);
      // The server's store opens as a standby; the server takes the lease.
      await store.primacy!.acquire(null);
      await store.commit(batch({ interactions: [interaction('i1')], counters: counters(0, 1) }));
      expect(await tablesOf(schema)).toContain('interactions');
      expect((await loadAll(store)).interactions).toEqual([interaction('i1')]);
    }
  });

  it('logs a store URL with its password masked', () => {
    expect(redactStoreUrl('postgres://openixn:s3cr:et@db.example:5432/cc?schema=openixn')).toBe('postgres://openixn:***@db.example:5432/cc?schema=openixn');
    expect(redactStoreUrl('postgresql://openixn@db.example/cc')).toBe('postgresql://openixn@db.example/cc');
    expect(redactStoreUrl('sqlite:./openixn-data/openixn.db')).toBe('sqlite:./openixn-data/openixn.db');
  });
});

// SPEC section 6 through database faults: a commit whose connection is killed, or that hangs, is
// neither lost nor failed; the store says it is unavailable, retries, and lands it exactly once.
describe('the PostgreSQL store through database faults', () => {
  const schemas: string[] = [];
  const opened: Store[] = [];
  const locks: { release(): Promise<void> }[] = [];

  afterEach(async () => {
    for (const lock of locks.splice(0)) await lock.release().catch(() => {});
    for (const store of opened.splice(0)) await store.close().catch(() => {});
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  async function openWatched(options: { stuckCommitMs?: number; queryDeadlineMs?: number } = {}): Promise<{ store: PostgresStore; schema: string; applicationName: string; changes: boolean[] }> {
    const schema = randomSchema();
    schemas.push(schema);
    const applicationName = `openixn-${schema}`;
    const store = await PostgresStore.open(`${postgresUrl}?application_name=${applicationName}`, { schema, ...options });
    opened.push(store);
    const changes: boolean[] = [];
    store.watchAvailability((available) => changes.push(available));
    return { store, schema, applicationName, changes };
  }

  it('holds a commit whose connection is killed, and every commit after it, then lands them once and in order', async () => {
    const { store, schema, applicationName, changes } = await openWatched();
    await store.commit(batch({ interactions: [interaction('i1')], events: events(1, 1), counters: counters(1, 1) }));
    const lock = await lockCounters(schema);
    locks.push(lock);
    const settled: string[] = [];
    const second = store.commit(batch({ interactions: [interaction('i2')], events: events(2, 3), counters: counters(3, 2) })).then(() => settled.push('second'));
    await waitUntil(async () => (await backendsWaitingForLock(applicationName)) === 1, 'the commit waits for the lock');
    const third = store.commit(batch({ interactions: [interaction('i1', { state: 'handling', queue: null, assignedTo: 'agent-1' })], events: events(4, 4), counters: counters(4, 2) })).then(() => settled.push('third'));
    expect(await terminateBackends(applicationName)).toBeGreaterThan(0);
    await waitUntil(() => changes.length > 0, 'the store reports itself unavailable');
    expect(changes).toEqual([false]);
    // The retry waits for the same lock: nothing is acknowledged while the commit cannot land.
    await waitUntil(async () => (await backendsWaitingForLock(applicationName)) === 1, 'the retried commit waits for the lock');
    expect(settled).toEqual([]);
    locks.splice(0);
    await lock.release();
    await Promise.all([second, third]);
    expect(settled).toEqual(['second', 'third']);
    expect(changes).toEqual([false, true]);
    const loaded = await loadAll(store);
    expect(loaded.interactions.sort((a, b) => a.interactionId.localeCompare(b.interactionId))).toEqual([
      interaction('i1', { state: 'handling', queue: null, assignedTo: 'agent-1' }), interaction('i2'),
    ]);
    expect(loaded.counters).toEqual(counters(4, 2));
    expect(await store.readEvents(1, 10, 10)).toEqual(events(1, 4));
  });

  // A connection reset as the database goes away once left postgres.js waiting forever on the
  // retry (client.ts); several rounds make it likely that some kills land mid-query.
  it('holds commits while its database refuses connections, and lands them when it is back, round after round', async () => {
    const home = await createTestDatabase();
    const disposals = [() => home.dispose(), () => allowConnections(home.database, true)];
    try {
      const store = await PostgresStore.open(home.url, { schema: 'openixn' });
      opened.push(store);
      const changes: boolean[] = [];
      store.watchAvailability((available) => changes.push(available));
      for (let round = 1; round <= 5; round++) {
        await store.commit(batch({ events: events(2 * round - 1, 2 * round - 1), counters: counters(2 * round - 1) }));
        await allowConnections(home.database, false);
        await terminateBackends(home.applicationName);
        let landed = false;
        const held = store.commit(batch({ interactions: [interaction(`i${round}`)], events: events(2 * round, 2 * round), counters: counters(2 * round, round) })).then(() => (landed = true));
        await waitUntil(() => changes.length === 2 * round - 1, `round ${round}: the store reports itself unavailable`);
        expect(landed).toBe(false);
        await allowConnections(home.database, true);
        await held;
        expect(changes.slice(-2)).toEqual([false, true]);
      }
      expect(await store.readEvents(1, 20, 20)).toEqual(events(1, 10));
      expect((await loadAll(store)).interactions.map((record) => record.interactionId).sort()).toEqual(['i1', 'i2', 'i3', 'i4', 'i5']);
      await store.close();
      opened.splice(0);
    } finally {
      for (const dispose of disposals.reverse()) await dispose();
    }
  });

  // The commit's answer is lost although its COMMIT lands: the client gave up on it (its deadline)
  // while PostgreSQL still waited for the lock, and the server finishes it when the lock goes.
  it('retries a commit whose answer was lost after it landed, and stores it once', async () => {
    // A deadline long enough that the reads after the commit meet it on a loaded machine too.
    const { store, schema, applicationName, changes } = await openWatched({ stuckCommitMs: 100, queryDeadlineMs: 1000 });
    await store.commit(batch({ events: events(1, 1), counters: counters(1) }));
    const lock = await lockCounters(schema);
    locks.push(lock);
    const commit = store.commit(batch({ interactions: [interaction('i1')], events: events(2, 4), counters: counters(4, 1) }));
    // The abandoned statement and its retry, on a new connection, both wait for the lock.
    await waitUntil(async () => (await backendsWaitingForLock(applicationName)) === 2, 'the abandoned commit and its retry wait for the lock');
    locks.splice(0);
    await lock.release();
    await commit;
    // Unavailable while it hangs, available once it lands. On a loaded machine the retry itself may
    // outlast the 100 ms threshold after the lock goes, which adds a second dip: still alternating.
    expect(changes[0]).toBe(false);
    expect(changes.at(-1)).toBe(true);
    expect(changes.every((available, index) => available === (index % 2 === 1))).toBe(true);
    expect(await store.readEvents(1, 10, 10)).toEqual(events(1, 4));
    expect((await loadAll(store)).interactions).toEqual([interaction('i1')]);
  });

  it('reports itself unavailable while a commit hangs, and available again once it lands', async () => {
    const { store, schema, applicationName, changes } = await openWatched({ stuckCommitMs: 200 });
    const lock = await lockCounters(schema);
    locks.push(lock);
    let landed = false;
    const commit = store.commit(batch({ interactions: [interaction('i1')], events: events(1, 1), counters: counters(1, 1) })).then(() => (landed = true));
    await waitUntil(() => changes.length > 0, 'the hanging commit makes the store unavailable');
    expect(changes).toEqual([false]);
    expect(await backendsWaitingForLock(applicationName)).toBe(1);
    expect(landed).toBe(false);
    locks.splice(0);
    await lock.release();
    await commit;
    expect(changes).toEqual([false, true]);
    expect(await store.readEvents(1, 1, 1)).toEqual(events(1, 1));
  });
});
