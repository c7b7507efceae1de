// The simulator: the real core and the real built-in router, driven on virtual time by simulated
// clients (a media server submitting Poisson arrivals, agents answering invites and handling
// work), as a discrete-event simulation. Nothing sleeps and nothing touches a socket or a store:
// time jumps from one event to the next, so a day of traffic takes seconds. The core and the router
// are linked exactly as in the server, by src/router/link.ts.

import { dirname, resolve } from 'node:path';
import { readConfigFile, resolveSettings, type ConfigInput, type Settings } from '../config/config.js';
import { mediaSettings } from '../core/config.js';
import { Core } from '../core/core.js';
import type { CoreRequest } from '../core/requests.js';
import type { ReportingEvent } from '../core/events.js';
import { openGrants, type ClientType, type Outgoing, type OutgoingMessage } from '../core/types.js';
import { RouterLink, routingClientId } from '../router/link.js';
import { Router } from '../router/router.js';
import { loadStrategies } from '../router/strategies.js';
import type { Strategy } from '../router/strategy.js';
import { exponential, handleDistributions, handleTimeSampler, type HandleDistribution, type Sampler } from './distributions.js';
import { agentsNeeded, erlangA, erlangCMetrics, occupiedSeconds, type ErlangAResult, type ErlangCResult, type StaffingResult } from './erlang.js';
import { EventQueue } from './event-queue.js';
import { Random } from './random.js';
import { batchMeans, emptyBatch, standardError, type Batch } from './statistics.js';

export interface SimulationOptions {
  /** How many agents log in; without it, the agents the config file lists. */
  agents?: number;
  /** λ: arrivals per second (a Poisson process). */
  arrivalRatePerSecond: number;
  /** The mean handle time, from accept to RequestStopProcessing, in seconds. */
  handleTimeSeconds: number;
  /** Default exponential (the M/M/c model). */
  handleDistribution?: HandleDistribution;
  /** Coefficient of variation of lognormal handle times (standard deviation over mean); default 1. */
  handleCoefficientOfVariation?: number;
  /**
   * After-call work in seconds (SPEC 9.4 step 3): the agent is not ready for the media type this
   * long after each stop. Default: the config's mediaTypes.<type>.wrapUp, else none.
   */
  wrapUpSeconds?: number;
  /** The service level to staff for (summary.staffing); default 0.8. */
  serviceLevelTarget?: number;
  /** Arrivals come for this long; default 86400 (a day). */
  durationSeconds?: number;
  /** The start left out of the statistics while the empty system fills; default 5% of the duration. */
  warmupSeconds?: number;
  /** Default 1: every run is repeatable, and a seed replays it. */
  seed?: string | number;
  /** How an agent answers an invite: accept, reject or no answer at all. Default: always accept. */
  acceptProbability?: number;
  rejectProbability?: number;
  missProbability?: number;
  /** How long an agent takes to accept or reject an invite; default 0. */
  answerDelaySeconds?: number;
  /**
   * An agent set not ready by the server for not answering (delivery.notReadyOnNoAnswer) makes
   * itself ready again after this long; default 60.
   */
  readyDelaySeconds?: number;
  /** Mean patience (exponential): an interaction not accepted within its patience is abandoned. Default: nobody abandons. */
  patienceSeconds?: number;
  /** Service level: the share of answered interactions accepted within this wait; default 20. */
  serviceLevelThresholdSeconds?: number;
  /** Default chat. */
  mediaType?: string;
  /** The queue arrivals are submitted to; default the config's first builtin queue, or `sim` without a config. */
  queue?: string;
  /** A parsed config (as from the YAML file); takes precedence over configPath. */
  config?: ConfigInput;
  configPath?: string;
  /** Where strategy modules of `config` are found; default the config file's directory, else the working directory. */
  baseDirectory?: string;
  /** Batches for the batch-means standard errors; default 20. */
  batches?: number;
  /** After the arrivals stop, follow the measured interactions at most this long; default the duration. */
  drainLimitSeconds?: number;
  /** Called now and then with the share of the run done (0 to 1). */
  onProgress?: (fractionDone: number) => void;
  /** Every reporting event, as the router receives it, with the virtual time (ms since the epoch). */
  onReport?: (event: ReportingEvent, now: number) => void;
  /** Checks the core's invariants after every step: slow, for tests. */
  checkInvariants?: boolean;
}

