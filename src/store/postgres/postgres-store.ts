// The PostgreSQL store: the same port as the SQLite store, in a schema of its own (openixn by
// default) so that openixn can share a database. A commit is one statement (statements.ts), an
// implicit transaction, on the connection kept for commits; reads use other connections, so a
// reporting replay never waits behind a commit. Commits are durable when they resolve
// (synchronous_commit is forced on for the commit connection), and time values come from the
// records, which carry the server's clock, never from the database's now().
//
// Commits are pipelined: up to commitsInFlightMax of them are on the wire at once, each one
// statement, and what is issued while the window is full goes together into the next one (group
// commit). Each commit is numbered and lands only on top of the one numbered before it, so no
// commit can land without every earlier one, whatever fails in between.
//
// When the database goes away (a restart, a failover, a dropped connection), a commit is neither
// lost nor failed: the store keeps it, with every commit issued after it, tells the server it is
// unavailable, and sends the same commits again, in order, until they land. A retry may follow an
// attempt whose COMMIT reached the database although its answer did not; its number tells: a
// commit that finds its own number stored had landed, and writes nothing twice.

import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import type { AgentLoginRecord, Counters, InteractionRecord } from '../../core/types.js';
import { batchOfRows, RowReader } from '../interaction-row.js';
import { fromChunks, loadBatchSize, NotPrimary, toChunk, type CommitBatch, type LoadSink, type Primacy, type Store, type StoredEvent, type WebhookCursor } from '../store.js';
import { ReplaceableClient, type Sql } from './client.js';
import { Lease, leaseTiming, primaryIsLive } from './lease.js';
import { isTransientFault, retryDelayMs } from './faults.js';
import { checkSchemaName, migrate, quoteIdentifier } from './migrations.js';
import { statements, type Statements } from './statements.js';

export const defaultSchema = 'openixn';

export interface PostgresStoreOptions {
  /** The schema that holds openixn's tables; created if missing. Default `openixn`. */
  schema?: string;
  /** A commit that has waited this long makes the store report itself unavailable. Default 5000 ms. */
  stuckCommitMs?: number;
  /** A query with no answer after this long is abandoned and its connection replaced. Default 15000 ms. */
  queryDeadlineMs?: number;
  /** How the store is named in errors (a URL without its password); default the schema's name. */
  where?: string;
  /**
   * Return at once, as a standby: the server takes the lease itself (store.primacy.acquire), so
   * that it can answer clients while it waits. Without it, open() waits until it is the primary.
   */
  standby?: boolean;
  /** The lease period (lease.ts); default 3000 ms. */
  leaseMs?: number;
  /**
   * Open without the lease, in the epoch the schema is at. Only for tests of what stands behind
   * it: the commit chain that stops a second writer on its own.
   */
  withoutLease?: boolean;
}

/** How many connections serve load, readEvents and findByExternalId. */
const readConnectionsMax = 4;

/**
 * Commits on the wire at once. PostgreSQL runs one connection's statements one after another, but
 * with the next one already there it goes on at once instead of waiting for the server's event
 * loop to read an answer and send more (measured here: about 10-20 % more lifecycles per second
 * than one at a time). Deeper windows only split the work into smaller commits.
 */
const commitsInFlightMax = 4;

/**
 * A commit that has waited this long means the database hangs (stopped, a lock held, or a network
 * that drops packets without a reset): the store reports itself unavailable while it goes on
 * waiting. Far above a healthy commit (a few ms), well below a client's patience.
 */
const defaultStuckCommitMs = 5000;

/** Seconds, as postgres.js takes them: a connection attempt that hangs counts as a failure after this. */
const connectTimeoutSeconds = 5;

/**
 * A query with no answer after this long is taken for a wedged connection: its client is replaced
 * and a commit tried again. Far above any commit or read the server makes (a few ms to a few
 * hundred), since a retried commit that always overran it would never land.
 */
