// The base of every role's client: its options, the connection, registration (with a fresh token
// on every connection), requests and their answers, typed listeners, and the restore hook in
// which each role redoes, on a new connection, what its session had set up on the old one.

import { Connection, type Drop, type Retry } from './connection.js';
import { Correlation, probeReferenceId, type RequestOptions } from './correlation.js';
import { Emitter } from './emitter.js';
import { OpenixnError, type OpenixnErrorCode } from './errors.js';
import type { AnswerTo, ClientType, IncomingMessage, RequestBody, RequestName } from './protocol.js';
import type { WebSocketConstructor } from './socket.js';

export interface ClientOptions {
  /** The servers' WebSocket URLs (`ws://host:7120/ws`), tried in turn. */
  urls: readonly string[];
  /** The name the client registers with (a media server's names its externalIds). */
  clientName: string;
  /** The credentials, where the server has authentication on: a token, or a function asked for a fresh one on every connection. */
  token?: string | (() => string | Promise<string>);
  /** A WebSocket constructor; default the global one, else (Node 20) ws. */
  WebSocket?: WebSocketConstructor;
  /** How often the SDK checks that the server answers. Default 10,000. */
  pingIntervalMs?: number;
  /** How long an answer may take before the connection counts as dead. Default 5,000. */
  pingTimeoutMs?: number;
  /** Getting the token, opening, registering and restoring must take no longer, else the attempt fails. Default 10,000. */
  connectTimeoutMs?: number;
  /** The shortest wait between attempts, and the base of the doubling. Default 250. */
  backoffMinMs?: number;
  /** The longest wait between attempts. Default 30,000. */
  backoffMaxMs?: number;
}

export const clientDefaults = {
  pingIntervalMs: 10_000,
  pingTimeoutMs: 5_000,
  connectTimeoutMs: 10_000,
  backoffMinMs: 250,
  backoffMaxMs: 30_000,
} as const;

/** idle: not connected yet; connecting: (re)connecting or restoring; open: requests go out; closed: for good. */
export type ClientState = 'idle' | 'connecting' | 'open' | 'closed';

/** What every client tells its listeners about its connection. */
export interface ConnectionEvents {
  /** Registered and restored; requests made meanwhile go out now. */
  connected: { url: string; reconnected: boolean };
  /** The connection dropped; requests in flight have been rejected (ConnectionLost) and it reconnects. */
  disconnected: Drop;
  /** The next attempt comes after delayMs. */
  reconnecting: Retry;
  /** For good: after close() (error null) or a refusal a retry cannot change. */
  closed: { error: OpenixnError | null };
  /** An error that answers no call: a refused restore step, an EventError without a request, a listener that threw. */
  error: Error;
}

/** The liveness probe (liveness.ts) for sockets without ping(): every role may send it, none has an effect. */
const probeFrame = JSON.stringify({ message: 'RequestGetInteractionProperties', referenceId: probeReferenceId, interactionId: 'openixn-sdk-liveness-probe' });

/** Codes the SDK makes itself: a restore step that fails with one of these is retried, not given up. */
const connectionCodes: ReadonlySet<OpenixnErrorCode> = new Set<OpenixnErrorCode>(['ConnectionLost', 'Closed', 'Timeout']);

export abstract class OpenixnClient<Events extends ConnectionEvents = ConnectionEvents> extends Emitter<Events> {
  protected abstract readonly clientType: ClientType;
  private readonly connection: Connection;
  private readonly correlation = new Correlation();
  private readonly clientName: string;
  private readonly tokenSource: ClientOptions['token'];
  private token: string | undefined;
  private status: ClientState = 'idle';
  private sessions = 0;
  private firstConnect: { promise: Promise<void>; resolve: () => void; reject: (error: OpenixnError) => void } | null = null;

  constructor(options: ClientOptions) {
    super();
    this.clientName = options.clientName;
    this.tokenSource = options.token;
    this.connection = new Connection({
      urls: [...options.urls],
      WebSocket: options.WebSocket,
      pingIntervalMs: options.pingIntervalMs ?? clientDefaults.pingIntervalMs,
      pingTimeoutMs: options.pingTimeoutMs ?? clientDefaults.pingTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? clientDefaults.connectTimeoutMs,
      backoffMinMs: options.backoffMinMs ?? clientDefaults.backoffMinMs,
      backoffMaxMs: options.backoffMaxMs ?? clientDefaults.backoffMaxMs,
    }, {
      beforeOpen: () => this.fetchToken(),
      onOpen: (url) => this.onOpen(url),
      onMessage: (text) => this.onMessage(text),
      onDrop: (drop) => this.onDrop(drop),
      onRetry: (retry) => this.emit('reconnecting', retry),
      onStopped: (error) => this.stop(error),
      probe: () => probeFrame,
    });
  }

  get state(): ClientState {
    return this.status;
  }

  /**
   * Connects, registers and restores; resolves once requests go out. It keeps trying (with
   * backoff, over every URL) until then, and rejects only when the server refuses the
   * registration in a way a retry cannot change (credentials, a bad name) or close() is called.
   */
  connect(): Promise<void> {
    if (this.status === 'closed') return Promise.reject(new OpenixnError('Closed', 'The client is closed.'));
    if (this.status === 'open') return Promise.resolve();
    if (this.firstConnect === null) {
      let resolve!: () => void;
      let reject!: (error: OpenixnError) => void;
      const promise = new Promise<void>((resolvePromise, rejectPromise) => ((resolve = resolvePromise), (reject = rejectPromise)));
      this.firstConnect = { promise, resolve, reject };
    }
    if (this.status === 'idle') {
      this.status = 'connecting';
      this.connection.start();
    }
    return this.firstConnect.promise;
  }

