// The PostgreSQL schema, as numbered migrations with the same tables and meaning as the SQLite
// ones (src/store/sqlite/migrations.ts). A migration is never edited once released; a change is a
// new migration. The applied version is kept in schema_version, inside openixn's own schema.
//
// Times (ms since the epoch), seqs, ids and orders are bigint: an integer column would overflow
// in 2038 for times and turn a valid priority into a failed commit. The store reads them back as
// numbers. User data is `json`, not `jsonb`: json keeps the text exactly as the server wrote it
// (key order included, and "\u0000" escapes, which jsonb refuses), so a restart gives clients the
// same userData on both stores.

import type postgres from 'postgres';

/** Each migration as a function of the quoted schema name, e.g. `"openixn"`. */
export const migrations: readonly ((schema: string) => string)[] = [
  // 1: interactions, the reporting log, and the counters that make ids and seqs unique.
  (schema) => `
  CREATE TABLE ${schema}.interactions (
    interaction_id TEXT PRIMARY KEY,
    number BIGINT NOT NULL,
    media_type TEXT NOT NULL,
    type TEXT NOT NULL,
    subtype TEXT NOT NULL,
    priority BIGINT NOT NULL,
    user_data JSON NOT NULL,
    submitted_at BIGINT NOT NULL,
    submitted_by TEXT NOT NULL,
    external_id TEXT,
    state TEXT NOT NULL,
    queue TEXT,
    workbin_name TEXT,
    workbin_owner TEXT,
    entered_at BIGINT NOT NULL,
    entry_order BIGINT NOT NULL,
    assigned_to TEXT,
    place_id TEXT,
    ticket_id BIGINT,
    ticket_agent_id TEXT,
    ticket_place_id TEXT
  );
  CREATE INDEX interactions_live ON ${schema}.interactions (state) WHERE state <> 'stopped';
  CREATE UNIQUE INDEX interactions_external_id ON ${schema}.interactions (submitted_by, external_id) WHERE external_id IS NOT NULL;
  -- The reporting log in chunks: the events of one commit, consecutive seqs from first_seq,
  -- as JSON lines exactly as they were sent. One row per commit instead of one per event.
  CREATE TABLE ${schema}.reporting_log (
    first_seq BIGINT PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    events TEXT NOT NULL
  );
  CREATE TABLE ${schema}.counters (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_interaction BIGINT NOT NULL,
    last_ticket BIGINT NOT NULL,
    last_entry BIGINT NOT NULL,
    last_seq BIGINT NOT NULL
  );
  INSERT INTO ${schema}.counters VALUES (1, 0, 0, 0, 0);
  `,
  // 2: who is logged in, so that a restart can report their logout.
  (schema) => `
  CREATE TABLE ${schema}.agent_logins (
    agent_id TEXT PRIMARY KEY,
    place_id TEXT NOT NULL
  );
  `,
  // 3: the number of the last commit, and which store wrote it. Several commits are sent at once
  // (pipelined); each one lands only on top of the one numbered before it, so none can land
  // without every earlier one, and a second server writing the same schema is found out.
  (schema) => `
  ALTER TABLE ${schema}.counters ADD COLUMN commit_number BIGINT NOT NULL DEFAULT 0;
  ALTER TABLE ${schema}.counters ADD COLUMN writer TEXT NOT NULL DEFAULT '';
  `,
  // 4: how far each webhook endpoint has received the reporting log, by endpoint name.
  (schema) => `
  CREATE TABLE ${schema}.webhook_cursors (
    endpoint TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL
  );
  `,
  // 5: when waiting work expires and when scheduled work becomes routable (SPEC 9.4), so that both
  // outlive a restart.
  (schema) => `
  ALTER TABLE ${schema}.interactions ADD COLUMN expires_at BIGINT;
  ALTER TABLE ${schema}.interactions ADD COLUMN scheduled_at BIGINT;
  `,
  // 6: high availability (lease.ts). The lease names the primary among the servers on the schema:
  // its epoch (the fencing token), the server holding it, the URL it serves clients on, and a
  // count its holder raises while it lives; released when it stopped cleanly. The counters row
  // carries the epoch too, so that a commit checks it on the very row it updates, and every chunk
  // of the reporting log says which epoch wrote it.
  (schema) => `
  CREATE TABLE ${schema}.lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL,
    holder TEXT NOT NULL,
    advertised_url TEXT,
    renewals BIGINT NOT NULL,
    released BOOLEAN NOT NULL
  );
  INSERT INTO ${schema}.lease VALUES (1, 0, '', NULL, 0, true);
  ALTER TABLE ${schema}.counters ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;
  ALTER TABLE ${schema}.reporting_log ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;
  `,
  // 7: the participants of a conference beside its owner (SPEC 9.2): a restart keeps every party.
  (schema) => `
  ALTER TABLE ${schema}.interactions ADD COLUMN participants JSON NOT NULL DEFAULT '[]';
  `,
];

/**
 * Creates the schema if it is missing and applies the migrations it lacks, all in one transaction
 * under an advisory lock on the schema's name: two servers starting at once on an empty database
 * would otherwise both find version 0 and both create the tables (CREATE SCHEMA IF NOT EXISTS
 * alone also races). The second one waits, then finds the work done. Returns the version.
 */
export async function migrate<Types extends Record<string, unknown>>(sql: postgres.Sql<Types>, schemaName: string): Promise<number> {
  const schema = quoteIdentifier(schemaName);
  return sql.begin(async (transaction) => {
    await transaction.unsafe('SELECT pg_advisory_xact_lock(hashtext($1))', [`openixn migrate ${schemaName}`]);
    await transaction.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await transaction.unsafe(`CREATE TABLE IF NOT EXISTS ${schema}.schema_version (version INTEGER NOT NULL)`);
    const [row] = await transaction.unsafe<{ version: number | null }[]>(`SELECT max(version) AS version FROM ${schema}.schema_version`);
    const current = row?.version ?? 0;
    if (current > migrations.length) {
      throw new Error(`The schema ${schema} is at version ${current}, newer than this server knows (${migrations.length}); upgrade openixn.`);
    }
    for (let version = current + 1; version <= migrations.length; version++) {
      await transaction.unsafe(migrations[version - 1]!(schema));
      await transaction.unsafe(`INSERT INTO ${schema}.schema_version (version) VALUES ($1)`, [version]);
    }
    return migrations.length;
  });
}

/**
 * Schema names are plain lower-case identifiers: they are written into every statement, and one
 * that needs quoting (a dot, upper case, a quote) would be a trap for anyone querying the tables
 * from psql.
 */
export function checkSchemaName(schemaName: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schemaName)) {
    throw new Error(`The PostgreSQL schema name "${schemaName}" is not a plain identifier: use lower-case letters, digits and _, at most 63, not starting with a digit.`);
  }
}

export function quoteIdentifier(name: string): string {
  checkSchemaName(name);
  return `"${name}"`;
}
