// The WebSocket under a client, kept open: it connects to the first server URL, finds a dead
// connection (liveness.ts), and after a drop connects again with backoff (backoff.ts), trying the
// next URL first, or, when a standby named the primary (close 4503), that one at once if it is
// one of the client's URLs. It knows nothing of the protocol: the client registers and restores its session
// in onOpen, and hears of every drop at once in onDrop, so that a request in flight is failed
// the moment its connection is gone.

import { backoffDelayMs, primaryHint, UrlRing, type BackoffSettings } from './backoff.js';
import { OpenixnError, stopsReconnecting } from './errors.js';
import { Liveness, type LivenessSettings } from './liveness.js';
import { open, resolveWebSocket, type WebSocketConstructor, type WebSocketLike } from './socket.js';

export interface ConnectionSettings extends BackoffSettings, LivenessSettings {
  urls: readonly string[];
  WebSocket: WebSocketConstructor | undefined;
  /** Getting a token, opening the socket, registering and restoring the session must finish within this. */
  connectTimeoutMs: number;
}

export interface Drop {
  url: string;
  /** The WebSocket close code (1006 when the connection was found dead or cut). */
  code: number;
  reason: string;
}

export interface Retry {
  /** Attempts that failed in a row since the last session that was established (0 after a drop). */
  failures: number;
  delayMs: number;
  /** The URL the next attempt goes to. */
  url: string;
  /** Why the last attempt failed, or null after a session that ended. */
  error: unknown;
}

export interface ConnectionHooks {
  /** Before each attempt, e.g. to fetch a fresh token; a rejection fails the attempt. */
  beforeOpen(): Promise<void>;
  /** The socket is open: register and restore. A rejection fails the attempt; a refusal that stopsReconnecting ends the connection. */
  onOpen(url: string): Promise<void>;
  onMessage(text: string): void;
  /** An open socket is gone. Called synchronously, before anything else can be sent. */
  onDrop(drop: Drop): void;
  onRetry(retry: Retry): void;
  /** The connection has stopped for good (not called after close()). */
  onStopped(error: OpenixnError): void;
  /** The liveness question for a socket without ping(): a request the server answers with no effect. */
  probe(): string;
}

/** How long close() waits for the server's half of the close handshake before cutting the socket. */
const closeGraceMs = 1000;
/** WebSocket.CLOSING: a close frame was sent or received, the close event has not come yet. */
const closingState = 2;

export class Connection {
  private readonly ring: UrlRing;
  private WebSocket: WebSocketConstructor | null = null;
  private socket: WebSocketLike | null = null;
  private socketUrl = '';
  private socketOpened = false;
  private socketClosed: Promise<void> = Promise.resolve();
  /** Fails the opening of the current socket, when it is let go before it opened. */
  private openFailed: ((error: Error) => void) | null = null;
  private liveness: Liveness | null = null;
  /** Resolves when the established session's socket is gone. */
  private sessionEnded: (() => void) | null = null;
  private running = false;
  private closed = false;
  private suspension: { promise: Promise<void>; resume: () => void } | null = null;
  private wake: (() => void) | null = null;
  /** How the last socket closed, for the primary a standby names. */
  private lastClose: { code: number; reason: string } | null = null;
  /** Hints followed in a row without a session: a second one waits its backoff, so two standbys that disagree cannot make a loop. */
  private hintsFollowed = 0;