  /** Closes for good: requests not answered yet reject with Closed. The server logs an agent out when its last connection closes. */
  async close(): Promise<void> {
    if (this.status !== 'closed') this.stop(null);
    await this.connection.close();
  }

  /**
   * Sends a request (now, or once connected and restored) and resolves with its answer. A
   * restoring request goes out at once, ahead of the requests waiting for the session.
   */
  protected request<Name extends RequestName>(name: Name, body: RequestBody<Name>, options: RequestOptions & { restoring?: boolean } = {}): Promise<AnswerTo<Name>> {
    if (this.status === 'closed') return Promise.reject(new OpenixnError('Closed', 'The client is closed.', name));
    if (options.restoring === true && !this.connection.isOpen()) return Promise.reject(new OpenixnError('ConnectionLost', 'The connection dropped while the session was being restored.', name));
    const { pending, answer } = this.correlation.create(name, body, options);
    if ((this.status === 'open' || options.restoring === true) && this.connection.send(pending.frame)) this.correlation.sent(pending);
    else this.correlation.wait(pending);
    return answer as Promise<AnswerTo<Name>>;
  }

  /** What the role adds to RequestRegisterClient (a router's queues). */
  protected registration(): Partial<RequestBody<'RequestRegisterClient'>> {
    return {};
  }

  /** Redoes, on a new connection, what the session had set up; runs after every registration. */
  protected async restore(): Promise<void> {}

  /**
   * One step of a restore. A refusal by the server (the agent may no longer log in at that place,
   * say) gives that step up: `onRefused` forgets it, and the error goes to 'error'. A dropped
   * connection fails the whole attempt, which is made again.
   */
  protected async restoreStep<Answer>(run: () => Promise<Answer>, onRefused: (error: OpenixnError) => void): Promise<Answer | null> {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof OpenixnError) || connectionCodes.has(error.code)) throw error;
      onRefused(error);
      this.emit('error', error);
      return null;
    }
  }

  /** An unsolicited event: to the listeners of its name. */
  protected onEvent(message: IncomingMessage): void {
    if (message.message === 'EventError') {
      this.emit('error', new OpenixnError(message.errorCode as OpenixnErrorCode, String(message.errorDescription)));
      return;
    }
    this.emit(message.message as keyof Events, message as Events[keyof Events]);
  }

  /** The client has stopped for good (closed, or refused); `error` says why unless close() was called. */
  protected onStopped(_error: OpenixnError | null): void {}

  /** Stays disconnected until resumeConnection(): for a consumer that has fallen behind. */
  protected suspendConnection(reason: string): void {
    this.connection.suspend(reason);
  }

  protected resumeConnection(): void {
    this.connection.resume();
  }

  protected connectionSuspended(): boolean {
    return this.connection.isSuspended();
  }

  protected override onListenerError(error: unknown): void {
    this.emit('error', error instanceof Error ? error : new Error(String(error)));
  }

  private async fetchToken(): Promise<void> {
    this.token = typeof this.tokenSource === 'function' ? await this.tokenSource() : this.tokenSource;
  }

  private async onOpen(url: string): Promise<void> {
    const registration = { clientType: this.clientType, clientName: this.clientName, ...this.registration() };
    if (this.token !== undefined) registration.token = this.token;
    await this.request('RequestRegisterClient', registration, { restoring: true });
    await this.restore();
    if (!this.connection.isOpen()) throw new OpenixnError('ConnectionLost', 'The connection dropped while the session was being restored.');
    this.status = 'open';
    for (const pending of this.correlation.takeWaiting()) {
      if (this.connection.send(pending.frame)) this.correlation.sent(pending);
      else this.correlation.wait(pending);
    }
    const reconnected = this.sessions++ > 0;
    this.firstConnect?.resolve();
    this.firstConnect = null;
    this.emit('connected', { url, reconnected });
  }

  private onMessage(text: string): void {
    let message: IncomingMessage;
    try {
      message = JSON.parse(text) as IncomingMessage;
    } catch {
      this.emit('error', new Error(`The server sent a frame that is not JSON: ${text.slice(0, 100)}`));
      return;
    }
    const referenceId = message.referenceId;
    if (referenceId !== undefined) {
      if (referenceId === probeReferenceId) {
        this.connection.probeAnswered();
        return;
      }
      if (this.correlation.settle(message)) return;
    }
    this.onEvent(message);
  }

  private onDrop(drop: Drop): void {
    if (this.status === 'closed') return;
    this.status = 'connecting';
    this.correlation.connectionLost(`close code ${drop.code}${drop.reason === '' ? '' : `, ${drop.reason}`}`);
    this.emit('disconnected', drop);
  }

  private stop(error: OpenixnError | null): void {
    if (this.status === 'closed') return;
    this.status = 'closed';
    const cause = error ?? new OpenixnError('Closed', 'The client was closed.');
    this.correlation.rejectAll((request) => new OpenixnError('Closed', `The client stopped before the answer came: ${cause.description}`, request));
    this.firstConnect?.reject(cause);
    this.firstConnect = null;
    this.onStopped(error);
    this.emit('closed', { error });
  }
}