const defaultQueryDeadlineMs = 15_000;
/** A load reads every live interaction, a million of them in tens of seconds: it has a deadline of its own. */
const loadDeadlineMs = 10 * 60_000;

/**
 * Every time, seq, id and order is a bigint column, which postgres.js returns as a string by
 * default. They are all far below 2^53 (a time in ms reaches it in the year 287396), so numbers.
 */
const bigintAsNumber = {
  to: 20,
  from: [20],
  serialize: (value: number) => String(value),
  parse: (text: string) => Number(text),
};




/**
 * Takes openixn's own `schema` parameter out of a store URL; postgres.js would send any query
 * parameter it does not know to the server as a setting, which the server refuses. The URL is cut
 * as text rather than parsed with URL: a multi-host URL (h1:5432,h2:5432) is not a valid URL.
 */
export function splitStoreUrl(url: string): { url: string; schema: string } {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return { url, schema: defaultSchema };
  const parameters = new URLSearchParams(url.slice(queryStart + 1));
  const schema = parameters.get('schema') ?? defaultSchema;
  parameters.delete('schema');
  const rest = parameters.toString();
  return { url: url.slice(0, queryStart) + (rest === '' ? '' : `?${rest}`), schema };
}

function connect(url: string, max: number, settings: Record<string, string> = {}, session = false): Sql {
  return postgres(url, {
    max,
    // The lease's session holds an advisory lock as long as it lives: it must not be retired after a while.
    ...(session ? { max_lifetime: null, idle_timeout: 0 } : {}),
    // CREATE ... IF NOT EXISTS and friends send notices; postgres.js would print each one.
    onnotice: () => {},
    connection: { application_name: 'openixn', ...settings },
    types: { bigint: bigintAsNumber },
    connect_timeout: connectTimeoutSeconds,
    // postgres.js waits up to 20 s between reconnections after repeated failures; the store's own
    // retries already pace themselves, and a database that is back should be used at once.
    backoff: (retries: number) => Math.min(0.05 * retries, 0.5),
  });
}

/**
 * The parameters of the commit statement (statements.ts) for several batches as one transaction,
 * numbered commitNumber, by the store whose token is writer.
 * ON CONFLICT DO UPDATE may touch a row only once per statement: the latest record of each
 * interaction and the latest login or logout of each agent win, as they would one by one.
 */
export function commitParameters(batches: readonly CommitBatch[], commitNumber: number, writer: string, epoch: number): (string | number | string[] | null)[] {
  const interactions = new Map<string, InteractionRecord>();
  const agents = new Map<string, AgentLoginRecord>();
  for (const batch of batches) {
    for (const record of batch.interactions) interactions.set(record.interactionId, record);
    for (const agent of batch.agents) agents.set(agent.agentId, agent);
  }
  // The batches' seqs run on from one to the next, so their events make one chunk.
  const chunk = toChunk(batches.length === 1 ? batches[0]!.events : batches.flatMap((batch) => batch.events));
  const rows: (Omit<InteractionRecord, 'userData' | 'participants'> & { userData: string; participants: string })[] = [];
  for (const record of interactions.values()) rows.push({ ...record, userData: JSON.stringify(record.userData), participants: JSON.stringify(record.participants) });
  const logins: AgentLoginRecord[] = [];
  const logouts: string[] = [];
  for (const agent of agents.values()) {
    if (agent.loggedIn) logins.push(agent);
    else logouts.push(agent.agentId);
  }
  const counters: Counters = batches[batches.length - 1]!.counters;
  return [
    JSON.stringify(rows), chunk?.firstSeq ?? null, chunk?.lastSeq ?? null, chunk?.events ?? null, JSON.stringify(logins), logouts,
    counters.lastInteraction, counters.lastTicket, counters.lastEntry, counters.lastSeq, commitNumber, writer, epoch,
  ];
}

