// Which PostgreSQL failures pass. A restart of the database, a failover, a dropped connection, a
// full disk or too many connections end by themselves or by an operator's hand, and the same
// commit then succeeds: the store holds it and tries again. A failure that the statement itself
// causes (a constraint, a type, a missing table) would fail the same way every time: that is a bug
// or a damaged schema, and the server stops (fail-stop) rather than hold work it can never commit.

/**
 * SQLSTATE classes a retry cannot cure: 0A feature not supported, 21 cardinality violation, 22 data
 * exception, 23 integrity constraint violation, 42 syntax error or access rule violation (which
 * covers a dropped table), 44 with check option violation. Everything else the server reports
 * (08 connection exception, 25006 read-only after a failover, 28 authorization, 3D a missing
 * database, 53 insufficient resources, 55 a database not accepting connections, 57 an operator's
 * shutdown, 58 an I/O error) is worth waiting out.
 */
const permanentClasses = new Set(['0A', '21', '22', '23', '42', '44']);

/** Errors of the connection, not the statement: the socket's, and postgres.js's own. */
const connectionCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  // No answer within the deadline (client.ts).
  'QUERY_DEADLINE',
]);

/** True when the same commit may well succeed later; false for a bug (an error without a code included). */
export function isTransientFault(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  if (typeof code !== 'string') return false;
  if (connectionCodes.has(code)) return true;
  // A PostgresError carries the server's severity and a five-character SQLSTATE.
  if (typeof severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) return !permanentClasses.has(code.slice(0, 2));
  return false;
}

/** The wait before the next attempt: at once, then 50 ms doubling to at most one second. */
export function retryDelayMs(failedAttempts: number): number {
  if (failedAttempts <= 1) return 0;
  return Math.min(50 * 2 ** (failedAttempts - 2), 1000);
}
