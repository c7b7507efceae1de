// High availability: any number of servers on one PostgreSQL schema, one of them the primary. The
// primary holds the lease row (migration 5) with an epoch, the fencing token, and renews it every
// third of the lease period; every commit checks the epoch on the counters row it updates
// (statements.ts), so a primary that was paused (SIGSTOP, a long GC, a partition) and wakes after
// another server took over writes nothing: its next commit or renewal finds the later epoch.
//
// A standby reads the lease on a short period and takes over, with the next epoch, when
// - the lease was released (its holder stopped cleanly, or none ever held it), or
// - its renewals have not moved for a whole lease period, measured on the standby's own monotonic
//   clock from the moment it saw them move (so clocks that disagree between hosts do not matter), or
// - the holder's session is gone: the primary of epoch e holds a session advisory lock on (schema,
//   e) for its life, and PostgreSQL drops it the moment that session ends (a kill -9 closes the
//   socket). A standby that can take the lock knows the holder has no session and need not wait.
// Before taking over, a standby takes the lock of the epoch it is about to start: of several
// standbys only one gets it, and a standby that would find the new primary's lock free in the
// moment between its takeover and its lock cannot exist.
//
// Safety never rests on timing: a takeover is a compare-and-set on the epoch (and on the renewals
// it saw), and a commit lands only in its own epoch. Timing only decides how soon a standby moves
// and how long a primary that cannot renew goes on answering (holds()).

import { performance } from 'node:perf_hooks';
import { NotPrimary, type PrimaryView } from '../store.js';
import { ReplaceableClient, type Sql } from './client.js';
import type { Statements } from './statements.js';

/** The lease period when the config names none: a primary that stops renewing is replaced about this long after. */
export const defaultLeaseMs = 3000;

export interface LeaseTiming {
  /** A lease not renewed for this long may be taken over. */
  leaseMs: number;
  /** How often the primary renews: a third of the lease, so two renewals may fail before it lapses. */
  renewEveryMs: number;
  /** How often a standby reads the lease: a sixth of it, at most half a second. */
  checkEveryMs: number;
}

export function leaseTiming(leaseMs = defaultLeaseMs): LeaseTiming {
  return { leaseMs, renewEveryMs: leaseMs / 3, checkEveryMs: Math.min(leaseMs / 6, 500) };
}

/** The first checks of a standby that has just started come this often. */
const quickCheckMs = 100;
const quickChecks = 10;

/** The advisory lock's keys: hashtext of this, and hashtext of the schema's name and the epoch. */
const lockNamespace = 'openixn lease';

interface LeaseRow {
  epoch: number;
  holder: string;
  advertised_url: string | null;
  renewals: number;
  released: boolean;
}

/** What the standby last saw of the lease, and when (monotonic ms). */
interface Seen {
  epoch: number;
  renewals: number;
  released: boolean;
  atMs: number;
}

export class Lease {
  private readonly client: ReplaceableClient;
  private readonly statements: Statements;
  private readonly schema: string;
  private readonly timing: LeaseTiming;
  /** Names this server in the lease row (the store's writer token). */
  private readonly holder: string;
  /** The epoch this server holds, once it is the primary. */
  private epoch: number | null = null;
  /** The backend whose session holds the lock of `epoch`, to notice a reconnection (which loses it). */
  private lockingBackend: number | null = null;
  private seen: Seen | null = null;
  private current: PrimaryView = { epoch: 0, primaryUrl: null };
  /** When the last renewal that landed was sent (monotonic ms). */
  private renewedAtMs = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  private renewing = false;
  private readonly lossListeners: ((error: NotPrimary) => void)[] = [];
  private lost: NotPrimary | null = null;
  private closed = false;
  private wakeStandby: (() => void) | null = null;

  constructor(makeSession: () => Sql, statements: Statements, schema: string, holder: string, timing: LeaseTiming) {
    // A query on the lease that takes a whole lease period is of no use any more.
    this.client = new ReplaceableClient(makeSession, timing.leaseMs);
    this.statements = statements;
    this.schema = schema;
    this.holder = holder;
    this.timing = timing;
  }

  get heldEpoch(): number | null {
    return this.epoch;
  }

  view(): PrimaryView {
    return this.current;
  }

  holds(): boolean {
    return this.epoch !== null && this.lost === null && performance.now() - this.renewedAtMs < this.timing.leaseMs;
  }

  /** Waits as a standby until this server takes the lease; resolves with the epoch and the last commit's number. */
  async acquire(advertisedUrl: string | null): Promise<{ epoch: number; commitNumber: number }> {
    let checks = 0;
    while (!this.closed) {
      try {
        const taken = await this.tryTakeOver(advertisedUrl);
        if (taken !== null) {
          this.startRenewing();
          return taken;
        }
      } catch {
        // The database is away: the lease is read again at the next check.
      }
      await new Promise<void>((resolve) => {
        this.wakeStandby = resolve;
        // A server restarted after a crash finds its predecessor's session still closing for a
        // moment: the first second is checked more often, so that a restart is not slowed by it.
        setTimeout(resolve, ++checks <= quickChecks ? Math.min(quickCheckMs, this.timing.checkEveryMs) : this.timing.checkEveryMs);
      });
    }
    throw new Error('the store was closed while this server stood by');
  }

  /** Without high availability (tests of the commit chain alone): the epoch the counters carry now. */
  adoptCurrentEpoch(epoch: number): void {
    this.epoch = epoch;
    this.renewedAtMs = Number.POSITIVE_INFINITY;
  }

  watchLoss(listener: (error: NotPrimary) => void): void {
    if (this.lost !== null) listener(this.lost);
    else this.lossListeners.push(listener);
  }

