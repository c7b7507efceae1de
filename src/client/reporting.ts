// The reporting client (a wallboard, a statistics server, a data warehouse): the reporting
// stream as an async iterator, `for await (const event of reporting.events({ fromSeq: 1 }))`.
// It yields every seq once, in order, across reconnects: after a drop it asks the server for
// the stream again from the seq after the last one it received (SPEC section 5, fromSeq), and
// drops any event it has already had. When the consumer falls behind by highWaterMark events,
// it closes the connection rather than fill memory, and resumes from the next seq once the
// consumer has caught up to half of that.

import { OpenixnClient, type ClientOptions, type ConnectionEvents } from './client.js';
import { OpenixnError } from './errors.js';
import { EventStream } from './event-stream.js';
import type { ReportingEvent } from './protocol.js';

export interface ReportingOptions extends ClientOptions {
  /** Events received but not yet taken by the consumer before the SDK pauses the stream. Default 10,000. */
  highWaterMark?: number;
  /**
   * The client type it registers as: a supervisor's console reads the stream under its own
   * (Supervisor) credentials, which may not register as a ReportingEngine. Default ReportingEngine.
   */
  clientType?: 'ReportingEngine' | 'Supervisor';
}

export const reportingDefaults = { highWaterMark: 10_000 } as const;

export interface ReportingEvents extends ConnectionEvents {
  /** The consumer is behind by `buffered` events: the connection closes until it has caught up. */
  paused: { buffered: number; lastSeq: number };
}

export class ReportingClient extends OpenixnClient<ReportingEvents> {
  protected readonly clientType: 'ReportingEngine' | 'Supervisor';
  private readonly highWaterMark: number;
  private stream: EventStream<ReportingEvent> | null = null;
  private fromSeq: number | undefined;
  private seq: number | null = null;

  constructor(options: ReportingOptions) {
    super(options);
    this.highWaterMark = options.highWaterMark ?? reportingDefaults.highWaterMark;
    this.clientType = options.clientType ?? 'ReportingEngine';
  }

  /** The seq of the last event received (null before the first): the stream resumes after it. */
  get lastSeq(): number | null {
    return this.seq;
  }

  /**
   * The reporting stream, from `fromSeq` (inclusive; replayed from the server's log) or, without
   * it, from the events after the server's answer. One stream per client: leaving the loop closes
   * the client. Without fromSeq, a drop before the first event resumes live, so start from a
   * known seq where no event may be missed.
   */
  events(options: { fromSeq?: number } = {}): AsyncIterableIterator<ReportingEvent> {
    if (this.stream !== null) throw new Error('A ReportingClient serves one stream: events() was called already.');
    this.fromSeq = options.fromSeq;
    this.stream = new EventStream<ReportingEvent>((buffered) => this.onTaken(buffered), () => void this.close());
    if (this.state === 'closed') this.stream.end(new OpenixnError('Closed', 'The client is closed.'));
    else if (this.state === 'open') void this.startReporting(false).catch(() => undefined);
    return this.stream;
  }

  protected override async restore(): Promise<void> {
    if (this.stream !== null) await this.startReporting(true);
  }

  protected override onEvent(message: Parameters<OpenixnClient['onEvent']>[0]): void {
    const seq = message.seq;
    if (typeof seq !== 'number' || this.stream === null) {
      super.onEvent(message);
      return;
    }
    if (this.seq !== null && seq <= this.seq) return;
    if (this.seq !== null && seq !== this.seq + 1) {
      this.emit('error', new Error(`The reporting stream skipped from seq ${this.seq} to ${seq}.`));
    }
    this.seq = seq;
    this.stream.push(message as ReportingEvent);
    if (this.stream.buffered >= this.highWaterMark && !this.connectionSuspended()) {
      this.suspendConnection('the reporting consumer is behind');
      this.emit('paused', { buffered: this.stream.buffered, lastSeq: seq });
    }
  }

  protected override onStopped(error: OpenixnError | null): void {
    this.stream?.end(error ?? undefined);
  }

  private onTaken(buffered: number): void {
    if (buffered <= this.highWaterMark / 2 && this.connectionSuspended()) this.resumeConnection();
  }

  /** From the seq after the last one received, else the fromSeq asked for. A refusal (Forbidden) ends the stream with it. */
  private async startReporting(restoring: boolean): Promise<void> {
    const fromSeq = this.seq !== null ? this.seq + 1 : this.fromSeq;
    const run = () => this.request('RequestStartReporting', fromSeq === undefined ? {} : { fromSeq }, { restoring });
    await this.restoreStep(run, (error) => this.stream?.end(error));
  }
}
