// A postgres.js client that is thrown away after a connection fault. postgres.js 3.4 can leave a
// connection wedged after one (a query reset by ECONNRESET stays attached to its connection, and
// the next query on it waits forever: porsager/postgres issues 1130 and 1193), so rather than
// trust its reconnection, the store makes a new client after any transient fault and destroys the
// old one. A query that gets no answer within a deadline counts as such a fault: a wedged
// connection looks exactly like that.

import type postgres from 'postgres';
import { isTransientFault } from './faults.js';

export type Sql = postgres.Sql<{ bigint: number }>;

export class ReplaceableClient {
  private sql: Sql;
  private readonly make: () => Sql;
  private readonly deadlineMs: number;

  constructor(make: () => Sql, deadlineMs: number) {
    this.make = make;
    this.deadlineMs = deadlineMs;
    this.sql = make();
  }

  /**
   * Runs queries on the current client; a transient fault, or no answer within the deadline (the
   * client's, or a longer one for work known to be long), replaces it.
   */
  async run<T>(use: (sql: Sql) => Promise<T>, deadlineMs = this.deadlineMs): Promise<T> {
    const sql = this.sql;
    const work = use(sql);
    // After a deadline the work is abandoned; its late rejection (the client destroyed) is expected.
    work.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`PostgreSQL gave no answer within ${deadlineMs} ms`), { code: 'QUERY_DEADLINE' })), deadlineMs);
    });
    try {
      return await Promise.race([work, deadline]);
    } catch (error) {
      if (isTransientFault(error)) this.replace(sql);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private replace(broken: Sql): void {
    if (this.sql !== broken) return;
    this.sql = this.make();
    // timeout 0 destroys its connections at once and fails whatever still waits on them.
    broken.end({ timeout: 0 }).catch(() => undefined);
  }

  end(): Promise<void> {
    return this.sql.end({ timeout: 5 });
  }
}
