// The reporting stream: every committed reporting event goes to each live reporting client in
// seq order. A client that starts from an earlier seq first replays the stored log, then turns
// live at the exact seq where the replay ended, so it sees no gap and no duplicate.

import type { ReportingEvent } from '../core/types.js';
import type { Store } from '../store/store.js';

export interface ReportingSink {
  /** A live event and its JSON text (encoded once, for the store and every client): a socket sends the text, an in-process client takes the object. */
  sendEvent(event: ReportingEvent, text: string): void;
  /** A replayed event, as stored. */
  sendText(text: string): void;
  /** Bytes queued on the socket: the replay waits while the client is slow to read. */
  bufferedAmount(): number;
  isOpen(): boolean;
}

interface Subscriber {
  sink: ReportingSink;
  nextSeq: number;
  live: boolean;
}

const replayPageSize = 500;
/** And at most about this much text: events can be large, and a page is held whole while it is sent. */
const replayPageBytes = 256 * 1024;
/** A replay pauses while more than this waits to be sent to its client (less where the send buffer is smaller). */
const replayHighWaterBytesMax = 4 * 1024 * 1024;

export class ReportingHub {
  private readonly subscribers = new Map<string, Subscriber>();
  /** The last seq delivered, which is also the last one committed. */
  private deliveredSeq: number;
  private readonly store: Store;
  private readonly replayHighWaterBytes: number;

  /**
   * A replay pauses at a quarter of the connections' send-buffer bound (limits.maxBufferedBytes)
   * at most, or a replay to a client that reads at full speed would trip it.
   */
  constructor(store: Store, lastSeq: number, maxBufferedBytes: number) {
    this.store = store;
    this.deliveredSeq = lastSeq;
    this.replayHighWaterBytes = Math.min(replayHighWaterBytesMax, maxBufferedBytes / 4);
  }

  /** The last seq delivered, which is also the last one committed. */
  get lastSeq(): number {
    return this.deliveredSeq;
  }

  isSubscribed(clientId: string): boolean {
    return this.subscribers.has(clientId);
  }

  /** Live from nextSeq on: events before it are the past the client did not ask for. */
  startLive(clientId: string, sink: ReportingSink, nextSeq: number): void {
    this.subscribers.set(clientId, { sink, nextSeq, live: true });
  }

  /** Replays the stored events from fromSeq, then goes live. Called after the EventAck is sent. */
  startReplay(clientId: string, sink: ReportingSink, fromSeq: number, onError: (error: Error) => void): void {
    const subscriber: Subscriber = { sink, nextSeq: fromSeq, live: false };
    this.subscribers.set(clientId, subscriber);
    this.replay(clientId, subscriber).catch(onError);
  }

  remove(clientId: string): void {
    this.subscribers.delete(clientId);
  }

  /** For the metrics: subscribers live and replaying, and the most committed events one has not been sent. O(subscribers). */
  statistics(): { lastSeq: number; live: number; replaying: number; lagMax: number } {
    let live = 0;
    let lagMax = 0;
    for (const subscriber of this.subscribers.values()) {
      if (subscriber.live) live++;
      lagMax = Math.max(lagMax, this.deliveredSeq - (subscriber.nextSeq - 1));
    }
    return { lastSeq: this.deliveredSeq, live, replaying: this.subscribers.size - live, lagMax };
  }

  deliver(event: ReportingEvent, text: string): void {
    this.deliveredSeq = event.seq;
    for (const subscriber of this.subscribers.values()) {
      if (subscriber.live && subscriber.nextSeq === event.seq) {
        subscriber.sink.sendEvent(event, text);
        subscriber.nextSeq++;
      }
    }
  }

  private async replay(clientId: string, subscriber: Subscriber): Promise<void> {
    while (this.subscribers.get(clientId) === subscriber && subscriber.sink.isOpen()) {
      if (subscriber.nextSeq > this.deliveredSeq) {
        // Caught up: from here on deliver() hands it every event, starting with nextSeq.
        subscriber.live = true;
        return;
      }
      const events = await this.store.readEvents(subscriber.nextSeq, this.deliveredSeq, replayPageSize, replayPageBytes);
      // Committed events are stored: none where some must be is a log that ends too soon (rows
      // taken from its end), and asking again would ask for ever, a core's worth of CPU a client.
      if (events.length === 0) throw new Error(`reporting log gap: expected seq ${subscriber.nextSeq}, read nothing up to ${this.deliveredSeq}`);
      for (const event of events) {
        if (event.seq !== subscriber.nextSeq) throw new Error(`reporting log gap: expected seq ${subscriber.nextSeq}, read ${event.seq}`);
        subscriber.sink.sendText(event.text);
        subscriber.nextSeq++;
        // Per event, not per page: a page of large events could otherwise outgrow the send buffer.
        while (subscriber.sink.isOpen() && subscriber.sink.bufferedAmount() > this.replayHighWaterBytes) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        if (this.subscribers.get(clientId) !== subscriber || !subscriber.sink.isOpen()) return;
      }
    }
  }
}