interface WaitingCommit {
  batch: CommitBatch;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** One statement on the wire: its number, the commits it carries, and how the attempt ended. */
interface SentCommit {
  number: number;
  commits: WaitingCommit[];
  parameters: (string | number | string[] | null)[];
  outcome: Promise<Outcome>;
}

/** `missing`: the commit before it was not there, so this one wrote nothing. */
type Outcome = { kind: 'landed' } | { kind: 'missing'; previous: number } | { kind: 'failed'; error: Error };

export class PostgresStore implements Store {
  /** One connection: commits reach the server one after another, in the order they were issued. */
  private readonly commits: ReplaceableClient;
  private readonly reads: ReplaceableClient;
  private readonly statements: Statements;
  /** Commits issued while the window is full; they go together in the next statement. */
  private waiting: WaitingCommit[] = [];
  /** The statements on the wire, in the order they were sent. */
  private readonly window: SentCommit[] = [];
  /** While commits are sent again after a fault, nothing new is sent. */
  private retrying = false;
  /** The number of the last commit sent. */
  private lastCommitNumber = 0;
  /** Written with every commit, so that a retry knows its own commit from another server's. */
  private readonly writer = randomUUID();
  /** The lease's epoch while this store is the primary; null while it stands by. */
  private epoch: number | null = null;
  private readonly lease: Lease;
  readonly primacy: Primacy;
  /** The loop that settles the window, while it runs. */
  private committing: Promise<void> | null = null;
  /** After a commit failed for good nothing more is committed: a later batch must never land without an earlier one. */
  private failure: Error | null = null;
  private closed = false;
  private available = true;
  private availabilityListener: ((available: boolean, cause: Error | null) => void) | null = null;

  private readonly stuckCommitMs: number;

  private constructor(commits: ReplaceableClient, reads: ReplaceableClient, schema: string, stuckCommitMs: number, makeSession: () => Sql, leaseMs: number | undefined) {
    this.commits = commits;
    this.reads = reads;
    this.statements = statements(schema);
    this.stuckCommitMs = stuckCommitMs;
    this.lease = new Lease(makeSession, this.statements, schema, this.writer, leaseTiming(leaseMs));
    // Another server holds the lease now: nothing more may be committed from here.
    this.lease.watchLoss((error) => {
      this.failure ??= error;
    });
    this.primacy = {
      acquire: async (advertisedUrl) => {
        const { epoch, commitNumber } = await this.lease.acquire(advertisedUrl);
        this.lastCommitNumber = commitNumber;
        this.epoch = epoch;
        return epoch;
      },
      holds: () => this.lease.holds(),
      view: () => this.lease.view(),
      watchLoss: (listener) => this.lease.watchLoss(listener),
    };
  }