export interface AgentSummary {
  agentId: string;
  /** The share of the measurement window spent handling (handling count over capacity, averaged over time). */
  occupancy: number;
  /** Invites this agent accepted over the whole run. */
  accepted: number;
}

export interface SimulationSummary {
  parameters: {
    agents: number;
    capacity: number;
    mediaType: string;
    queue: string;
    strategy: string;
    arrivalRatePerSecond: number;
    handleTimeSeconds: number;
    handleDistribution: HandleDistribution;
    handleCoefficientOfVariation: number | null;
    /** After-call work per interaction, from the media type's wrapUp. */
    wrapUpSeconds: number;
    serviceLevelTarget: number;
    durationSeconds: number;
    warmupSeconds: number;
    seed: string | number;
    acceptProbability: number;
    rejectProbability: number;
    missProbability: number;
    answerDelaySeconds: number;
    readyDelaySeconds: number;
    patienceSeconds: number | null;
    serviceLevelThresholdSeconds: number;
    deliveringTimeoutSeconds: number;
    rejectCooldownSeconds: number;
    notReadyOnNoAnswer: boolean;
  };
  /** Interactions that arrived in the measurement window, from the warm-up's end to the duration. */
  offered: number;
  /** Of those, accepted by an agent (at the first accept). */
  answered: number;
  abandoned: number;
  /** Still waiting when the run stopped (drain limit reached, or no agent could ever take them). */
  unresolved: number;
  /** Answered within the threshold over answered; null when none was answered. */
  serviceLevel: number | null;
  /** The mean wait, submit to accept, of the answered ones, in seconds; null when none was answered. */
  averageSpeedOfAnswerSeconds: number | null;
  maxWaitSeconds: number | null;
  abandonmentRate: number | null;
  /**
   * Batch-means standard errors (statistics.ts); null when too few batches have data. Rough: the
   * average wait hangs on rare long queues, and a run that missed them understates its error.
   * For M/M/c, erlang.ts's simulationStandardErrors gives the error from theory.
   */
  standardErrors: { serviceLevel: number | null; averageSpeedOfAnswerSeconds: number | null; abandonmentRate: number | null };
  occupancy: { mean: number; min: number; max: number };
  agents: AgentSummary[];
  /** Over the whole run: invites sent, and how each ended. */
  invites: { sent: number; accepted: number; rejected: number; timedOut: number; stopped: number };
  /** Route calls of the router that the core refused, and requests of the simulated clients it refused: 0 unless something disagrees. */
  refused: { routeCalls: number; clientRequests: number };
  batches: Batch[];
  /**
   * M/M/c with c = agents × capacity and a service time of handle plus wrap-up (an agent in
   * after-call work takes nothing new); null when the load reaches c (the queue would grow without bound).
   */
  erlangC: ErlangCResult | null;
  /** Erlang C's answer to "how many agents for the target service level", with and without the wrap-up. */
  staffing: StaffingResult;
  /** M/M/c+M, when patience is given. */
  erlangA: ErlangAResult | null;
  /** Virtual time simulated, arrivals and drain, in seconds. */
  simulatedSeconds: number;
  /** Discrete events processed: arrivals, answers, completions, abandons, timer expiries. */
  events: number;
}

/** Virtual time starts on a Monday at midnight UTC, so strategies that look at the clock see a plausible date. */
export const simulationStartTime = Date.UTC(2025, 0, 6, 0, 0, 0);

const mediaClientId = 'sim-media-server';

const defaults = {
  queue: 'sim',
  mediaType: 'chat',
  durationSeconds: 86_400,
  warmupFraction: 0.05,
  seed: 1,
  answerDelaySeconds: 0,
  readyDelaySeconds: 60,
  serviceLevelThresholdSeconds: 20,
  handleCoefficientOfVariation: 1,
  batches: 20,
  serviceLevelTarget: 0.8,
} as const;

