// The reporting stream when its consumer is slower than the server: past highWaterMark events
// waiting, the SDK closes the connection rather than fill memory, and resumes from the next seq
// once the consumer has caught up. Every seq still comes exactly once, in order.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MediaServerClient, ReportingClient, type ReportingEvent } from '../../src/client/index.js';
import { oneToN } from '../support/durability-peer.js';
import { nextEvent, quick, useSdkClients } from '../support/sdk.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
const track = useSdkClients();

beforeEach(async () => {
  server = await startTestServer({ queues: { backlog: { routing: 'none' } }, router: { builtin: false } });
});

afterEach(async () => {
  await server.dispose();
});

describe('a reporting consumer that falls behind', () => {
  it('pauses the stream at highWaterMark and resumes from the next seq, with every seq once', async () => {
    const media = track(new MediaServerClient({ urls: [server.url], clientName: 'gateway', ...quick }));
    await media.connect();
    // 60 interactions: 120 events (submitted, placed in queue) in the log.
    await Promise.all(Array.from({ length: 60 }, () => media.submit({ queue: 'backlog', mediaType: 'chat' })));

    const reporting = track(new ReportingClient({ urls: [server.url], clientName: 'warehouse', ...quick, highWaterMark: 20 }));
    await reporting.connect();
    const paused = nextEvent(reporting, 'paused');
    const resumed = nextEvent(reporting, 'connected', (event) => event.reconnected);
    const events = reporting.events({ fromSeq: 1 });
    const received: ReportingEvent[] = [];
    // The consumer takes one event, then stalls until the SDK has paused the replay behind it.
    received.push((await events.next()).value as ReportingEvent);
    expect(await paused).toMatchObject({ buffered: 20 });
    expect(reporting.state).toBe('connecting');
    for await (const event of events) {
      received.push(event);
      if (event.seq === 120) break;
    }
    await resumed;
    expect(received.map((event) => event.seq)).toEqual(oneToN(120));
    expect(received.filter((event) => event.message === 'EventInteractionSubmitted')).toHaveLength(60);
  });
});
