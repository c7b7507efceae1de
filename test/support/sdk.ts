// For the SDK's tests: clients with short timings (so a drop is found and mended in well under a
// second), closed after every test, and a way to wait for a client's next event without sleeping.

import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach } from 'vitest';
import type { ClientOptions } from '../../src/client/index.js';
import type { Emitter } from '../../src/client/emitter.js';
import { TestClient, type Message } from './client.js';
import { readReportingLog } from './durability-peer.js';
import { temporaryDirectory } from './test-store.js';

/** Timings for tests: a dead connection is found within 0.6 s, a retry comes within 0.2 s. */
export const quick = {
  pingIntervalMs: 200,
  pingTimeoutMs: 400,
  backoffMinMs: 20,
  backoffMaxMs: 200,
  connectTimeoutMs: 5000,
} satisfies Partial<ClientOptions>;

interface Closable {
  close(): Promise<void>;
}

/** Tracks the clients a test makes and closes every one after it. */
export function useSdkClients(): <Client extends Closable>(client: Client) => Client {
  let clients: Closable[] = [];
  afterEach(async () => {
    await Promise.all(clients.map((client) => client.close()));
    clients = [];
  });
  return (client) => {
    clients.push(client);
    return client;
  };
}

/** The map of event names to payloads of a client. */
type EventsOf<Client extends { eventMap?: object }> = NonNullable<Client['eventMap']>;

/** Resolves with the next event of that name (that matches), or rejects after timeoutMs. */
export function nextEvent<Client extends { eventMap?: object }, Name extends keyof EventsOf<Client>>(
  client: Client, name: Name, match: (payload: EventsOf<Client>[Name]) => boolean = () => true, timeoutMs = 10_000,
): Promise<EventsOf<Client>[Name]> {
  const events = client as unknown as Emitter<EventsOf<Client>>;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      remove();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${String(name)}`));
    }, timeoutMs);
    const remove = events.on(name, (payload) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      remove();
      resolve(payload);
    });
  });
}

/**
 * The whole reporting log as the server stores it, read by a plain WebSocket client (not the
 * SDK under test) from seq 1 up to a marker it makes happen: a login of agent "log-marker".
 */
export async function wholeLog(url: string): Promise<Message[]> {
  const marker = await TestClient.register(url, 'AgentApplication', 'log-marker');
  try {
    const { reporter, before } = await readReportingLog(
      url,
      async () => {
        await marker.request({ message: 'RequestAgentLogin', agentId: 'log-marker', placeId: 'log-marker' });
      },
      (event) => event.message === 'EventAgentLogin' && event.agentId === 'log-marker',
    );
    reporter.socket.terminate();
    return before;
  } finally {
    marker.socket.terminate();
  }
}

/** Resolves once `condition` holds, checked now and at every changed(); for state several listeners build up. */
export class Progress {
  private waiters: { condition: () => boolean; resolve: () => void }[] = [];

  changed(): void {
    const ready = this.waiters.filter((waiter) => waiter.condition());
    this.waiters = this.waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve();
  }

  until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        condition,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting until ${what}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}

/** The repository: the openixn package. */
export const packageDirectory = resolve(import.meta.dirname, '../..');

/**
 * A directory set up as a user's project with openixn installed: node_modules/openixn links to
 * this repository, as npm links a local package. Scripts in it import 'openixn/client' by name.
 */
export function userProject(): { directory: string; dispose(): void } {
  if (!existsSync(join(packageDirectory, 'dist/client/index.js'))) throw new Error('dist/client is missing: run `npm run build` (npm test builds first).');
  const directory = temporaryDirectory();
  mkdirSync(join(directory, 'node_modules'));
  symlinkSync(packageDirectory, join(directory, 'node_modules/openixn'), 'dir');
  writeFileSync(join(directory, 'package.json'), JSON.stringify({ name: 'sdk-user', type: 'module', private: true }));
  return { directory, dispose: () => rmSync(directory, { recursive: true, force: true }) };
}
