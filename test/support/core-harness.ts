// Drives the pure core on virtual time for scenario and property tests. A step is one request,
// one connection event or one `tick`; running it returns what the core sent, grouped by
// recipient ('rep' is the reporting stream), and checks what must hold after every step: the
// core's invariants, gap-free reporting seqs and event times equal to the virtual clock.

import { expect } from 'vitest';
import { resolveSettings, type ConfigInput } from '../../src/config/config.js';
import type { CoreConfig } from '../../src/core/config.js';
import { Core, toRecord } from '../../src/core/core.js';
import { iso } from '../../src/core/interaction.js';
import type { CoreRequest, MediaReadiness, WorkbinRefInput } from '../../src/core/requests.js';
import type { AgentLoginRecord, ClientType, InteractionRecord, OutgoingMessage, UserData } from '../../src/core/types.js';
import { expireAllDue } from './expire.js';

/** The recipient key of reporting events. */
export const rep = 'rep';

/** Virtual time starts here; `tick` moves it, nothing sleeps. */
export const startTime = Date.UTC(2025, 0, 6, 9, 0, 0);

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type RequestBody = DistributiveOmit<CoreRequest, 'referenceId'>;

export interface Step {
  readonly label: string;
  /** The connection that sent it, for requests and registrations. */
  readonly clientId?: string;
  readonly referenceId?: number;
  readonly request?: CoreRequest;
  run(harness: CoreHarness): void;
}

/** An expected message: its name, or its name with the attributes that matter (matched partially). */
export type Expected = string | ({ message: string } & Record<string, unknown>);
export type Expectation = Record<string, readonly Expected[]>;

/** The core's output read loosely: tests look at attributes of many kinds of message at once. */
export type LooseOutgoing = { to: string | null; message: OutgoingMessage & { seq?: number; eventTime?: string } };

export interface StepResult {
  out: LooseOutgoing[];
  changed: Map<string, InteractionRecord>;
  /** Messages per recipient, in the order sent; reporting events under 'rep'. */
  byRecipient: Record<string, OutgoingMessage[]>;
}

export class CoreHarness {
  readonly config: CoreConfig;
  core: Core;
  /** Whether the last tick left due timers unfired (its slice was full). */
  dueTimersLeft = false;
  now: number;
  /** What a store would hold: the latest record of every interaction the core reported changed. */
  readonly records = new Map<string, InteractionRecord>();
  /** And the latest login record of every agent. */
  readonly agentLogins = new Map<string, AgentLoginRecord>();
  /** The last reporting seq seen, to check the stream stays gap-free across steps and restarts. */
  lastSeq = 0;
  private nextReferenceId = 0;

  constructor(configInput: ConfigInput, startAt = startTime) {
    this.config = resolveSettings(configInput).core;
    this.core = new Core(this.config);
    this.now = startAt;
  }

  newReferenceId(): number {
    return ++this.nextReferenceId;
  }

  client(clientId: string, clientType: ClientType, clientName = clientId, queues?: readonly string[]): ClientHandle {
    return new ClientHandle(this, clientId, clientType, clientName, queues);
  }

  router(name: string, options: { clientId?: string; queues?: readonly string[] } = {}): ClientHandle {
    return this.client(options.clientId ?? name, 'RoutingEngine', name, options.queues);
  }

  media(name: string, clientId = name): ClientHandle {
    return this.client(clientId, 'MediaServer', name);
  }

  /** An agent desktop; its connection id defaults to the agent id, so tables read `'agent-1': [...]`. */
  agent(agentId: string, options: { clientId?: string; placeId?: string } = {}): AgentHandle {
    return new AgentHandle(this, options.clientId ?? agentId, agentId, options.placeId ?? placeOf(agentId));
  }

  /** The clock moves on and due timers fire: all of them (expireAllDue), or at most `timersPerSlice` as the server fires them. */
  tick(seconds: number, timersPerSlice?: number): Step {
    return {
      label: `tick ${seconds} seconds`,
      run: (harness) => {
        harness.now += Math.round(seconds * 1000);
        if (timersPerSlice === undefined) {
          expireAllDue(harness.core, harness.now);
          harness.dueTimersLeft = false;
        } else {
          harness.dueTimersLeft = harness.core.expire(harness.now, timersPerSlice);
        }
      },
    };
  }