/** Resolves the config, loads the queues' strategies, and runs the simulation. */
export async function simulate(options: SimulationOptions): Promise<SimulationSummary> {
  const fromFile = options.config === undefined && options.configPath !== undefined;
  const input = options.config ?? (options.configPath !== undefined ? readConfigFile(options.configPath) : undefined);
  const queue = options.queue ?? (input === undefined ? defaults.queue : firstBuiltinQueue(input));
  const baseDirectory = options.baseDirectory ?? (fromFile ? dirname(resolve(options.configPath!)) : process.cwd());
  let layout: ConfigInput = input ?? { queues: { [queue]: { routing: 'builtin' } } };
  if (options.wrapUpSeconds !== undefined) {
    // The wrap-up is the server's (the core runs it), so it goes into the config the core runs with.
    const mediaType = options.mediaType ?? defaults.mediaType;
    layout = { ...layout, mediaTypes: { ...layout.mediaTypes, [mediaType]: { ...layout.mediaTypes?.[mediaType], wrapUp: options.wrapUpSeconds } } };
  }
  const settings = resolveSettings(layout, { baseDirectory });
  const strategies = await loadStrategies(settings.router, settings.baseDirectory);
  return runSimulation({ ...options, queue }, settings, input, strategies);
}

function firstBuiltinQueue(input: ConfigInput): string {
  const found = Object.entries(input.queues ?? {}).find(([, queue]) => (queue.routing ?? 'builtin') === 'builtin');
  if (found === undefined) throw new Error('The config has no builtin queue for the simulator to submit to; add one or name it with --queue.');
  return found[0];
}

interface ResolvedParameters extends Required<Pick<SimulationSummary, 'parameters'>> {
  agentIds: string[];
  batches: number;
  drainLimitSeconds: number;
}

function resolveParameters(options: SimulationOptions, settings: Settings, input: ConfigInput | undefined): ResolvedParameters {
  const positive = (value: number, name: string) => {
    if (!(Number.isFinite(value) && value > 0)) throw new Error(`${name} must be a positive number, not ${value}.`);
    return value;
  };
  const nonNegative = (value: number, name: string) => {
    if (!(Number.isFinite(value) && value >= 0)) throw new Error(`${name} must be zero or more, not ${value}.`);
    return value;
  };
  const probability = (value: number, name: string) => {
    if (!(value >= 0 && value <= 1)) throw new Error(`${name} must be a probability between 0 and 1, not ${value}.`);
    return value;
  };
  const queue = options.queue ?? defaults.queue;
  const mediaType = options.mediaType ?? defaults.mediaType;
  const queueSettings = settings.core.queues.get(queue);
  if (queueSettings === undefined) throw new Error(`There is no queue named "${queue}" in the config.`);
  if (queueSettings.routing !== 'builtin') throw new Error(`Queue "${queue}" is routed "${queueSettings.routing}"; the simulator runs the built-in router, so it needs a builtin queue.`);
  if (!settings.router.enabled) throw new Error('The config turns the built-in router off (router: {builtin: false}); the simulator runs it.');

  const listedAgents = Object.keys(input?.agents ?? {});
  const agentCount = options.agents ?? listedAgents.length;
  if (!(Number.isInteger(agentCount) && agentCount >= 1)) {
    throw new Error(options.agents === undefined ? 'Say how many agents log in (--agents N), or list them in the config (agents:).' : `The number of agents must be a positive integer, not ${agentCount}.`);
  }
  // The config's agents (with their skills) first, then as many more as asked for.
  const agentIds = listedAgents.slice(0, agentCount);
  const taken = new Set(agentIds);
  for (let number = 1; agentIds.length < agentCount; number++) {
    const agentId = `agent-${number}`;
    if (!taken.has(agentId) && !listedAgents.includes(agentId)) agentIds.push(agentId);
  }

  const rejectProbability = probability(options.rejectProbability ?? 0, 'The reject probability');
  const missProbability = probability(options.missProbability ?? 0, 'The miss probability');
  const acceptProbability = probability(options.acceptProbability ?? 1 - rejectProbability - missProbability, 'The accept probability');
  if (Math.abs(acceptProbability + rejectProbability + missProbability - 1) > 1e-9) {
    throw new Error(`The accept, reject and miss probabilities must add up to 1 (they add up to ${acceptProbability + rejectProbability + missProbability}).`);
  }
  const handleDistribution = options.handleDistribution ?? 'exponential';
  if (!handleDistributions.includes(handleDistribution)) throw new Error(`The handle distribution must be one of ${handleDistributions.join(', ')}, not "${handleDistribution}".`);
  const durationSeconds = positive(options.durationSeconds ?? defaults.durationSeconds, 'The duration');
  const warmupSeconds = nonNegative(options.warmupSeconds ?? durationSeconds * defaults.warmupFraction, 'The warm-up');
  if (warmupSeconds >= durationSeconds) throw new Error(`The warm-up (${warmupSeconds} s) must be shorter than the duration (${durationSeconds} s).`);
  const batches = options.batches ?? defaults.batches;
  if (!(Number.isInteger(batches) && batches >= 2)) throw new Error(`The number of batches must be an integer of at least 2, not ${batches}.`);
  const strategy = settings.router.queues.get(queue)!.strategy;
  const media = mediaSettings(settings.core, mediaType);
  return {
    parameters: {
      agents: agentCount,
      capacity: media.capacity,
      mediaType,
      queue,
      strategy: typeof strategy === 'string' ? strategy : strategy.module,
      arrivalRatePerSecond: positive(options.arrivalRatePerSecond, 'The arrival rate'),
      handleTimeSeconds: positive(options.handleTimeSeconds, 'The handle time'),
      handleDistribution,
      handleCoefficientOfVariation: handleDistribution === 'lognormal'
        ? positive(options.handleCoefficientOfVariation ?? defaults.handleCoefficientOfVariation, 'The handle-time coefficient of variation')
        : null,
      wrapUpSeconds: media.wrapUpMs / 1000,
      serviceLevelTarget: probability(options.serviceLevelTarget ?? defaults.serviceLevelTarget, 'The service-level target'),
      durationSeconds,
      warmupSeconds,
      seed: options.seed ?? defaults.seed,
      acceptProbability,
      rejectProbability,
      missProbability,
      answerDelaySeconds: nonNegative(options.answerDelaySeconds ?? defaults.answerDelaySeconds, 'The answer delay'),
      readyDelaySeconds: nonNegative(options.readyDelaySeconds ?? defaults.readyDelaySeconds, 'The ready delay'),
      patienceSeconds: options.patienceSeconds === undefined ? null : positive(options.patienceSeconds, 'The patience'),
      serviceLevelThresholdSeconds: nonNegative(options.serviceLevelThresholdSeconds ?? defaults.serviceLevelThresholdSeconds, 'The service-level threshold'),
      deliveringTimeoutSeconds: media.deliveringTimeoutMs / 1000,
      rejectCooldownSeconds: settings.router.rejectCooldownMs / 1000,
      notReadyOnNoAnswer: settings.core.notReadyOnNoAnswer,
    },
    agentIds,
    batches,
    drainLimitSeconds: nonNegative(options.drainLimitSeconds ?? durationSeconds, 'The drain limit'),
  };
}