  constructor(private readonly settings: ConnectionSettings, private readonly hooks: ConnectionHooks) {
    this.ring = new UrlRing(settings.urls);
  }

  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    void this.run();
  }

  /** Sends a text frame on the open socket; false when there is none. */
  send(text: string): boolean {
    const socket = this.socket;
    if (socket === null || !this.socketOpened || socket.readyState !== open) return false;
    socket.send(text);
    return true;
  }

  isOpen(): boolean {
    return this.socket !== null && this.socketOpened && this.socket.readyState === open;
  }

  /** The probe's answer came: the connection is alive. */
  probeAnswered(): void {
    this.liveness?.answered();
  }

  /**
   * Closes the socket and stays away until resume(): a reporting consumer that has fallen behind
   * lets the server hold the stream (it resumes from its next seq) instead of filling memory.
   */
  suspend(reason: string): void {
    if (this.suspension !== null || this.closed) return;
    let resume!: () => void;
    const promise = new Promise<void>((resolve) => (resume = resolve));
    this.suspension = { promise, resume };
    if (this.socket !== null) this.cut(this.socket, 1000, reason, true);
  }

  resume(): void {
    const suspension = this.suspension;
    this.suspension = null;
    suspension?.resume();
  }

  isSuspended(): boolean {
    return this.suspension !== null;
  }

  /** Stops for good: closes the socket (normal closure) and resolves once it is closed. */
  async close(): Promise<void> {
    if (this.closed) return this.socketClosed;
    this.closed = true;
    this.resume();
    this.wake?.();
    const socket = this.socket;
    if (socket === null) return;
    this.cut(socket, 1000, 'closed by the client', true);
    const closed = this.socketClosed;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), closeGraceMs)));
    if (await Promise.race([closed.then(() => false), graceOver])) socket.terminate?.();
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    try {
      this.WebSocket = await resolveWebSocket(this.settings.WebSocket);
    } catch (error) {
      this.closed = true;
      this.hooks.onStopped(new OpenixnError('Closed', (error as Error).message));
      return;
    }
    let failures = 0;
    while (!this.closed) {
      let error: unknown = null;
      try {
        this.lastClose = null;
        await this.attempt(this.ring.current());
        failures = 0;
        this.hintsFollowed = 0;
      } catch (caught) {
        if (this.closed) return;
        if (stopsReconnecting(caught)) {
          // Stopped first, so that the client hears of the refusal and not of a drop.
          this.closed = true;
          this.hooks.onStopped(caught);
          if (this.socket !== null) this.cut(this.socket, 1000, 'registration refused', true);
          return;
        }
        error = caught;
      }
      if (this.closed) return;
      if (this.suspension !== null) {
        // Paused, not failed: back to the same server as soon as the consumer has caught up.
        await this.suspension.promise;
        continue;
      }
      // A standby named the primary: straight there, if the application gave that URL (a token is
      // never sent to a server the application did not name).
      const hint = this.lastClose === null ? null : primaryHint(this.lastClose.code, this.lastClose.reason);
      const following = hint !== null && this.ring.pointAt(hint);
      if (!following) this.ring.advance();
      if (error !== null) failures++;
      const delayMs = following && this.hintsFollowed++ === 0 ? 0 : backoffDelayMs(failures, this.settings);
      this.hooks.onRetry({ failures, delayMs, url: this.ring.current(), error });
      await this.sleep(delayMs);
    }
  }

  /**
   * One attempt: token, socket, registration and restore within connectTimeoutMs. Resolves when
   * the session it established has ended; rejects when it could not establish one.
   */
  private async attempt(url: string): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new OpenixnError('Timeout', `${url} did not open and restore the session within ${this.settings.connectTimeoutMs} ms (connectTimeoutMs).`));
        if (this.socket !== null) this.cut(this.socket, 1006, 'connect timeout', false);
      }, this.settings.connectTimeoutMs);
    });
    expired.catch(() => undefined);
    const ended = new Promise<void>((resolve) => (this.sessionEnded = resolve));
    try {
      await Promise.race([this.hooks.beforeOpen(), expired]);
      if (this.closed) return;
      await Promise.race([this.openSocket(url), expired]);
      await Promise.race([this.hooks.onOpen(url), expired]);
    } catch (error) {
      // Closed by the server while this attempt still spoke (a standby closes with 4503 right after
      // the upgrade, and the registration's send then fails): its close event, with the code and the
      // reason naming the primary, is what the retry needs, so it is awaited rather than cut short.
      if (stopsReconnecting(error)) throw error;
      if (this.socket !== null && this.socket.readyState === closingState) await this.closedWithin(closeGraceMs);
      if (this.socket !== null) this.cut(this.socket, 1006, 'attempt failed', false);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    await ended;
  }

  private openSocket(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new this.WebSocket!(url);
      this.socket = socket;
      this.openFailed = reject;
      this.socketUrl = url;
      this.socketOpened = false;
      this.socketClosed = new Promise((resolveClosed) => socket.addEventListener('close', () => resolveClosed()));
      socket.addEventListener('open', () => {
        if (this.socket !== socket) return;
        this.socketOpened = true;
        this.openFailed = null;
        this.liveness = new Liveness(socket, this.settings, () => this.send(this.hooks.probe()), () => {
          if (this.socket === socket) this.cut(socket, 1006, `no answer to a ping within ${this.settings.pingTimeoutMs} ms`, false);
        });
        resolve();
      });
      socket.addEventListener('message', (event) => {
        if (this.socket === socket && typeof event.data === 'string') this.hooks.onMessage(event.data);
      });
      // Every error is followed by a close event, which is where it is handled.
      socket.addEventListener('error', () => undefined);
      socket.addEventListener('close', (event) => {
        if (this.socket !== socket) return;
        this.detach(event.code, event.reason, new Error(`Could not connect to ${url} (close code ${event.code}${event.reason === '' ? '' : `: ${event.reason}`}).`));
      });
    });
  }

  /**
   * Lets go of a socket at once: it is forgotten before anything else happens (its later events
   * are ignored), then closed, gracefully or by cutting it (ws's terminate; a browser has only
   * close(), whose handshake a dead server never finishes, which is why it is not waited for).
   */
  private cut(socket: WebSocketLike, code: number, reason: string, graceful: boolean): void {
    if (this.socket !== socket) return;
    const opened = this.socketOpened;
    this.detach(code, reason);
    if (!graceful && socket.terminate !== undefined) {
      socket.terminate();
      return;
    }
    try {
      socket.close(opened ? 1000 : undefined, opened ? reason.slice(0, 120) : undefined);
    } catch {
      // Already closing.
    }
  }

  private detach(code: number, reason: string, openError = new Error(`The connection to ${this.socketUrl} was given up before it opened (${reason}).`)): void {
    const opened = this.socketOpened;
    this.lastClose = { code, reason };
    const openFailed = this.openFailed;
    this.openFailed = null;
    openFailed?.(openError);
    this.socket = null;
    this.socketOpened = false;
    this.liveness?.stop();
    this.liveness = null;
    if (opened) this.hooks.onDrop({ url: this.socketUrl, code, reason });
    const ended = this.sessionEnded;
    this.sessionEnded = null;
    ended?.();
  }

  /** Resolves when the current socket has closed, or after `ms`. */
  private async closedWithin(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.socketClosed, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}
