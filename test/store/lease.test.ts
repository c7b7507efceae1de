// The PostgreSQL store's lease (src/store/postgres/lease.ts): of several stores on one schema one is
// the primary; the others stand by and take over when it releases the lease or its session dies,
// with the next epoch; and a primary that lost the lease writes nothing more, not a commit, not a
// webhook cursor. The lease's timing (a primary that stops renewing) is tested with real
// processes under SIGSTOP in test/blackbox/failover.test.ts.

import { afterEach, describe, expect, it } from 'vitest';
import type { Counters, InteractionRecord } from '../../src/core/types.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { NotPrimary, type CommitBatch, type StoredEvent } from '../../src/store/store.js';
import { administration, dropSchema, postgresTestUrl, randomSchema, terminateBackends, waitUntil } from '../support/test-store.js';

function counters(lastSeq: number, lastInteraction = 0): Counters {
  return { lastInteraction, lastTicket: 0, lastEntry: lastInteraction, lastSeq };
}

function events(from: number, to: number): StoredEvent[] {
  return Array.from({ length: to - from + 1 }, (_, index) => ({ seq: from + index, text: JSON.stringify({ message: 'EventPlacedInQueue', seq: from + index }) }));
}

function interaction(interactionId: string): InteractionRecord {
  return {
    interactionId, number: Number(interactionId.slice(1)), mediaType: 'chat', type: 'Inbound', subtype: 'InboundNew', priority: 0, userData: {},
    submittedAt: 1, submittedBy: 'gateway', externalId: null, state: 'queued', queue: 'q', workbinName: null, workbinOwner: null,
    enteredAt: 1, entryOrder: Number(interactionId.slice(1)), assignedTo: null, placeId: null, ticketId: null, ticketAgentId: null, ticketPlaceId: null,
    expiresAt: null, scheduledAt: null, participants: [],
  };
}

/** The ids of the interactions a store loads. */
async function loadedIds(store: PostgresStore): Promise<string[]> {
  const ids: string[] = [];
  await store.load({ begin: () => undefined, interactions: (records) => ids.push(...records.map((record) => record.interactionId)) });
  return ids;
}

function batch(seqs: [number, number], interactions: InteractionRecord[] = []): CommitBatch {
  return { interactions, events: events(seqs[0], seqs[1]), agents: [], counters: counters(seqs[1], interactions.length) };
}

