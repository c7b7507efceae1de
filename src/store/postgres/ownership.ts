// One server per schema: a session advisory lock on the schema's name, taken on a connection of
// its own before the server reads or writes anything, and held for the server's life. A second
// `openixn serve` (or `openixn migrate`) on the same schema finds it taken and stops before it
// changes anything. The numbered commit chain (statements.ts) stays the last line of defence: if
// the lock's connection is lost and another server takes the lock meanwhile, the first finds out
// here, at its next check, or at its next commit, whichever comes first.

import postgres from 'postgres';

/** The lock's two keys: one for openixn, one for the schema (hashtext of each). */
const lockNamespace = 'openixn serve';

/** How often the lock's connection is checked; a lost connection also starts a check at once. */
const checkIntervalMs = 2000;

/** The error every refusal carries, so that callers and tests can tell it from a database fault. */
export class StoreInUse extends Error {}

export class StoreOwnership {
  private readonly sql: postgres.Sql;
  private readonly schema: string;
  private backendPid: number;
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  private released = false;
  private onLost: ((error: Error) => void) | null = null;

  private constructor(sql: postgres.Sql, schema: string, backendPid: number) {
    this.sql = sql;
    this.schema = schema;
    this.backendPid = backendPid;
  }

  /** Takes the schema's lock, or fails with StoreInUse naming the store. */
  static async take(url: string, schema: string, where: string): Promise<StoreOwnership> {
    let ownership: StoreOwnership | null = null;
    const sql = postgres(url, {
      max: 1,
      // The lock lives as long as its connection: postgres.js must not retire it after a while.
      max_lifetime: null,
      idle_timeout: 0,
      onnotice: () => {},
      connection: { application_name: 'openixn-lock' },
      connect_timeout: 5,
      onclose: () => ownership?.checkSoon(),
    });
    try {
      const backendPid = await tryLock(sql, schema);
      if (backendPid === null) {
        throw new StoreInUse(`another openixn is using this store (${where}): it holds the store's lock. Stop it first, or give this server a store of its own.`);
      }
      ownership = new StoreOwnership(sql, schema, backendPid);
      return ownership;
    } catch (error) {
      await sql.end({ timeout: 0 }).catch(() => undefined);
      throw error;
    }
  }

  /** From now on checks the lock; `onLost` hears if another server holds it now. */
  watch(onLost: (error: Error) => void): void {
    this.onLost = onLost;
    this.timer = setInterval(() => this.checkSoon(), checkIntervalMs);
    this.timer.unref();
  }

  async release(): Promise<void> {
    this.released = true;
    if (this.timer !== null) clearInterval(this.timer);
    // Closing the session releases its advisory locks.
    await this.sql.end({ timeout: 5 }).catch(() => undefined);
  }

  /**
   * The lock holds while its session does: the same backend answers. A new backend means the
   * connection was lost (the lock with it), so the lock is taken again; if another server has
   * it by now, this one must stop. A database that does not answer is the store's outage, which
   * the commits deal with: the check tries again later.
   */
  private checkSoon(): void {
    if (this.checking || this.released) return;
    this.checking = true;
    void this.check().finally(() => {
      this.checking = false;
    });
  }

  private async check(): Promise<void> {
    try {
      const [row] = await this.sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
      if (row === undefined || row.pid === this.backendPid || this.released) return;
      const backendPid = await tryLock(this.sql, this.schema);
      if (backendPid !== null) {
        this.backendPid = backendPid;
        return;
      }
      this.onLost?.(new StoreInUse('another openixn took this store while its lock\'s connection was down; this server stops writing'));
    } catch {
      // The database is away: the lock is checked again at the next interval or reconnection.
    }
  }
}

/** The backend's pid when the lock was taken, or null when another session holds it. */
async function tryLock(sql: postgres.Sql, schema: string): Promise<number | null> {
  const [row] = await sql<{ locked: boolean; pid: number }[]>`
    SELECT pg_try_advisory_lock(hashtext(${lockNamespace}), hashtext(${schema})) AS locked, pg_backend_pid() AS pid`;
  return row?.locked === true ? row.pid : null;
}
