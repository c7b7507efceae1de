// Webhooks (issue 10, part 5) against a real HTTP(S) receiver on loopback: every committed
// reporting event arrives in seq order with a valid signature through a receiver that fails,
// redirects, stalls and comes back; filters keep exactly their events; delivery resumes from the
// durable cursor after an in-process restart and after a kill -9, with nothing missing; a new
// endpoint starts at the end of the log; a receiver that never answers slows no client; HTTPS
// with an extra CA, and a receiver whose answer never ends.

import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { verifySignature } from '../../src/webhooks/signature.js';
import { TestClient, type Message } from '../support/client.js';
import { Peer } from '../support/durability-peer.js';
import { sample, scrape } from '../support/metrics.js';
import { useChildServers, useTestServers, type TestServer } from '../support/server.js';
import { createTestStore, waitUntil } from '../support/test-store.js';
import { startServer } from '../../src/server.js';
import { WebhookReceiver, type ReceivedPost } from '../support/webhook-receiver.js';

const secret = 'a-webhook-secret-of-more-than-thirty-two-characters';
const fixtures = resolve(import.meta.dirname, '../fixtures/tls');

const layout: ConfigInput = {
  queues: { pool: { routing: 'none' }, other: { routing: 'none' } },
  router: { builtin: false },
};

/** Short timeouts and waits, so that a failure and its retries take a fraction of a second. */
const quick = { timeout: 0.5, retry: { initialDelay: 0.02, maxDelay: 0.1 } };

function withWebhooks(webhooks: NonNullable<ConfigInput['webhooks']>): ConfigInput {
  return { ...layout, webhooks };
}

const servers = useTestServers();
const start = (config: ConfigInput, store?: TestServer['store']) => servers.start(config, store);
const open = (url: string, clientType: string, clientName: string) => servers.open(url, clientType, clientName);

let receivers: WebhookReceiver[] = [];

afterEach(async () => {
  for (const receiver of receivers) await receiver.close();
  receivers = [];
});

async function receiver(tls?: { cert: Buffer; key: Buffer }): Promise<WebhookReceiver> {
  const started = await WebhookReceiver.start(tls);
  receivers.push(started);
  return started;
}

/** Submits `count` interactions into pool (and other, every second one), and stops every third: known, varied events. */
async function work(media: TestClient, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    const ack = await media.request({ message: 'RequestSubmit', queue: index % 2 === 0 ? 'pool' : 'other', mediaType: 'email', userData: { index } });
    expect(ack.message).toBe('EventAck');
    if (index % 3 === 2) expect((await media.request({ message: 'RequestStopProcessing', interactionId: ack.interactionId })).message).toBe('EventAck');
  }
}

async function lastSeqOf(metricsUrl: string): Promise<number> {
  return sample((await scrape(metricsUrl)).text, 'openixn_reporting_last_seq');
}

/** The whole reporting log up to lastSeq, as a reporting client replays it from seq 1. */
async function reportingLog(url: string, lastSeq: number): Promise<Message[]> {
  const reporter = await open(url, 'ReportingEngine', 'auditor');
  expect((await reporter.request({ message: 'RequestStartReporting', fromSeq: 1 })).message).toBe('EventAck');
  if (lastSeq > 0) await reporter.next((event) => event.seq === lastSeq, 15_000);
  return reporter.received.filter((event) => typeof event.seq === 'number' && event.seq <= lastSeq);
}

const seqs = (events: readonly { seq: number }[]) => events.map((event) => event.seq);
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, index) => from + index);
const maxDeliveredSeq = (webhook: WebhookReceiver, endpoint?: string) => Math.max(0, ...webhook.delivered().filter((post) => endpoint === undefined || post.headers['x-openixn-webhook'] === endpoint).flatMap((post) => seqs(post.events)));

