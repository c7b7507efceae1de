// A real WebSocket client for black-box tests: it records every message it receives and lets a
// test wait for the next one that matches, never sleeping.

import WebSocket from 'ws';

export type Message = { message: string; referenceId?: number; [attribute: string]: unknown };

export class TestClient {
  /** Every message received, in order. */
  readonly received: Message[] = [];
  private readonly unread: Message[] = [];
  private waiters: { match: (message: Message) => boolean; resolve: (message: Message) => void }[] = [];
  private nextReferenceId = 1000;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.onMessage(JSON.parse(data.toString()) as Message));
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async connect(url: string): Promise<TestClient> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new TestClient(socket);
  }

  /** A client over a socket that is already open. */
  static adopt(socket: WebSocket): TestClient {
    return new TestClient(socket);
  }

  /** Connects and registers; returns the client once its EventAck arrived. */
  static async register(url: string, clientType: string, clientName: string, extra: Record<string, unknown> = {}): Promise<TestClient> {
    const client = await TestClient.connect(url);
    const answer = await client.request({ message: 'RequestRegisterClient', clientType, clientName, ...extra });
    if (answer.message !== 'EventAck') throw new Error(`registration refused: ${JSON.stringify(answer)}`);
    return client;
  }

  /** Sends a message; a request without a referenceId gets a fresh one, which is returned. */
  send(message: Record<string, unknown>): number {
    const referenceId = (message.referenceId as number | undefined) ?? ++this.nextReferenceId;
    this.socket.send(JSON.stringify({ ...message, referenceId }));
    return referenceId;
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** Sends a request and waits for the answer that carries its referenceId. */
  async request(message: Record<string, unknown>, timeoutMs = 5000): Promise<Message> {
    const referenceId = this.send(message);
    return this.next((received) => received.referenceId === referenceId && received.message !== 'EventRouteUsed', timeoutMs);
  }

  /** Waits for (and consumes) the next unread message that matches a name or a predicate. */
  next(match: string | ((message: Message) => boolean), timeoutMs = 5000): Promise<Message> {
    const predicate = typeof match === 'string' ? (message: Message) => message.message === match : match;
    const index = this.unread.findIndex(predicate);
    if (index >= 0) return Promise.resolve(this.unread.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = {
        match: predicate,
        resolve: (message: Message) => {
          clearTimeout(timer);
          resolve(message);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${typeof match === 'string' ? match : 'a matching message'}; unread: ${JSON.stringify(this.unread.map((message) => message.message))}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The messages received but not consumed by next(), in order; clears them. */
  takeUnread(): Message[] {
    return this.unread.splice(0, this.unread.length);
  }

  /** Resolves after the server has answered a harmless request, so everything sent before it has been handled. */
  async settle(): Promise<void> {
    await this.request({ message: 'RequestGetWorkbinContent', workbin: { name: '__settle__', ownerId: 'x' } });
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }

  private onMessage(message: Message): void {
    this.received.push(message);
    const waiter = this.waiters.find((candidate) => candidate.match(message));
    if (waiter !== undefined) {
      this.waiters = this.waiters.filter((other) => other !== waiter);
      waiter.resolve(message);
      return;
    }
    this.unread.push(message);
  }
}
