// PostgreSQL clusters a test owns: initdb in a temporary directory, run as the postgres user on a
// free loopback port, and deleted afterwards. A test that stops, restarts or fails over a database
// does it to these, never to the shared 127.0.0.1:5432 that other tests use at the same time.
// Making one needs PostgreSQL's server binaries and a way to run them as the postgres user (this
// process is root, or is that user); unavailable() says why not, so that a test can skip saying so.

import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';

/** The newest PostgreSQL server binaries installed the Debian way, or null. */
function binaries(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((version) => existsSync(join(root, version, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length === 0 ? null : join(root, versions[0]!, 'bin');
}

/** Why clusters cannot be made here, or null when they can. */
export function unavailable(): string | null {
  if (binaries() === null) return 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin';
  if (process.getuid?.() !== 0) return 'the tests do not run as root, so they cannot run PostgreSQL as the postgres user';
  try {
    execFileSync('runuser', ['-u', 'postgres', '--', 'true']);
  } catch (error) {
    return `cannot run commands as the postgres user: ${(error as Error).message}`;
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Runs a PostgreSQL program as the postgres user, without blocking the test's event loop (its load goes on meanwhile). */
async function asPostgres(command: string, args: string[]): Promise<void> {
  await promisify(execFile)('runuser', ['-u', 'postgres', '--', join(binaries()!, command), ...args]);
}

export class LocalCluster {
  readonly directory: string;
  readonly port: number;
  private readonly base: string;

  private constructor(base: string, port: number) {
    this.base = base;
    this.directory = join(base, 'data');
    this.port = port;
  }

  /** The database URL of this cluster alone. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** A new primary, started, with a `test` database. */
  static async primary(): Promise<LocalCluster> {
    const cluster = new LocalCluster(LocalCluster.ownedDirectory(), await freePort());
    await asPostgres('initdb', ['-D', cluster.directory, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    writeFileSync(join(cluster.directory, 'postgresql.auto.conf'), [
      `port = ${cluster.port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${cluster.base}'`,
      'wal_level = replica',
      'max_wal_senders = 5',
      'hot_standby = on',
      '',
    ].join('\n'));
    await cluster.start();
    const sql = postgres(cluster.url(), { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe('CREATE DATABASE test');
    } finally {
      await sql.end();
    }
    return cluster;
  }

  /**
   * A streaming replica of a primary (pg_basebackup), started, connected as `name`; the primary's
   * commits wait for it from then on (synchronous_standby_names), so none it acknowledges is lost
   * when the replica is promoted.
   */
  static async replicaOf(primary: LocalCluster, name: string): Promise<LocalCluster> {
    const cluster = new LocalCluster(LocalCluster.ownedDirectory(), await freePort());
    await asPostgres('pg_basebackup', ['-D', cluster.directory, '-R', '-X', 'stream', '-c', 'fast', '-d', `host=127.0.0.1 port=${primary.port} user=postgres application_name=${name}`]);
    // The base backup copied the primary's settings; the replica differs in its port and socket.
    writeFileSync(join(cluster.directory, 'postgresql.auto.conf'), [
      `port = ${cluster.port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${cluster.base}'`,
      'wal_level = replica',
      'max_wal_senders = 5',
      'hot_standby = on',
      `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres application_name=${name}'`,
      '',
    ].join('\n'));
    await cluster.start();
    await primary.query(`ALTER SYSTEM SET synchronous_standby_names = '${name}'`);
    await primary.query('SELECT pg_reload_conf()');
    return cluster;
  }

  private static ownedDirectory(): string {
    const base = mkdtempSync(join(tmpdir(), 'openixn-pg-'));
    chownSync(base, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()));
    return base;
  }

  async start(): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.directory, '-l', join(this.base, 'log'), '-w', '-t', '30', 'start']);
  }

  /** immediate: as a crash (no checkpoint); fast: a clean stop. */
  async stop(mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.directory, '-m', mode, '-w', '-t', '30', 'stop']);
  }

  async restart(mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.directory, '-l', join(this.base, 'log'), '-m', mode, '-w', '-t', '30', 'restart']);
  }

  async promote(): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.directory, '-w', '-t', '30', 'promote']);
  }

  /** The sync_state of each replica streaming from this cluster (pg_stat_replication). */
  async replicationStates(): Promise<string[]> {
    return (await this.query<{ sync_state: string }>('SELECT sync_state FROM pg_stat_replication')).map((row) => row.sync_state);
  }

  async isInRecovery(): Promise<boolean> {
    const [row] = await this.query<{ recovering: boolean }>('SELECT pg_is_in_recovery() AS recovering');
    return row?.recovering === true;
  }

  private async query<Row extends Record<string, unknown>>(text: string): Promise<Row[]> {
    const sql = postgres(this.url(), { max: 1, onnotice: () => {} });
    try {
      return [...await sql.unsafe<Row[]>(text)];
    } finally {
      await sql.end();
    }
  }

  /** Stops the cluster if it runs and deletes it. */
  async dispose(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    rmSync(this.base, { recursive: true, force: true });
  }
}
