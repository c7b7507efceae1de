// An in-process client connection: the built-in router speaks the protocol through it, and so
// does each REST request, receiving the same message objects a socket would carry as text.

import type { ClientConnection } from './connections.js';

export class LocalConnection implements ClientConnection {
  readonly id: string;
  readonly partOfServer: boolean;
  private open = true;
  private readonly receive: (message: { message: string; [attribute: string]: unknown }) => void;

  /** `partOfServer`: the server's own client (the built-in router), whose requests are never refused for an outage. */
  constructor(id: string, receive: (message: { message: string; [attribute: string]: unknown }) => void, partOfServer: boolean) {
    this.id = id;
    this.receive = receive;
    this.partOfServer = partOfServer;
  }

  send(message: object): void {
    if (this.open) this.receive(message as { message: string });
  }

  sendEvent(message: object): void {
    this.send(message);
  }

  sendText(text: string): void {
    if (this.open) this.receive(JSON.parse(text) as { message: string });
  }

  isOpen(): boolean {
    return this.open;
  }

  bufferedAmount(): number {
    return 0;
  }

  close(): void {
    this.open = false;
  }

  terminate(): void {
    this.open = false;
  }
}
