// Requests and their answers. Every request carries a referenceId; its answer is the first
// message that carries the same one (SPEC section 3): an EventError rejects it with the server's
// code, anything else resolves it. A request is sent at most once per call: when the connection
// drops, the requests in flight are rejected with ConnectionLost, except those the server makes
// safe to repeat (a submit with an externalId), which wait with the unsent ones and go out again
// on the next connection.

import { OpenixnError, type OpenixnErrorCode } from './errors.js';
import type { IncomingMessage } from './protocol.js';

export interface RequestOptions {
  /** The server makes a repeat harmless (RequestSubmit with an externalId): resend it after a drop. */
  repeatable?: boolean;
  /**
   * Runs inside the handling of the answer, before any later message is handled and before the
   * promise's continuations: where a client records what the answer changed (a login, a
   * readiness) so that events right behind the answer already see it.
   */
  onAnswer?: (answer: IncomingMessage) => void;
}

interface Pending {
  readonly referenceId: number;
  readonly request: string;
  readonly frame: string;
  readonly repeatable: boolean;
  readonly onAnswer: ((answer: IncomingMessage) => void) | undefined;
  readonly resolve: (answer: IncomingMessage) => void;
  readonly reject: (error: OpenixnError) => void;
}

/** The referenceId of the liveness probe; requests count from 1. */
export const probeReferenceId = 0;

export class Correlation {
  private nextReferenceId = probeReferenceId + 1;
  /** Sent on the current connection, waiting for their answers. */
  private readonly inFlight = new Map<number, Pending>();
  /** Not sent yet (made while the client was not connected), or repeatable ones to send again. */
  private waiting: Pending[] = [];

  /** A new request; its frame is built once, here, and sent as it is (again, if repeatable). */
  create(request: string, body: object, options: RequestOptions): { pending: Pending; answer: Promise<IncomingMessage> } {
    const referenceId = this.nextReferenceId++;
    let pending!: Pending;
    const answer = new Promise<IncomingMessage>((resolve, reject) => {
      pending = {
        referenceId,
        request,
        frame: JSON.stringify({ message: request, referenceId, ...body }),
        repeatable: options.repeatable === true,
        onAnswer: options.onAnswer,
        resolve,
        reject,
      };
    });
    return { pending, answer };
  }

  sent(pending: Pending): void {
    this.inFlight.set(pending.referenceId, pending);
  }

  wait(pending: Pending): void {
    this.waiting.push(pending);
  }

  /** Takes the requests waiting to be sent, in the order they were made. */
  takeWaiting(): Pending[] {
    const waiting = this.waiting;
    this.waiting = [];
    return waiting;
  }

  /** Settles the request this message answers; false when it answers none. */
  settle(message: IncomingMessage): boolean {
    const pending = this.inFlight.get(message.referenceId!);
    if (pending === undefined) return false;
    this.inFlight.delete(pending.referenceId);
    if (message.message === 'EventError') {
      pending.reject(new OpenixnError(message.errorCode as OpenixnErrorCode, String(message.errorDescription), pending.request));
      return true;
    }
    pending.onAnswer?.(message);
    pending.resolve(message);
    return true;
  }

  /**
   * The connection dropped. A request in flight may have been executed or not, and the SDK cannot
   * tell: it rejects with ConnectionLost rather than risk doing it twice. A repeatable one goes
   * back to the front of the waiting list, in its order.
   */
  connectionLost(drop: string): void {
    const repeated: Pending[] = [];
    for (const pending of this.inFlight.values()) {
      if (pending.repeatable) repeated.push(pending);
      else pending.reject(new OpenixnError('ConnectionLost', `The connection dropped (${drop}) before the answer came; the request may or may not have been executed.`, pending.request));
    }
    this.inFlight.clear();
    this.waiting = repeated.concat(this.waiting);
  }

  /** Rejects everything, sent or not: the client has stopped. */
  rejectAll(error: (request: string) => OpenixnError): void {
    for (const pending of [...this.inFlight.values(), ...this.waiting]) pending.reject(error(pending.request));
    this.inFlight.clear();
    this.waiting = [];
  }
}
