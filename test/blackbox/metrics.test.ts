// GET /metrics (issue 10, part 4) over real HTTP after a known workload: the waiting counts and
// ages per queue, the counters of committed events, the histograms, connections and agents, the
// process metrics; no agent, interaction or client name in the output; and who may read it.

import { describe, expect, onTestFinished, test } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { TestClient, type Message } from '../support/client.js';
import { authConfig, sha256 } from '../support/auth.js';
import { sample, scrape } from '../support/metrics.js';
import { useTestServers, type TestServer } from '../support/server.js';
import { testStoreKind } from '../support/test-store.js';

const config: ConfigInput = {
  mediaTypes: { chat: { capacity: 2 }, email: { deliveringTimeout: 0.3 } },
  queues: { routed: { routing: 'external' }, pool: { routing: 'none' }, idle: { routing: 'none' } },
  router: { builtin: false },
};

const servers = useTestServers();
const start = (configInput: ConfigInput) => servers.start(configInput);
const open = (server: TestServer, clientType: string, clientName: string) => servers.open(server.url, clientType, clientName);

async function acknowledged(client: TestClient, request: Record<string, unknown>): Promise<Message> {
  const answer = await client.request(request);
  expect(answer.message, JSON.stringify(request)).not.toBe('EventError');
  return answer;
}

const submit = async (media: TestClient, queue: string, mediaType: string, priority = 0) =>
  (await acknowledged(media, { message: 'RequestSubmit', queue, mediaType, priority })).interactionId as string;