  /**
   * A restart: a new core recovers from the records a store would hold and the counters, as the
   * server does at start. Every connection is gone; clients must register again.
   */
  restart(afterSeconds = 0): Step {
    return {
      label: `restart after ${afterSeconds} seconds`,
      run: (harness) => {
        const counters = harness.core.getCounters();
        harness.now += Math.round(afterSeconds * 1000);
        harness.core = new Core(harness.config);
        harness.core.recover(
          [...harness.records.values()].map((record) => structuredClone(record)),
          counters,
          harness.now,
          [...harness.agentLogins.values()].filter((login) => login.loggedIn).map((login) => ({ ...login })),
        );
      },
    };
  }

  /** Runs a step and checks what holds after every step; returns what the core sent. */
  run(step: Step): StepResult {
    step.run(this);
    // A snapshot is taken in slices; virtual time does not move between them.
    while (this.core.hasPendingWork()) this.core.doPendingWork(this.now);
    const effects = this.core.takeEffects();
    this.core.assertInvariants();
    const byRecipient: Record<string, OutgoingMessage[]> = {};
    for (const outgoing of effects.out) {
      if (outgoing.to === null) {
        expect(outgoing.message.seq, `${step.label}: reporting seqs are gap-free`).toBe(this.lastSeq + 1);
        expect(outgoing.message.eventTime, `${step.label}: eventTime is the virtual now`).toBe(iso(this.now));
        this.lastSeq = outgoing.message.seq;
      }
      (byRecipient[outgoing.to ?? rep] ??= []).push(outgoing.message);
    }
    const changed = new Map<string, InteractionRecord>();
    for (const [interactionId, interaction] of effects.changed) {
      const record = structuredClone(toRecord(interaction));
      changed.set(interactionId, record);
      this.records.set(interactionId, record);
    }
    for (const [agentId, login] of effects.agents) this.agentLogins.set(agentId, { ...login });
    return { out: effects.out, changed, byRecipient };
  }

  /** Runs steps whose messages the test does not look at (the "before" of a scenario). */
  given(...steps: Step[]): void {
    for (const step of steps) this.run(step);
  }

  /**
   * One line of a scenario table: runs the step and expects exactly these messages per
   * recipient, in order. A recipient left out must receive nothing.
   */
  step(step: Step, expected: Expectation): StepResult {
    const result = this.run(step);
    const names = (messages: readonly (Expected | OutgoingMessage)[]) =>
      messages.map((message) => (typeof message === 'string' ? message : message.message));
    const actualNames = Object.fromEntries(Object.entries(result.byRecipient).map(([to, messages]) => [to, names(messages)]));
    const expectedNames = Object.fromEntries(Object.entries(expected).filter(([, messages]) => messages.length > 0).map(([to, messages]) => [to, names(messages)]));
    expect(actualNames, `${step.label}: messages per recipient`).toEqual(expectedNames);
    const expectedAttributes = Object.fromEntries(Object.entries(expected).map(([to, messages]) => [
      to,
      messages.map((message) => (typeof message === 'string' ? { message } : message)),
    ]));
    const actualAttributes = Object.fromEntries(Object.keys(expectedAttributes).map((to) => [to, result.byRecipient[to] ?? []]));
    expect(actualAttributes, `${step.label}: message attributes`).toMatchObject(expectedAttributes);
    return result;
  }

  /** The answer (by referenceId) a request received in a step's result. */
  static answerTo(step: Step, result: StepResult): OutgoingMessage | undefined {
    return result.out.find((outgoing) => outgoing.to === step.clientId && outgoing.message.referenceId === step.referenceId && outgoing.message.message !== 'EventRouteUsed')?.message;
  }
}

export function placeOf(agentId: string): string {
  return `place-${agentId.replace(/^agent-/, '')}`;
}

/** One connection. Requests made through it carry fresh referenceIds, known before they run. */
export class ClientHandle {
  constructor(
    readonly harness: CoreHarness,
    readonly clientId: string,
    readonly clientType: ClientType,
    readonly clientName: string,
    readonly queues?: readonly string[],
  ) {}

  register(): Step {
    const referenceId = this.harness.newReferenceId();
    return {
      label: `${this.clientId}: RequestRegisterClient ${this.clientType}`,
      clientId: this.clientId,
      referenceId,
      run: (harness) => harness.core.register({ clientId: this.clientId, now: harness.now }, referenceId, this.clientType, this.clientName, this.queues),
    };
  }

