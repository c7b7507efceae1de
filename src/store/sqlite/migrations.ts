// The SQLite schema, as numbered migrations. A migration is never edited once released; a change
// is a new migration. The applied version is kept in schema_version.

export const migrations: readonly string[] = [
  // 1: interactions, the reporting log, and the counters that make ids and seqs unique.
  `
  CREATE TABLE interactions (
    interaction_id TEXT PRIMARY KEY,
    number INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    type TEXT NOT NULL,
    subtype TEXT NOT NULL,
    priority INTEGER NOT NULL,
    user_data TEXT NOT NULL,
    submitted_at INTEGER NOT NULL,
    submitted_by TEXT NOT NULL,
    external_id TEXT,
    state TEXT NOT NULL,
    queue TEXT,
    workbin_name TEXT,
    workbin_owner TEXT,
    entered_at INTEGER NOT NULL,
    entry_order INTEGER NOT NULL,
    assigned_to TEXT,
    place_id TEXT,
    ticket_id INTEGER,
    ticket_agent_id TEXT,
    ticket_place_id TEXT
  ) WITHOUT ROWID;
  CREATE INDEX interactions_live ON interactions (state) WHERE state <> 'stopped';
  CREATE UNIQUE INDEX interactions_external_id ON interactions (submitted_by, external_id) WHERE external_id IS NOT NULL;
  -- The reporting log in chunks: the events of one commit, consecutive seqs from first_seq,
  -- as JSON lines exactly as they were sent. One row per commit instead of one per event.
  CREATE TABLE reporting_log (
    first_seq INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    events TEXT NOT NULL
  );
  CREATE TABLE counters (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_interaction INTEGER NOT NULL,
    last_ticket INTEGER NOT NULL,
    last_entry INTEGER NOT NULL,
    last_seq INTEGER NOT NULL
  );
  INSERT INTO counters VALUES (1, 0, 0, 0, 0);
  `,
  // 2: who is logged in, so that a restart can report their logout.
  `
  CREATE TABLE agent_logins (
    agent_id TEXT PRIMARY KEY,
    place_id TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 3: how far each webhook endpoint has received the reporting log, by endpoint name.
  `
  CREATE TABLE webhook_cursors (
    endpoint TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 4: when waiting work expires and when scheduled work becomes routable (SPEC 9.4), so that both
  // outlive a restart.
  `
  ALTER TABLE interactions ADD COLUMN expires_at INTEGER;
  ALTER TABLE interactions ADD COLUMN scheduled_at INTEGER;
  `,
  // 5: the participants of a conference beside its owner (SPEC 9.2), as JSON text: a restart keeps every party.
  `
  ALTER TABLE interactions ADD COLUMN participants TEXT NOT NULL DEFAULT '[]';
  `,
];