  /** Connects, creates the schema if it is missing and migrates it. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const schema = options.schema ?? defaultSchema;
    checkSchemaName(schema);
    const queryDeadlineMs = options.queryDeadlineMs ?? defaultQueryDeadlineMs;
    const reads = new ReplaceableClient(() => connect(url, readConnectionsMax), queryDeadlineMs);
    let current: { commit_number: number; epoch: number } | undefined;
    try {
      // Migrating changes no data, and runs under its own lock: a standby may do it beside a primary.
      await reads.run((sql) => migrate(sql, schema));
      if (options.withoutLease === true) [current] = await reads.run((sql) => sql.unsafe<{ commit_number: number; epoch: number }[]>(statements(schema).selectCommitNumber));
    } catch (error) {
      await reads.end();
      throw error;
    }
    // synchronous_commit on: a database or role set to off would let an acknowledged move vanish
    // in a crash of the database server, which SPEC section 6 rules out.
    const commits = new ReplaceableClient(() => connect(url, 1, { synchronous_commit: 'on' }), queryDeadlineMs);
    const store = new PostgresStore(commits, reads, schema, options.stuckCommitMs ?? defaultStuckCommitMs, () => connect(url, 1, {}, true), options.leaseMs);
    if (current !== undefined) {
      store.lastCommitNumber = current.commit_number;
      store.epoch = current.epoch;
      store.lease.adoptCurrentEpoch(current.epoch);
    } else if (options.standby !== true) {
      await store.primacy.acquire(null).catch(async (error: unknown) => {
        await store.close();
        throw error;
      });
    }
    return store;
  }

  /** Creates the schema if it is missing and migrates it, without opening the store (`openixn migrate`). */
  static async migrate(url: string, options: PostgresStoreOptions = {}): Promise<number> {
    const schema = options.schema ?? defaultSchema;
    checkSchemaName(schema);
    const sql = connect(url, 1);
    try {
      // A migration the running servers do not know would stop them at their next start: refuse,
      // changing nothing, rather than let a deploy step run under a live primary unnoticed. (A
      // schema from before the lease has no lease table, and no primary can hold it.)
      const [lease] = await sql.unsafe<{ table: string | null }[]>('SELECT to_regclass($1)::text AS table', [`${quoteIdentifier(schema)}.lease`]);
      const primary = lease?.table == null ? { live: false, primaryUrl: null } : await primaryIsLive(sql, statements(schema), schema);
      if (primary.live) {
        throw new Error(`another openixn is using this store (${options.where ?? `schema ${schema}`}): its primary${primary.primaryUrl === null ? '' : ` (${primary.primaryUrl})`} holds the store's lease. Stop it first, or give this server a store of its own.`);
      }
      return await migrate(sql, schema);
    } finally {
      await sql.end({ timeout: 5 });
    }
  }

  async load(sink: LoadSink): Promise<void> {
    // One snapshot, so the counters cannot be older than the interactions they count; the
    // interactions come through a cursor, a batch at a time.
    const reader = new RowReader();
    await this.reads.run((reads) => reads.begin('isolation level repeatable read read only', async (sql) => {
      const [row] = await sql.unsafe<{ last_interaction: number; last_ticket: number; last_entry: number; last_seq: number }[]>(this.statements.selectCounters);
      if (row === undefined) throw new Error('the counters row is missing from the PostgreSQL store');
      const agents = await sql.unsafe<{ agent_id: string; place_id: string }[]>(this.statements.selectLogins);
      sink.begin({
        agents: agents.map((agent): AgentLoginRecord => ({ agentId: agent.agent_id, placeId: agent.place_id, loggedIn: true })),
        counters: { lastInteraction: row.last_interaction, lastTicket: row.last_ticket, lastEntry: row.last_entry, lastSeq: row.last_seq },
      });
      await sql.unsafe<{ row: string }[]>(this.statements.selectLiveInteractions).cursor(loadBatchSize, (rows) => {
        sink.interactions(reader.records(batchOfRows(rows.map(({ row }) => row))));
      });
    }), loadDeadlineMs);
  }

  commit(batch: CommitBatch): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the PostgreSQL store is closed'));
    if (this.failure !== null) return Promise.reject(this.earlierFailure());
    if (this.epoch === null) return Promise.reject(new NotPrimary('this server stands by: it has not taken the store\'s lease', this.lease.view().primaryUrl));
    return new Promise((resolve, reject) => {
      this.waiting.push({ batch, resolve, reject });
      this.pump();
    });
  }

  watchAvailability(listener: (available: boolean, cause: Error | null) => void): void {
    this.availabilityListener = listener;
  }

  private setAvailable(available: boolean, cause: Error | null): void {
    if (this.available === available) return;
    this.available = available;
    this.availabilityListener?.(available, cause);
  }

  /** Sends what waits while the window has room (not while a retry runs), and settles the window. */
  private pump(): void {
    if (this.retrying || this.failure !== null) return;
    while (this.window.length < commitsInFlightMax && this.waiting.length > 0) {
      const commits = this.waiting;
      this.waiting = [];
      const number = ++this.lastCommitNumber;
      const parameters = commitParameters(commits.map((commit) => commit.batch), number, this.writer, this.epoch!);
      this.window.push({ number, commits, parameters, outcome: this.send(number, parameters) });
    }
    if (this.window.length > 0) this.committing ??= this.settle();
  }

