// Every statement the PostgreSQL store runs after its migrations, by table, qualified with the
// store's schema so that openixn can share a database. A commit writes each table with one
// multi-row statement: its rows go in as one JSON array parameter that json_to_recordset() turns
// into rows, so the text (and its prepared statement) is the same for 1 row or 1,000, and the
// rows cost one native JSON.stringify rather than an escaped array literal per column.

import { quoteIdentifier } from './migrations.js';

/** The interaction columns, each with its InteractionRecord field and its PostgreSQL type. */
const interactionColumns = [
  ['interaction_id', 'interactionId', 'text'], ['number', 'number', 'bigint'], ['media_type', 'mediaType', 'text'],
  ['type', 'type', 'text'], ['subtype', 'subtype', 'text'], ['priority', 'priority', 'bigint'], ['user_data', 'userData', 'json'],
  ['submitted_at', 'submittedAt', 'bigint'], ['submitted_by', 'submittedBy', 'text'], ['external_id', 'externalId', 'text'],
  ['state', 'state', 'text'], ['queue', 'queue', 'text'], ['workbin_name', 'workbinName', 'text'], ['workbin_owner', 'workbinOwner', 'text'],
  ['entered_at', 'enteredAt', 'bigint'], ['entry_order', 'entryOrder', 'bigint'], ['assigned_to', 'assignedTo', 'text'],
  ['place_id', 'placeId', 'text'], ['ticket_id', 'ticketId', 'bigint'], ['ticket_agent_id', 'ticketAgentId', 'text'],
  ['ticket_place_id', 'ticketPlaceId', 'text'],
] as const;

export interface Statements {
  /** $1: InteractionRecords as a JSON array, each userData as JSON text (see toJsonRows). */
  upsertInteractions: string;
  selectLiveInteractions: string;
  /** $1 submitted_by, $2 external_id. */
  selectInteractionByExternalId: string;
  /** $1: chunks as a JSON array of { firstSeq, lastSeq, events }. */
  insertChunks: string;
  /** $1 fromSeq, $2 toSeq, $3 limit (chunks, each holding at least one event in range). */
  selectChunks: string;
  /** $1: AgentLoginRecords as a JSON array. */
  upsertLogins: string;
  /** $1 agent ids. */
  deleteLogins: string;
  selectLogins: string;
  /** $1 to $4: lastInteraction, lastTicket, lastEntry, lastSeq. */
  updateCounters: string;
  selectCounters: string;
}

export function statements(schemaName: string): Statements {
  const schema = quoteIdentifier(schemaName);
  const names = interactionColumns.map(([name]) => name).join(', ');
  // userData arrives as JSON text inside the JSON and is cast per row: json_to_recordset would
  // decode a nested object's strings on the way, and refuses "\u0000" in them.
  const selected = interactionColumns.map(([, field, type]) => (type === 'json' ? `"${field}"::json` : `"${field}"`)).join(', ');
  const fields = interactionColumns.map(([, field, type]) => `"${field}" ${type === 'json' ? 'text' : type}`).join(', ');
  const updates = interactionColumns.slice(1).map(([name]) => `${name} = excluded.${name}`).join(', ');
  return {
    upsertInteractions: `
      INSERT INTO ${schema}.interactions (${names})
      SELECT ${selected} FROM json_to_recordset($1::text::json) AS batch (${fields})
      ON CONFLICT (interaction_id) DO UPDATE SET ${updates}`,
    selectLiveInteractions: `SELECT ${names} FROM ${schema}.interactions WHERE state <> 'stopped'`,
    selectInteractionByExternalId: `SELECT interaction_id FROM ${schema}.interactions WHERE submitted_by = $1 AND external_id = $2`,

    insertChunks: `
      INSERT INTO ${schema}.reporting_log (first_seq, last_seq, events)
      SELECT "firstSeq", "lastSeq", events FROM json_to_recordset($1::text::json) AS batch ("firstSeq" bigint, "lastSeq" bigint, events text)`,
    // The chunks never overlap, so the one holding fromSeq is the last that starts at or before
    // it; starting the index scan there keeps a replay from the end of a long log cheap.
    selectChunks: `
      SELECT first_seq, events FROM ${schema}.reporting_log
      WHERE first_seq >= coalesce((SELECT max(first_seq) FROM ${schema}.reporting_log WHERE first_seq <= $1), $1)
        AND first_seq <= $2 AND last_seq >= $1
      ORDER BY first_seq LIMIT $3`,

    upsertLogins: `
      INSERT INTO ${schema}.agent_logins (agent_id, place_id)
      SELECT "agentId", "placeId" FROM json_to_recordset($1::text::json) AS batch ("agentId" text, "placeId" text)
      ON CONFLICT (agent_id) DO UPDATE SET place_id = excluded.place_id`,
    deleteLogins: `DELETE FROM ${schema}.agent_logins WHERE agent_id = ANY($1::text[])`,
    selectLogins: `SELECT agent_id, place_id FROM ${schema}.agent_logins`,

    updateCounters: `UPDATE ${schema}.counters SET last_interaction = $1, last_ticket = $2, last_entry = $3, last_seq = $4 WHERE id = 1`,
    selectCounters: `SELECT last_interaction, last_ticket, last_entry, last_seq FROM ${schema}.counters WHERE id = 1`,
  };
}
