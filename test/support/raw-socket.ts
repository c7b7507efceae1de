// A WebSocket spoken by hand over a raw TCP socket, for what a well-behaved client library will not
// do: a frame header that promises megabytes and never delivers them, a socket that never finishes
// its upgrade, a connection that stops reading. Frames are built and parsed here, per RFC 6455.

import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface RawWebSocket {
  socket: Socket;
  /** Resolves with the close code of the first close frame the server sends, or null if the socket ends without one. */
  closed: Promise<number | null>;
  /** Text frames received so far. */
  texts: string[];
  /** Sends a masked text frame whose header announces `announcedBytes` of payload, followed by `payload` (which may be shorter). */
  sendFrame(payload: Buffer | string, announcedBytes?: number): void;
}

/** Opens a TCP connection to the server of `url` (ws://host:port/ws) and nothing else. */
export function rawTcp(url: string, localAddress?: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ...(localAddress !== undefined ? { localAddress } : {}) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends on a raw socket until the socket closes, as text. */
export function readUntilClosed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.once('close', () => resolve(text));
  });
}

/** The HTTP upgrade request of a WebSocket handshake, with extra headers (an Origin, say). */
export function upgradeRequest(url: string, headers: Record<string, string> = {}): string {
  const { host, pathname } = new URL(url);
  const lines = [
    `GET ${pathname} HTTP/1.1`, `Host: ${host}`, 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Completes a WebSocket upgrade by hand; rejects with the status line if the server refuses it. */
export async function rawWebSocket(url: string): Promise<RawWebSocket> {
  const socket = await rawTcp(url);
  socket.write(upgradeRequest(url));
  let buffer = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString('latin1');
      socket.off('data', onData);
      buffer = buffer.subarray(end + 4);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(head.split('\r\n')[0]));
      else resolve();
    };
    socket.on('data', onData);
  });
  const texts: string[] = [];
  const closed = new Promise<number | null>((resolve) => {
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const frame = parseFrame(buffer);
        if (frame === null) return;
        buffer = buffer.subarray(frame.length);
        if (frame.opcode === 0x1) texts.push(frame.payload.toString('utf8'));
        if (frame.opcode === 0x8) {
          socket.off('data', onData);
          resolve(frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005);
          socket.destroy();
          return;
        }
      }
    };
    socket.on('data', onData);
    socket.once('close', () => resolve(null));
  });
  return {
    socket,
    closed,
    texts,
    sendFrame(payload, announcedBytes) {
      const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
      socket.write(frameHeader(announcedBytes ?? body.length));
      // The mask is all zeros, so the payload goes as it is.
      socket.write(body);
    },
  };
}

/** A client's text frame header (FIN, opcode 1, masked with a zero mask) for `length` payload bytes. */
function frameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x81, 0x80 | length, 0, 0, 0, 0]);
  if (length < 65536) {
    const header = Buffer.from([0x81, 0x80 | 126, 0, 0, 0, 0, 0, 0]);
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.alloc(14);
  header[0] = 0x81;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

/** A server's (unmasked) frame at the start of `buffer`, or null if it has not all arrived. */
function parseFrame(buffer: Buffer): { opcode: number; payload: Buffer; length: number } | null {
  if (buffer.length < 2) return null;
  const opcode = buffer[0]! & 0x0f;
  let length = buffer[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return null;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return null;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  if (buffer.length < offset + length) return null;
  return { opcode, payload: buffer.subarray(offset, offset + length), length: offset + length };
}
