// The server's Prometheus metrics (docs/metrics.md lists each one): a registry of the server's own,
// so that two servers in one process do not mix their counts. Gauges that describe the present are
// computed at each scrape from read-only views; counters count committed reporting events as they
// are delivered, so they count only what is durable; histograms are observed where the time passes.
//
// Every label value comes from the config (queues, media types, webhook names) or from a fixed list
// (client types, outcomes): never an agent, place or interaction id, and never a name a client
// chose, so a client cannot make the server keep a new series per request.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AgentStatistics, QueueStatistics } from '../core/core.js';
import { clientTypes, type ReportingEvent } from '../core/types.js';
import { processRegistry } from './process-metrics.js';

/** What the metrics read at each scrape; each is cheap (none scans every interaction). */
export interface MetricsViews {
  queueStatistics(): readonly QueueStatistics[];
  agentStatistics(): AgentStatistics;
  /** Open WebSocket connections by the client type they registered as, or `unregistered`. */
  connectionsByClientType(): ReadonlyMap<string, number>;
  reportingStatistics(): ReportingStatistics;
  storeAvailable(): boolean;
  /** Whether this server serves as the primary, and its lease's epoch (null on SQLite, or before it held one). */
  role(): { primary: boolean; epoch: number | null };
  webhookStatistics(): readonly WebhookStatistics[];
  /** The server's clock (ms), for the age of the oldest waiting interaction. */
  now(): number;
}

export interface ReportingStatistics {
  /** The last seq committed and delivered. */
  lastSeq: number;
  live: number;
  replaying: number;
  /** The largest number of committed events a subscriber has not been sent yet. */
  lagMax: number;
}

export interface WebhookStatistics {
  endpoint: string;
  /** Committed events the endpoint has not received (nor skipped by its filter) yet. */
  lag: number;
}

/** The label values the config allows; anything else is counted under `other`. */
export interface MetricsLabels {
  mediaTypes: readonly string[];
  webhooks: readonly string[];
}

export const otherMediaType = 'other';
export const unregistered = 'unregistered';

const secondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const sizeBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

