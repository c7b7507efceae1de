// GET /metrics: who may read it (settings.ts says where), the answer, and the listener of its own
// when one is configured. A key is checked by its SHA-256, compared in constant time, so neither
// the comparison's timing nor the config file tells anything about the key.

import { timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { apiKeyHash } from '../auth/settings.js';
import type { MetricsAccess } from './settings.js';
import type { ServerMetrics } from './server-metrics.js';

export interface MetricsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const challenge = { 'www-authenticate': 'Bearer realm="openixn metrics"', 'content-type': 'application/json; charset=utf-8' };

/** The answer to one scrape with this Authorization header (or none). */
export async function answerScrape(access: MetricsAccess, authorization: string | undefined, metrics: ServerMetrics): Promise<MetricsAnswer> {
  switch (access.kind) {
    case 'off':
      return { status: 404, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ error: 'Not found.' }) };
    case 'refused':
      return { status: 401, headers: challenge, body: JSON.stringify({ error: access.reason }) };
    case 'key':
      if (!presentsKey(authorization, access.sha256)) {
        return { status: 401, headers: challenge, body: JSON.stringify({ error: 'Send the metrics key as "Authorization: Bearer KEY".' }) };
      }
      break;
    case 'open':
      break;
  }
  return { status: 200, headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' }, body: await metrics.exposition() };
}

function presentsKey(authorization: string | undefined, sha256: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  if (match === null) return false;
  return timingSafeEqual(Buffer.from(apiKeyHash(match[1]!), 'hex'), Buffer.from(sha256, 'hex'));
}

export interface MetricsListener {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A listener that serves GET /metrics and nothing else, for scrapers kept apart from clients: on
 * loopback without a key, or anywhere with one. It speaks TLS when the server does.
 */
export async function listenForMetrics(
  listener: { host: string; port: number }, tls: { cert: Buffer; key: Buffer } | null, answer: (authorization: string | undefined) => Promise<MetricsAnswer>,
  onError: (error: Error) => void,
): Promise<MetricsListener> {
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: path === '/metrics' ? 'Use GET.' : 'Not found.' }));
      return;
    }
    answer(request.headers.authorization).then(
      (result) => response.writeHead(result.status, result.headers).end(request.method === 'HEAD' ? undefined : result.body),
      (error: unknown) => {
        onError(error as Error);
        response.writeHead(500).end();
      },
    );
  };
  const server: Server = tls === null ? createHttpServer(handle) : createHttpsServer(tls, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listener.port, listener.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : listener.port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
