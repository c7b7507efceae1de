// Who may open a WebSocket connection, and how long it may stay without registering: connections
// in total and per remote address are bounded before the upgrade, and a connection that does not
// send RequestRegisterClient within limits.registrationTimeout is closed.

import type { ClientConnection } from './connections.js';
import { closeCodes, type Limits } from './limits.js';

export type AdmissionLimits = Pick<Limits, 'maxConnections' | 'maxConnectionsPerAddress' | 'registrationTimeoutMs'>;

interface Admitted {
  address: string;
  deadline: NodeJS.Timeout;
}

export class Admission {
  private readonly limits: AdmissionLimits;
  private readonly isRegistered: (connectionId: string) => boolean;
  private readonly admitted = new Map<string, Admitted>();
  private readonly perAddress = new Map<string, number>();

  constructor(limits: AdmissionLimits, isRegistered: (connectionId: string) => boolean) {
    this.limits = limits;
    this.isRegistered = isRegistered;
  }

  /** The HTTP status line refusing an upgrade from this address, or null to let it in. */
  refusal(address: string): string | null {
    if (this.admitted.size >= this.limits.maxConnections) return '503 Service Unavailable';
    if ((this.perAddress.get(address) ?? 0) >= this.limits.maxConnectionsPerAddress) return '429 Too Many Requests';
    return null;
  }

  opened(connection: ClientConnection, address: string): void {
    const deadline = setTimeout(() => {
      if (!this.isRegistered(connection.id)) {
        connection.close(closeCodes.registrationTimeout, 'no RequestRegisterClient in time');
      }
    }, this.limits.registrationTimeoutMs);
    deadline.unref();
    this.admitted.set(connection.id, { address, deadline });
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
  }

  /** Registered: the deadline has done its work. */
  registered(connectionId: string): void {
    const admitted = this.admitted.get(connectionId);
    if (admitted !== undefined) clearTimeout(admitted.deadline);
  }

  closed(connectionId: string): void {
    const admitted = this.admitted.get(connectionId);
    if (admitted === undefined) return;
    clearTimeout(admitted.deadline);
    this.admitted.delete(connectionId);
    const left = (this.perAddress.get(admitted.address) ?? 1) - 1;
    if (left === 0) this.perAddress.delete(admitted.address);
    else this.perAddress.set(admitted.address, left);
  }

  addressOf(connectionId: string): string | undefined {
    return this.admitted.get(connectionId)?.address;
  }
}
