// A real webhook receiver for black-box tests: an HTTP (or HTTPS) server on a free loopback port
// that records every POST and answers as the test says: 200, 500, a redirect, no answer at all,
// or a 200 whose body never ends. Tests wait for what it has received, never sleeping.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';

export type ReceiverMode = 'ok' | 'fail' | 'stall' | 'redirect' | 'endless';

export interface ReceivedPost {
  headers: IncomingMessage['headers'];
  body: string;
  /** The body's events, parsed. */
  events: { seq: number; message: string; [attribute: string]: unknown }[];
  mode: ReceiverMode;
  /** When the request arrived (performance.now()). */
  at: number;
}

export class WebhookReceiver {
  readonly posts: ReceivedPost[] = [];
  mode: ReceiverMode = 'ok';
  /** Where a redirect points. */
  redirectTo = 'http://127.0.0.1:9/elsewhere';
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly stalled = new Set<ServerResponse>();
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  private constructor(server: Server, readonly url: string) {
    this.server = server;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('secureConnection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(tls?: { cert: Buffer; key: Buffer }): Promise<WebhookReceiver> {
    const server = tls === undefined ? createHttpServer() : createHttpsServer(tls);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const receiver = new WebhookReceiver(server, `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}/hook`);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => receiver.onRequest(request, response));
    return receiver;
  }

  /** The POSTs it answered with 200 (those that count as delivered), in the order they arrived. */
  delivered(): ReceivedPost[] {
    return this.posts.filter((post) => post.mode === 'ok' || post.mode === 'endless');
  }

  /** Every event it answered 200 for, in order, duplicates included. */
  deliveredEvents(): ReceivedPost['events'] {
    return this.delivered().flatMap((post) => post.events);
  }

  /** Resolves once the condition holds, checked now and after each POST (and at each answer). */
  waitUntil(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting until ${what}; received ${this.posts.length} POSTs: ${this.posts.map((post) => `${post.mode} ${post.headers['x-openixn-delivery']}`).join(', ')}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Cuts every stalled request and closes everything. */
  async close(): Promise<void> {
    for (const response of this.stalled) response.destroy();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const mode = this.mode;
      this.posts.push({ headers: request.headers, body, events: (JSON.parse(body) as { events: ReceivedPost['events'] }).events, mode, at: performance.now() });
      switch (mode) {
        case 'ok':
          response.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
          break;
        case 'fail':
          response.writeHead(500).end('down for maintenance');
          break;
        case 'redirect':
          response.writeHead(302, { location: this.redirectTo }).end();
          break;
        case 'stall':
          this.stalled.add(response);
          response.on('close', () => this.stalled.delete(response));
          break;
        case 'endless': {
          // 200, then a body that never ends: 1 MiB at a time for as long as the client reads.
          response.writeHead(200, { 'content-type': 'application/octet-stream' });
          const chunk = Buffer.alloc(1024 * 1024, 120);
          const write = () => {
            while (!response.destroyed && response.write(chunk));
          };
          response.on('drain', write);
          response.on('error', () => undefined);
          write();
          break;
        }
      }
      this.notify();
    });
  }

  private notify(): void {
    const ready = this.waiters.filter((waiter) => waiter.check());
    this.waiters = this.waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve();
  }
}