/** Runs a simulation on settings already resolved, with the queues' strategies already loaded. */
export function runSimulation(options: SimulationOptions, settings: Settings, input: ConfigInput | undefined, strategies: ReadonlyMap<string, Strategy>): SimulationSummary {
  return new Simulation(resolveParameters(options, settings, input), settings, strategies, options).run();
}

// ---- The run -------------------------------------------------------------------------------------

/** A simulated agent desktop: one connection, one agent. */
interface SimulatedAgent {
  readonly agentId: string;
  readonly placeId: string;
  readonly clientId: string;
  /** Invites out to this agent that it has not answered, by ticket id. */
  readonly invites: Set<number>;
  /** What it handles: interaction id to the token of its completion event (a stale event carries another). */
  readonly handling: Map<string, number>;
  /** A return to ready is scheduled (after the server set it not ready for not answering). */
  readyPending: boolean;
  /** Occupancy: time-weighted handling over capacity inside the measurement window, in ms. */
  busyArea: number;
  lastChange: number;
  accepted: number;
}

type SimulationEvent =
  | { kind: 'arrival' }
  | { kind: 'answer'; agent: SimulatedAgent; ticketId: number; interactionId: string; accept: boolean }
  | { kind: 'complete'; agent: SimulatedAgent; interactionId: string; token: number }
  | { kind: 'abandon'; interactionId: string }
  | { kind: 'ready'; agent: SimulatedAgent };

/** What a simulated client asked, by referenceId: how to read the answer. */
type PendingRequest =
  | { kind: 'submit' }
  | { kind: 'accept'; agent: SimulatedAgent; interactionId: string }
  | { kind: 'reject' }
  | { kind: 'other' };

/** An interaction the media server submitted and nobody has accepted yet. */
interface Waiting {
  readonly submittedAt: number;
  /** Its batch, or −1 when it arrived in the warm-up (not measured). */
  readonly batch: number;
}