describe('the PostgreSQL store\'s lease', () => {
  const schemas: string[] = [];
  const opened: PostgresStore[] = [];

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close().catch(() => {});
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  function newSchema(): string {
    const schema = randomSchema();
    schemas.push(schema);
    return schema;
  }

  /** A store as a server opens it, standing by, with connections named so that a test can cut them. */
  async function standby(schema: string, name: string, leaseMs?: number): Promise<PostgresStore> {
    const store = await PostgresStore.open(`${postgresTestUrl}?application_name=openixn-${schema}-${name}`, { schema, standby: true, ...(leaseMs === undefined ? {} : { leaseMs }) });
    opened.push(store);
    return store;
  }

  async function epochs(schema: string): Promise<{ lease: number; counters: number; chunks: { firstSeq: number; epoch: number }[] }> {
    const sql = administration();
    try {
      const [lease] = await sql.unsafe<{ epoch: string }[]>(`SELECT epoch FROM "${schema}".lease`);
      const [row] = await sql.unsafe<{ epoch: string }[]>(`SELECT epoch FROM "${schema}".counters`);
      const chunks = await sql.unsafe<{ first_seq: string; epoch: string }[]>(`SELECT first_seq, epoch FROM "${schema}".reporting_log ORDER BY first_seq`);
      return { lease: Number(lease!.epoch), counters: Number(row!.epoch), chunks: chunks.map((chunk) => ({ firstSeq: Number(chunk.first_seq), epoch: Number(chunk.epoch) })) };
    } finally {
      await sql.end();
    }
  }

  it('makes one store the primary; a standby takes over at once when the primary releases the lease, and finds every commit', async () => {
    const schema = newSchema();
    const first = await standby(schema, 'a');
    const second = await standby(schema, 'b');
    expect(await first.primacy.acquire('ws://a.example:7120/ws')).toBe(1);
    expect(first.primacy.holds()).toBe(true);
    let secondEpoch: number | null = null;
    const waiting = second.primacy.acquire('ws://b.example:7120/ws').then((epoch) => (secondEpoch = epoch));
    await first.commit(batch([1, 2], [interaction('i1')]));
    await waitUntil(() => second.primacy.view().primaryUrl !== null, 'the standby reads the lease');
    expect(second.primacy.view()).toEqual({ epoch: 1, primaryUrl: 'ws://a.example:7120/ws' });
    expect(secondEpoch).toBeNull();
    await expect(second.commit(batch([3, 3]))).rejects.toThrow(NotPrimary);

    await first.close();
    await waiting;
    expect(secondEpoch).toBe(2);
    expect(second.primacy.view()).toEqual({ epoch: 2, primaryUrl: 'ws://b.example:7120/ws' });
    expect((await loadedIds(second))).toEqual(['i1']);
    await second.commit(batch([3, 3]));
    expect(await second.readEvents(1, 10, 10)).toEqual(events(1, 3));
    expect(await epochs(schema)).toEqual({ lease: 2, counters: 2, chunks: [{ firstSeq: 1, epoch: 1 }, { firstSeq: 3, epoch: 2 }] });
  });

  it('fences a primary whose session died: a standby takes over at once, and the old primary lands nothing more', async () => {
    const schema = newSchema();
    // A long lease: the takeover must come from the lost session, not from the lease running out.
    const first = await standby(schema, 'a', 60_000);
    const second = await standby(schema, 'b', 60_000);
    await first.primacy.acquire('ws://a.example:7120/ws');
    await first.saveWebhookCursor({ endpoint: 'crm', lastSeq: 1 });
    await first.commit(batch([1, 1], [interaction('i1')]));
    const lost: NotPrimary[] = [];
    first.primacy.watchLoss((error) => lost.push(error));
    const takeover = second.primacy.acquire('ws://b.example:7120/ws');

    // Every connection of the first is cut; its lease's session (and lock) with them.
    expect(await terminateBackends(`openixn-${schema}-a`)).toBeGreaterThan(0);
    expect(await takeover).toBe(2);
    await second.commit(batch([2, 2], [interaction('i2')]));
    await second.saveWebhookCursor({ endpoint: 'crm', lastSeq: 2 });

    // The first still believes it is the primary: its commit reaches the database and is fenced.
    const fenced = first.commit(batch([2, 3], [interaction('i9')]));
    await expect(fenced).rejects.toThrow(NotPrimary);
    await expect(fenced).rejects.toMatchObject({ primaryUrl: 'ws://b.example:7120/ws' });
    await expect(first.commit(batch([4, 4]))).rejects.toThrow(NotPrimary);
    await expect(first.saveWebhookCursor({ endpoint: 'crm', lastSeq: 1 })).rejects.toThrow(NotPrimary);
    expect(lost).toHaveLength(1);
    expect(first.primacy.holds()).toBe(false);

    expect((await loadedIds(second)).sort()).toEqual(['i1', 'i2']);
    expect(await second.readEvents(1, 10, 10)).toEqual(events(1, 2));
    expect(await second.readWebhookCursors()).toEqual([{ endpoint: 'crm', lastSeq: 2 }]);
    expect(await epochs(schema)).toEqual({ lease: 2, counters: 2, chunks: [{ firstSeq: 1, epoch: 1 }, { firstSeq: 2, epoch: 2 }] });
  });

  it('lets exactly one of several standbys take over, and the others go on standing by', async () => {
    const schema = newSchema();
    const primary = await standby(schema, 'p');
    await primary.primacy.acquire(null);
    const standbys = await Promise.all(['s1', 's2', 's3'].map((name) => standby(schema, name)));
    const taken: number[] = [];
    const waiting = standbys.map((store, index) => store.primacy.acquire(null).then((epoch) => taken.push(index * 100 + epoch), () => undefined));
    await primary.close();
    await waitUntil(() => taken.length > 0, 'a standby takes over');
    // Long enough for every standby to read the lease a few times (checkEveryMs is 500 ms).
    await waitUntil(async () => (await epochs(schema)).lease === 2 && standbys.every((store) => store.primacy.view().epoch === 2), 'every standby sees the new epoch');
    expect(taken).toHaveLength(1);
    expect(taken[0]! % 100).toBe(2);
    for (const store of opened.splice(0)) await store.close();
    await Promise.all(waiting);
  });
});
