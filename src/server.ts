// Builds the server from its settings: the store, the core recovered from it, group commit, the
// deadline timer, the reporting stream, HTTP (/healthz) and the WebSocket endpoint (/ws), with
// authentication at registration and the limits on connections.
// main.ts only parses arguments and calls startServer, so tests start exactly this server.

import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { dirname, resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { AssertionFailure, Core } from './core/core.js';
import { mediaSettings } from './core/config.js';
import { eventError } from './core/errors.js';
import { inProcessGrants, openGrants, type ClientGrants, type OutgoingMessage } from './core/types.js';
import { Authenticator } from './auth/authenticator.js';
import { checkExposure, isLoopback } from './auth/exposure.js';
import { readConfigFile, resolveSettings, type ConfigInput, type Settings } from './config/config.js';
import type { Request } from './protocol/codec.js';
import { ReportingHub, type ReportingSink } from './reporting/hub.js';
import { GroupCommit, type CommittedBatch } from './store/group-commit.js';
import { openStore, redactStoreUrl } from './store/open-store.js';
import { NotPrimary, type LoadedState, type Store, type StoredEvent } from './store/store.js';
import { DeadlineScheduler, systemClock, type Clock } from './timers/scheduler.js';
import { closeCodes, Connection, type ClientConnection, type ConnectionHandler } from './transport/connections.js';
import { LocalConnection } from './transport/local-connection.js';
import { answerClientError, answerFrameworkError, maxPathParamLength, registerApi, type ApiBackend, type ApiCaller } from './http/api.js';
import { packageVersion, registerDocuments } from './http/documents.js';
import { registerPages } from './http/pages.js';
import { Admission } from './transport/admission.js';
import { unregisteredFrameLimitBytes } from './transport/limits.js';
import { RefusalLog } from './transport/refusal-log.js';
import { RouterLink, type RouterRegistration } from './router/link.js';
import { Router } from './router/router.js';
import { loadStrategies } from './router/strategies.js';
import { answerScrape, listenForMetrics, type MetricsListener } from './metrics/endpoint.js';
import { ServerMetrics, unregistered, type MetricsViews } from './metrics/server-metrics.js';
import { metricsAccess } from './metrics/settings.js';
import { readWebhookKeys, WebhookDispatcher, type WebhookKeys } from './webhooks/dispatcher.js';

export interface StartOptions {
  /** The parsed config; takes precedence over configPath. Without either, the default layout. */
  config?: ConfigInput;
  configPath?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Store URL: sqlite:PATH. */
  store?: string;
  logLevel?: string;
  /** Listen on a non-loopback address although authentication is off (--insecure). */
  insecure?: boolean;
  logger?: Logger;
  clock?: Clock;
  /** Called when the server must stop because the store failed or an invariant broke. */
  onFatal?: (error: Error) => void;
  /**
   * On a shared PostgreSQL store, wait until this server is the primary before resolving (the
   * default, for tests and embedding). False: resolve once listening, standing by meanwhile.
   */
  waitForPrimacy?: boolean;
  /**
   * Called once this server, having lost the store's lease to another, has closed every connection
   * and stopped listening: the caller may start a new server to stand by (main.ts does).
   */
  onDemoted?: (error: NotPrimary) => void;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** ws://host:port/ws */
  readonly url: string;
  readonly settings: Settings;
  /** Where GET /metrics is served (http(s)://host:port/metrics); null when it is off. */
  readonly metricsUrl: string | null;
  /** Checks every invariant of the core's state (O(n)); throws when one does not hold. For tests. */
  assertInvariants(): void;
  /** Stops accepting, commits what is in flight, closes every connection with 1001. */
  close(): Promise<void>;
}

type RegisterRequest = Extract<Request, { message: 'RequestRegisterClient' }>;

/** A page of the reporting log over HTTP holds about this much text at most. */
const httpEventPageBytes = 1024 * 1024;

/** How many events one history request reads at most before it answers with where it stopped. */
const historyScanEvents = 20_000;
/**
 * And how much of the log, whatever the events hold: 20,000 events of up to 64 kB each were a
 * gigabyte to read, copy from the store and search for one request.
 */
const historyScanBytes = 8 * 1024 * 1024;

/** A REST request whose answer has not come by then (the server is stopping) is answered Internal. */
const httpAnswerTimeoutMs = 30_000;

/** The answer to a request refused while the database is away: nothing was changed. */
const storeUnavailableDescription = 'The database is unavailable, so nothing was changed; retry shortly.';


/**
 * How long a closing connection may take to answer the close frame before its socket is cut: a
 * client that stopped reading never answers, and its queued bytes are held until then.
 */
const closeHandshakeTimeoutMs = 5000;

/**
 * How many due timers fire in one turn of the event loop (bench/stalls.js: 100,000 handling
 * timeouts of one moment), and how many commits may be on their way to the store before the next
 * slice waits: a slice's revocations are answered only once committed, and an answer to another
 * client queues behind every commit before it.
 */
const timersPerSlice = 250;
const maxCommitsBehindForTimers = 1;

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const input = options.config ?? (options.configPath !== undefined ? readConfigFile(options.configPath) : undefined);
  const settings = resolveSettings(input, {
    ...(options.configPath !== undefined ? { baseDirectory: dirname(resolve(options.configPath)) } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.store !== undefined ? { storeUrl: options.store } : {}),
    ...(options.logLevel !== undefined ? { logLevel: options.logLevel } : {}),
  });
  const logger = options.logger ?? pino({ level: settings.logLevel, base: { service: 'openixn' } });
  checkExposure(settings.host, settings.auth !== null, options.insecure === true);
  const authenticator = settings.auth === null ? null : await Authenticator.create(settings.auth);
  if (authenticator === null) {
    logger.warn({ host: settings.host }, isLoopback(settings.host)
      ? 'authentication is off (no auth section): every client is trusted with all its type allows, so the server listens on loopback only'
      : 'authentication is off and --insecure is given: any client that reaches this address may register as anything');
  }
  const tls = settings.tls === null ? null : { cert: readTlsFile(settings.tls.certFile, 'certFile'), key: readTlsFile(settings.tls.keyFile, 'keyFile') };
  const webhookKeys = readWebhookKeys(settings.webhooks);
  const store = await openStore(settings.storeUrl, { leaseMs: settings.leaseMs });
  const server = new Server(settings, store, logger, options.clock ?? systemClock, options.onFatal, options.onDemoted, authenticator, tls, webhookKeys);
  try {
    await server.listen();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  const serving = server.serve();
  if (options.waitForPrimacy === false) {
    serving.catch((error: unknown) => server.failToServe(error as Error));
  } else {
    try {
      await serving;
    } catch (error) {
      await server.close().catch(() => undefined);
      throw error;
    }
  }
  return server;
}

function readTlsFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`server.tls.${what}: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

class Server implements RunningServer, ConnectionHandler {
  readonly settings: Settings;
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly core: Core;
  private readonly commits: GroupCommit;
  private readonly scheduler: DeadlineScheduler;
  private hub!: ReportingHub;
  private readonly http: FastifyInstance;
  private readonly sockets: WebSocketServer;
  private readonly connections = new Map<string, ClientConnection>();
  private nextConnection = 0;
  /** standby: listening, refusing clients, waiting for the store's lease; starting: recovering from the store. */
  private state: 'standby' | 'starting' | 'ready' | 'closing' | 'closed' = 'starting';
  /** The lease's epoch while this server is the primary of a shared store. */
  private epoch: number | null = null;
  private readonly onDemoted: ((error: NotPrimary) => void) | undefined;
  private httpClosed: Promise<void> | null = null;
  /** Set once the lease is lost: what fails after it (commits refused by the closed store) is no fault. */
  private demoted = false;
  private closing: Promise<void> | null = null;
  private readonly onFatalCallback: ((error: Error) => void) | undefined;
  private boundPort = 0;
  private routerTimer: DeadlineScheduler | null = null;
  private readonly authenticator: Authenticator | null;
  private readonly admission: Admission;
  private readonly refusals: RefusalLog;
  /** False while the store holds commits it cannot make (the database is away); see onStoreAvailability. */
  private storeAvailable = true;
  /** A slice of the core's pending work (a snapshot being taken) is due on the next turn of the event loop. */
  private pendingWorkScheduled = false;
  private readonly tls: { cert: Buffer; key: Buffer } | null;
  private readonly metrics: ServerMetrics | null;
  private metricsListener: MetricsListener | null = null;
  private readonly webhookKeys: readonly WebhookKeys[];
  private webhooks: WebhookDispatcher | null = null;
  private webhooksStopped: Promise<void> | null = null;

  constructor(
    settings: Settings, store: Store, logger: Logger, clock: Clock, onFatal: ((error: Error) => void) | undefined, onDemoted: ((error: NotPrimary) => void) | undefined,
    authenticator: Authenticator | null, tls: { cert: Buffer; key: Buffer } | null, webhookKeys: readonly WebhookKeys[],
  ) {
    this.onDemoted = onDemoted;
    this.settings = settings;
    this.store = store;
    this.logger = logger;
    this.clock = clock;
    this.onFatalCallback = onFatal;
    this.authenticator = authenticator;
    this.tls = tls;
    this.webhookKeys = webhookKeys;
    this.core = new Core(settings.core);
    this.metrics = settings.metrics.enabled ? new ServerMetrics(this.metricsViews(), {
      queues: [...settings.core.queues.keys()], mediaTypes: [...settings.core.mediaTypes.keys()], webhooks: settings.webhooks.map((webhook) => webhook.name),
    }) : null;
    const limits = settings.limits;
    this.refusals = new RefusalLog(logger, (kind) => ({ [`limits.${kind.replace('Ms', '')}`]: kind in limits ? limits[kind as keyof typeof limits] : undefined }));
    this.admission = new Admission(limits, (connectionId) => this.core.clientOf(connectionId) !== undefined, (refusal, address) => this.refusals.refused(refusal, address));
    this.commits = new GroupCommit({
      store,
      takeEffects: () => this.core.takeEffects(),
      counters: () => this.core.getCounters(),
      deliver: (out) => this.deliver(out),
      onFatal: (error) => this.fail(error, 'the store failed to commit'),
      onCommitted: (durationMs, interactions, events) => this.metrics?.onCommitted(durationMs, interactions, events),
    });
    this.scheduler = new DeadlineScheduler(clock, () => this.core.nextDeadline(), (now) => {
      // Timers fire a slice at a time, and not while the store is behind: the scheduler comes back
      // on the next turn of the event loop, after the requests that arrived meanwhile.
      if (this.commits.backlog > maxCommitsBehindForTimers) return;
      this.guarded(() => this.core.expire(now, timersPerSlice));
    });
    store.watchAvailability?.((available, cause) => this.onStoreAvailability(available, cause));
    this.http = Fastify({
      logger: false,
      ...(tls === null ? {} : { https: tls }),
      routerOptions: { maxParamLength: maxPathParamLength },
      // These requests reach no route and no onRequest hook: the socket has still spoken.
      frameworkErrors: (error, request, reply) => {
        this.admission.spoke(request.raw.socket);
        answerFrameworkError(error, request, reply);
      },
      clientErrorHandler: answerClientError,
    }) as unknown as FastifyInstance;
    // A close handshake the client does not answer (it stopped reading) ends after closeTimeout.
    // (closeTimeout is newer than @types/ws, hence the options object.)
    // Until it registers, a connection may send only small frames; registration raises its limit
    // (Connection.allowLargeFrames), so an anonymous socket cannot make the server buffer megabytes.
    const socketOptions = { noServer: true, maxPayload: unregisteredFrameLimitBytes, perMessageDeflate: false, skipUTF8Validation: true, closeTimeout: closeHandshakeTimeoutMs };
    this.sockets = new WebSocketServer(socketOptions);
  }

  get host(): string {
    return this.settings.host;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `${this.settings.tls === null ? 'ws' : 'wss'}://${this.settings.host.includes(':') ? `[${this.settings.host}]` : this.settings.host}:${this.boundPort}/ws`;
  }

  get metricsUrl(): string | null {
    const scheme = this.settings.tls === null ? 'http' : 'https';
    if (this.metricsListener !== null) return `${scheme}://${hostForUrl(this.settings.metrics.listener!.host)}:${this.metricsListener.port}/metrics`;
    if (metricsAccess(this.settings.metrics, 'server', this.authenticator !== null).kind === 'off') return null;
    return `${scheme}://${hostForUrl(this.settings.host)}:${this.boundPort}/metrics`;
  }

  /**
   * Serves as the primary: on a shared store, first waits as a standby until this server holds the
   * lease; then recovers from the store exactly as a restart does (SPEC section 6).
   */
  async serve(): Promise<void> {
    const primacy = this.store.primacy;
    if (primacy !== undefined) {
      this.state = 'standby';
      this.logger.info({ advertisedUrl: this.advertisedUrl() }, 'standing by until this server holds the store\'s lease');
      const epoch = await primacy.acquire(this.advertisedUrl());
      if (this.state !== 'standby') return;
      this.epoch = epoch;
      this.state = 'starting';
      primacy.watchLoss((error) => this.demote(error));
    }
    let loaded: LoadedState | null = null;
    await this.store.load({
      begin: (state) => {
        loaded = state;
        this.core.beginRecovery(state.counters, this.clock.now());
      },
      interactions: (records) => this.core.recoverInteractions(records),
    });
    if (loaded === null) throw new Error('the store loaded nothing, not even its counters');
    const { agents, counters } = loaded as LoadedState;
    this.core.endRecovery(agents);
    this.hub = new ReportingHub(this.store, counters.lastSeq, this.settings.limits.maxBufferedBytes);
    this.afterCore();
    await this.commits.drain();
    await this.startWebhooks();
    await this.startBuiltinRouter();
    this.logger.info({ interactions: this.core.interactionCount(), lastSeq: counters.lastSeq, store: redactStoreUrl(this.settings.storeUrl) }, 'recovered state from the store');
    const unconfigured = this.core.unconfiguredLocations();
    if (unconfigured.size > 0) {
      this.logger.warn({ where: Object.fromEntries(unconfigured) }, 'interactions wait in queues or workbins the config no longer names: nobody can route or pull them until the config names them again');
    }
    if (this.state !== 'starting') return;
    this.state = 'ready';
    this.logger.info({ role: 'primary', epoch: this.epoch, url: this.url }, 'serving as the primary');
  }

  /** A failure while standing by or recovering, with nobody awaiting serve() (main.ts). */
  failToServe(error: Error): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.fail(error, 'the server could not take over from the store');
  }

  /** Listens for HTTP and WebSocket clients; until serve() has finished they are refused. */
  async listen(): Promise<void> {
    this.http.get('/healthz', async (_request, reply) => {
      const health = this.health();
      return reply.code(health.healthy ? 200 : 503).send(health.body);
    });
    this.http.get('/readyz', async (_request, reply) => {
      const health = this.health();
      return reply.code(health.ready ? 200 : 503).send(health.body);
    });
    this.serveMetricsOnServerPort();
    registerDocuments(this.http, { version: packageVersion(), title: 'openixn' });
    registerPages(this.http);
    registerApi(this.http, this.apiBackend(), {
      maxBodyBytes: this.settings.limits.maxMessageBytes,
      rates: {
        framesPerSecond: this.settings.limits.requestsPerSecond, bytesPerSecond: this.settings.limits.bytesPerSecond,
        agentFramesPerSecond: this.settings.limits.agentRequestsPerSecond, agentBytesPerSecond: this.settings.limits.agentBytesPerSecond,
      },
    });
    // Every socket counts from its accept, whatever it goes on to do (or not).
    this.http.server.on('connection', (socket: Socket) => this.admission.accept(socket, this.settings.tls === null));
    this.http.addHook('onRequest', async (request) => {
      this.admission.spoke(request.raw.socket);
    });
    this.http.server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      this.admission.spoke(socket);
      const path = (request.url ?? '').split('?')[0];
      const refusal = path !== '/ws' ? '404 Not Found'
        : !this.originAllowed(request.headers.origin, request.headers.host) ? '403 Forbidden'
          : this.state === 'standby' ? null
            : this.state !== 'ready' || !this.storeAvailable ? '503 Service Unavailable' : null;
      if (refusal !== null) {
        if (refusal.startsWith('403')) this.refusals.refused('origin', `${request.socket.remoteAddress ?? ''} (Origin ${String(request.headers.origin).slice(0, 200)})`);
        socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      if (this.state === 'standby') {
        // A WebSocket close, not an HTTP refusal: a client reads its code and reason, which names the primary.
        this.sockets.handleUpgrade(request, socket, head, (webSocket) => {
          // A malformed frame (before the client answers the close) is an 'error' event: unheard, it
          // would end the process, so that anyone who reaches a standby could stop it with ten bytes.
          webSocket.on('error', () => webSocket.terminate());
          webSocket.close(closeCodes.notPrimary, standbyCloseReason(this.primaryUrl()));
        });
        return;
      }
      this.sockets.handleUpgrade(request, socket, head, (webSocket) => {
        const connection = new Connection(`c${++this.nextConnection}`, webSocket, this, this.settings.limits);
        this.connections.set(connection.id, connection);
        this.admission.opened(connection, socket);
        this.logger.debug({ connection: connection.id, address: socket.remoteAddress }, 'connection opened');
      });
    });
    await this.http.listen({ host: this.settings.host, port: this.settings.port });
    const address = this.http.server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : this.settings.port;
    await this.startMetricsListener();
    this.logger.info({ host: this.settings.host, port: this.boundPort, url: this.url }, 'listening');
  }

  // ---- Roles ---------------------------------------------------------------------------------

  /**
   * /healthz: 200 while this server works in its role (a primary that can commit, a standby that
   * watches the lease); /readyz: 200 only on a primary that serves, for load balancers.
   */
  private health(): { healthy: boolean; ready: boolean; body: Record<string, unknown> } {
    const holds = this.store.primacy?.holds() ?? true;
    if (this.state === 'standby') {
      return { healthy: true, ready: false, body: { status: 'standby', role: 'standby', primaryUrl: this.primaryUrl() } };
    }
    const serving = this.state === 'ready' && this.storeAvailable && holds;
    const status = this.state !== 'ready' ? this.state : !this.storeAvailable ? 'storeUnavailable' : !holds ? 'leaseUnconfirmed' : 'ready';
    return { healthy: serving, ready: serving, body: { status, role: 'primary', ...(this.epoch === null ? {} : { epoch: this.epoch }) } };
  }

  /** How clients reach this server (server.advertisedUrl, or its own address unless that is a wildcard). */
  private advertisedUrl(): string | null {
    if (this.settings.advertisedUrl !== null) return this.settings.advertisedUrl;
    if (this.settings.host === '0.0.0.0' || this.settings.host === '::') return null;
    return `${this.settings.tls === null ? 'http' : 'https'}://${hostForUrl(this.settings.host)}:${this.boundPort}`;
  }

  /** The primary's advertised URL as the lease last named it, while this server stands by. */
  private primaryUrl(): string | null {
    return this.store.primacy?.view().primaryUrl ?? null;
  }

  /**
   * Another server holds the lease now: whatever this one still holds was never acknowledged (its
   * commits are fenced), so it closes every connection naming the new primary, stops, and lets
   * its owner start a standby in its place.
   */
  private demote(error: NotPrimary): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.logger.warn({ primaryUrl: error.primaryUrl, epoch: this.epoch }, 'another server holds the store\'s lease now: closing every connection and standing by');
    this.state = 'closing';
    this.demoted = true;
    this.scheduler.stop();
    this.routerTimer?.stop();
    this.refusals.stop();
    const reason = standbyCloseReason(error.primaryUrl);
    for (const connection of this.connections.values()) connection.close(closeCodes.notPrimary, reason);
    void this.stopListening().then(async () => {
      await this.stopWebhooks();
      await this.store.close().catch(() => undefined);
      this.state = 'closed';
      this.onDemoted?.(error);
    });
  }

  /** Closes the HTTP server (once), cutting clients that do not answer a close handshake after a short grace. */
  private stopListening(): Promise<void> {
    this.httpClosed ??= (async () => {
      const closed = this.http.close();
      const grace = setTimeout(() => {
        for (const connection of this.connections.values()) connection.terminate();
      }, 2000);
      await closed.catch(() => undefined);
      clearTimeout(grace);
      await this.metricsListener?.close();
      this.sockets.close();
    })();
    return this.httpClosed;
  }

  /**
   * A browser says which page opened a WebSocket (Origin), and any page may try: without this, a
   * page on a foreign site could use a server that trusts its loopback clients. The server's own
   * origin and those in server.allowedOrigins may connect; a client that sends no Origin is not a
   * browser, and is left to authentication.
   */
  private originAllowed(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    if (this.settings.allowedOrigins.has(origin)) return true;
    try {
      const url = new URL(origin);
      const scheme = this.settings.tls === null ? 'http:' : 'https:';
      return url.protocol === scheme && url.host === host;
    } catch {
      return false;
    }
  }

  // ---- Metrics -------------------------------------------------------------------------------

  private metricsViews(): MetricsViews {
    return {
      queueStatistics: () => this.core.queueStatistics(),
      agentStatistics: () => this.core.agentStatistics(),
      connectionsByClientType: () => {
        const counts = new Map<string, number>();
        for (const connection of this.connections.values()) {
          // The server's own clients, and REST requests (which are not connections), are not counted.
          if (connection instanceof LocalConnection) continue;
          const clientType = this.core.clientOf(connection.id)?.clientType ?? unregistered;
          counts.set(clientType, (counts.get(clientType) ?? 0) + 1);
        }
        return counts;
      },
      // A standby has no reporting stream yet.
      reportingStatistics: () => this.hub?.statistics() ?? { lastSeq: 0, live: 0, replaying: 0, lagMax: 0 },
      storeAvailable: () => this.storeAvailable,
      role: () => ({ primary: this.state === 'ready', epoch: this.epoch }),
      webhookStatistics: () => this.webhooks?.statistics() ?? [],
      now: () => this.clock.now(),
    };
  }

  /**
   * An interaction's events, read from the log: from the first event at or after its submit time
   * (found by a binary search on eventTime, which never decreases with seq) or from fromSeq,
   * keeping the events that name it, until it stops or one scan's budget is spent.
   */
  private async history(interactionId: string, fromSeq: number | undefined): Promise<{ events: StoredEvent[]; nextSeq: number; complete: boolean } | null> {
    const lastSeq = this.hub.lastSeq;
    let seq = fromSeq;
    if (seq === undefined) {
      const submittedAt = this.core.interaction(interactionId)?.submittedAt ?? await this.store.findSubmittedAt(interactionId);
      if (submittedAt === null) return null;
      seq = await this.firstSeqAtOrAfter(submittedAt, lastSeq);
    }
    const marker = `"interactionId":${JSON.stringify(interactionId)}`;
    const events: StoredEvent[] = [];
    let scanned = 0;
    // What it found is bounded as a page of the log is: all of it was one answer, up to a scan's
    // 20,000 events, each as large as a change of user data may be (a gigabyte).
    let bytes = 0;
    let scannedBytes = 0;
    scan: while (seq <= lastSeq) {
      const page = await this.store.readEvents(seq, lastSeq, 1000, httpEventPageBytes);
      if (page.length === 0) break;
      for (const event of page) {
        seq = event.seq + 1;
        scanned++;
        scannedBytes += event.text.length;
        // The text is searched before it is parsed: most events are about other interactions.
        if (event.text.includes(marker)) {
          events.push(event);
          bytes += event.text.length;
          if (event.text.includes('"message":"EventProcessingStopped"')) return { events, nextSeq: seq, complete: true };
        }
        if (bytes >= httpEventPageBytes || scanned >= historyScanEvents || scannedBytes >= historyScanBytes) break scan;
      }
    }
    return { events, nextSeq: seq, complete: seq > lastSeq };
  }

  private async firstSeqAtOrAfter(time: number, lastSeq: number): Promise<number> {
    let low = 1;
    let high = lastSeq + 1;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const [event] = await this.store.readEvents(middle, middle, 1);
      const eventTime = event === undefined ? Number.POSITIVE_INFINITY : Date.parse((JSON.parse(event.text) as { eventTime: string }).eventTime);
      if (eventTime < time) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private serveMetricsOnServerPort(): void {
    const access = metricsAccess(this.settings.metrics, 'server', this.authenticator !== null);
    if (this.metrics === null || access.kind === 'off') return;
    const metrics = this.metrics;
    this.http.get('/metrics', async (request, reply) => {
      const answer = await answerScrape(access, request.headers.authorization, metrics);
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
    if (access.kind === 'refused') this.logger.info(access.reason);
  }

  private async startMetricsListener(): Promise<void> {
    const listener = this.settings.metrics.listener;
    if (this.metrics === null || listener === null) return;
    const metrics = this.metrics;
    const access = metricsAccess(this.settings.metrics, 'own', this.authenticator !== null);
    this.metricsListener = await listenForMetrics(listener, this.tls, (authorization) => answerScrape(access, authorization, metrics), (error) => {
      this.logger.error({ err: error }, 'a scrape of /metrics failed');
    });
    this.logger.info({ url: this.metricsUrl, key: access.kind === 'key' }, 'metrics listening');
  }

  // ---- The REST API --------------------------------------------------------------------------

  private apiBackend(): ApiBackend {
    return {
      identify: (authorization, address) => this.identifyHttpCaller(authorization, address),
      originAllowed: (origin, host) => this.originAllowed(origin, host),
      execute: (caller, request) => this.executeForHttp(caller, request),
      unavailable: () => {
        if (this.state === 'standby') {
          const primaryUrl = this.primaryUrl();
          return { errorCode: 'Internal', errorDescription: `This server is a standby; ${primaryUrl === null ? 'no primary is known yet, retry shortly' : `the primary is ${primaryUrl}`}.`, primaryUrl };
        }
        if (this.state !== 'ready') return { errorCode: 'Internal', errorDescription: 'The server is not serving (it is starting or stopping); retry shortly.' };
        if (this.store.primacy !== undefined && !this.store.primacy.holds()) return { errorCode: 'Internal', errorDescription: storeUnavailableDescription };
        return this.storeAvailable ? null : { errorCode: 'Internal', errorDescription: storeUnavailableDescription };
      },
      queues: () => this.settings.core.queues,
      layout: () => {
        const core = this.settings.core;
        const seconds = (ms: number) => ms / 1000;
        return {
          version: packageVersion(),
          queues: [...core.queues].map(([queue, settings]) => ({ queue, mode: settings.routing, pullable: settings.pullable })),
          mediaTypes: [...core.mediaTypes.keys()].map((mediaType) => {
            const settings = mediaSettings(core, mediaType);
            return { mediaType, capacity: settings.capacity, deliveringTimeoutSeconds: seconds(settings.deliveringTimeoutMs), handlingTimeoutSeconds: seconds(settings.handlingTimeoutMs) };
          }),
          defaults: { capacity: core.defaultCapacity, deliveringTimeoutSeconds: seconds(core.deliveringTimeoutMs), handlingTimeoutSeconds: seconds(core.handlingTimeoutMs) },
          workbins: [...core.workbins].map(([workbin, settings]) => ({ workbin, owner: settings.owner })),
        };
      },
      queueOverview: () => this.core.queueOverview(),
      queuePage: (queue, after, count) => this.core.queuePage(queue, after, count),
      agentOverview: () => this.core.agentOverview(),
      readEvents: async (fromSeq, limit) => {
        const lastSeq = this.hub.lastSeq;
        return { events: fromSeq > lastSeq ? [] : await this.store.readEvents(fromSeq, lastSeq, limit, httpEventPageBytes), lastSeq };
      },
      history: (interactionId, fromSeq) => this.history(interactionId, fromSeq),
      findByExternalId: (clientName, externalId) => this.store.findByExternalId(clientName, externalId),
      now: () => this.clock.now(),
    };
  }

  /** The caller a request's credential names; without authentication, a trusted caller. */
  private async identifyHttpCaller(authorization: string | undefined, address: string): Promise<ApiCaller | { errorCode: 'Unauthorized'; errorDescription: string }> {
    if (this.authenticator === null) return { clientType: 'MediaServer', clientName: 'http', grants: openGrants, key: address, trusted: true };
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    const identity = await this.authenticator.identify(token, this.clock.now());
    if (!identity.ok) {
      this.logger.info({ address, reason: identity.errorDescription }, 'REST request refused');
      return identity;
    }
    return { clientType: identity.clientType, clientName: identity.clientName, grants: identity.grants, key: `${identity.clientType}:${identity.subject}`, trusted: false };
  }

  /**
   * A REST request as a client of its own for its lifetime: registered with the caller's grants,
   * it sends the one protocol request, and its answer (after the commit, like any answer) ends
   * it. The core so decides what it may do exactly as for a WebSocket client.
   */
  private executeForHttp(caller: ApiCaller, request: Request): Promise<OutgoingMessage> {
    const registration = 1;
    const answerReference = 2;
    let connection!: LocalConnection;
    const answered = new Promise<OutgoingMessage>((resolve) => {
      const timer = setTimeout(() => resolve(eventError('Internal', 'The server did not answer in time; the request may or may not have been carried out.')), httpAnswerTimeoutMs);
      timer.unref();
      connection = new LocalConnection(`h${++this.nextConnection}`, (message) => {
        if (message.referenceId === answerReference || (message.referenceId === registration && message.message === 'EventError')) {
          clearTimeout(timer);
          resolve(message as OutgoingMessage);
        }
      }, false);
    });
    this.connections.set(connection.id, connection);
    this.registerClient(connection, { message: 'RequestRegisterClient', referenceId: registration, clientType: caller.clientType, clientName: caller.clientName }, caller.grants);
    if (this.core.clientOf(connection.id) !== undefined) void this.onRequest(connection, { ...request, referenceId: answerReference } as Request);
    return answered.finally(() => this.onClose(connection));
  }

  // ---- The built-in router -------------------------------------------------------------------

  /**
   * The built-in router is a RoutingEngine (naming the builtin queues) and a ReportingEngine, on
   * in-process connections: the server cannot tell it from an external router.
   */
  private async startBuiltinRouter(): Promise<void> {
    const settings = this.settings.router;
    if (!settings.enabled || settings.queues.size === 0) return;
    const router = new Router(settings, await loadStrategies(settings, this.settings.baseDirectory), (error, interaction) => {
      this.logger.error({ err: error, interactionId: interaction.interactionId, queue: interaction.queue }, 'a routing strategy threw; the interaction waits');
    });
    const link = new RouterLink(router);
    let sending = false;
    const sendRequests = () => {
      // After the delivery that woke the router has finished, never inside it.
      if (sending) return;
      sending = true;
      queueMicrotask(() => {
        sending = false;
        for (const request of router.takeRequests()) this.onRequest(routing, request);
        routerTimer.refresh();
      });
    };
    const connectionOf = (clientId: string) => new LocalConnection(clientId, (message) => {
      link.hear(clientId, message, this.clock.now());
      sendRequests();
    }, true);
    const [reportingRegistration, routingRegistration] = link.registrations() as [RouterRegistration, RouterRegistration];
    const reporting = connectionOf(reportingRegistration.clientId);
    const routing = connectionOf(routingRegistration.clientId);
    const routerTimer = new DeadlineScheduler(this.clock, () => router.nextDeadline(), (now) => {
      router.tick(now);
      sendRequests();
    });
    this.routerTimer = routerTimer;
    for (const connection of [reporting, routing]) this.connections.set(connection.id, connection);
    // In-process connections need no token: they are the server's own.
    this.registerClient(reporting, reportingRegistration.request, inProcessGrants);
    this.onRequest(reporting, link.startReporting);
    link.reportingStarted();
    this.registerClient(routing, routingRegistration.request, inProcessGrants);
    await this.commits.drain();
    this.logger.info({ queues: router.queues() }, 'built-in router serving');
  }

  // ---- Webhooks ------------------------------------------------------------------------------

  /** Each endpoint reads the committed log on its own, from its durable cursor; deliver() tells them of new commits. */
  private async startWebhooks(): Promise<void> {
    if (this.webhookKeys.length === 0) return;
    this.webhooks = await WebhookDispatcher.start({
      endpoints: this.webhookKeys,
      store: this.store,
      committedSeq: () => this.hub.lastSeq,
      clock: this.clock,
      logger: this.logger,
      onPost: (endpoint, delivered, events) => this.metrics?.onWebhookPost(endpoint, delivered, events),
    });
  }

  private stopWebhooks(): Promise<void> {
    this.webhooksStopped ??= this.webhooks?.stop() ?? Promise.resolve();
    return this.webhooksStopped;
  }

  // ---- Connections ---------------------------------------------------------------------------

  onRequest(connection: ClientConnection, request: Request): Promise<void> | void {
    // The built-in router is part of the server: its requests go on, and wait for the store like
    // the moves already made. Refusing them would leave its interactions unrouted after the outage.
    if (!this.storeAvailable && connection.partOfServer !== true) {
      connection.send(eventError('Internal', storeUnavailableDescription, request.referenceId));
      return;
    }
    // A primary that has not renewed its lease for a lease period may have been replaced (it was
    // paused, or cut off from the database): it answers nothing from memory that the new primary
    // may contradict. To its clients this is the database being away, and the same answer.
    if (this.store.primacy !== undefined && !this.store.primacy.holds() && connection.partOfServer !== true) {
      connection.send({ message: 'EventError', referenceId: request.referenceId, errorCode: 'Internal', errorDescription: storeUnavailableDescription });
      return;
    }
    const context = { clientId: connection.id, now: this.clock.now() };
    switch (request.message) {
      case 'RequestRegisterClient':
        return this.register(connection, request);
      case 'RequestStartReporting': {
        // The core decides whether this connection may; the hub streams from the EventAck on.
        let accepted = false;
        this.guarded(() => (accepted = this.core.request(context, request)), connection, request.referenceId);
        if (accepted) this.startReporting(connection, request.referenceId, request.fromSeq);
        return;
      }
      case 'RequestSubmit': {
        // An externalId the core does not hold may belong to a stopped interaction: ask the store first.
        const client = this.core.clientOf(connection.id);
        if (request.externalId !== undefined && client?.clientType === 'MediaServer' && !this.core.knowsExternalId(client.clientName, request.externalId)) {
          return this.store.findByExternalId(client.clientName, request.externalId).then(
            (existing) => {
              if (existing !== null && !this.core.knowsExternalId(client.clientName, request.externalId!)) {
                this.commits.addDelivery({ to: connection.id, message: { message: 'EventAck', referenceId: request.referenceId, interactionId: existing } });
              } else {
                this.guarded(() => this.core.request({ clientId: connection.id, now: this.clock.now() }, request), connection, request.referenceId);
              }
            },
            (error: unknown) => {
              // Nothing has changed yet, so the media server can simply send the submit again.
              this.logger.error({ err: error }, 'the store failed to look up an externalId');
              connection.send(eventError('Internal', storeUnavailableDescription, request.referenceId));
            },
          );
        }
        break;
      }
    }
    if (request.message !== 'RequestRouteCall' || this.metrics === null) {
      this.guarded(() => this.core.request(context, request), connection, request.referenceId);
      return;
    }
    const startedAt = performance.now();
    this.guarded(() => this.core.request(context, request), connection, request.referenceId);
    // The invite it made, if any: its EventInvite leaving ends the latency measured (deliver()).
    const ticket = this.core.interaction(request.interactionId)?.ticket;
    if (ticket?.routerId === connection.id && ticket.routerReferenceId === request.referenceId) this.metrics.onRouteCallInvited(ticket.ticketId, startedAt);
  }

  /** With authentication on, the token is verified first; the connection's later frames wait for it. */
  private register(connection: ClientConnection, request: RegisterRequest): Promise<void> | void {
    if (this.authenticator === null || this.core.clientOf(connection.id) !== undefined) {
      // A second registration is the core's to refuse (InvalidState), whatever its token says.
      this.registerClient(connection, request, openGrants);
      return;
    }
    return this.authenticator.authenticate(request.token, request.clientType, request.clientName, this.clock.now()).then((outcome) => {
      if (this.state !== 'ready' || !connection.isOpen()) return;
      if (outcome.ok) {
        this.registerClient(connection, request, outcome.grants, outcome.subject);
        return;
      }
      const address = this.admission.addressOf(connection.id);
      this.logger.info({ connection: connection.id, address, clientType: request.clientType, clientName: request.clientName, errorCode: outcome.errorCode, reason: outcome.errorDescription }, 'registration refused');
      const code = outcome.errorCode === 'Unauthorized' ? closeCodes.unauthorized : closeCodes.forbidden;
      this.commits.addDelivery({
        to: connection.id,
        message: eventError(outcome.errorCode, outcome.errorDescription, request.referenceId),
        afterSend: () => connection.close(code, outcome.errorCode),
      });
    });
  }

  private registerClient(connection: ClientConnection, request: RegisterRequest, grants: ClientGrants, subject?: string): void {
    const context = { clientId: connection.id, now: this.clock.now() };
    this.guarded(() => this.core.register(context, request.referenceId, request.clientType, request.clientName, request.queues, grants), connection, request.referenceId);
    const client = this.core.clientOf(connection.id);
    if (client === undefined) return;
    this.admission.registered(connection.id);
    connection.registered?.(client.clientType === 'AgentApplication');
    this.logger.debug({ connection: connection.id, clientType: request.clientType, clientName: request.clientName, subject }, 'client registered');
  }

  onInvalid(connection: ClientConnection, message: OutgoingMessage, afterSend?: () => void): void {
    this.commits.addDelivery(afterSend === undefined ? { to: connection.id, message } : { to: connection.id, message, afterSend });
  }

  onClose(connection: ClientConnection): void {
    this.connections.delete(connection.id);
    this.admission.closed(connection.id);
    this.hub?.remove(connection.id);
    this.logger.debug({ connection: connection.id }, 'connection closed');
    // While shutting down, connections close because the server closes them: the store keeps
    // them as they were, and the next start revokes what must be revoked (ServerRestart).
    if (this.state !== 'ready') return;
    this.guarded(() => this.core.disconnect(connection.id, this.clock.now()));
  }

  private startReporting(connection: ClientConnection, referenceId: number, fromSeq: number | undefined): void {
    const sink: ReportingSink = connection;
    const ack = { message: 'EventAck', referenceId };
    if (fromSeq === undefined) {
      // Every event the core has produced so far comes before this EventAck; the client gets those after it.
      this.hub.startLive(connection.id, sink, this.core.getCounters().lastSeq + 1);
      this.commits.addDelivery({ to: connection.id, message: ack });
      return;
    }
    this.commits.addDelivery({
      to: connection.id,
      message: ack,
      afterSend: () => {
        this.hub.startReplay(connection.id, sink, fromSeq, (error) => {
          this.logger.error({ err: error, connection: connection.id }, 'reporting replay failed');
          connection.close(closeCodes.internalError, 'reporting replay failed');
        });
      },
    });
  }

  // ---- Effects -------------------------------------------------------------------------------

  /** Runs a core entry point, then hands its effects to group commit. A bug stops the server. */
  private guarded(run: () => void, connection?: ClientConnection, referenceId?: number): void {
    try {
      run();
    } catch (error) {
      const description = error instanceof AssertionFailure ? 'an invariant broke' : 'the core failed';
      if (connection !== undefined) {
        connection.send(eventError('Internal', 'The server hit an internal error and is restarting; retry shortly.', referenceId));
      }
      this.fail(error as Error, description);
      return;
    }
    this.afterCore();
  }

  private afterCore(): void {
    this.commits.noteCoreWork();
    this.scheduler.refresh();
    if (this.core.hasPendingWork() && !this.pendingWorkScheduled) {
      // A snapshot being taken goes on a slice at a time, after whatever else has arrived meanwhile.
      this.pendingWorkScheduled = true;
      setImmediate(() => {
        this.pendingWorkScheduled = false;
        if (this.state === 'ready') this.guarded(() => this.core.doPendingWork(this.clock.now()));
      });
    }
  }

  private deliver({ out, events }: CommittedBatch): void {
    let event = 0;
    for (const item of out) {
      if (item.to === null) {
        this.hub.deliver(item.message, events[event++]!.text);
        this.metrics?.onReportingEvent(item.message);
        continue;
      }
      if (item.message.message === 'EventInvite') this.metrics?.onInviteSent(item.message.ticketId as number, performance.now());
      this.connections.get(item.to)?.send(item.message);
      if ('afterSend' in item) item.afterSend?.();
    }
    if (events.length > 0) this.webhooks?.onCommitted();
  }

  assertInvariants(): void {
    this.core.assertInvariants();
  }

  // ---- Database outages ----------------------------------------------------------------------

  /**
   * While the store cannot commit, the moves the core has made wait in it, unacknowledged, and are
   * answered once they commit. New requests are refused at once with a clear error rather than
   * held: a client learns that nothing happened and may retry, and no pile of work grows behind a
   * database that may be away for minutes. /healthz answers 503 meanwhile and new connections are
   * refused, so a load balancer sends clients elsewhere.
   */
  private onStoreAvailability(available: boolean, cause: Error | null): void {
    this.storeAvailable = available;
    if (available) this.logger.info('the store is available again; accepting requests');
    else this.logger.warn({ err: cause }, 'the store is unavailable: holding what is in flight, refusing new requests until it is back');
  }

  // ---- Stopping ------------------------------------------------------------------------------

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    if (this.state === 'closed') {
      // After a fail-stop nothing more is committed (the next start recovers): only the store is let go.
      await this.stopWebhooks();
      await this.store.close().catch(() => undefined);
      return;
    }
    if (this.state === 'closing') {
      // Standing down after a lost lease (demote): it finishes on its own.
      await this.stopListening();
      await this.stopWebhooks();
      await this.store.close().catch(() => undefined);
      return;
    }
    const standingBy = this.state === 'standby';
    this.state = 'closing';
    this.refusals.stop();
    this.logger.info('shutting down: no new connections, committing what is in flight');
    this.scheduler.stop();
    this.routerTimer?.stop();
    if (!standingBy) await this.commits.drain();
    for (const connection of this.connections.values()) connection.close(closeCodes.goingAway, 'server shutting down');
    // A client that does not answer the close handshake is cut after a short grace.
    await this.stopListening();
    await this.stopWebhooks();
    await this.store.close();
    this.state = 'closed';
    this.logger.info('stopped');
  }

  /** Fail-stop: after a failed commit or a broken invariant the memory may disagree with the store. */
  private fail(error: Error, description: string): void {
    if (error instanceof NotPrimary) {
      this.demote(error);
      return;
    }
    if (this.demoted) return;
    if (this.state === 'closed') return;
    this.logger.fatal({ err: error }, `stopping: ${description}`);
    this.state = 'closing';
    this.scheduler.stop();
    for (const connection of this.connections.values()) connection.close(closeCodes.internalError, 'internal error');
    void this.stopListening();
    void this.stopWebhooks();
    this.state = 'closed';
    this.onFatalCallback?.(error);
  }
}

/**
 * The close reason a standby gives: the primary's WebSocket URL when the lease names one. At most
 * 20 + 100 characters (server.advertisedUrl is bounded), within the 123 bytes a close reason has.
 */
export function standbyCloseReason(primaryUrl: string | null): string {
  if (primaryUrl === null) return 'standby; no primary known';
  return `standby; primary at ${primaryUrl.replace(/^http/, 'ws')}/ws`;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