const millisecondsPerSecond = 1000;

class Simulation {
  private readonly parameters: SimulationSummary['parameters'];
  private readonly core: Core;
  private readonly router: Router;
  private readonly link: RouterLink;
  private readonly options: SimulationOptions;
  private readonly events = new EventQueue<SimulationEvent>();
  private now = simulationStartTime;
  private readonly end: number;
  private readonly windowStart: number;
  private readonly batchLength: number;
  private readonly drainUntil: number;
  private readonly capacity: number;

  private readonly nextArrivalGap: Sampler;
  private readonly handleTime: Sampler;
  private readonly patience: Sampler | null;
  private readonly answers: Random;

  private readonly agents: SimulatedAgent[] = [];
  private readonly agentsByClient = new Map<string, SimulatedAgent>();
  private nextReferenceId = 0;
  private nextToken = 0;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly waiting = new Map<string, Waiting>();
  /** The submit being made: its EventAck names the new interaction. */
  private submitting: Waiting | null = null;
  /** Measured interactions neither answered nor abandoned yet. */
  private unresolved = 0;
  private readonly batches: Batch[];
  private maxWaitMs = 0;
  private readonly invites = { sent: 0, accepted: 0, rejected: 0, timedOut: 0, stopped: 0 };
  private readonly refused = { routeCalls: 0, clientRequests: 0 };
  private eventCount = 0;

  constructor(resolved: ResolvedParameters, settings: Settings, strategies: ReadonlyMap<string, Strategy>, options: SimulationOptions) {
    const parameters = resolved.parameters;
    this.parameters = parameters;
    this.options = options;
    this.core = new Core(settings.core);
    this.router = new Router(settings.router, strategies);
    this.link = new RouterLink(this.router);
    this.capacity = parameters.capacity;
    this.end = simulationStartTime + Math.round(parameters.durationSeconds * millisecondsPerSecond);
    this.windowStart = simulationStartTime + Math.round(parameters.warmupSeconds * millisecondsPerSecond);
    this.batchLength = (this.end - this.windowStart) / resolved.batches;
    this.batches = Array.from({ length: resolved.batches }, emptyBatch);
    this.drainUntil = this.end + resolved.drainLimitSeconds * millisecondsPerSecond;
    const seed = parameters.seed;
    this.nextArrivalGap = exponential(new Random(seed, 'arrivals'), millisecondsPerSecond / parameters.arrivalRatePerSecond);
    const handleSeconds = handleTimeSampler(parameters.handleDistribution, parameters.handleTimeSeconds, new Random(seed, 'handle'), parameters.handleCoefficientOfVariation ?? 1);
    this.handleTime = () => handleSeconds() * millisecondsPerSecond;
    this.patience = parameters.patienceSeconds === null ? null : exponential(new Random(seed, 'patience'), parameters.patienceSeconds * millisecondsPerSecond);
    this.answers = new Random(seed, 'answers');
    for (const agentId of resolved.agentIds) {
      const agent: SimulatedAgent = {
        agentId, placeId: `place-of-${agentId}`, clientId: `desktop-of-${agentId}`, invites: new Set(), handling: new Map(),
        readyPending: false, busyArea: 0, lastChange: this.now, accepted: 0,
      };
      this.agents.push(agent);
      this.agentsByClient.set(agent.clientId, agent);
    }
  }

  run(): SimulationSummary {
    this.connect();
    this.scheduleArrival();
    const progressEvery = 4096;
    for (;;) {
      if (this.now >= this.end && this.unresolved === 0) break;
      const coreDeadline = this.core.nextDeadline() ?? Infinity;
      const routerDeadline = this.router.nextDeadline() ?? Infinity;
      const next = Math.min(this.events.nextTime(), coreDeadline, routerDeadline);
      if (next === Infinity || next > this.drainUntil) break;
      if (next > this.now) this.now = next;
      this.eventCount++;
      if (coreDeadline <= this.now) this.core.expire(this.now);
      else if (routerDeadline <= this.now) this.router.tick(this.now);
      else this.handle(this.events.pop()!.event);
      this.pump();
      if (this.eventCount % progressEvery === 0) this.options.onProgress?.(Math.min(1, (this.now - simulationStartTime) / (this.end - simulationStartTime)));
    }
    this.options.onProgress?.(1);
    return this.summarize();
  }

  // ---- Wiring, as in src/server.ts ---------------------------------------------------------------

