// Who may hold a socket, and for how long without doing anything with it. Every TCP connection
// counts from the moment it is accepted, in total and per remote address, whether it ever
// finishes an HTTP request or a WebSocket upgrade or not: a half-open connection holds a file
// descriptor like any other. One that neither upgrades nor sends a request within
// limits.handshakeTimeout is cut, and a WebSocket that does not send RequestRegisterClient within
// limits.registrationTimeout is closed.

import type { Socket } from 'node:net';
import type { ClientConnection } from './connections.js';
import { closeCodes, type Limits } from './limits.js';

export type AdmissionLimits = Pick<Limits, 'maxConnections' | 'maxConnectionsPerAddress' | 'registrationTimeoutMs' | 'handshakeTimeoutMs'>;

/** Why a socket was let go; the log counts each. */
export type Refusal = 'maxConnections' | 'maxConnectionsPerAddress' | 'handshakeTimeout';

interface Admitted {
  address: string;
  /** Until the socket upgrades or sends a request; then null. */
  handshake: NodeJS.Timeout | null;
}

export class Admission {
  private readonly limits: AdmissionLimits;
  private readonly isRegistered: (connectionId: string) => boolean;
  private readonly onRefusal: (refusal: Refusal, address: string) => void;
  private readonly sockets = new Map<Socket, Admitted>();
  private readonly perAddress = new Map<string, number>();
  private readonly registrations = new Map<string, { address: string; deadline: NodeJS.Timeout }>();

  constructor(limits: AdmissionLimits, isRegistered: (connectionId: string) => boolean, onRefusal: (refusal: Refusal, address: string) => void) {
    this.limits = limits;
    this.isRegistered = isRegistered;
    this.onRefusal = onRefusal;
  }

  /**
   * A socket the server has just accepted. Beyond a limit it is refused at once, before it costs
   * anything more: with an HTTP status where the socket speaks plain HTTP, else by closing it.
   */
  accept(socket: Socket, plainHttp: boolean): void {
    const address = socket.remoteAddress ?? '';
    const refusal: Refusal | null = this.sockets.size >= this.limits.maxConnections
      ? 'maxConnections'
      : (this.perAddress.get(address) ?? 0) >= this.limits.maxConnectionsPerAddress ? 'maxConnectionsPerAddress' : null;
    if (refusal !== null) {
      this.onRefusal(refusal, address);
      if (plainHttp) {
        const status = refusal === 'maxConnections' ? '503 Service Unavailable' : '429 Too Many Requests';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        // A client that never reads its refusal is not kept waiting for.
        setTimeout(() => socket.destroy(), this.limits.handshakeTimeoutMs).unref();
      } else {
        socket.destroy();
      }
      return;
    }
    const handshake = setTimeout(() => {
      this.onRefusal('handshakeTimeout', address);
      socket.destroy();
    }, this.limits.handshakeTimeoutMs);
    handshake.unref();
    this.sockets.set(socket, { address, handshake });
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    socket.once('close', () => this.release(socket));
  }

  /** The socket sent an HTTP request or upgraded: from here the HTTP server's timeouts, or registration's, apply. */
  spoke(socket: Socket): void {
    const admitted = this.admittedOf(socket);
    if (admitted?.handshake == null) return;
    clearTimeout(admitted.handshake);
    admitted.handshake = null;
  }

  /** A WebSocket opened on an admitted socket: it has limits.registrationTimeout to register. */
  opened(connection: ClientConnection, socket: Socket): void {
    this.spoke(socket);
    const deadline = setTimeout(() => {
      if (!this.isRegistered(connection.id)) connection.close(closeCodes.registrationTimeout, 'no RequestRegisterClient in time');
    }, this.limits.registrationTimeoutMs);
    deadline.unref();
    this.registrations.set(connection.id, { address: this.admittedOf(socket)?.address ?? socket.remoteAddress ?? '', deadline });
  }

  /** Registered: the deadline has done its work. */
  registered(connectionId: string): void {
    const registration = this.registrations.get(connectionId);
    if (registration !== undefined) clearTimeout(registration.deadline);
  }

  closed(connectionId: string): void {
    const registration = this.registrations.get(connectionId);
    if (registration === undefined) return;
    clearTimeout(registration.deadline);
    this.registrations.delete(connectionId);
  }

  addressOf(connectionId: string): string | undefined {
    return this.registrations.get(connectionId)?.address;
  }

  /** Sockets held now, upgraded or not. */
  socketCount(): number {
    return this.sockets.size;
  }

  /** Over TLS, requests arrive on a TLS socket wrapped around the TCP socket that was admitted. */
  private admittedOf(socket: Socket): Admitted | undefined {
    return this.sockets.get(socket) ?? this.sockets.get((socket as Socket & { _parent?: Socket })._parent as Socket);
  }

  private release(socket: Socket): void {
    const admitted = this.sockets.get(socket);
    if (admitted === undefined) return;
    if (admitted.handshake !== null) clearTimeout(admitted.handshake);
    this.sockets.delete(socket);
    const left = (this.perAddress.get(admitted.address) ?? 1) - 1;
    if (left === 0) this.perAddress.delete(admitted.address);
    else this.perAddress.set(admitted.address, left);
  }
}