/** Every POST is signed over its timestamp and body, recently, and names its events' seq range. */
function expectSigned(post: ReceivedPost, endpoint: string): void {
  const timestamp = post.headers['x-openixn-timestamp'] as string;
  expect(post.headers['x-openixn-webhook']).toBe(endpoint);
  expect(post.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(verifySignature(secret, timestamp, post.body, post.headers['x-openixn-signature'] as string, Math.floor(Date.now() / 1000), 60), `signature of ${post.body.slice(0, 80)}`).toBe(true);
  expect(verifySignature(`${secret}x`, timestamp, post.body, post.headers['x-openixn-signature'] as string, Math.floor(Date.now() / 1000), 60)).toBe(false);
  expect(post.headers['x-openixn-delivery']).toBe(`${post.events[0]!.seq}-${post.events[post.events.length - 1]!.seq}`);
  expect(JSON.parse(post.body)).toMatchObject({ webhook: endpoint });
}

describe('delivery through a receiver that fails, redirects, stalls and comes back', () => {
  test('every committed event arrives once answered, in seq order, signed, the same body on every retry', async () => {
    const hook = await receiver();
    const elsewhere = await receiver();
    hook.redirectTo = elsewhere.url;
    hook.mode = 'fail';
    const server = await start(withWebhooks([{ name: 'warehouse', url: hook.url, secret, maxBatch: 4, ...quick }]));
    const media = await open(server.url, 'MediaServer', 'email-gateway');
    await work(media, 6);
    await hook.waitUntil(() => hook.posts.filter((post) => post.mode === 'fail').length >= 3, 'three POSTs answered 500');
    hook.mode = 'redirect';
    await hook.waitUntil(() => hook.posts.filter((post) => post.mode === 'redirect').length >= 2, 'two POSTs answered with a redirect');
    hook.mode = 'stall';
    // The first stalled POST times out (0.5 s) and is sent again, to stall again.
    await hook.waitUntil(() => hook.posts.filter((post) => post.mode === 'stall').length >= 2, 'a stalled POST timed out and came again');
    await work(media, 6);
    hook.mode = 'ok';
    const lastSeq = await lastSeqOf(server.server.metricsUrl!);
    await hook.waitUntil(() => maxDeliveredSeq(hook) === lastSeq, `every event up to ${lastSeq} delivered`);

    // Exactly the log, in order, each event once: nothing skipped while the receiver was away.
    const log = await reportingLog(server.url, lastSeq);
    expect(seqs(hook.deliveredEvents())).toEqual(range(1, lastSeq));
    expect(hook.deliveredEvents()).toEqual(log);
    // What failed was sent again: the first POST's events are those of the first one answered 200.
    expect(hook.delivered()[0]!.headers['x-openixn-delivery']).toBe(hook.posts[0]!.headers['x-openixn-delivery']);
    const bodies = new Map<string, Set<string>>();
    for (const post of hook.posts) {
      expectSigned(post, 'warehouse');
      expect(post.events.length).toBeLessThanOrEqual(4);
      expect(seqs(post.events)).toEqual(range(post.events[0]!.seq, post.events[post.events.length - 1]!.seq));
      const delivery = post.headers['x-openixn-delivery'] as string;
      bodies.set(delivery, (bodies.get(delivery) ?? new Set()).add(post.body));
    }
    for (const [delivery, sent] of bodies) expect(sent.size, `the bodies sent as delivery ${delivery}`).toBe(1);
    // A redirect is an answer, not an instruction: the other receiver never heard of these events.
    expect(elsewhere.posts).toEqual([]);

    const metrics = (await scrape(server.server.metricsUrl!)).text;
    expect(sample(metrics, 'openixn_webhook_posts_total', { endpoint: 'warehouse', result: 'delivered' })).toBe(hook.delivered().length);
    expect(sample(metrics, 'openixn_webhook_posts_total', { endpoint: 'warehouse', result: 'failed' })).toBeGreaterThanOrEqual(hook.posts.length - hook.delivered().length);
    expect(sample(metrics, 'openixn_webhook_events_delivered_total', { endpoint: 'warehouse' })).toBe(lastSeq);
    expect(sample(metrics, 'openixn_webhook_lag_events', { endpoint: 'warehouse' })).toBe(0);
  });
});

describe('filters', () => {
  test('each endpoint gets exactly the events its filters keep, and its cursor moves past the others', async () => {
    const hook = await receiver();
    const server = await start(withWebhooks([
      { name: 'stops', url: hook.url, secret, events: ['EventProcessingStopped'], ...quick },
      { name: 'pool', url: hook.url, secret, queues: ['pool'], maxBatch: 3, ...quick },
      { name: 'placed-in-other', url: hook.url, secret, events: ['EventPlacedInQueue'], queues: ['other'], ...quick },
    ]));
    const media = await open(server.url, 'MediaServer', 'email-gateway');
    await work(media, 9);
    // An agent pulls from pool and moves it to other: events naming both queues, and some naming none.
    const agent = await open(server.url, 'AgentApplication', 'desk');
    expect((await agent.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1', media: { email: 'ready' } })).message).toBe('EventAck');
    const pulled = await agent.request({ message: 'RequestPull', queue: 'pool' });
    const interactionId = (pulled.interactions as Message[])[0]!.interactionId;
    expect((await agent.request({ message: 'RequestPlaceInQueue', interactionId, queue: 'other' })).message).toBe('EventAck');

    const lastSeq = await lastSeqOf(server.server.metricsUrl!);
    const log = await reportingLog(server.url, lastSeq);
    const queueOf = (event: Message) => (typeof event.queue === 'string' ? event.queue : (event.interaction as Message | undefined)?.queue);
    const expected: Record<string, Message[]> = {
      stops: log.filter((event) => event.message === 'EventProcessingStopped'),
      pool: log.filter((event) => queueOf(event) === 'pool'),
      'placed-in-other': log.filter((event) => event.message === 'EventPlacedInQueue' && queueOf(event) === 'other'),
    };
    expect(new Set(expected.pool!.map((event) => event.message))).toEqual(new Set(['EventInteractionSubmitted', 'EventPlacedInQueue', 'EventProcessingStopped', 'EventTakenFromQueue']));
    expect(expected['placed-in-other']!.some((event) => event.interactionId === interactionId)).toBe(true);
    const received = (endpoint: string) => hook.delivered().filter((post) => post.headers['x-openixn-webhook'] === endpoint).flatMap((post) => post.events);
    await hook.waitUntil(() => Object.entries(expected).every(([endpoint, events]) => received(endpoint).length >= events.length), 'every endpoint received its events');
    // Each endpoint's cursor reaches the end of the log, past the events it skipped.
    await waitUntil(async () => {
      const metrics = (await scrape(server.server.metricsUrl!)).text;
      return Object.keys(expected).every((endpoint) => sample(metrics, 'openixn_webhook_lag_events', { endpoint }) === 0);
    }, 'every endpoint has no lag');
    for (const [endpoint, events] of Object.entries(expected)) {
      expect(received(endpoint), endpoint).toEqual(events);
      for (const post of hook.posts.filter((candidate) => candidate.headers['x-openixn-webhook'] === endpoint)) expectSigned(post, endpoint);
    }
    expect(received('pool').some((event) => event.message === 'EventPartyAdded')).toBe(false);
  });
});

describe('durable cursors', () => {
  test('an endpoint added later starts at the end of the log; after a restart it resumes at its cursor, nothing missing, nothing twice', async () => {
    const first = await start(layout);
    let media = await open(first.url, 'MediaServer', 'email-gateway');
    await work(media, 4);
    const before = await lastSeqOf(first.server.metricsUrl!);
    await first.stop();

    const hook = await receiver();
    let server = await start(withWebhooks([{ name: 'late', url: hook.url, secret, maxBatch: 5, ...quick }]), first.store);
    media = await open(server.url, 'MediaServer', 'email-gateway');
    await work(media, 4);
    const delivered = await lastSeqOf(server.server.metricsUrl!);
    await hook.waitUntil(() => maxDeliveredSeq(hook) === delivered, 'the new endpoint caught up');
    expect(hook.deliveredEvents()[0]!.seq).toBe(before + 1);

    // Down while more is committed; the server restarts meanwhile (a clean stop saves the cursor).
    hook.mode = 'fail';
    await work(media, 4);
    await hook.waitUntil(() => hook.posts.some((post) => post.mode === 'fail'), 'a POST failed');
    await server.stop();
    server = await start(withWebhooks([{ name: 'late', url: hook.url, secret, maxBatch: 5, ...quick }]), first.store);
    media = await open(server.url, 'MediaServer', 'email-gateway');
    await work(media, 4);
    hook.mode = 'ok';
    const lastSeq = await lastSeqOf(server.server.metricsUrl!);
    await hook.waitUntil(() => maxDeliveredSeq(hook) === lastSeq, `every event up to ${lastSeq} delivered`);
    expect(seqs(hook.deliveredEvents())).toEqual(range(before + 1, lastSeq));
    expect(hook.deliveredEvents()).toEqual((await reportingLog(server.url, lastSeq)).slice(before));
  });

  describe('after a kill -9 of the server', () => {
    const children = useChildServers();

    test('delivery resumes from the durable cursor: every committed event arrives, in order of first arrival', async () => {
      const hook = await receiver();
      const config = withWebhooks([{ name: 'crash', url: hook.url, secret, maxBatch: 3, ...quick }]);
      const first = await children.start(config);
      const peer = await Peer.open(first.url, 'MediaServer', 'email-gateway');
      // Submits go on while the server is killed; one cut off by the kill is the uncertainty a crash leaves.
      const working = (async () => {
        for (let index = 0; ; index++) {
          const ack = await peer.request({ message: 'RequestSubmit', queue: index % 2 === 0 ? 'pool' : 'other', mediaType: 'email', userData: { index } });
          if (ack === null) return index;
        }
      })();
      await hook.waitUntil(() => hook.delivered().length >= 10, 'some events delivered');
      first.process.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      const submitted = await working;
      const deliveredBeforeRestart = maxDeliveredSeq(hook);

      const second = await children.start(config);
      const again = await open(second.url, 'MediaServer', 'email-gateway');
      await work(again, 3);
      const metricsUrl = `http://127.0.0.1:${second.port}/metrics`;
      const lastSeq = await lastSeqOf(metricsUrl);
      await hook.waitUntil(() => maxDeliveredSeq(hook) === lastSeq, `every event up to ${lastSeq} delivered`);
      const log = await reportingLog(second.url, lastSeq);
      const firstArrivals: ReceivedPost['events'] = [];
      for (const event of hook.deliveredEvents()) {
        // At least once: what was sent after the last saved cursor may come again; it is the same event.
        expect(event).toEqual(log[event.seq - 1]);
        if (event.seq > (firstArrivals.at(-1)?.seq ?? 0)) firstArrivals.push(event);
      }
      expect(seqs(firstArrivals)).toEqual(range(1, lastSeq));
      for (const post of hook.posts) expectSigned(post, 'crash');
      const sentTwice = hook.deliveredEvents().length - lastSeq;
      console.info(`kill -9 after ${submitted} submits, ${deliveredBeforeRestart} events delivered; ${lastSeq} in the log; ${sentTwice} sent again after the restart`);
    });
  });
});

describe('a receiver that never answers', () => {
  test('slows no client: acks go on while its POST waits, and the events wait for it', async () => {
    const hook = await receiver();
    hook.mode = 'stall';
    const timeoutSeconds = 10;
    const server = await start(withWebhooks([{ name: 'sink', url: hook.url, secret, timeout: timeoutSeconds }]));
    const media = await open(server.url, 'MediaServer', 'email-gateway');
    await work(media, 1);
    await hook.waitUntil(() => hook.posts.length === 1, 'the first POST is waiting');
    const started = performance.now();
    let slowestMs = 0;
    for (let index = 0; index < 200; index++) {
      const sent = performance.now();
      expect((await media.request({ message: 'RequestSubmit', queue: 'pool', mediaType: 'email' })).message).toBe('EventAck');
      slowestMs = Math.max(slowestMs, performance.now() - sent);
    }
    const elapsedMs = performance.now() - started;
    // Had any answer waited for the receiver, it would have waited for the POST's timeout.
    expect(elapsedMs).toBeLessThan(timeoutSeconds * 1000);
    expect(slowestMs).toBeLessThan(timeoutSeconds * 1000);
    expect(hook.posts).toHaveLength(1);
    const metrics = (await scrape(server.server.metricsUrl!)).text;
    expect(sample(metrics, 'openixn_webhook_lag_events', { endpoint: 'sink' })).toBeGreaterThanOrEqual(400);
    console.info(`200 submits beside a stalled webhook: ${elapsedMs.toFixed(0)} ms, slowest answer ${slowestMs.toFixed(1)} ms`);
  });
});

describe('HTTPS', () => {
  test('a receiver with a private certificate is trusted through the endpoint\'s ca only; an endless answer is cut off', async () => {
    const tls = { cert: readFileSync(resolve(fixtures, 'cert.pem')), key: readFileSync(resolve(fixtures, 'key.pem')) };
    const hook = await receiver(tls);
    hook.mode = 'endless';
    const server = await start(withWebhooks([
      { name: 'trusted', url: hook.url, secret, ca: resolve(fixtures, 'cert.pem'), maxBatch: 2, ...quick },
      { name: 'untrusted', url: hook.url, secret, ...quick },
    ]));
    const media = await open(server.url, 'MediaServer', 'email-gateway');
    await work(media, 3);
    const lastSeq = await lastSeqOf(server.server.metricsUrl!);
    // Each answer is a 200 whose body never ends: it counts as delivered, and the next POST follows.
    await hook.waitUntil(() => maxDeliveredSeq(hook, 'trusted') === lastSeq, 'every event delivered over HTTPS');
    expect(seqs(hook.deliveredEvents())).toEqual(range(1, lastSeq));
    expect(hook.posts.every((post) => post.headers['x-openixn-webhook'] === 'trusted')).toBe(true);
    await waitUntil(async () => sample((await scrape(server.server.metricsUrl!)).text, 'openixn_webhook_posts_total', { endpoint: 'untrusted', result: 'failed' }) >= 2, 'the untrusted endpoint failed twice');
  });
});

describe('the log', () => {
  test('names the endpoint, its origin and what failed, never the secret, the URL\'s credentials or query, nor the events', async () => {
    const hook = await receiver();
    hook.mode = 'fail';
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }));
    const url = hook.url.replace('http://', 'http://relay:hunter2-password@') + '?token=query-token-0123';
    const store = createTestStore();
    const server = await startServer({
      config: withWebhooks([{ name: 'audited', url, secret, ...quick }]), host: '127.0.0.1', port: 0, store: store.url, logger,
    });
    try {
      const media = await open(server.url, 'MediaServer', 'email-gateway');
      expect((await media.request({ message: 'RequestSubmit', queue: 'pool', mediaType: 'email', userData: { customer: 'Zoë Confidential' } })).message).toBe('EventAck');
      await hook.waitUntil(() => hook.posts.length >= 2, 'two POSTs answered 500');
      // The receiver saw the credentials and the query: they were sent, only not logged.
      expect(hook.posts[0]!.headers.authorization).toBe(`Basic ${Buffer.from('relay:hunter2-password').toString('base64')}`);
    } finally {
      await server.close();
      await store.dispose();
    }
    const failures = lines.filter((line) => line.includes('webhook POST failed'));
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(failures[0]!)).toMatchObject({ webhook: 'audited', target: new URL(hook.url).origin, status: 500, reason: 'HTTP 500', fromSeq: 1, toSeq: 2 });
    const log = lines.join('');
    for (const secretText of [secret, 'hunter2-password', 'query-token-0123', 'Zoë Confidential', hook.posts[0]!.headers['x-openixn-signature'] as string]) {
      expect(log, `the log holds ${secretText}`).not.toContain(secretText);
    }
  });
});
