// The WebSocket side: one Connection per socket. It limits a connection's rate, decodes frames,
// keeps a connection's requests in order while one of them waits for the store, and sends text
// frames, closing a connection whose client does not read them.

import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { decode, encode, findReferenceId, type Request } from '../protocol/codec.js';
import { eventError } from '../core/errors.js';
import type { OutgoingMessage } from '../core/types.js';
import { agentFrameLimitBytes, closeCodes, hardFrameLimitBytes, unregisteredFrameLimitBytes, type Limits } from './limits.js';
import { RequestRate } from './request-rate.js';

export { closeCodes };

/** How long a connection must keep to its rate before its earlier refusals are forgiven. */
const rateQuietMs = 1000;

/**
 * Below this much waiting to be sent, a connection is not watched for draining: frames of one turn
 * of the event loop wait in the socket until it is uncorked, and a reader that keeps up never
 * holds more for long.
 */
const drainWatchBytes = 64 * 1024;

/** How far apart the marks are by which a connection's unread data is aged. */
const drainMarkIntervalMs = 1000;

/** The receiver of a ws WebSocket holds its frame-size limit here (ws 8 lib/receiver.js). */
interface ReceiverWithLimit {
  _maxPayload: number;
}

/** What a Connection enforces itself; the rest of the limits are the server's and the core's. */
export type ConnectionLimits = Pick<Limits, 'maxMessageBytes' | 'maxUserDataBytes' | 'requestsPerSecond' | 'agentRequestsPerSecond' | 'bytesPerSecond' | 'agentBytesPerSecond' | 'rateLimitCloseAfter' | 'maxBufferedBytes' | 'drainTimeoutMs'>;

/** What the server needs of a client connection: a WebSocket, or the built-in router's in-process one. */
export interface ClientConnection {
  readonly id: string;
  send(message: object): void;
  sendText(text: string): void;
  /** A message already encoded as `text` (a reporting event); an in-process connection takes the object. */
  sendEvent(message: object, text: string): void;
  isOpen(): boolean;
  bufferedAmount(): number;
  close(code: number, reason: string): void;
  terminate(): void;
  /**
   * Registered: from now on the connection has its client type's rates (a desktop's are lower than
   * a server's; before registration it has a desktop's), and frames up to the registered limit
   * are read (before, only small ones).
   */
  registered?(asAgent: boolean): void;
  /** The server's own in-process client (the built-in router): its requests wait out a database outage instead of being refused. */
  readonly partOfServer?: boolean;
}

export interface ConnectionHandler {
  /** Handles one valid request; a returned promise holds the connection's later requests until it settles. */
  onRequest(connection: ClientConnection, request: Request): Promise<void> | void;
  /** Answers a frame that did not decode (or was over the rate); `afterSend` runs once the answer is sent. */
  onInvalid(connection: ClientConnection, message: OutgoingMessage, afterSend?: () => void): void;
  onClose(connection: ClientConnection): void;
}

export class Connection implements ClientConnection {
  readonly id: string;
  private readonly socket: WebSocket;
  private readonly handler: ConnectionHandler;
  private readonly limits: ConnectionLimits;
  private readonly rate: RequestRate;
  /** Frames above this get LimitExceeded unparsed: small until registration, then by client type (agentFrameLimitBytes). */
  private frameLimitBytes = unregisteredFrameLimitBytes;
  private frameLimitName = 'the limit before RequestRegisterClient';
  /** Rate refusals since the connection last kept to its rate for a whole second. */
  private refusedInARow = 0;
  private lastRefusalMs = 0;
  /** The settings behind the connection's rates, named in a refusal. */
  private rateOptions = { frames: 'limits.agentRequestsPerSecond', bytes: 'limits.agentBytesPerSecond' };
  private closeReported = false;
  /** Frames that arrived while an earlier request of this connection was waiting. */
  private held: { frame: string; frameBytes: number }[] | null = null;
  private corked = false;
  /** The TCP socket under the WebSocket; ws does not expose cork(), so it is reached directly. */
  private readonly rawSocket: Socket | undefined;
  /**
   * Marks of what was written and when, while the client has data waiting: the socket's byte
   * count just after a write, and the time. A mark is passed once the socket has handed that
   * many bytes to the kernel; one that is not passed within limits.drainTimeout closes the
   * connection (4090).
   */
  private drainMarks: { bytes: number; at: number }[] = [];
  private drainTimer: NodeJS.Timeout | null = null;

