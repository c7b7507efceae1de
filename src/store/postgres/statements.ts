// Every statement the PostgreSQL store runs after its migrations, qualified with the store's
// schema so that openixn can share a database. A commit is one statement that writes every table:
// each table's rows go in as one JSON array parameter that json_to_recordset() turns into rows, so
// the text (and its prepared statement) is the same for 1 row or 1,000, the rows cost one native
// JSON.stringify rather than an escaped array literal per column, and the whole commit is one
// round trip to the database instead of BEGIN, a statement per table and COMMIT. Commits are
// numbered, and each writes only on top of the one before it, so several can be in flight at once.

import { quoteIdentifier } from './migrations.js';
import { interactionColumns, loadedColumns } from '../interaction-row.js';

export interface Statements {
  /**
   * One commit as one statement (an implicit transaction, one round trip): $1 InteractionRecords
   * as a JSON array, each userData as JSON text; $2, $3, $4 the commit's reporting chunk (first
   * seq, last seq, the events as JSON lines: plain parameters, so the text crosses unescaped), or
   * nulls when it has no events; $5 logins as a JSON array of AgentLoginRecords; $6 the agent ids
   * logged out; $7 to $10 lastInteraction, lastTicket, lastEntry, lastSeq; $11 the commit's number;
   * $12 the store's writer token; $13 the epoch of the lease this server holds (lease.ts). It
   * writes only if the last commit stored is numbered $11 - 1 and the counters carry epoch $13 (the
   * guard: a takeover raises the epoch on the same row, so a commit of a primary that lost its
   * lease waits for the takeover's row lock and then finds the new epoch), and answers `landed` (1
   * or 0) and the number, writer and epoch stored before it: a commit that finds its own number or
   * a later one there, by its own writer, had landed before (a retry after an answer lost). Each data-modifying CTE writes its own table (logins and logouts name
   * different agents).
   */
  commit: string;
  /** The number of the last commit stored, and the epoch it was written in. */
  selectCommitNumber: string;
  selectLiveInteractions: string;
  selectSubmittedAt: string;
  /** $1 submitted_by, $2 external_id. */
  selectInteractionByExternalId: string;
  /** $1 fromSeq, $2 toSeq, $3 limit (events), $4 the characters after which no further chunk is read. */
  selectChunks: string;
  selectLogins: string;
  selectCounters: string;
  selectWebhookCursors: string;
  /** $1 endpoint, $2 last seq, $3 the epoch; writes nothing (and returns no row) once the epoch has moved on. */
  upsertWebhookCursor: string;
  /** The lease row (lease.ts). */
  selectLease: string;
  /**
   * A takeover: $1 the epoch seen, $2 the renewals seen (null: any), $3 the new holder, $4 its
   * advertised URL. Raises the epoch in the lease and in the counters in one statement, and
   * returns the new epoch and the last commit's number; no row when the lease moved meanwhile.
   */
  takeLease: string;
  /** $1 the holder's epoch: one more renewal, answered with the session's backend pid; no row when the epoch has moved on. */
  renewLease: string;
  /** $1 the holder's epoch: a clean stop, so that a standby takes over at once. */
  releaseLease: string;
}

