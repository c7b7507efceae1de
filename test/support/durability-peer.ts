// Helpers for the durability tests (bad input, restart, kill -9): an event-driven client for load
// generators that must not block on one answer at a time, and a reader of the whole reporting log.

import WebSocket from 'ws';
import { TestClient, type Message } from './client.js';

/**
 * A client for load: requests run concurrently, each resolves with its answer (the first message
 * carrying its referenceId, so a RequestRouteCall resolves with its EventRouteUsed or EventError),
 * or with null when the connection closes first. An unanswered request is exactly what a crash
 * leaves uncertain, so null is a result here, not an error.
 */
export class Peer {
  private readonly socket: WebSocket;
  private readonly pending = new Map<number, (answer: Message | null) => void>();
  private nextReferenceId = 1;
  /** Unsolicited events (and answers nobody waits for). */
  onEvent: (message: Message) => void = () => undefined;
  readonly closed: Promise<number>;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    // A killed server resets the TCP connection: that is expected, not a test failure.
    socket.on('error', () => undefined);
    socket.on('message', (data) => this.onMessage(JSON.parse(data.toString()) as Message));
    this.closed = new Promise((resolve) =>
      socket.on('close', (code) => {
        for (const resolvePending of this.pending.values()) resolvePending(null);
        this.pending.clear();
        resolve(code);
      }),
    );
  }

  /** Connects and registers; throws when the registration is refused. */
  static async open(url: string, clientType: string, clientName: string): Promise<Peer> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const peer = new Peer(socket);
    const answer = await peer.request({ message: 'RequestRegisterClient', clientType, clientName });
    if (answer?.message !== 'EventAck') throw new Error(`registration refused: ${JSON.stringify(answer)}`);
    return peer;
  }

  isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  request(message: Record<string, unknown>): Promise<Message | null> {
    if (!this.isOpen()) return Promise.resolve(null);
    const referenceId = this.nextReferenceId++;
    return new Promise((resolve) => {
      this.pending.set(referenceId, resolve);
      this.socket.send(JSON.stringify({ ...message, referenceId }));
    });
  }

  close(): Promise<number> {
    this.socket.close();
    return this.closed;
  }

  /** Cuts the connection without a close handshake (a server that is paused would never answer one). */
  terminate(): Promise<number> {
    this.socket.terminate();
    return this.closed;
  }

  private onMessage(message: Message): void {
    const resolve = message.referenceId === undefined ? undefined : this.pending.get(message.referenceId);
    if (resolve !== undefined) {
      this.pending.delete(message.referenceId!);
      resolve(message);
      return;
    }
    this.onEvent(message);
  }
}

/**
 * Reads the whole reporting log: a reporting client replays from seq 1 while `mark` makes one more
 * reporting event happen; everything the replay delivers up to that event is the log before it.
 * Returns the events before the marker, the marker itself, and whatever arrived with it after it.
 */
export async function readReportingLog(
  url: string,
  mark: () => Promise<void>,
  isMarker: (message: Message) => boolean,
  reporterName = 'durability-auditor',
): Promise<{ reporter: TestClient; before: Message[]; marker: Message; after: Message[] }> {
  const reporter = await TestClient.register(url, 'ReportingEngine', reporterName);
  const ack = await reporter.request({ message: 'RequestStartReporting', fromSeq: 1 });
  if (ack.message !== 'EventAck') throw new Error(`RequestStartReporting refused: ${JSON.stringify(ack)}`);
  await mark();
  const marker = await reporter.next(isMarker, 20_000);
  // Frames that came in the same TCP read as the marker may already be unread behind it.
  const unread = reporter.takeUnread();
  const markerSeq = marker.seq as number;
  return {
    reporter,
    before: unread.filter((event) => (event.seq as number) < markerSeq),
    marker,
    after: unread.filter((event) => !((event.seq as number) < markerSeq)),
  };
}

/** The seqs of reporting events, for a gap check against 1..N. */
export function seqsOf(events: readonly Message[]): number[] {
  return events.map((event) => event.seq as number);
}

export function oneToN(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index + 1);
}

/** A small seeded generator (mulberry32), so a failing load run names the seed that drove it. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
