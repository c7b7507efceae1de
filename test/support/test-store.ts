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
