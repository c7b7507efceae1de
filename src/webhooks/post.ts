// One webhook target: POSTs to its URL over node:http or node:https, with the endpoint's extra CA
// beside the usual ones. Node's own client rather than fetch: it takes a CA per request without a
// second copy of undici as a dependency, it never follows a redirect, and a deadline can destroy
// the socket wherever the exchange hangs (connecting, sending, waiting, or reading the answer).
//
// The receiver's answer is its status code; the body is read and thrown away, and a body larger
// than answerBytesMax cuts the connection, so a hostile or broken receiver costs a bounded wait and
// no memory.

import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';

export type PostOutcome = { delivered: true; status: number } | { delivered: false; status: number | null; reason: string };

/** An answer body beyond this is not read: the connection is cut. */
const answerBytesMax = 64 * 1024;

export class WebhookTarget {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly inFlight = new Set<ClientRequest>();

  /** `ca`: a PEM certificate trusted in addition to Node's bundled roots (a `ca` option alone would replace them). */
  constructor(url: string, ca: string | null) {
    this.url = new URL(url);
    // One connection per endpoint, kept alive between POSTs: the batches go one after another anyway.
    this.agent = this.url.protocol === 'https:'
      ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ...(ca === null ? {} : { ca: [...rootCertificates, ca] }) })
      : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  /** The scheme, host and port, for log lines: the path or query may carry a receiver's token. */
  get origin(): string {
    return this.url.origin;
  }

  post(body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostOutcome> {
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: PostOutcome) => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      const request = send(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) },
      }, (response) => {
        settle(outcomeOf(response));
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > answerBytesMax) request.destroy();
        });
        response.on('error', () => undefined);
      });
      this.inFlight.add(request);
      // The deadline covers the whole exchange, the answer's body too: only then is the socket free.
      const deadline = setTimeout(() => {
        settle({ delivered: false, status: null, reason: `no answer within ${timeoutMs} ms` });
        request.destroy();
      }, timeoutMs);
      request.on('close', () => {
        clearTimeout(deadline);
        this.inFlight.delete(request);
        settle({ delivered: false, status: null, reason: 'the connection closed before an answer' });
      });
      request.on('error', (error: Error & { code?: string }) => settle({ delivered: false, status: null, reason: error.code ?? error.message }));
      request.end(body);
    });
  }

  /** Cuts any POST under way (it counts as failed) and every kept connection. */
  close(): void {
    for (const request of this.inFlight) request.destroy();
    this.agent.destroy();
  }
}

function outcomeOf(response: IncomingMessage): PostOutcome {
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) return { delivered: true, status };
  if (status >= 300 && status < 400) return { delivered: false, status, reason: `HTTP ${status}: redirects are not followed` };
  return { delivered: false, status, reason: `HTTP ${status}` };
}