  /** The router's two in-process connections, the media server, and every agent logged in ready. */
  private connect(): void {
    const register = (clientId: string, clientType: ClientType, clientName: string) =>
      this.core.register({ clientId, now: this.now }, ++this.nextReferenceId, clientType, clientName, undefined, openGrants);
    this.link.connect(this.core, this.now);
    register(mediaClientId, 'MediaServer', 'simulator');
    for (const agent of this.agents) {
      register(agent.clientId, 'AgentApplication', `desktop-${agent.agentId}`);
      this.send(agent.clientId, { message: 'RequestAgentLogin', agentId: agent.agentId, placeId: agent.placeId, media: { [this.parameters.mediaType]: 'ready' } });
    }
    this.pump();
  }

  /** Delivers what the core sent; the router's requests go back in after the batch that caused them. */
  private pump(): void {
    this.link.settle(this.core, this.now, (outgoing) => this.deliver(outgoing));
    if (this.options.checkInvariants === true) this.core.assertInvariants();
  }

  private deliver(item: Outgoing): void {
    if (item.to === null) {
      this.options.onReport?.(item.message, this.now);
      return;
    }
    if (item.to === routingClientId) {
      if (item.message.message === 'EventError') this.refused.routeCalls++;
      return;
    }
    if (item.to === mediaClientId) return this.onMediaServerMessage(item.message);
    const agent = this.agentsByClient.get(item.to);
    if (agent !== undefined) this.onAgentMessage(agent, item.message);
  }

  private send(clientId: string, body: DistributiveOmit<CoreRequest, 'referenceId'>, pending: PendingRequest = { kind: 'other' }): void {
    const referenceId = ++this.nextReferenceId;
    this.pending.set(referenceId, pending);
    this.core.request({ clientId, now: this.now }, { ...body, referenceId } as CoreRequest);
  }

  /** The answer to a simulated client's request: what it asked, or undefined for an unsolicited event. */
  private answered(message: OutgoingMessage): PendingRequest | undefined {
    if (message.referenceId === undefined || (message.message !== 'EventAck' && message.message !== 'EventError')) return undefined;
    const pending = this.pending.get(message.referenceId);
    this.pending.delete(message.referenceId);
    if (pending !== undefined && message.message === 'EventError') {
      this.refused.clientRequests++;
      return undefined;
    }
    return pending;
  }

  // ---- The simulated clients ---------------------------------------------------------------------

  private handle(event: SimulationEvent): void {
    switch (event.kind) {
      case 'arrival': return this.onArrival();
      case 'answer': return this.onAnswerDue(event.agent, event.ticketId, event.interactionId, event.accept);
      case 'complete': return this.onHandlingDone(event.agent, event.interactionId, event.token);
      case 'abandon': return this.onPatienceOver(event.interactionId);
      case 'ready': return this.onReadyAgain(event.agent);
    }
  }

  /**
   * Schedules an event this long from now, on the whole millisecond: the server's clock counts
   * millisecondsPerSecond, and the core and router carry times through ISO strings (placedInQueueAt) that
   * keep no more, so a fraction would make a deadline look early.
   */
  private after(delayMs: number, event: SimulationEvent): void {
    this.events.schedule(this.now + Math.round(delayMs), event);
  }

  private scheduleArrival(): void {
    const at = this.now + Math.round(this.nextArrivalGap());
    // The arrivals stop at the duration; what arrived before it is followed to its end.
    if (at < this.end) this.events.schedule(at, { kind: 'arrival' });
  }

  /** The media server submits an interaction (a Poisson arrival) and, with patience, starts its clock. */
  private onArrival(): void {
    const measured = this.now >= this.windowStart;
    const batch = measured ? Math.min(this.batches.length - 1, Math.floor((this.now - this.windowStart) / this.batchLength)) : -1;
    this.submitting = { submittedAt: this.now, batch };
    this.send(mediaClientId, { message: 'RequestSubmit', queue: this.parameters.queue, mediaType: this.parameters.mediaType }, { kind: 'submit' });
    this.scheduleArrival();
  }

  private onMediaServerMessage(message: OutgoingMessage): void {
    const pending = this.answered(message);
    if (pending?.kind !== 'submit' || this.submitting === null) return;
    const interactionId = message.interactionId as string;
    const waiting = this.submitting;
    this.submitting = null;
    this.waiting.set(interactionId, waiting);
    if (waiting.batch >= 0) {
      this.batches[waiting.batch]!.offered++;
      this.unresolved++;
    }
    if (this.patience !== null) this.after(this.patience(), { kind: 'abandon', interactionId });
  }

