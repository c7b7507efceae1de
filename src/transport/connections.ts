// The WebSocket side: one Connection per socket. It decodes frames, keeps a connection's requests
// in order while one of them waits for the store, and sends text frames.

import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { decode, encode, type Request } from '../protocol/codec.js';
import type { OutgoingMessage } from '../core/types.js';

/** WebSocket close codes the server uses. */
export const closeCodes = {
  goingAway: 1001,
  tooBig: 1009,
  internalError: 1011,
} as const;

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
}

export interface ConnectionHandler {
  /** Handles one valid request; a returned promise holds the connection's later requests until it settles. */
  onRequest(connection: ClientConnection, request: Request): Promise<void> | void;
  /** Answers a frame that did not decode. */
  onInvalid(connection: ClientConnection, message: OutgoingMessage): void;
  onClose(connection: ClientConnection): void;
}

export class Connection implements ClientConnection {
  readonly id: string;
  private readonly socket: WebSocket;
  private readonly handler: ConnectionHandler;
  private readonly maxMessageBytes: number;
  /** Frames that arrived while an earlier request of this connection was waiting. */
  private held: { frame: string; frameBytes: number }[] | null = null;
  private corked = false;
  /** The TCP socket under the WebSocket; ws does not expose cork(), so it is reached directly. */
  private readonly rawSocket: Duplex | undefined;

  constructor(id: string, socket: WebSocket, handler: ConnectionHandler, maxMessageBytes: number) {
    this.id = id;
    this.socket = socket;
    this.handler = handler;
    this.maxMessageBytes = maxMessageBytes;
    this.rawSocket = (socket as unknown as { _socket?: Duplex })._socket;
    socket.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(data, isBinary));
    socket.on('close', () => this.handler.onClose(this));
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
    if (!this.corked) {
      // Every frame for this connection in this tick leaves in one write (writev), not one syscall each.
      this.corked = true;
      this.rawSocket?.cork();
      process.nextTick(() => {
        this.corked = false;
        this.rawSocket?.uncork();
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

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.handler.onInvalid(this, { message: 'EventError', errorCode: 'InvalidRequest', errorDescription: 'Send text frames with one JSON object each, not binary frames.' });
      return;
    }
    if (data.length > this.maxMessageBytes) {
      // Too large to decode to text in full: decode() needs only the referenceId, found by a byte search.
      const at = data.indexOf('"referenceId"');
      this.process(at < 0 ? '' : data.subarray(at, at + 64).toString('utf8'), data.length);
      return;
    }
    this.process(data.toString('utf8'), data.length);
  }

  private process(frame: string, frameBytes: number): void {
    if (this.held !== null) {
      this.held.push({ frame, frameBytes });
      return;
    }
    const decoded = decode(frame, this.maxMessageBytes, frameBytes);
    if (!decoded.ok) {
      const message: OutgoingMessage = { message: 'EventError', errorCode: decoded.errorCode, errorDescription: decoded.errorDescription };
      if (decoded.referenceId !== undefined) message.referenceId = decoded.referenceId;
      this.handler.onInvalid(this, message);
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