  /** A commit found a later epoch: the lease is lost whatever the renewals say. */
  async fenced(): Promise<NotPrimary> {
    if (this.lost !== null) return this.lost;
    let primaryUrl: string | null = null;
    try {
      const row = await this.readLease();
      primaryUrl = row.released ? null : row.advertised_url;
    } catch {
      // The URL is a hint; without it clients try their other URLs.
    }
    return this.lose(primaryUrl);
  }

  /** Stops renewing; a primary releases the lease so that a standby takes over at once. Closing the session drops its lock. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeStandby?.();
    if (this.timer !== null) clearInterval(this.timer);
    if (this.epoch !== null && this.lost === null && Number.isFinite(this.renewedAtMs)) {
      await this.client.run((sql) => sql.unsafe(this.statements.releaseLease, [this.epoch!], { prepare: true })).catch(() => undefined);
    }
    await this.client.end().catch(() => undefined);
  }

  private async readLease(): Promise<LeaseRow> {
    const [row] = await this.client.run((sql) => sql.unsafe<LeaseRow[]>(this.statements.selectLease));
    if (row === undefined) throw new Error('the lease row is missing from the PostgreSQL store');
    return row;
  }

  /** One standby check: reads the lease and takes it over when it is free. */
  private async tryTakeOver(advertisedUrl: string | null): Promise<{ epoch: number; commitNumber: number } | null> {
    const row = await this.readLease();
    const nowMs = performance.now();
    const seen = this.seen;
    if (seen === null || seen.epoch !== row.epoch || seen.renewals !== row.renewals || seen.released !== row.released) {
      this.seen = { epoch: row.epoch, renewals: row.renewals, released: row.released, atMs: nowMs };
    }
    this.current = { epoch: row.epoch, primaryUrl: row.released ? null : row.advertised_url };
    let renewalsSeen: number | null = row.renewals;
    let holderLockTaken = false;
    if (!row.released && nowMs - this.seen!.atMs < this.timing.leaseMs) {
      // Still renewed: free only if its holder's session is gone.
      holderLockTaken = (await this.tryLock(row.epoch)) !== null;
      if (!holderLockTaken) return null;
      renewalsSeen = null;
    }
    try {
      // The lock of the next epoch first: of several standbys, one goes on.
      const lockingBackend = await this.tryLock(row.epoch + 1);
      if (lockingBackend === null) return null;
      const [taken] = await this.client.run((sql) => sql.unsafe<{ epoch: number; commit_number: number }[]>(
        this.statements.takeLease, [row.epoch, renewalsSeen, this.holder, advertisedUrl], { prepare: true }));
      if (taken === undefined) {
        await this.unlock(row.epoch + 1);
        return null;
      }
      this.epoch = taken.epoch;
      this.lockingBackend = lockingBackend;
      this.renewedAtMs = nowMs;
      this.current = { epoch: taken.epoch, primaryUrl: advertisedUrl };
      return { epoch: taken.epoch, commitNumber: taken.commit_number };
    } finally {
      if (holderLockTaken) await this.unlock(row.epoch).catch(() => undefined);
    }
  }

  private startRenewing(): void {
    this.timer = setInterval(() => void this.renew(), this.timing.renewEveryMs);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.closed || this.lost !== null || this.epoch === null) return;
    this.renewing = true;
    const sentAtMs = performance.now();
    try {
      const [row] = await this.client.run((sql) => sql.unsafe<{ renewals: number; backend: number }[]>(this.statements.renewLease, [this.epoch!], { prepare: true }));
      if (row === undefined) {
        await this.fenced();
        return;
      }
      this.renewedAtMs = sentAtMs;
      // A new session (the connection was replaced) holds no lock until it takes it again.
      if (row.backend !== this.lockingBackend) this.lockingBackend = await this.tryLock(this.epoch);
    } catch {
      // The database is away: holds() turns false once a lease period passes without a renewal.
    } finally {
      this.renewing = false;
    }
  }

  private lose(primaryUrl: string | null): NotPrimary {
    this.lost ??= new NotPrimary('another openixn holds this store\'s lease now: this server writes nothing more and stands by', primaryUrl);
    if (this.timer !== null) clearInterval(this.timer);
    for (const listener of this.lossListeners.splice(0)) listener(this.lost);
    return this.lost;
  }

  /** Takes the lock of an epoch on the lease's session: the session's backend when it has it now, else null. */
  private async tryLock(epoch: number): Promise<number | null> {
    const [row] = await this.client.run((sql) => sql.unsafe<{ locked: boolean; backend: number }[]>(
      'SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS locked, pg_backend_pid() AS backend', [lockNamespace, `${this.schema} ${epoch}`]));
    return row?.locked === true ? row.backend : null;
  }

  private async unlock(epoch: number): Promise<void> {
    await this.client.run((sql) => sql.unsafe('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', [lockNamespace, `${this.schema} ${epoch}`]));
  }
}

/** Whether the primary of the lease's current epoch still has a session (for `openixn migrate`). */
export async function primaryIsLive(sql: Sql, statements: Statements, schema: string): Promise<{ live: boolean; primaryUrl: string | null }> {
  const [row] = await sql.unsafe<LeaseRow[]>(statements.selectLease);
  if (row === undefined || row.released) return { live: false, primaryUrl: null };
  const [lock] = await sql.unsafe<{ locked: boolean }[]>('SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS locked', [lockNamespace, `${schema} ${row.epoch}`]);
  if (lock?.locked === true) await sql.unsafe('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', [lockNamespace, `${schema} ${row.epoch}`]);
  return { live: lock?.locked !== true, primaryUrl: row.advertised_url };
}