  /**
   * Settles the window in order. When a commit does not land (a fault, or a fault before it), the
   * rest of the window is let finish, and then the commits that did not land are sent again one at
   * a time, in order, until each has; only then does the window open again. A failure a retry
   * cannot cure fails every commit not yet landed, and every later one.
   */
  private async settle(): Promise<void> {
    while (this.window.length > 0) {
      const head = this.window[0]!;
      const outcome = await this.watched(head.outcome);
      if (outcome.kind === 'landed') {
        this.window.shift();
        this.resolveAll(head.commits);
        this.setAvailable(true, null);
        this.pump();
        continue;
      }
      // The head did not land, or its answer was lost: nothing after it has landed without it.
      this.retrying = true;
      const unsettled = this.window.splice(0);
      await Promise.all(unsettled.map((sent) => sent.outcome));
      await this.retryInOrder(unsettled, outcome);
      this.retrying = false;
      if (this.failure !== null) this.rejectAll(this.waiting.splice(0), this.earlierFailure());
      this.pump();
    }
    this.committing = null;
  }

  /** Sends each commit again, in order, until it has landed; the first outcome is the head's. */
  private async retryInOrder(sent: SentCommit[], headOutcome: Outcome): Promise<void> {
    let outcome: Outcome = headOutcome;
    for (let index = 0; index < sent.length; index++) {
      const commit = sent[index]!;
      let failedAttempts = 0;
      if (index > 0) outcome = await commit.outcome;
      while (outcome.kind !== 'landed') {
        const failure = outcome.kind === 'failed' ? outcome.error : null;
        if (outcome.kind === 'missing' && outcome.previous !== commit.number - 1 && failedAttempts > 0) {
          // Retried alone, in order, it still finds commits missing before it: the database lost them.
          outcome = { kind: 'failed', error: new Error(`commit ${commit.number} found only commit ${outcome.previous} stored: the database lost commits it had acknowledged`) };
          continue;
        }
        if (failure !== null && !isTransientFault(failure)) {
          this.failure = failure;
          for (const rest of sent.slice(index)) this.rejectAll(rest.commits, failure);
          return;
        }
        if (this.closed) {
          // Closing while the database is away: these were never acknowledged, so failing them loses nothing.
          const error = new Error('the PostgreSQL store was closed while the database was unavailable');
          for (const rest of sent.slice(index)) this.rejectAll(rest.commits, error);
          return;
        }
        // A later commit's first outcome comes from the fault the head already reported.
        if (failure !== null && (index === 0 || failedAttempts > 0)) this.setAvailable(false, failure);
        failedAttempts++;
        const delayMs = retryDelayMs(failedAttempts);
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        outcome = await this.watched(this.send(commit.number, commit.parameters));
      }
      this.resolveAll(commit.commits);
      this.setAvailable(true, null);
    }
  }

