// Finds a dead connection. A server that went away without closing (its host asleep or cut off,
// its process stopped) leaves the TCP connection looking open for many minutes, and nothing the
// client sends fails. So every pingIntervalMs the SDK asks the server for an answer, and a
// question unanswered after pingTimeoutMs declares the connection dead: found within
// pingIntervalMs + pingTimeoutMs of the server's last answer.
//
// The question is a WebSocket ping where the socket can send one (ws, in Node). A browser's
// WebSocket (and Node 22's) cannot, so there it is a request the server answers at once with an
// EventError and without any effect: the probe (see client.ts).

import type { WebSocketLike } from './socket.js';

export interface LivenessSettings {
  pingIntervalMs: number;
  pingTimeoutMs: number;
}

export class Liveness {
  private readonly interval: ReturnType<typeof setInterval>;
  private deadline: ReturnType<typeof setTimeout> | null = null;
  private readonly pings: boolean;

  constructor(
    private readonly socket: WebSocketLike,
    private readonly settings: LivenessSettings,
    private readonly sendProbe: () => void,
    private readonly onDead: () => void,
  ) {
    this.pings = typeof socket.ping === 'function' && typeof socket.on === 'function';
    if (this.pings) socket.on!('pong', () => this.answered());
    this.interval = setInterval(() => this.ask(), settings.pingIntervalMs);
  }

  /** The server answered the question (a pong, or the probe's answer). */
  answered(): void {
    if (this.deadline === null) return;
    clearTimeout(this.deadline);
    this.deadline = null;
  }

  stop(): void {
    clearInterval(this.interval);
    this.answered();
  }

  private ask(): void {
    // The last question is still open; its deadline decides.
    if (this.deadline !== null) return;
    try {
      if (this.pings) this.socket.ping!();
      else this.sendProbe();
    } catch {
      // The socket is closing: its close event follows, and the deadline below is then moot.
    }
    this.deadline = setTimeout(() => {
      this.deadline = null;
      this.onDead();
    }, this.settings.pingTimeoutMs);
  }
}
