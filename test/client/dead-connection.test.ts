// Dead connections: a server that stops answering (a child process stopped with SIGSTOP: its
// TCP connections stay open, nothing comes back) is found within pingIntervalMs + pingTimeoutMs,
// by a WebSocket ping on ws and by the probe request on a socket with only the WHATWG surface
// (a browser's). A request in flight then rejects with ConnectionLost and is not sent again
// (the server, resumed, executes it once); a submit with an externalId is sent again and still
// makes one interaction. With a list of URLs the client fails over to the next one.

import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ConfigInput } from '../../src/config/config.js';
import { MediaServerClient, OpenixnError, type WebSocketLike } from '../../src/client/index.js';
import type { Message } from '../support/client.js';
import { nextEvent, quick, useSdkClients, wholeLog } from '../support/sdk.js';
import { startTestServer, useChildServers, type TestServer } from '../support/server.js';

const config: ConfigInput = { queues: { backlog: { routing: 'none' } }, router: { builtin: false } };

/** A machine under load runs timers late; a dead connection must still be found well within this much more. */
const schedulingSlackMs = 1500;

/** A WebSocket with only what a browser's has: no ping(), no terminate(). */
class BrowserLikeWebSocket implements WebSocketLike {
  private readonly inner: WebSocket;

  constructor(url: string) {
    this.inner = new WebSocket(url);
  }

  get readyState(): number {
    return this.inner.readyState;
  }

  send(data: string): void {
    this.inner.send(data);
  }

  close(code?: number, reason?: string): void {
    this.inner.close(code, reason);
  }

  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: never) => void): void {
    this.inner.addEventListener(type, listener as () => void);
  }
}

function markOf(event: Message): unknown {
  return (event.interaction as { userData: { mark?: unknown } }).userData.mark;
}

describe('a server that stops answering', () => {
  const children = useChildServers();
  const track = useSdkClients();
  let standby: TestServer | undefined;

  afterEach(async () => {
    await standby?.dispose();
    standby = undefined;
  });

  for (const [liveness, WebSocketOption] of [['a ws ping', undefined], ['the probe (browser-like socket)', BrowserLikeWebSocket]] as const) {
    it(`is found by ${liveness}; the request in flight rejects with ConnectionLost and runs once, a submit with an externalId is repeated and runs once`, async () => {
      const server = await children.start(config);
      const media = track(new MediaServerClient({ urls: [server.url], clientName: 'gateway', ...quick, ...(WebSocketOption === undefined ? {} : { WebSocket: WebSocketOption }) }));
      const errors: Error[] = [];
      media.on('error', (error) => errors.push(error));
      await media.connect();
      await media.submit({ queue: 'backlog', mediaType: 'chat', userData: { mark: 'first' } });

      server.process.kill('SIGSTOP');
      const stoppedAt = performance.now();
      const disconnected = nextEvent(media, 'disconnected');
      const reconnected = nextEvent(media, 'connected', (event) => event.reconnected);
      const plain = media.submit({ queue: 'backlog', mediaType: 'chat', userData: { mark: 'plain' } }).then((answer) => answer, (error: unknown) => error);
      const repeatable = media.submit({ queue: 'backlog', mediaType: 'chat', externalId: 'mail-1', userData: { mark: 'repeatable' } });

      const drop = await disconnected;
      expect(performance.now() - stoppedAt).toBeLessThan(quick.pingIntervalMs + quick.pingTimeoutMs + schedulingSlackMs);
      expect(drop).toMatchObject({ code: 1006, url: server.url });
      expect(drop.reason).toMatch(/no answer to a ping/);
      const lost = await plain;
      expect(lost).toBeInstanceOf(OpenixnError);
      expect(lost).toMatchObject({ code: 'ConnectionLost', request: 'RequestSubmit' });

      server.process.kill('SIGCONT');
      await reconnected;
      const { interactionId } = await repeatable;
      const submitted = (await wholeLog(server.url)).filter((event) => event.message === 'EventInteractionSubmitted');
      // The lost submit had reached the server before the SDK gave up on it: it ran once, and the
      // SDK did not send it again. The repeated one ran once too, whichever copy got there first.
      expect(submitted.map(markOf)).toEqual(['first', 'plain', 'repeatable']);
      expect(submitted[2]!.interactionId).toBe(interactionId);
      // The probe's answers (an EventError each) are the SDK's own business, never an 'error'.
      expect(errors).toEqual([]);
    });
  }

  it('fails over to the next URL', async () => {
    const server = await children.start(config);
    standby = await startTestServer(config);
    const media = track(new MediaServerClient({ urls: [server.url, standby.url], clientName: 'gateway', ...quick }));
    await media.connect();
    expect((await media.submit({ queue: 'backlog', mediaType: 'chat' })).interactionId).toBe('0000000000000001');

    const failedOver = nextEvent(media, 'connected', (event) => event.reconnected);
    server.process.kill('SIGSTOP');
    const stoppedAt = performance.now();
    await nextEvent(media, 'disconnected');
    expect(performance.now() - stoppedAt).toBeLessThan(quick.pingIntervalMs + quick.pingTimeoutMs + schedulingSlackMs);
    expect((await failedOver).url).toBe(standby.url);
    // The standby has its own store: this is its first interaction.
    const { interactionId } = await media.submit({ queue: 'backlog', mediaType: 'chat', userData: { on: 'standby' } });
    expect(interactionId).toBe('0000000000000001');
    const properties = await media.getInteractionProperties({ interactionId: interactionId! });
    expect(properties.interaction.userData).toEqual({ on: 'standby' });
  });
});