  constructor(id: string, socket: WebSocket, handler: ConnectionHandler, limits: ConnectionLimits) {
    this.id = id;
    this.socket = socket;
    this.handler = handler;
    this.limits = limits;
    // Until it registers, a connection has a desktop's rates and small frames: anonymous sockets are the cheapest to open.
    this.rate = new RequestRate({ framesPerSecond: limits.agentRequestsPerSecond, bytesPerSecond: limits.agentBytesPerSecond, largestFrameBytes: unregisteredFrameLimitBytes }, Date.now());
    this.rawSocket = (socket as unknown as { _socket?: Socket })._socket;
    socket.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(data, isBinary));
    socket.on('close', () => {
      this.stopDrainWatch();
      this.reportClose();
    });
    socket.on('error', () => socket.terminate());
  }

  isOpen(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  send(message: object): void {
    this.sendText(encode(message));
  }

  sendEvent(_message: object, text: string): void {
    this.sendText(text);
  }

  sendText(text: string): void {
    if (!this.isOpen()) return;
    if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.onSendBufferFull('send buffer full: the client did not read its events');
      return;
    }
    if (!this.corked) {
      // Every frame for this connection in this tick leaves in one write (writev), not one syscall each.
      this.corked = true;
      this.rawSocket?.cork();
      process.nextTick(() => {
        this.corked = false;
        this.rawSocket?.uncork();
        if (this.socket.bufferedAmount > drainWatchBytes) this.markUnread();
      });
    }
    this.socket.send(text);
  }

  bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  terminate(): void {
    this.socket.terminate();
  }

  registered(asAgent: boolean): void {
    this.frameLimitBytes = asAgent ? agentFrameLimitBytes(this.limits) : this.limits.maxMessageBytes;
    this.frameLimitName = asAgent ? 'a desktop\'s: limits.maxUserDataBytes and 64 KiB, at most limits.maxMessageBytes' : 'limits.maxMessageBytes';
    // Read up to the server's frame limit, for desktops too: a frame between their smaller limit and
    // this one is answered LimitExceeded, unparsed, and the connection stays (SPEC section 3).
    const largestFrameBytes = hardFrameLimitBytes(this.limits.maxMessageBytes);
    const receiver = (this.socket as unknown as { _receiver?: ReceiverWithLimit })._receiver;
    if (receiver === undefined || typeof receiver._maxPayload !== 'number') throw new Error('ws changed: its receiver no longer has a _maxPayload to raise after registration');
    receiver._maxPayload = largestFrameBytes;
    if (asAgent) {
      this.rate.setRates({ framesPerSecond: this.limits.agentRequestsPerSecond, bytesPerSecond: this.limits.agentBytesPerSecond, largestFrameBytes });
      return;
    }
    this.rate.setRates({ framesPerSecond: this.limits.requestsPerSecond, bytesPerSecond: this.limits.bytesPerSecond, largestFrameBytes });
    this.rateOptions = { frames: 'limits.requestsPerSecond', bytes: 'limits.bytesPerSecond' };
  }

  // ---- A client that does not read ---------------------------------------------------------------

  /**
   * Called after a tick's writes left data waiting: marks them, at most once a second. Once per
   * tick, not per frame: net.Socket's bytesWritten walks every chunk waiting in its buffer, and a
   * replay writes thousands of frames in one tick (read per frame, it cost a busy server seconds).
   */
  private markUnread(): void {
    const socket = this.rawSocket;
    if (socket === undefined) return;
    const now = Date.now();
    const last = this.drainMarks.at(-1);
    // Within a second of the last mark, that mark grows to cover this write: it is aged from its
    // first write, so a client may be closed up to a second early, never late.
    if (last !== undefined && now - last.at < drainMarkIntervalMs) {
      last.bytes = socket.bytesWritten;
      return;
    }
    this.drainMarks.push({ bytes: socket.bytesWritten, at: now });
    if (this.drainTimer === null) this.drainTimer = setTimeout(() => this.checkDrain(), this.limits.drainTimeoutMs);
  }

  /** Closes the connection when data it was sent has waited unread for limits.drainTimeout. */
  private checkDrain(): void {
    this.drainTimer = null;
    const socket = this.rawSocket;
    if (socket === undefined || !this.isOpen()) return;
    const handedToKernel = socket.bytesWritten - socket.writableLength;
    while (this.drainMarks.length > 0 && this.drainMarks[0]!.bytes <= handedToKernel) this.drainMarks.shift();
    const oldest = this.drainMarks[0];
    if (oldest === undefined) return;
    const waited = Date.now() - oldest.at;
    if (waited >= this.limits.drainTimeoutMs) {
      this.stopDrainWatch();
      this.onSendBufferFull(`the client left its events unread for ${Math.round(waited / 1000)} s`);
      return;
    }
    this.drainTimer = setTimeout(() => this.checkDrain(), this.limits.drainTimeoutMs - waited);
  }

  private stopDrainWatch(): void {
    if (this.drainTimer !== null) clearTimeout(this.drainTimer);
    this.drainTimer = null;
    this.drainMarks = [];
  }

  /**
   * The client does not read what it is sent. Its events stop here instead of piling up in the
   * server's memory; the close frame waits behind what is queued, so a client that reads again
   * soon learns why. The server forgets the connection at once (an agent's invites are revoked),
   * and the client catches up when it comes back: a reporting client from its next seq, an agent
   * from its login's EventAck.
   */
  private onSendBufferFull(reason: string): void {
    if (this.closeReported) return;
    this.socket.close(closeCodes.sendBufferFull, reason);
    // After the delivery in progress, not inside it.
    queueMicrotask(() => this.reportClose());
  }

  private reportClose(): void {
    if (this.closeReported) return;
    this.closeReported = true;
    this.handler.onClose(this);
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    const now = Date.now();
    const over = this.rate.take(now, data.length);
    if (over !== null) {
      this.lastRefusalMs = now;
      this.onRateExceeded(data, over);
      return;
    }
    // A flood just over the rate has a frame or two accepted at every refill: only a quiet second
    // ends the run of refusals, or such a client would never be closed.
    if (this.refusedInARow > 0 && now - this.lastRefusalMs >= rateQuietMs) this.refusedInARow = 0;
    if (isBinary) {
      this.handler.onInvalid(this, eventError('InvalidRequest', 'Send text frames with one JSON object each, not binary frames.'));
      return;
    }
    if (data.length > this.frameLimitBytes) {
      // Too large to decode to text in full: decode() needs only the referenceId, found by a byte search.
      const at = data.indexOf('"referenceId"');
      this.process(at < 0 ? '' : data.subarray(at, at + 64).toString('utf8'), data.length);
      return;
    }
    this.process(data.toString('utf8'), data.length);
  }

  /**
   * Over its rate, a frame is answered without being parsed. A client that keeps on regardless is
   * closed, after the answers it has been sent, and whatever it sends meanwhile is dropped.
   */
  private onRateExceeded(data: Buffer, over: 'frames' | 'bytes'): void {
    const refused = ++this.refusedInARow;
    if (refused > this.limits.rateLimitCloseAfter) return;
    const at = data.indexOf('"referenceId"');
    const referenceId = at < 0 ? undefined : findReferenceId(data.subarray(at, at + 64).toString('latin1'));
    const closing = refused === this.limits.rateLimitCloseAfter;
    const message = eventError(
      'LimitExceeded',
      (over === 'frames'
        ? `The connection sent more than ${this.rate.framesPerSecond} requests per second (${this.rateOptions.frames}); this one was not executed. `
        : `The connection sent more than ${this.rate.bytesPerSecond} bytes per second (${this.rateOptions.bytes}); this request was not executed. `) +
        (closing ? `After ${refused} refusals with no second within the rate between them, the connection is closed (limits.rateLimitCloseAfter).` : 'Slow down and send it again.'),
      referenceId,
    );
    this.handler.onInvalid(this, message, closing ? () => this.close(closeCodes.rateLimited, 'too many requests') : undefined);
  }

  private process(frame: string, frameBytes: number): void {
    if (this.held !== null) {
      this.held.push({ frame, frameBytes });
      return;
    }
    const decoded = decode(frame, this.frameLimitBytes, frameBytes, this.frameLimitName);
    if (!decoded.ok) {
      this.handler.onInvalid(this, eventError(decoded.errorCode, decoded.errorDescription, decoded.referenceId));
      return;
    }
    const pending = this.handler.onRequest(this, decoded.request);
    if (pending !== undefined) {
      this.held = [];
      void pending.finally(() => this.release());
    }
  }

  private release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (let index = 0; index < held.length; index++) {
      this.process(held[index]!.frame, held[index]!.frameBytes);
      const waiting = this.held as { frame: string; frameBytes: number }[] | null;
      if (waiting !== null) {
        // A later request is waiting in its turn: keep the rest behind it.
        waiting.push(...held.slice(index + 1));
        return;
      }
    }
  }
}
