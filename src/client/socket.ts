// The WebSocket the SDK uses, and the little of it the SDK needs: the WHATWG surface that a
// browser, Node 22 and ws all have (addEventListener, send, close, readyState), plus ws's ping(),
// on('pong') and terminate() where the socket has them.

export interface MessageEventLike {
  readonly data: unknown;
}

export interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
}

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: MessageEventLike) => void): void;
  addEventListener(type: 'close', listener: (event: CloseEventLike) => void): void;
  addEventListener(type: 'open' | 'error', listener: (event: unknown) => void): void;
  /** ws only: a protocol-level ping, answered by the server's WebSocket layer. */
  ping?: () => void;
  /** ws only: for 'pong'. */
  on?: (event: 'pong', listener: () => void) => unknown;
  /** ws only: drop the TCP connection without a close handshake. */
  terminate?: () => void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** readyState OPEN in every implementation (WHATWG). */
export const open = 1;

/**
 * The `WebSocket` option, else the global one (browsers, Node 22), else ws (Node 20, which has
 * no global WebSocket; ws is a dependency of the openixn package).
 */
export async function resolveWebSocket(option: WebSocketConstructor | undefined): Promise<WebSocketConstructor> {
  if (option !== undefined) return option;
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global !== undefined) return global;
  // A variable, not a literal: a browser bundler must not try to bundle ws for the branch a
  // browser never takes (it has a global WebSocket).
  const specifier = 'ws';
  const imported = (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as { WebSocket?: WebSocketConstructor; default?: WebSocketConstructor };
  const found = imported.WebSocket ?? imported.default;
  if (found === undefined) throw new Error('No WebSocket: pass the WebSocket option, or install ws.');
  return found;
}
