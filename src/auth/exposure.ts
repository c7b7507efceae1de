// Secure by default: without authentication anyone who can reach the port may register as any
// client, so the server then listens on loopback only, unless told otherwise with --insecure.

import { isIP } from 'node:net';

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, ::ffff:127.x.x.x, localhost. */
export function isLoopback(host: string): boolean {
  const address = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (address.toLowerCase() === 'localhost') return true;
  if (isIP(address) === 4) return address.startsWith('127.');
  if (isIP(address) === 6) {
    const lower = address.toLowerCase();
    return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
  }
  return false;
}

/** Throws when the server would listen beyond this machine with authentication off and --insecure not given. */
export function checkExposure(host: string, authenticated: boolean, insecure: boolean): void {
  if (authenticated || insecure || isLoopback(host)) return;
  throw new Error(
    `Refusing to listen on ${host} without authentication: any client that reaches it could register as anything. ` +
      'Configure an auth section (see SECURITY.md), listen on 127.0.0.1, or start with --insecure if the network is yours alone.',
  );
}