  /** Patience runs out before an agent accepted: the media server stops the interaction (the customer left). */
  private onPatienceOver(interactionId: string): void {
    const waiting = this.waiting.get(interactionId);
    if (waiting === undefined) return;
    this.waiting.delete(interactionId);
    if (waiting.batch >= 0) {
      this.batches[waiting.batch]!.abandoned++;
      this.unresolved--;
    }
    this.send(mediaClientId, { message: 'RequestStopProcessing', interactionId, reason: 'Abandoned' });
  }

  private onAgentMessage(agent: SimulatedAgent, message: OutgoingMessage): void {
    switch (message.message) {
      case 'EventInvite': return this.onInvite(agent, message.ticketId as number, (message.interaction as { interactionId: string }).interactionId);
      case 'EventRevoked': return this.onRevoked(agent, message);
      case 'EventAck':
      case 'EventError': {
        const pending = this.answered(message);
        if (pending?.kind === 'accept') this.onAccepted(pending.agent, pending.interactionId);
        else if (pending?.kind === 'reject') this.invites.rejected++;
        return;
      }
    }
  }

  /** The agent decides now how it will answer, and answers after the answer delay (or never, for a miss). */
  private onInvite(agent: SimulatedAgent, ticketId: number, interactionId: string): void {
    this.invites.sent++;
    agent.invites.add(ticketId);
    const draw = this.answers.next();
    const { acceptProbability, rejectProbability, answerDelaySeconds } = this.parameters;
    if (draw >= acceptProbability + rejectProbability) return;
    this.after(answerDelaySeconds * millisecondsPerSecond, { kind: 'answer', agent, ticketId, interactionId, accept: draw < acceptProbability });
  }

  private onAnswerDue(agent: SimulatedAgent, ticketId: number, interactionId: string, accept: boolean): void {
    // Revoked meanwhile (a delivering timeout shorter than the answer delay, or the customer left).
    if (!agent.invites.delete(ticketId)) return;
    if (accept) this.send(agent.clientId, { message: 'RequestAccept', ticketId, interactionId }, { kind: 'accept', agent, interactionId });
    else this.send(agent.clientId, { message: 'RequestReject', ticketId, interactionId, reason: 'Declined' }, { kind: 'reject' });
  }

  private onAccepted(agent: SimulatedAgent, interactionId: string): void {
    this.invites.accepted++;
    agent.accepted++;
    this.accumulate(agent);
    const token = ++this.nextToken;
    agent.handling.set(interactionId, token);
    const handleMs = Math.round(this.handleTime());
    this.after(handleMs, { kind: 'complete', agent, interactionId, token });
    const waiting = this.waiting.get(interactionId);
    // A second accept (after a handling timeout returned it) is not a new answer.
    if (waiting === undefined) return;
    this.waiting.delete(interactionId);
    if (waiting.batch < 0) return;
    const waitMs = this.now - waiting.submittedAt;
    const batch = this.batches[waiting.batch]!;
    batch.answered++;
    batch.totalWaitSeconds += waitMs / millisecondsPerSecond;
    batch.totalHandleSeconds += handleMs / millisecondsPerSecond;
    if (waitMs <= this.parameters.serviceLevelThresholdSeconds * millisecondsPerSecond) batch.answeredWithinThreshold++;
    if (waitMs > this.maxWaitMs) this.maxWaitMs = waitMs;
    this.unresolved--;
  }

  private onHandlingDone(agent: SimulatedAgent, interactionId: string, token: number): void {
    if (agent.handling.get(interactionId) !== token) return;
    this.accumulate(agent);
    agent.handling.delete(interactionId);
    this.send(agent.clientId, { message: 'RequestStopProcessing', interactionId });
  }