  /** One attempt of one commit; never rejects. A commit that finds its own number (or a later one) stored had landed. */
  private async send(number: number, parameters: (string | number | string[] | null)[]): Promise<Outcome> {
    try {
      const [row] = await this.commits.run((sql) => sql.unsafe<{ landed: number; previous: number; previous_writer: string; previous_epoch: number }[]>(this.statements.commit, parameters, { prepare: true }));
      if (row === undefined) return { kind: 'failed', error: new Error('the commit statement returned no row') };
      if (row.landed === 1) return { kind: 'landed' };
      // Another server took the lease: this commit wrote nothing, and none after it may.
      if (row.previous_epoch !== this.epoch) return { kind: 'failed', error: await this.lease.fenced() };
      if (row.previous >= number) {
        // Its own number already there: this commit landed before, its answer lost; unless another server wrote it.
        if (row.previous_writer === this.writer) return { kind: 'landed' };
        return { kind: 'failed', error: new Error(`commit ${number} of this server found commit ${row.previous} of another one: two servers write the schema; this one stops`) };
      }
      return { kind: 'missing', previous: row.previous };
    } catch (error) {
      return { kind: 'failed', error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  /** Waits for an attempt; one that takes stuckCommitMs makes the store report itself unavailable meanwhile. */
  private async watched(outcome: Promise<Outcome>): Promise<Outcome> {
    const stuck = setTimeout(() => this.setAvailable(false, new Error(`a commit has waited ${this.stuckCommitMs} ms for PostgreSQL`)), this.stuckCommitMs);
    try {
      return await outcome;
    } finally {
      clearTimeout(stuck);
    }
  }

  private resolveAll(commits: readonly WaitingCommit[]): void {
    for (const commit of commits) commit.resolve();
  }

  private rejectAll(commits: readonly WaitingCommit[], error: Error): void {
    for (const commit of commits) commit.reject(error);
  }

  private earlierFailure(): Error {
    // Standing by is no fault: the server closes its clients with the primary's URL, not as a crash.
    if (this.failure instanceof NotPrimary) return this.failure;
    return new Error(`an earlier commit failed: ${this.failure?.message ?? 'unknown'}`);
  }

  async readEvents(fromSeq: number, toSeq: number, limit: number, maxBytes = Number.MAX_SAFE_INTEGER): Promise<StoredEvent[]> {
    if (limit <= 0 || fromSeq > toSeq) return [];
    // Seqs have no gaps, so no more than `limit` events lie past fromSeq + limit - 1: bounding the
    // range there keeps the query to the chunks of one page. Without it each page of a replay read
    // (and measured the length of) up to `limit` whole chunks: 622 events/s replaying a million.
    const lastSeq = Math.min(toSeq, fromSeq + limit - 1);
    const rows = await this.reads.run((sql) => sql.unsafe<{ first_seq: number; events: string }[]>(this.statements.selectChunks, [fromSeq, lastSeq, limit, maxBytes], { prepare: true }));
    return fromChunks(rows.map((row) => ({ firstSeq: row.first_seq, events: row.events })), fromSeq, lastSeq, limit, maxBytes);
  }

  async findSubmittedAt(interactionId: string): Promise<number | null> {
    const rows = await this.reads.run((sql) => sql.unsafe<{ submitted_at: number }[]>(this.statements.selectSubmittedAt, [interactionId], { prepare: true }));
    return rows[0]?.submitted_at ?? null;
  }

  async findByExternalId(submittedBy: string, externalId: string): Promise<string | null> {
    const rows = await this.reads.run((sql) => sql.unsafe<{ interaction_id: string }[]>(this.statements.selectInteractionByExternalId, [submittedBy, externalId], { prepare: true }));
    return rows[0]?.interaction_id ?? null;
  }

  // Webhook cursors go over the read connections: they are no part of the numbered commits, and a
  // slow receiver's bookkeeping must never queue behind (or ahead of) the core's work.
  async readWebhookCursors(): Promise<WebhookCursor[]> {
    const rows = await this.reads.run((sql) => sql.unsafe<{ endpoint: string; last_seq: number }[]>(this.statements.selectWebhookCursors));
    return rows.map((row) => ({ endpoint: row.endpoint, lastSeq: row.last_seq }));
  }

  async saveWebhookCursor(cursor: WebhookCursor): Promise<void> {
    if (this.epoch === null) throw new NotPrimary('this server stands by: it has not taken the store\'s lease', this.lease.view().primaryUrl);
    const written = await this.reads.run((sql) => sql.unsafe(this.statements.upsertWebhookCursor, [cursor.endpoint, cursor.lastSeq, this.epoch!], { prepare: true }));
    // A primary that lost its lease must not move a cursor back under the new one.
    if (written.length === 0) throw await this.lease.fenced();
  }

  /** Waits for the commits already issued, then closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.committing !== null) await this.committing;
    await this.lease.close();
    await Promise.all([this.commits.end(), this.reads.end()]);
  }
}
