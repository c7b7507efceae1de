// Chooses the store from the store URL: sqlite:PATH for the embedded store, postgres:// (or
// postgresql://) for PostgreSQL, with openixn's tables in the schema the URL's `schema` parameter
// names (default openixn).

import { resolve } from 'node:path';
import type { Store } from './store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { SqliteWorkerStore } from './sqlite/worker-store.js';
import { PostgresStore, splitStoreUrl } from './postgres/postgres-store.js';

type StoreLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string };

function locate(url: string): StoreLocation {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw new Error('The store URL "sqlite:" names no file; write sqlite:./openixn-data/openixn.db.');
    if (path === ':memory:') throw new Error('An in-memory store would lose everything at a stop; name a file: sqlite:./openixn-data/openixn.db.');
    return { kind: 'sqlite', path: resolve(path) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { url: connectionUrl, schema } = splitStoreUrl(url);
    return { kind: 'postgres', url: connectionUrl, schema };
  }
  throw new Error(`Unknown store URL "${url}": use sqlite:PATH or postgres://USER@HOST:PORT/DATABASE.`);
}

/**
 * Opens the store (migrating it first), as the server runs it. An error names the store. A
 * PostgreSQL store opens as a standby: the server takes its lease (store.primacy) when it may.
 */
export async function openStore(url: string, options: { leaseMs?: number } = {}): Promise<Store> {
  const location = locate(url);
  return namingTheStore<Store>(url, () => (location.kind === 'sqlite'
    ? SqliteWorkerStore.open(location.path)
    : PostgresStore.open(location.url, { schema: location.schema, where: describeLocation(url, location), standby: true, ...options })));
}

/** Where the store is, for a person reading an error: the file, or the schema and the database without a password. */
function describeLocation(url: string, location: StoreLocation): string {
  return location.kind === 'sqlite' ? `sqlite:${location.path}` : `schema ${location.schema} of ${redactStoreUrl(url).split('?')[0]}`;
}

/** An error opening a store says which store, so that an operator with several knows where to look. */
async function namingTheStore<T>(url: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    const message = (error as Error).message;
    if (message.startsWith('another openixn is using this store')) throw error;
    throw new Error(`the store ${describeLocation(url, locate(url))} could not be opened: ${message}`, { cause: error });
  }
}

/** Creates or migrates the store and closes it again (`openixn migrate`); returns the schema version. */
export async function migrateStore(url: string): Promise<{ version: number; where: string }> {
  const location = locate(url);
  const where = describeLocation(url, location);
  if (location.kind === 'sqlite') {
    // Opening the store migrates it.
    const store = await namingTheStore(url, async () => new SqliteStore(location.path));
    await store.close();
    return { version: SqliteStore.schemaVersion, where };
  }
  const version = await namingTheStore(url, () => PostgresStore.migrate(location.url, { schema: location.schema, where }));
  return { version, where };
}

/** The store URL as it may be logged: a password in it is masked. */
export function redactStoreUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/, '$1:***@');
}
