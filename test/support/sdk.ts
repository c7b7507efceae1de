// For the SDK's tests: clients with short timings (so a drop is found and mended in well under a
// second), closed after every test, and a way to wait for a client's next event without sleeping.

import { afterEach } from 'vitest';
import type { ClientOptions } from '../../src/client/index.js';
import type { Emitter } from '../../src/client/emitter.js';

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

/** Resolves with the next event of that name (that matches), or rejects after timeoutMs. */
export function nextEvent<Events extends object, Name extends keyof Events>(
  client: Emitter<Events>, name: Name, match: (payload: Events[Name]) => boolean = () => true, timeoutMs = 10_000,
): Promise<Events[Name]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      remove();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${String(name)}`));
    }, timeoutMs);
    const remove = client.on(name, (payload) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      remove();
      resolve(payload);
    });
  });
}