describe('the metrics after a known workload', () => {
  test('count what waits, what was committed and who is connected, and name no agent, interaction or client', async () => {
    const server = await start(config);
    const reporting = await open(server, 'ReportingEngine', 'wallboard');
    await acknowledged(reporting, { message: 'RequestStartReporting' });
    const media = await open(server, 'MediaServer', 'email-gateway');
    const router = await open(server, 'RoutingEngine', 'urs');
    const agent7 = await open(server, 'AgentApplication', 'desk-7');
    await acknowledged(agent7, { message: 'RequestAgentLogin', agentId: 'agent-7', placeId: 'place-7', media: { chat: 'ready', email: 'ready', sms: 'ready' } });
    const agent8 = await open(server, 'AgentApplication', 'desk-8');
    await acknowledged(agent8, { message: 'RequestAgentLogin', agentId: 'agent-8', placeId: 'place-8', media: { chat: 'notReady' } });

    const pool = [await submit(media, 'pool', 'email'), await submit(media, 'pool', 'email', 5), await submit(media, 'pool', 'email')];
    const [accepted, stopped, timedOut] = [await submit(media, 'routed', 'chat'), await submit(media, 'routed', 'chat'), await submit(media, 'routed', 'email')] as [string, string, string];
    for (const interactionId of [accepted, stopped, timedOut]) await router.next((event) => event.message === 'EventRouteRequest' && (event.interaction as Message).interactionId === interactionId);
    const routeCall = async (interactionId: string) => {
      router.send({ message: 'RequestRouteCall', interactionId, agentId: 'agent-7' });
      return (await agent7.next('EventInvite')).ticketId as number;
    };
    await acknowledged(agent7, { message: 'RequestAccept', ticketId: await routeCall(accepted), interactionId: accepted });
    await acknowledged(agent7, { message: 'RequestReject', ticketId: await routeCall(stopped), interactionId: stopped });
    await routeCall(stopped);
    await acknowledged(media, { message: 'RequestStopProcessing', interactionId: stopped });
    expect(await agent7.next('EventRevoked')).toMatchObject({ interactionId: stopped, reason: 'Stopped' });
    await routeCall(timedOut);
    expect(await agent7.next('EventRevoked')).toMatchObject({ interactionId: timedOut, reason: 'DeliveringTimeout' });
    await acknowledged(media, { message: 'RequestStopProcessing', interactionId: pool[0] });
    const lastEvent = await reporting.next((event) => event.message === 'EventProcessingStopped' && event.interactionId === pool[0]);
    const unregistered = await TestClient.connect(server.url);
    onTestFinished(() => unregistered.socket.terminate());

    expect(server.server.metricsUrl).toBe(`http://127.0.0.1:${server.server.port}/metrics`);
    const { status, text, headers } = await scrape(server.server.metricsUrl!);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);

    expect(sample(text, 'openixn_queue_waiting_interactions', { queue: 'pool' })).toBe(2);
    // The timed-out one is offered to the router again: still in its queue.
    expect(sample(text, 'openixn_queue_waiting_interactions', { queue: 'routed' })).toBe(1);
    expect(sample(text, 'openixn_queue_waiting_interactions', { queue: 'idle' })).toBe(0);
    // Both have waited at least the 0.3 s delivering timeout; an empty queue has no age.
    expect(sample(text, 'openixn_queue_oldest_waiting_seconds', { queue: 'pool' })).toBeGreaterThanOrEqual(0.3);
    expect(sample(text, 'openixn_queue_oldest_waiting_seconds', { queue: 'routed' })).toBeGreaterThanOrEqual(0.3);
    expect(sample(text, 'openixn_queue_oldest_waiting_seconds', { queue: 'idle' })).toBe(0);

    expect(sample(text, 'openixn_interactions_submitted_total', { queue: 'pool' })).toBe(3);
    expect(sample(text, 'openixn_interactions_submitted_total', { queue: 'routed' })).toBe(3);
    expect(sample(text, 'openixn_interactions_submitted_total', { queue: 'idle' })).toBe(0);
    expect(sample(text, 'openixn_interactions_stopped_total')).toBe(2);
    expect(sample(text, 'openixn_interactions_expired_total')).toBe(0);
    expect(sample(text, 'openixn_invites_sent_total')).toBe(4);
    for (const outcome of ['accepted', 'rejected', 'revoked', 'timed_out']) expect(sample(text, 'openixn_invites_total', { outcome }), outcome).toBe(1);

    expect(sample(text, 'openixn_route_call_to_invite_seconds_count')).toBe(4);
    expect(sample(text, 'openixn_route_call_to_invite_seconds_sum')).toBeGreaterThan(0);
    expect(sample(text, 'openixn_route_call_to_invite_seconds_bucket', { le: '+Inf' })).toBe(4);
    const commits = sample(text, 'openixn_commit_duration_seconds_count');
    expect(commits).toBeGreaterThan(0);
    expect(sample(text, 'openixn_commit_batch_events_count')).toBe(commits);
    expect(sample(text, 'openixn_commit_batch_events_sum')).toBe(lastEvent.seq);
    expect(sample(text, 'openixn_commit_batch_interactions_count')).toBe(commits);

    for (const [clientType, count] of [['AgentApplication', 2], ['MediaServer', 1], ['RoutingEngine', 1], ['ReportingEngine', 1], ['unregistered', 1]] as const) {
      expect(sample(text, 'openixn_connections', { client_type: clientType }), clientType).toBe(count);
    }
    expect(sample(text, 'openixn_agents_logged_in')).toBe(2);
    const agents = (media_type: string, readiness: string) => sample(text, 'openixn_agents_by_media', { media_type, readiness });
    expect([agents('chat', 'ready'), agents('chat', 'not_ready')]).toEqual([1, 1]);
    // agent-7 let an email invite time out: not ready for email now (NoAnswer).
    expect([agents('email', 'ready'), agents('email', 'not_ready')]).toEqual([0, 1]);
    // sms is not in the config: counted, but under "other", so a client cannot add series.
    expect([agents('other', 'ready'), agents('other', 'not_ready')]).toEqual([1, 0]);

    expect(sample(text, 'openixn_reporting_subscribers', { mode: 'live' })).toBe(1);
    expect(sample(text, 'openixn_reporting_subscribers', { mode: 'replay' })).toBe(0);
    expect(sample(text, 'openixn_reporting_subscriber_lag_max')).toBe(0);
    expect(sample(text, 'openixn_reporting_last_seq')).toBe(lastEvent.seq);
    expect(sample(text, 'openixn_store_available')).toBe(1);
    expect(sample(text, 'openixn_server_primary')).toBe(1);
    // A fresh PostgreSQL schema's first lease is epoch 1; SQLite has no lease.
    expect(sample(text, 'openixn_server_epoch')).toBe(testStoreKind() === 'postgres' ? 1 : 0);

    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    // prom-client counts CPU from the first scrape in the process, so a first scrape may read 0.
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');

    for (const secret of ['agent-7', 'agent-8', 'place-7', 'desk-7', 'email-gateway', 'urs', 'wallboard', 'sms', ...pool, accepted, stopped, timedOut]) {
      expect(text, `the metrics name ${secret}`).not.toContain(secret);
    }
  });

  test('two servers in one process keep counts of their own', async () => {
    const [first, second] = await Promise.all([start(config), start(config)]);
    const media = await open(first, 'MediaServer', 'email-gateway');
    await submit(media, 'pool', 'email');
    await submit(media, 'pool', 'email');
    const [one, two] = await Promise.all([scrape(first.server.metricsUrl!), scrape(second.server.metricsUrl!)]);
    expect(sample(one.text, 'openixn_interactions_submitted_total', { queue: 'pool' })).toBe(2);
    expect(sample(two.text, 'openixn_interactions_submitted_total', { queue: 'pool' })).toBe(0);
    expect(sample(one.text, 'openixn_connections', { client_type: 'MediaServer' })).toBe(1);
    expect(sample(two.text, 'openixn_connections', { client_type: 'MediaServer' })).toBe(0);
  });
});

