// Connecting: over a list of URLs whose first is dead, with a fresh token from the callback on
// every connection, and stopping (not looping) when the server refuses the credentials.

import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { MediaServerClient, OpenixnError, type Retry } from '../../src/client/index.js';
import { authConfig, newApiKey } from '../support/auth.js';
import { nextEvent, quick, useSdkClients } from '../support/sdk.js';
import { startTestServer, useChildServers } from '../support/server.js';

const config: ConfigInput = { queues: { backlog: { routing: 'none' } }, router: { builtin: false } };

/** A URL where nothing listens: a port the system just handed out and took back. */
async function deadUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return `ws://127.0.0.1:${port}/ws`;
}

describe('connecting', () => {
  const children = useChildServers();
  const track = useSdkClients();

  it('goes on to the next URL when the first is dead, after a backoff delay', async () => {
    const server = await startTestServer(config);
    try {
      const dead = await deadUrl();
      const media = track(new MediaServerClient({ urls: [dead, server.url], clientName: 'gateway', ...quick }));
      const retries: Retry[] = [];
      media.on('reconnecting', (retry) => retries.push(retry));
      const connected = nextEvent(media, 'connected');
      await media.connect();
      expect(await connected).toEqual({ url: server.url, reconnected: false });
      expect(retries).toHaveLength(1);
      expect(retries[0]).toMatchObject({ failures: 1, url: server.url });
      expect(String(retries[0]!.error)).toContain(dead);
      expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(quick.backoffMinMs);
      // One failure in a row: the window is [min, min × 4].
      expect(retries[0]!.delayMs).toBeLessThanOrEqual(quick.backoffMinMs * 4);
      expect((await media.submit({ queue: 'backlog', mediaType: 'chat' })).message).toBe('EventAck');
    } finally {
      await server.dispose();
    }
  });

  it('stops when the server refuses the credentials: connect() rejects with Unauthorized, and no second attempt', async () => {
    const server = await startTestServer({ ...config, auth: authConfig([newApiKey('MediaServer', 'gateway')]) });
    try {
      let tokens = 0;
      const media = track(new MediaServerClient({
        urls: [server.url], clientName: 'gateway', ...quick,
        token: () => {
          tokens++;
          return 'a-key-this-server-does-not-know-0123456789';
        },
      }));
      const closed = nextEvent(media, 'closed');
      let drops = 0;
      media.on('disconnected', () => drops++);
      const refused = await media.connect().then(() => null, (error: unknown) => error);
      expect(refused).toBeInstanceOf(OpenixnError);
      expect(refused).toMatchObject({ code: 'Unauthorized', request: 'RequestRegisterClient' });
      expect((await closed).error).toBe(refused);
      expect(media.state).toBe('closed');
      expect(tokens).toBe(1);
      expect(drops).toBe(0);
      await expect(media.submit({ queue: 'backlog', mediaType: 'chat' })).rejects.toMatchObject({ code: 'Closed' });
    } finally {
      await server.dispose();
    }
  });

  it('close() while it keeps trying a dead server ends the attempts and rejects connect() with Closed', async () => {
    const media = track(new MediaServerClient({ urls: [await deadUrl()], clientName: 'gateway', ...quick }));
    const retrying = nextEvent(media, 'reconnecting', (retry) => retry.failures === 3);
    const connecting = media.connect().then(() => null, (error: unknown) => error);
    await retrying;
    await media.close();
    expect(await connecting).toMatchObject({ code: 'Closed' });
    expect(media.state).toBe('closed');
  });

  it('registers again with a fresh token from the callback after a restart', async () => {
    const key = newApiKey('MediaServer', 'gateway');
    const secured = { ...config, auth: authConfig([key]) };
    const server = await children.start(secured);
    const issued: number[] = [];
    const media = track(new MediaServerClient({
      urls: [server.url], clientName: 'gateway', ...quick,
      token: async () => {
        issued.push(issued.length + 1);
        return Promise.resolve(key.key);
      },
    }));
    await media.connect();
    expect(issued).toEqual([1]);
    const reconnected = nextEvent(media, 'connected', (event) => event.reconnected);
    server.process.kill('SIGTERM');
    await server.exited;
    await children.start(secured, server.port);
    await reconnected;
    // One token per attempt: the first connection's, and at least the one that got through now.
    expect(issued.length).toBeGreaterThanOrEqual(2);
    expect((await media.submit({ queue: 'backlog', mediaType: 'chat' })).message).toBe('EventAck');
  });
});