/** An invite ends in exactly one of these (README: every EventAgentInvited is closed by an accept, a reject or a revoke). */
export type InviteOutcome = 'accepted' | 'rejected' | 'timed_out' | 'revoked';

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly submitted: Counter<'queue'>;
  private readonly stopped: Counter;
  private readonly expired: Counter;
  private readonly invitesSent: Counter;
  private readonly invites: Counter<'outcome'>;
  private readonly routeCallToInvite: Histogram;
  private readonly commitDuration: Histogram;
  private readonly commitEvents: Histogram;
  private readonly commitInteractions: Histogram;
  private readonly webhookPosts: Counter<'endpoint' | 'result'>;
  private readonly webhookEvents: Counter<'endpoint'>;
  /** Open invites by interaction: an accept is known by the Agent party joining an interaction with one. */
  private readonly openInvites = new Map<string, number>();
  /** When each route call that made an invite arrived (performance.now()), by ticket, until its EventInvite leaves. */
  private readonly routeCallsStarted = new Map<number, number>();
  private readonly queues: ReadonlySet<string>;

  constructor(views: MetricsViews, labels: MetricsLabels & { queues: readonly string[] }) {
    const registers = [this.registry];
    const mediaTypes = [...new Set(labels.mediaTypes)].filter((mediaType) => mediaType !== otherMediaType);
    this.queues = new Set(labels.queues);

    new Gauge({
      name: 'openixn_queue_waiting_interactions', help: 'Interactions in the queue now: queued, routing or invited (they leave it when an agent takes them).',
      labelNames: ['queue'], registers,
      collect(): void {
        for (const queue of views.queueStatistics()) this.set({ queue: queue.queue }, queue.waiting);
      },
    });
    new Gauge({
      name: 'openixn_queue_oldest_waiting_seconds', help: 'How long the interaction that has been in the queue longest has waited there; 0 when it is empty.',
      labelNames: ['queue'], registers,
      collect(): void {
        const now = views.now();
        for (const queue of views.queueStatistics()) this.set({ queue: queue.queue }, queue.oldestEnteredAt === null ? 0 : Math.max(0, now - queue.oldestEnteredAt) / 1000);
      },
    });
    new Gauge({
      name: 'openixn_agents_logged_in', help: 'Agents logged in now.', registers,
      collect(): void {
        this.set(views.agentStatistics().loggedIn);
      },
    });
    new Gauge({
      name: 'openixn_agents_by_media', help: `Logged-in agents per media type they named, ready or not_ready; media types not in the config count as "${otherMediaType}".`,
      labelNames: ['media_type', 'readiness'], registers,
      collect(): void {
        const counts = new Map([...mediaTypes, otherMediaType].map((mediaType) => [mediaType, { ready: 0, notReady: 0 }]));
        for (const [mediaType, agents] of views.agentStatistics().media) {
          const bucket = counts.get(mediaTypes.includes(mediaType) ? mediaType : otherMediaType)!;
          bucket.ready += agents.ready;
          bucket.notReady += agents.notReady;
        }
        for (const [mediaType, agents] of counts) {
          this.set({ media_type: mediaType, readiness: 'ready' }, agents.ready);
          this.set({ media_type: mediaType, readiness: 'not_ready' }, agents.notReady);
        }
      },
    });
    new Gauge({
      name: 'openixn_connections', help: `Open WebSocket connections by the client type they registered as ("${unregistered}" before they register).`,
      labelNames: ['client_type'], registers,
      collect(): void {
        const counts = views.connectionsByClientType();
        for (const clientType of [...clientTypes, unregistered]) this.set({ client_type: clientType }, counts.get(clientType) ?? 0);
      },
    });
    new Gauge({
      name: 'openixn_reporting_subscribers', help: 'Reporting clients receiving the stream: live, or still replaying the stored log (the built-in router is one of them).',
      labelNames: ['mode'], registers,
      collect(): void {
        const reporting = views.reportingStatistics();
        this.set({ mode: 'live' }, reporting.live);
        this.set({ mode: 'replay' }, reporting.replaying);
      },
    });
    new Gauge({
      name: 'openixn_reporting_subscriber_lag_max', help: 'The most committed reporting events (in seq) any reporting subscriber has not been sent yet.', registers,
      collect(): void {
        this.set(views.reportingStatistics().lagMax);
      },
    });
    new Gauge({
      name: 'openixn_reporting_last_seq', help: 'The seq of the last reporting event committed.', registers,
      collect(): void {
        this.set(views.reportingStatistics().lastSeq);
      },
    });
    new Gauge({
      name: 'openixn_store_available', help: '1 while the store commits, 0 while it cannot (PostgreSQL away: commits are held and new requests refused).', registers,
      collect(): void {
        this.set(views.storeAvailable() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'openixn_server_primary', help: '1 while this server serves as the primary; 0 while it stands by (its other series then describe nothing) or starts.', registers,
      collect(): void {
        this.set(views.role().primary ? 1 : 0);
      },
    });
    new Gauge({
      name: 'openixn_server_epoch', help: 'The epoch of the store\'s lease this server took (PostgreSQL): one more at each failover; 0 before it held one, and on SQLite.', registers,
      collect(): void {
        this.set(views.role().epoch ?? 0);
      },
    });
    new Gauge({
      name: 'openixn_webhook_lag_events', help: 'Committed reporting events (in seq) the webhook endpoint has not received, nor skipped by its filter, yet.',
      labelNames: ['endpoint'], registers,
      collect(): void {
        for (const webhook of views.webhookStatistics()) this.set({ endpoint: webhook.endpoint }, webhook.lag);
      },
    });

    this.submitted = new Counter({ name: 'openixn_interactions_submitted_total', help: 'Interactions submitted (EventInteractionSubmitted), by the queue they were submitted to.', labelNames: ['queue'], registers });
    this.stopped = new Counter({ name: 'openixn_interactions_stopped_total', help: 'Interactions stopped (EventProcessingStopped), expired ones included.', registers });
    this.expired = new Counter({ name: 'openixn_interactions_expired_total', help: 'Interactions stopped because they expired (EventProcessingStopped with reason Expired).', registers });
    this.invitesSent = new Counter({ name: 'openixn_invites_sent_total', help: 'Invites sent to agents (EventAgentInvited).', registers });
    this.invites = new Counter({ name: 'openixn_invites_total', help: 'Invites ended, by outcome: accepted, rejected, timed_out (DeliveringTimeout) or revoked (any other reason).', labelNames: ['outcome'], registers });
    this.routeCallToInvite = new Histogram({ name: 'openixn_route_call_to_invite_seconds', help: 'From a RequestRouteCall received to its EventInvite sent to the agent, commit included.', buckets: secondsBuckets, registers });
    this.commitDuration = new Histogram({ name: 'openixn_commit_duration_seconds', help: 'How long one group commit took in the store, from sent to durable.', buckets: secondsBuckets, registers });
    this.commitEvents = new Histogram({ name: 'openixn_commit_batch_events', help: 'Reporting events per group commit.', buckets: sizeBuckets, registers });
    this.commitInteractions = new Histogram({ name: 'openixn_commit_batch_interactions', help: 'Interaction records written per group commit.', buckets: sizeBuckets, registers });
    this.webhookPosts = new Counter({ name: 'openixn_webhook_posts_total', help: 'POSTs to a webhook endpoint, by result: delivered (2xx) or failed (anything else; retried).', labelNames: ['endpoint', 'result'], registers });
    this.webhookEvents = new Counter({ name: 'openixn_webhook_events_delivered_total', help: 'Reporting events a webhook endpoint has received (answered 2xx).', labelNames: ['endpoint'], registers });

    // Every series exists from the start, so that rate() sees the first increase.
    for (const queue of this.queues) this.submitted.inc({ queue }, 0);
    for (const outcome of ['accepted', 'rejected', 'timed_out', 'revoked'] as const) this.invites.inc({ outcome }, 0);
    for (const endpoint of labels.webhooks) {
      for (const result of ['delivered', 'failed']) this.webhookPosts.inc({ endpoint, result }, 0);
      this.webhookEvents.inc({ endpoint }, 0);
    }
  }

  /** A committed reporting event, as it is delivered: the counters count what is durable. */
  onReportingEvent(event: ReportingEvent): void {
    switch (event.message) {
      case 'EventInteractionSubmitted': {
        const queue = (event.interaction as { queue?: unknown } | undefined)?.queue;
        if (typeof queue === 'string' && this.queues.has(queue)) this.submitted.inc({ queue });
        return;
      }
      case 'EventProcessingStopped':
        this.stopped.inc();
        if (event.reason === 'Expired') this.expired.inc();
        return;
      case 'EventAgentInvited':
        this.invitesSent.inc();
        if (typeof event.interactionId === 'string' && typeof event.ticketId === 'number') this.openInvites.set(event.interactionId, event.ticketId);
        return;
      case 'EventPartyAdded':
        if ((event.party as { type?: unknown } | undefined)?.type === 'Agent' && typeof event.interactionId === 'string' && this.openInvites.delete(event.interactionId)) {
          this.invites.inc({ outcome: 'accepted' });
        }
        return;
      case 'EventRejected':
        this.endInvite(event, 'rejected');
        return;
      case 'EventRevoked':
        // Invites out when the server stopped are revoked at the next start (ServerRestart): counted, though invited before.
        this.endInvite(event, event.reason === 'DeliveringTimeout' ? 'timed_out' : 'revoked');
        return;
    }
  }

  private endInvite(event: Extract<ReportingEvent, { message: 'EventRejected' | 'EventRevoked' }>, outcome: InviteOutcome): void {
    this.openInvites.delete(event.interactionId);
    this.invites.inc({ outcome });
  }

  /** A RequestRouteCall that arrived at `startedAt` (performance.now()) made the invite with this ticket. */
  onRouteCallInvited(ticketId: number, startedAt: number): void {
    this.routeCallsStarted.set(ticketId, startedAt);
  }

  /** The EventInvite with this ticket left for the agent at `sentAt` (performance.now()). */
  onInviteSent(ticketId: number, sentAt: number): void {
    const startedAt = this.routeCallsStarted.get(ticketId);
    if (startedAt === undefined) return;
    this.routeCallsStarted.delete(ticketId);
    this.routeCallToInvite.observe((sentAt - startedAt) / 1000);
  }

  onCommitted(durationMs: number, interactions: number, events: number): void {
    this.commitDuration.observe(durationMs / 1000);
    this.commitInteractions.observe(interactions);
    this.commitEvents.observe(events);
  }

  onWebhookPost(endpoint: string, delivered: boolean, events: number): void {
    this.webhookPosts.inc({ endpoint, result: delivered ? 'delivered' : 'failed' });
    if (delivered) this.webhookEvents.inc({ endpoint }, events);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition: the server's own metrics, then the process's. */
  async exposition(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processRegistry().metrics()]);
    return own + process;
  }
}