describe('who may read /metrics', () => {
  const key = 'k'.repeat(16) + 'metrics-key-0123456789';
  const auth = authConfig([]);

  test('without authentication it is open on the server\'s port; turned off it is not served', async () => {
    const server = await start(config);
    expect((await scrape(server.server.metricsUrl!)).status).toBe(200);
    const off = await start({ ...config, metrics: { enabled: false } });
    expect(off.server.metricsUrl).toBeNull();
    expect((await scrape(`http://127.0.0.1:${off.server.port}/metrics`)).status).toBe(404);
  });

  test('with authentication and no key, the server\'s port refuses and says what to configure', async () => {
    const server = await start({ ...config, auth });
    const refused = await scrape(server.server.metricsUrl!);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="openixn metrics"');
    expect(JSON.parse(refused.text)).toEqual({ error: expect.stringMatching(/metrics\.key.*metrics\.port/) as unknown });
    expect(refused.text).not.toContain('openixn_');
  });

  test('with a key (kept as its hash), only a scrape that sends it is answered', async () => {
    const server = await start({ ...config, auth, metrics: { sha256: sha256(key) } });
    const url = server.server.metricsUrl!;
    for (const authorization of [undefined, `Bearer ${key}x`, `Basic ${key}`, key, 'Bearer ']) {
      const refused = await scrape(url, authorization);
      expect(refused.status, String(authorization)).toBe(401);
      expect(refused.text).not.toContain('openixn_');
    }
    const answered = await scrape(url, `Bearer ${key}`);
    expect(answered.status).toBe(200);
    expect(sample(answered.text, 'openixn_store_available')).toBe(1);
  });

  test('a loopback listener of its own needs no key; the server\'s port then does not serve /metrics', async () => {
    const server = await start({ ...config, auth, metrics: { port: 0 } });
    const url = server.server.metricsUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(url).not.toBe(`http://127.0.0.1:${server.server.port}/metrics`);
    const answered = await scrape(url);
    expect(answered.status).toBe(200);
    expect(sample(answered.text, 'openixn_agents_logged_in')).toBe(0);
    expect((await scrape(`http://127.0.0.1:${server.server.port}/metrics`)).status).toBe(404);
    expect((await scrape(url.replace('/metrics', '/ws'))).status).toBe(404);
    // With a key configured, the listener of its own asks for it too.
    const keyed = await start({ ...config, metrics: { port: 0, key } });
    expect((await scrape(keyed.server.metricsUrl!)).status).toBe(401);
    expect((await scrape(keyed.server.metricsUrl!, `Bearer ${key}`)).status).toBe(200);
  });
});
