// The command line's store handling: `openixn migrate` creates or migrates the store and exits,
// and the store URL comes from --store, then OPENIXN_STORE, then the config file, then the default.

import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { administration, createTestStore, testStoreKind, type TestStore } from '../support/test-store.js';

const mainScript = resolve(import.meta.dirname, '../../dist/main.js');

async function openixn(args: string[], environment: Record<string, string> = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [mainScript, ...args], { env: { ...process.env, ...environment } });
  return stdout;
}

async function schemaVersions(store: TestStore): Promise<number[]> {
  if (store.kind === 'sqlite') {
    const database = new Database(store.url.slice('sqlite:'.length), { readonly: true });
    try {
      return (database.prepare('SELECT version FROM schema_version ORDER BY version').all() as { version: number }[]).map((row) => row.version);
    } finally {
      database.close();
    }
  }
  const sql = administration();
  try {
    return (await sql.unsafe<{ version: number }[]>(`SELECT version FROM "${store.schema!}".schema_version ORDER BY version`)).map((row) => row.version);
  } finally {
    await sql.end();
  }
}

describe('openixn migrate', () => {
  const stores: TestStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.dispose();
  });

  it('creates the store at the latest schema version, and a second run changes nothing', async () => {
    const store = createTestStore();
    stores.push(store);
    const first = await openixn(['migrate', '--store', store.url]);
    const version = Number(/is at schema version (\d+)\n$/.exec(first)?.[1]);
    const versions = Array.from({ length: version }, (_, index) => index + 1);
    expect(version).toBeGreaterThanOrEqual(2);
    expect(await schemaVersions(store)).toEqual(versions);
    expect(await openixn(['migrate', '--store', store.url])).toBe(first);
    expect(await schemaVersions(store)).toEqual(versions);
  });

  // Which URL wins does not depend on the store, so this runs once, with the SQLite project.
  it.runIf(testStoreKind() === 'sqlite')('takes the store URL from --store, then OPENIXN_STORE, then the config file', async () => {
    const store = createTestStore('sqlite');
    stores.push(store);
    const url = (name: string) => `sqlite:${join(store.directory, `${name}.db`)}`;
    const configPath = join(store.directory, 'openixn.yaml');
    writeFileSync(configPath, `store: { url: "${url('from-config')}" }\n`);
    expect(await openixn(['migrate', '--config', configPath], { OPENIXN_STORE: '' })).toContain('from-config.db');
    expect(await openixn(['migrate', '--config', configPath], { OPENIXN_STORE: url('from-environment') })).toContain('from-environment.db');
    expect(await openixn(['migrate', '--config', configPath, '--store', url('from-flag')], { OPENIXN_STORE: url('from-environment') })).toContain('from-flag.db');
  });
});
