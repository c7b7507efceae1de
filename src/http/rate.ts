// The REST API's request rates: the same two buckets as a WebSocket connection's (requests and
// bytes a second, src/transport/request-rate.ts), kept per caller (a credential's subject, or the
// remote address without authentication) rather than per connection, since HTTP clients open and
// close connections at will. Callers idle for a while are forgotten, and their number is bounded.

import { RequestRate } from '../transport/request-rate.js';
import type { ApiCaller } from './api.js';

/** A caller not seen for this long starts again with full buckets. */
const idleForgetMs = 60_000;
/** Callers tracked at once; beyond it (after forgetting the idle ones) requests are refused. */
const callersMax = 10_000;

export interface ApiRates {
  framesPerSecond: number;
  bytesPerSecond: number;
  agentFramesPerSecond: number;
  agentBytesPerSecond: number;
  /** The largest body (limits.maxMessageBytes): a byte bucket always holds one, however low its rate. */
  largestBodyBytes: number;
}

export class ApiRateLimiter {
  private readonly rates: ApiRates;
  private readonly callers = new Map<string, { rate: RequestRate; lastMs: number }>();

  constructor(rates: ApiRates) {
    this.rates = rates;
  }

  /** Takes one request of `bytes`; null when it may go on, else the sentence that refuses it. */
  take(caller: ApiCaller, bytes: number, nowMs: number): string | null {
    const agent = caller.clientType === 'AgentApplication';
    let entry = this.callers.get(caller.key);
    if (entry === undefined) {
      if (this.callers.size >= callersMax) this.forgetIdle(nowMs);
      if (this.callers.size >= callersMax) return `The server is tracking ${callersMax} REST callers already; retry shortly.`;
      const framesPerSecond = agent ? this.rates.agentFramesPerSecond : this.rates.framesPerSecond;
      const bytesPerSecond = agent ? this.rates.agentBytesPerSecond : this.rates.bytesPerSecond;
      entry = { rate: new RequestRate({ framesPerSecond, bytesPerSecond, largestFrameBytes: this.rates.largestBodyBytes }, nowMs), lastMs: nowMs };
      this.callers.set(caller.key, entry);
    }
    entry.lastMs = nowMs;
    const over = entry.rate.take(nowMs, bytes);
    return over === null ? null : this.refusal(caller, entry.rate, over);
  }

  /**
   * Takes bytes of a body that declared no length (chunked), a chunk at a time as it arrives:
   * `take` counted it as empty, and without this a caller would send any number of bytes a second
   * for the server to hold and parse. Null when it may be read on, else the sentence that refuses it.
   */
  takeBody(caller: ApiCaller, bytes: number, nowMs: number): string | null {
    const entry = this.callers.get(caller.key);
    if (entry === undefined || entry.rate.takeBytes(nowMs, bytes)) return null;
    return this.refusal(caller, entry.rate, 'bytes');
  }

  private refusal(caller: ApiCaller, rate: RequestRate, over: 'frames' | 'bytes'): string {
    const agent = caller.clientType === 'AgentApplication';
    const option = `limits.${agent ? 'agent' : ''}${over === 'frames' ? (agent ? 'RequestsPerSecond' : 'requestsPerSecond') : (agent ? 'BytesPerSecond' : 'bytesPerSecond')}`;
    return `More than ${over === 'frames' ? `${rate.framesPerSecond} requests` : `${rate.bytesPerSecond} bytes`} a second from this caller (${option}); slow down and send it again.`;
  }

  private forgetIdle(nowMs: number): void {
    for (const [key, entry] of this.callers) if (nowMs - entry.lastMs > idleForgetMs) this.callers.delete(key);
  }
}