  private onRevoked(agent: SimulatedAgent, message: OutgoingMessage): void {
    const interactionId = message.interactionId as string;
    const ticketId = message.ticketId as number | undefined;
    if (ticketId !== undefined) {
      agent.invites.delete(ticketId);
      if (message.reason !== 'DeliveringTimeout') {
        this.invites.stopped++;
        return;
      }
      this.invites.timedOut++;
      // The server set this agent not ready (reason NoAnswer, delivery.notReadyOnNoAnswer): it
      // notices and makes itself ready again after the ready delay.
      if (this.parameters.notReadyOnNoAnswer && !agent.readyPending) {
        agent.readyPending = true;
        this.after(this.parameters.readyDelaySeconds * millisecondsPerSecond, { kind: 'ready', agent });
      }
      return;
    }
    // Ownership ended without the agent (a handling timeout): its completion will find nothing.
    if (agent.handling.has(interactionId)) {
      this.accumulate(agent);
      agent.handling.delete(interactionId);
    }
  }

  private onReadyAgain(agent: SimulatedAgent): void {
    agent.readyPending = false;
    this.send(agent.clientId, { message: 'RequestCancelNotReadyForMedia', mediaType: this.parameters.mediaType });
  }

  // ---- Statistics --------------------------------------------------------------------------------

  /** Adds the agent's handling since its last change, clipped to the measurement window, to its busy time. */
  private accumulate(agent: SimulatedAgent, until = this.now): void {
    const from = Math.max(agent.lastChange, this.windowStart);
    const to = Math.min(until, this.end);
    if (to > from) agent.busyArea += (agent.handling.size / this.capacity) * (to - from);
    agent.lastChange = until;
  }

  private summarize(): SimulationSummary {
    const window = this.end - this.windowStart;
    const agents: AgentSummary[] = this.agents.map((agent) => {
      this.accumulate(agent, Math.max(this.now, this.end));
      return { agentId: agent.agentId, occupancy: agent.busyArea / window, accepted: agent.accepted };
    });
    const occupancies = agents.map((agent) => agent.occupancy);
    const total = this.batches.reduce((sum, batch) => {
      sum.offered += batch.offered;
      sum.answered += batch.answered;
      sum.answeredWithinThreshold += batch.answeredWithinThreshold;
      sum.abandoned += batch.abandoned;
      sum.totalWaitSeconds += batch.totalWaitSeconds;
      sum.totalHandleSeconds += batch.totalHandleSeconds;
      return sum;
    }, emptyBatch());
    const means = batchMeans(this.batches);
    const error = (values: number[]) => (values.length >= 2 ? standardError(values) : null);
    const parameters = this.parameters;
    const servers = parameters.agents * parameters.capacity;
    const model = { servers, arrivalRatePerSecond: parameters.arrivalRatePerSecond, meanHandleSeconds: occupiedSeconds(parameters.handleTimeSeconds, parameters.wrapUpSeconds) };
    return {
      parameters,
      offered: total.offered,
      answered: total.answered,
      abandoned: total.abandoned,
      unresolved: this.unresolved,
      serviceLevel: total.answered > 0 ? total.answeredWithinThreshold / total.answered : null,
      averageSpeedOfAnswerSeconds: total.answered > 0 ? total.totalWaitSeconds / total.answered : null,
      maxWaitSeconds: total.answered > 0 ? this.maxWaitMs / millisecondsPerSecond : null,
      abandonmentRate: total.offered > 0 ? total.abandoned / total.offered : null,
      standardErrors: {
        serviceLevel: error(means.serviceLevels),
        averageSpeedOfAnswerSeconds: error(means.averageSpeedsOfAnswer),
        abandonmentRate: parameters.patienceSeconds === null ? null : error(means.abandonmentRates),
      },
      occupancy: {
        mean: occupancies.reduce((sum, value) => sum + value, 0) / occupancies.length,
        min: Math.min(...occupancies),
        max: Math.max(...occupancies),
      },
      agents,
      invites: { ...this.invites },
      refused: { ...this.refused },
      batches: this.batches,
      erlangC: erlangCMetrics(model, parameters.serviceLevelThresholdSeconds),
      staffing: agentsNeeded(
        { arrivalRatePerSecond: parameters.arrivalRatePerSecond, meanHandleSeconds: parameters.handleTimeSeconds, wrapUpSeconds: parameters.wrapUpSeconds },
        parameters.serviceLevelTarget, parameters.serviceLevelThresholdSeconds,
      ),
      erlangA: parameters.patienceSeconds === null ? null : erlangA({ ...model, meanPatienceSeconds: parameters.patienceSeconds }),
      simulatedSeconds: (this.now - simulationStartTime) / millisecondsPerSecond,
      events: this.eventCount,
    };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