export function statements(schemaName: string): Statements {
  const schema = quoteIdentifier(schemaName);
  const names = interactionColumns.map(([name]) => name).join(', ');
  // userData arrives as JSON text inside the JSON and is cast per row: json_to_recordset would
  // decode a nested object's strings on the way, and refuses "\u0000" in them.
  const selected = interactionColumns.map(([, field, type]) => (type === 'json' ? `"${field}"::json` : `"${field}"`)).join(', ');
  const fields = interactionColumns.map(([, field, type]) => `"${field}" ${type === 'json' ? 'text' : type}`).join(', ');
  const updates = interactionColumns.slice(1).map(([name]) => `${name} = excluded.${name}`).join(', ');
  const stored = 'EXISTS (SELECT 1 FROM guard)';
  const commit = `
    WITH guard AS (
      UPDATE ${schema}.counters SET last_interaction = $7, last_ticket = $8, last_entry = $9, last_seq = $10, commit_number = $11, writer = $12
      WHERE id = 1 AND commit_number = $11::bigint - 1 AND epoch = $13::bigint
      RETURNING 1
    ), interactions AS (
      INSERT INTO ${schema}.interactions (${names})
      SELECT ${selected} FROM json_to_recordset($1::text::json) AS batch (${fields}) WHERE ${stored}
      ON CONFLICT (interaction_id) DO UPDATE SET ${updates}
    ), chunk AS (
      INSERT INTO ${schema}.reporting_log (first_seq, last_seq, events, epoch)
      SELECT $2::bigint, $3::bigint, $4::text, $13::bigint WHERE $4::text IS NOT NULL AND ${stored}
    ), logins AS (
      INSERT INTO ${schema}.agent_logins (agent_id, place_id)
      SELECT "agentId", "placeId" FROM json_to_recordset($5::text::json) AS batch ("agentId" text, "placeId" text) WHERE ${stored}
      ON CONFLICT (agent_id) DO UPDATE SET place_id = excluded.place_id
    ), logouts AS (
      DELETE FROM ${schema}.agent_logins WHERE agent_id = ANY($6::text[]) AND ${stored}
    )
    SELECT (SELECT count(*) FROM guard)::int AS landed, previous.commit_number AS previous, previous.writer AS previous_writer, previous.epoch AS previous_epoch
    FROM ${schema}.counters AS previous WHERE previous.id = 1`;
  return {
    commit,
    selectCommitNumber: `SELECT commit_number, epoch FROM ${schema}.counters WHERE id = 1`,
    // Each row as the JSON array interaction-row.ts reads, in its column order.
    selectLiveInteractions: `SELECT json_build_array(${loadedColumns.join(', ')})::text AS row FROM ${schema}.interactions WHERE state <> 'stopped'`,
    selectSubmittedAt: `SELECT submitted_at FROM ${schema}.interactions WHERE interaction_id = $1`,
    selectInteractionByExternalId: `SELECT interaction_id FROM ${schema}.interactions WHERE submitted_by = $1 AND external_id = $2`,
    // The chunks never overlap, so the one holding fromSeq is the last that starts at or before
    // it; starting the index scan there keeps a replay from the end of a long log cheap.
    // Chunks are taken while the ones before them hold fewer than $3 events and $4 characters, so
    // that a page of large events is not read whole into memory.
    selectChunks: `
      SELECT first_seq, events FROM (
        SELECT first_seq, events,
          sum(least(last_seq, $2) - greatest(first_seq, $1) + 1) OVER running - (least(last_seq, $2) - greatest(first_seq, $1) + 1) AS events_before,
          sum(length(events)) OVER running - length(events) AS characters_before
        FROM ${schema}.reporting_log
        WHERE first_seq >= coalesce((SELECT max(first_seq) FROM ${schema}.reporting_log WHERE first_seq <= $1), $1)
          AND first_seq <= $2 AND last_seq >= $1
        WINDOW running AS (ORDER BY first_seq)
        ORDER BY first_seq LIMIT $3
      ) AS page
      WHERE events_before < $3 AND characters_before < $4::bigint
      ORDER BY first_seq`,
    selectLogins: `SELECT agent_id, place_id FROM ${schema}.agent_logins`,
    selectCounters: `SELECT last_interaction, last_ticket, last_entry, last_seq FROM ${schema}.counters WHERE id = 1`,
    selectWebhookCursors: `SELECT endpoint, last_seq FROM ${schema}.webhook_cursors`,
    upsertWebhookCursor: `
      INSERT INTO ${schema}.webhook_cursors (endpoint, last_seq)
      SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM ${schema}.counters WHERE id = 1 AND epoch = $3::bigint)
      ON CONFLICT (endpoint) DO UPDATE SET last_seq = excluded.last_seq
      RETURNING 1`,
    selectLease: `SELECT epoch, holder, advertised_url, renewals, released FROM ${schema}.lease WHERE id = 1`,
    takeLease: `
      WITH taken AS (
        UPDATE ${schema}.lease SET epoch = epoch + 1, holder = $3, advertised_url = $4, renewals = 0, released = false
        WHERE id = 1 AND epoch = $1::bigint AND ($2::bigint IS NULL OR renewals = $2::bigint)
        RETURNING epoch
      )
      UPDATE ${schema}.counters SET epoch = taken.epoch FROM taken WHERE id = 1
      RETURNING counters.epoch, counters.commit_number`,
    renewLease: `UPDATE ${schema}.lease SET renewals = renewals + 1 WHERE id = 1 AND epoch = $1::bigint AND NOT released RETURNING renewals, pg_backend_pid() AS backend`,
    releaseLease: `UPDATE ${schema}.lease SET released = true WHERE id = 1 AND epoch = $1::bigint`,
  };
}
