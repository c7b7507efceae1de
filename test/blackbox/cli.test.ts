// The command line as a new user meets it: `openixn migrate` creates or migrates the store and
// exits; the store URL comes from --store, then OPENIXN_STORE, then the config file (a relative
// path in it relative to the file), then the default; --version, clear words for a wrong flag or
// log level; the config's log.level; and a second server on a store that is in use.

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { TestClient } from '../support/client.js';
import { useChildServers } from '../support/server.js';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { administration, createTestStore, testStoreKind, type TestStore } from '../support/test-store.js';

const mainScript = resolve(import.meta.dirname, '../../dist/main.js');

async function openixn(args: string[], environment: Record<string, string> = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [mainScript, ...args], { env: { ...process.env, ...environment } });
  return stdout;
}

/** Runs the command line to its end; resolves with what it printed and its exit code, never rejects. */
async function attempt(args: string[], options: { cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [mainScript, ...args], { env: { ...process.env, OPENIXN_STORE: '' }, ...options });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
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

describe('the command line speaks plainly', () => {
  it('--version prints the package\'s version', async () => {
    const { version } = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    expect((await attempt(['--version'])).stdout).toBe(`openixn ${version}\n`);
  });

  it('an unknown flag, a flag without its value and an unknown log level are named, without the parser\'s own words', async () => {
    const unknown = await attempt(['serve', '--prot', '7000']);
    expect(unknown).toMatchObject({ code: 1, stderr: 'openixn: unknown option --prot; try: openixn --help\n' });
    expect((await attempt(['serve', '--port'])).stderr).toBe('openixn: option --port needs a value; try: openixn --help\n');
    const level = await attempt(['serve', '--log-level', 'verbose']);
    expect(level.code).toBe(1);
    expect(level.stderr).toContain('--log-level must be one of silent, fatal, error, warn, info, debug, trace, not "verbose"');
  });

  it.runIf(testStoreKind() === 'sqlite')('a relative store path in the config file is relative to the file, wherever the server starts', async () => {
    const store = createTestStore('sqlite');
    try {
      const configDirectory = join(store.directory, 'etc');
      mkdirSync(configDirectory);
      writeFileSync(join(configDirectory, 'openixn.yaml'), 'store: { url: "sqlite:data/openixn.db" }\n');
      const elsewhere = join(store.directory, 'elsewhere');
      mkdirSync(elsewhere);
      const result = await attempt(['migrate', '--config', join(configDirectory, 'openixn.yaml')], { cwd: elsewhere });
      expect(result.stdout).toContain(join(configDirectory, 'data', 'openixn.db'));
      expect(existsSync(join(configDirectory, 'data', 'openixn.db'))).toBe(true);
      expect(existsSync(join(elsewhere, 'data'))).toBe(false);
    } finally {
      await store.dispose();
    }
  });

  it('a store that cannot be opened is named in the error', async () => {
    // A path under a file, which cannot be a directory.
    const packageFile = resolve(import.meta.dirname, '../../package.json');
    const sqlite = await attempt(['migrate', '--store', `sqlite:${packageFile}/openixn.db`]);
    expect(sqlite.code).toBe(1);
    expect(sqlite.stderr).toContain(`the store sqlite:${packageFile}/openixn.db could not be opened`);
    const postgres = await attempt(['migrate', '--store', 'postgres://nobody:secret@127.0.0.1:1/nowhere?schema=lost']);
    expect(postgres.code).toBe(1);
    expect(postgres.stderr).toContain('the store schema lost of postgres://nobody:***@127.0.0.1:1/nowhere could not be opened');
    expect(postgres.stderr).not.toContain('secret');
  });

  it.runIf(testStoreKind() === 'sqlite')('the config\'s log.level is the server\'s level unless --log-level says otherwise', async () => {
    const store = createTestStore('sqlite');
    try {
      const configPath = join(store.directory, 'openixn.yaml');
      writeFileSync(configPath, stringify({ log: { level: 'warn' } }));
      const child = spawn(process.execPath, [mainScript, 'serve', '--config', configPath, '--port', '0', '--store', store.url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      // At warn, the only line a default start prints is that authentication is off.
      await new Promise<void>((done) => {
        const check = setInterval(() => {
          if (output.includes('authentication is off')) {
            clearInterval(check);
            done();
          }
        }, 20);
      });
      await new Promise((done) => setTimeout(done, 500));
      child.kill('SIGTERM');
      await new Promise((done) => child.once('exit', done));
      const levels = output.trim().split('\n').map((line) => (JSON.parse(line) as { level: number }).level);
      expect(levels.length).toBeGreaterThan(0);
      expect(levels.every((level) => level >= 40)).toBe(true);
    } finally {
      await store.dispose();
    }
  });
});

// On PostgreSQL a second server stands by instead: test/blackbox/failover.test.ts.
describe.runIf(testStoreKind() === 'sqlite')('one server per SQLite store', () => {
  const children = useChildServers();

  it('a second openixn serve on a store in use refuses, changes nothing, and the first goes on serving', async () => {
    const config = { queues: { backlog: { routing: 'none' as const } }, router: { builtin: false } };
    const first = await children.start(config);
    const media = await TestClient.register(first.url, 'MediaServer', 'gateway');
    const { interactionId } = await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' });
    const reporting = await TestClient.register(first.url, 'ReportingEngine', 'stats');
    await reporting.request({ message: 'RequestStartReporting', fromSeq: 1 });
    await reporting.next('EventPlacedInQueue');
    const second = children.start(config);
    await expect(second).rejects.toThrow(/another openixn is using this store/);
    // The first still serves, and its log holds only its own events: the second wrote no ServerRestart.
    expect(await media.request({ message: 'RequestStopProcessing', interactionId })).toMatchObject({ message: 'EventAck' });
    await reporting.next('EventProcessingStopped');
    expect(reporting.received.filter((message) => message.seq !== undefined).map((message) => message.message)).toEqual(['EventInteractionSubmitted', 'EventPlacedInQueue', 'EventProcessingStopped']);
    media.socket.terminate();
    reporting.socket.terminate();
    // Once the first dies, even by kill -9, the store is free again.
    first.process.kill('SIGKILL');
    await first.exited;
    const third = await children.start(config);
    const again = await TestClient.register(third.url, 'ReportingEngine', 'stats');
    await again.request({ message: 'RequestStartReporting', fromSeq: 1 });
    await again.next('EventProcessingStopped');
    again.socket.terminate();
  });
});