  disconnect(): Step {
    return { label: `${this.clientId}: connection closes`, run: (harness) => harness.core.disconnect(this.clientId, harness.now) };
  }

  send(body: RequestBody): Step {
    const referenceId = this.harness.newReferenceId();
    const request = { ...body, referenceId } as CoreRequest;
    return {
      label: `${this.clientId}: ${body.message} ${JSON.stringify({ ...body, message: undefined })}`,
      clientId: this.clientId,
      referenceId,
      request,
      run: (harness) => harness.core.request({ clientId: this.clientId, now: harness.now }, request),
    };
  }

  submit(attributes: { queue: string; mediaType: string; type?: string; subtype?: string; priority?: number; userData?: UserData; externalId?: string }): Step {
    return this.send({ message: 'RequestSubmit', ...attributes });
  }

  routeCall(interactionId: string, agentId: string, placeId?: string): Step {
    return this.send({ message: 'RequestRouteCall', interactionId, agentId, ...(placeId !== undefined ? { placeId } : {}) });
  }

  placeInQueue(interactionId: string, queue: string): Step {
    return this.send({ message: 'RequestPlaceInQueue', interactionId, queue });
  }

  placeInWorkbin(interactionId: string, workbin: WorkbinRefInput): Step {
    return this.send({ message: 'RequestPlaceInWorkbin', interactionId, workbin });
  }

  stop(interactionId: string, reason?: string): Step {
    return this.send({ message: 'RequestStopProcessing', interactionId, ...(reason !== undefined ? { reason } : {}) });
  }

  changeProperties(interactionId: string, changedProperties: UserData, deletedProperties?: string[]): Step {
    return this.send({ message: 'RequestChangeProperties', interactionId, changedProperties, ...(deletedProperties ? { deletedProperties } : {}) });
  }

  getProperties(interactionId: string): Step {
    return this.send({ message: 'RequestGetInteractionProperties', interactionId });
  }

  workbinContent(workbin: WorkbinRefInput): Step {
    return this.send({ message: 'RequestGetWorkbinContent', workbin });
  }

  subscribe(workbin: WorkbinRefInput, subscribe = true): Step {
    return this.send({ message: 'RequestWorkbinNotifications', workbin, subscribe });
  }
}

export class AgentHandle extends ClientHandle {
  constructor(harness: CoreHarness, clientId: string, readonly agentId: string, readonly placeId: string) {
    super(harness, clientId, 'AgentApplication', agentId);
  }

  login(media: Record<string, MediaReadiness>, placeId = this.placeId): Step {
    return this.send({ message: 'RequestAgentLogin', agentId: this.agentId, placeId, media });
  }

  logout(): Step {
    return this.send({ message: 'RequestAgentLogout' });
  }

  notReady(mediaType: string, reason?: string): Step {
    return this.send({ message: 'RequestNotReadyForMedia', mediaType, ...(reason !== undefined ? { reason } : {}) });
  }

  ready(mediaType: string): Step {
    return this.send({ message: 'RequestCancelNotReadyForMedia', mediaType });
  }

  accept(ticketId: number, interactionId: string): Step {
    return this.send({ message: 'RequestAccept', ticketId, interactionId });
  }

  reject(ticketId: number, interactionId: string, reason?: string): Step {
    return this.send({ message: 'RequestReject', ticketId, interactionId, ...(reason !== undefined ? { reason } : {}) });
  }

  pull(from: { queue?: string; workbin?: WorkbinRefInput; count?: number; interactionIds?: string[] }): Step {
    return this.send({ message: 'RequestPull', ...from });
  }

  transfer(interactionId: string, agentId: string, options: { placeId?: string; reason?: string } = {}): Step {
    return this.send({ message: 'RequestTransfer', interactionId, agentId, ...options });
  }

  conference(interactionId: string, agentId: string, options: { placeId?: string; reason?: string } = {}): Step {
    return this.send({ message: 'RequestConference', interactionId, agentId, ...options });
  }

  cancelTransfer(interactionId: string): Step {
    return this.send({ message: 'RequestCancelTransfer', interactionId });
  }

  leave(interactionId: string, reason?: string): Step {
    return this.send({ message: 'RequestLeaveInteraction', interactionId, ...(reason !== undefined ? { reason } : {}) });
  }
}
