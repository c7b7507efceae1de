// Where a test keeps its data: a fresh SQLite file in a temporary directory, or a fresh schema in
// the local PostgreSQL (dropped afterwards). OPENIXN_TEST_STORE=sqlite|postgres chooses the store
// the black-box suites run on; `npm test` runs them once with each (see vitest.config.ts).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';

export type TestStoreKind = 'sqlite' | 'postgres';

/** The database the PostgreSQL tests use; each test works in a schema of its own inside it. */
export const postgresTestUrl = process.env.OPENIXN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function testStoreKind(): TestStoreKind {
  const kind = process.env.OPENIXN_TEST_STORE ?? 'sqlite';
  if (kind !== 'sqlite' && kind !== 'postgres') throw new Error(`OPENIXN_TEST_STORE is "${kind}": use sqlite or postgres.`);
  return kind;
}

export function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'openixn-test-'));
}

/** A schema name no other test (nor another helper's test run on the same database) uses. */
export function randomSchema(): string {
  return `openixn_test_${randomBytes(6).toString('hex')}`;
}

/** An administration connection to the test database, for what a test does beside the server. */
export function administration(url = postgresTestUrl): postgres.Sql {
  return postgres(url, { max: 1, onnotice: () => {} });
}

export async function dropSchema(schema: string): Promise<void> {
  const sql = administration();
  try {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await sql.end();
  }
}

export interface TestStore {
  kind: TestStoreKind;
  /** The server's --store URL. */
  url: string;
  /** A directory for the test's other files (a config file); deleted with the store. */
  directory: string;
  /** For PostgreSQL: the schema, and the application_name that marks the server's connections. */
  schema: string | null;
  applicationName: string | null;
  /** Deletes the store: the file, or the schema with everything in it. */
  dispose(): Promise<void>;
}

export function createTestStore(kind: TestStoreKind = testStoreKind()): TestStore {
  const directory = temporaryDirectory();
  const removeDirectory = () => rmSync(directory, { recursive: true, force: true });
  if (kind === 'sqlite') {
    return {
      kind, url: `sqlite:${join(directory, 'openixn.db')}`, directory, schema: null, applicationName: null,
      dispose: () => Promise.resolve(removeDirectory()),
    };
  }
  const schema = randomSchema();
  // The application_name lets a fault test find this server's connections among everyone else's.
  const applicationName = `openixn-${schema}`;
  return {
    kind, url: `${postgresTestUrl}?schema=${schema}&application_name=${applicationName}`, directory, schema, applicationName,
    dispose: async () => {
      removeDirectory();
      await dropSchema(schema);
    },
  };
}

/**
 * A PostgreSQL database of the test's own, for faults that act on a whole database (refusing
 * connections); the store is in its default schema. Dropped with everything in it afterwards.
 */
export async function createTestDatabase(): Promise<TestStore & { database: string; applicationName: string }> {
  const database = `openixn_test_${randomBytes(6).toString('hex')}`;
  const sql = administration();
  try {
    // template0: nobody is ever connected to it, which CREATE DATABASE requires of its template.
    await sql.unsafe(`CREATE DATABASE "${database}" TEMPLATE template0`);
  } finally {
    await sql.end();
  }
  const directory = temporaryDirectory();
  const applicationName = `openixn-${database}`;
  return {
    kind: 'postgres', url: `${postgresTestUrl.slice(0, postgresTestUrl.lastIndexOf('/'))}/${database}?application_name=${applicationName}`,
    directory, schema: 'openixn', applicationName, database,
    dispose: async () => {
      rmSync(directory, { recursive: true, force: true });
      const admin = administration();
      try {
        await admin.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** Whether PostgreSQL lets anyone connect to this database (ALTER DATABASE ... ALLOW_CONNECTIONS). */
export async function allowConnections(database: string, allow: boolean): Promise<void> {
  const sql = administration();
  try {
    await sql.unsafe(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS ${allow ? 'true' : 'false'}`);
  } finally {
    await sql.end();
  }
}

/** Ends every PostgreSQL backend whose application_name is this one (a test server's); returns how many. */
export async function terminateBackends(applicationName: string): Promise<number> {
  const sql = administration();
  try {
    const rows = await sql<{ terminated: boolean }[]>`
      SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = ${applicationName} AND pid <> pg_backend_pid()`;
    return rows.filter((row) => row.terminated).length;
  } finally {
    await sql.end();
  }
}

/** How many of this application's backends wait for a lock. */
export async function backendsWaitingForLock(applicationName: string): Promise<number> {
  const sql = administration();
  try {
    const [row] = await sql<{ waiting: number }[]>`
      SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE application_name = ${applicationName} AND wait_event_type = 'Lock'`;
    return row?.waiting ?? 0;
  } finally {
    await sql.end();
  }
}

/**
 * A transaction that holds an EXCLUSIVE lock on a schema's counters table until release(): every
 * commit of a store in that schema waits inside PostgreSQL meanwhile, so a fault can be made to
 * hit a commit in flight.
 */
export async function lockCounters(schema: string): Promise<{ release(): Promise<void> }> {
  const sql = administration();
  const connection = await sql.reserve();
  await connection.unsafe('BEGIN');
  await connection.unsafe(`LOCK TABLE "${schema}".counters IN EXCLUSIVE MODE`);
  return {
    async release() {
      await connection.unsafe('COMMIT');
      connection.release();
      await sql.end();
    },
  };
}

/** Polls a condition until it holds; for states with no event to wait for (a database's view of its backends). */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
