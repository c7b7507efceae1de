// Starts a real server for a test: in-process on a free port over a fresh store (a SQLite file,
// or a PostgreSQL schema when OPENIXN_TEST_STORE=postgres), or as a child process (for kill -9 and
// signal tests).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { afterEach, beforeAll } from 'vitest';
import { join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { TestClient } from './client.js';
import { createTestStore, type TestStore } from './test-store.js';

/** The server's HTTP address (http://host:port) from its WebSocket URL (ws://host:port/ws). */
export function httpBase(url: string): string {
  return url.replace('ws://', 'http://').replace('/ws', '');
}

export interface TestServer {
  server: RunningServer;
  url: string;
  store: TestStore;
  /** Closes the server (clean shutdown) but keeps the store, so restart() finds it. */
  stop(): Promise<void>;
  /** Starts a new server over the same store and config. */
  restart(): Promise<TestServer>;
  /** Stops the server and deletes its store. */
  dispose(): Promise<void>;
}

/** A logger that keeps every line it is given, for tests of what the server logs. */
export function recordingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

export async function startTestServer(config: ConfigInput = {}, store: TestStore = createTestStore(), logger?: Logger): Promise<TestServer> {
  let server: RunningServer;
  try {
    server = await startServer({ config, host: '127.0.0.1', port: 0, store: store.url, logLevel: process.env.OPENIXN_TEST_LOG_LEVEL ?? 'silent', ...(logger !== undefined ? { logger } : {}) });
  } catch (error) {
    await store.dispose();
    throw error;
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  return {
    server,
    url: server.url,
    store,
    stop,
    restart: async () => {
      await stop();
      return startTestServer(config, store);
    },
    dispose: async () => {
      await stop();
      await store.dispose();
    },
  };
}

export interface ChildServer {
  process: ChildProcess;
  port: number;
  url: string;
  /** Everything the child printed on stdout (pino JSON lines). */
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const mainScript = resolve(import.meta.dirname, '../../dist/main.js');

export interface ChildOptions {
  /** 'primary' (default): resolve once the server serves; 'listening': once it listens, perhaps as a standby. */
  waitFor?: 'primary' | 'listening';
  /** The store URL, when not the test store's own (a node of a highly available set names its connections). */
  storeUrl?: string;
  /** The config file's name in the store's directory (several nodes with different configs). */
  configName?: string;
}

/**
 * Starts `node dist/main.js serve` (built by `npm test` before the suites run) and waits until it
 * serves as the primary (on a shared PostgreSQL store it may stand by first), or only listens.
 */
export async function startChildServer(config: ConfigInput, store: TestStore, port = 0, options: ChildOptions = {}): Promise<ChildServer> {
  const configPath = join(store.directory, options.configName ?? 'openixn.yaml');
  writeFileSync(configPath, stringify(config));
  const child = spawn(process.execPath, [mainScript, 'serve', '--config', configPath, '--host', '127.0.0.1', '--port', String(port), '--store', options.storeUrl ?? store.url, '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const waitForPrimary = (options.waitFor ?? 'primary') === 'primary';
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+),"url":"ws:/.exec(output);
      if (match && (!waitForPrimary || output.includes('"msg":"serving as the primary"'))) resolve(Number(match[1]));
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then(() => reject(new Error(`the server exited before listening: ${output}`)));
  });
  const boundPort = await listening;
  return { process: child, port: boundPort, url: `ws://127.0.0.1:${boundPort}/ws`, output: () => output, exited };
}

/**
 * For a describe block of child-process tests: each test gets a fresh store, every child it starts
 * shares that store (so a restart finds it), and after the test every child still running is
 * killed and the store deleted.
 */
export function useChildServers(): { start(config: ConfigInput, port?: number, options?: ChildOptions): Promise<ChildServer>; store(): TestStore } {
  let children: ChildServer[] = [];
  let store: TestStore | undefined;
  beforeAll(() => {
    if (!existsSync(mainScript)) throw new Error('dist/main.js is missing: run `npx tsc -p tsconfig.build.json` (npm test builds first).');
  });
  afterEach(async () => {
    const exits = [];
    for (const child of children) {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      exits.push(child.exited);
    }
    // A child still connected would hold its schema's locks and make DROP SCHEMA wait.
    await Promise.all(exits);
    children = [];
    await store?.dispose();
    store = undefined;
  });
  return {
    /** A port of 0 picks a free one; a restart passes the port of the server it replaces. */
    async start(config, port = 0, options = {}) {
      store ??= createTestStore();
      const child = await startChildServer(config, store, port, options);
      children.push(child);
      return child;
    },
    store() {
      store ??= createTestStore();
      return store;
    },
  };
}

/**
 * For a describe block (or a file) of in-process tests: servers started and clients opened through
 * it are closed after each test, the clients first, and every server's store deleted.
 */
export function useTestServers(): {
  start(config: ConfigInput, store?: TestStore): Promise<TestServer>;
  open(url: string, clientType: string, clientName: string, extra?: Record<string, unknown>): Promise<TestClient>;
} {
  let servers: TestServer[] = [];
  let clients: TestClient[] = [];
  afterEach(async () => {
    for (const client of clients) client.socket.terminate();
    clients = [];
    for (const server of servers) await server.dispose();
    servers = [];
  });
  return {
    async start(config, store) {
      const server = await startTestServer(config, store);
      servers.push(server);
      return server;
    },
    async open(url, clientType, clientName, extra = {}) {
      const client = await TestClient.register(url, clientType, clientName, extra);
      clients.push(client);
      return client;
    },
  };
}
