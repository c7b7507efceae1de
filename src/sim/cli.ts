// `openixn simulate`: parses the flags, runs the simulator, and prints its summary for a person
// (or one JSON line with --json), with a progress bar on stderr when stderr is a terminal.

import { parseArgs } from 'node:util';
import { handleDistributions, type HandleDistribution } from './distributions.js';
import { simulationStandardErrors } from './erlang.js';
import { simulate, type SimulationOptions, type SimulationSummary } from './simulation.js';

export const simulateUsage = `openixn simulate: plan capacity by running the real core and router on virtual time

Usage:
  openixn simulate --agents N --arrival-rate R --handle-time T [options]

Traffic:
  --agents N                      agents logged in, ready for the media type at time 0 (without it:
                                  the agents the config lists; with both, the listed ones come first)
  --arrival-rate R                Poisson arrivals per second
  --handle-time T                 mean handle time in seconds (accept to stop)
  --handle-distribution D         exponential (default), constant or lognormal
  --handle-cv CV                  lognormal only: standard deviation over mean (default 1)
  --wrap-up SECONDS               after-call work: the agent is not ready this long after each
                                  stop (default: the config's mediaTypes.<type>.wrapUp, else 0)
  --duration SECONDS              how long interactions arrive (default 86400, a day)
  --warmup SECONDS                left out of the statistics (default 5% of the duration)
  --patience SECONDS              mean patience (exponential): an interaction not accepted in
                                  time is stopped by the media server and counts as abandoned
  --media-type M                  default chat
  --queue NAME                    default sim (with --config: the first builtin queue)
  --config FILE                   your YAML config: queues, strategies, skills, capacities, timeouts

Agents:
  --accept-probability P          an invite is accepted (default: what reject and miss leave)
  --reject-probability P          rejected (the router's rejectCooldown applies; default 0)
  --miss-probability P            never answered: the delivering timeout revokes it (default 0)
  --answer-delay SECONDS          time to accept or reject (default 0)
  --ready-delay SECONDS           an agent the server set not ready for not answering
                                  (delivery.notReadyOnNoAnswer) is ready again after this (default 60)

Output:
  --service-level-threshold SECONDS   service level = answered within this wait (default 20)
  --service-level-target P        Erlang C's staffing line: agents needed for this service level (default 0.8)
  --seed S                        the same seed gives the same run (default 1)
  --batches K                     batches for the standard errors (default 20)
  --json                          one JSON line instead of the summary
  --help                          this text
`;

export interface CommandOutput {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

export async function simulateCommand(argv: string[], output: CommandOutput = process): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      agents: { type: 'string' },
      'arrival-rate': { type: 'string' },
      'handle-time': { type: 'string' },
      'handle-distribution': { type: 'string' },
      'handle-cv': { type: 'string' },
      'wrap-up': { type: 'string' },
      'service-level-target': { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      patience: { type: 'string' },
      'media-type': { type: 'string' },
      queue: { type: 'string' },
      config: { type: 'string' },
      'accept-probability': { type: 'string' },
      'reject-probability': { type: 'string' },
      'miss-probability': { type: 'string' },
      'answer-delay': { type: 'string' },
      'ready-delay': { type: 'string' },
      'service-level-threshold': { type: 'string' },
      seed: { type: 'string' },
      batches: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    output.stdout.write(simulateUsage);
    return;
  }
  const number = (flag: string): number | undefined => {
    const text = (values as Record<string, string | boolean | undefined>)[flag];
    if (text === undefined) return undefined;
    const value = Number(text);
    if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(value)) throw new Error(`--${flag} must be a number, not "${String(text)}".`);
    return value;
  };
  const required = (flag: string): number => {
    const value = number(flag);
    if (value === undefined) throw new Error(`--${flag} is required; try: openixn simulate --help`);
    return value;
  };
  const distribution = values['handle-distribution'];
  if (distribution !== undefined && !(handleDistributions as readonly string[]).includes(distribution)) {
    throw new Error(`--handle-distribution must be one of ${handleDistributions.join(', ')}, not "${distribution}".`);
  }
  const seed = values.seed === undefined ? undefined : /^-?\d+$/.test(values.seed) ? Number(values.seed) : values.seed;
  const options: SimulationOptions = {
    arrivalRatePerSecond: required('arrival-rate'),
    handleTimeSeconds: required('handle-time'),
    ...defined({
      agents: number('agents'),
      handleDistribution: distribution as HandleDistribution | undefined,
      handleCoefficientOfVariation: number('handle-cv'),
      wrapUpSeconds: number('wrap-up'),
      serviceLevelTarget: number('service-level-target'),
      durationSeconds: number('duration'),
      warmupSeconds: number('warmup'),
      patienceSeconds: number('patience'),
      mediaType: values['media-type'],
      queue: values.queue,
      configPath: values.config,
      acceptProbability: number('accept-probability'),
      rejectProbability: number('reject-probability'),
      missProbability: number('miss-probability'),
      answerDelaySeconds: number('answer-delay'),
      readyDelaySeconds: number('ready-delay'),
      serviceLevelThresholdSeconds: number('service-level-threshold'),
      seed,
      batches: number('batches'),
    }),
  };
  const progress = output.stderr.isTTY === true && values.json !== true ? new ProgressBar(output.stderr) : null;
  if (progress !== null) options.onProgress = (fraction) => progress.show(fraction);
  const started = performance.now();
  let summary: SimulationSummary;
  try {
    summary = await simulate(options);
  } finally {
    progress?.clear();
  }
  const wallSeconds = (performance.now() - started) / 1000;
  if (values.json) output.stdout.write(`${JSON.stringify({ ...summary, wallSeconds: round(wallSeconds, 3) })}\n`);
  else output.stdout.write(formatSummary(summary, wallSeconds));
}

function defined<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** A one-line bar, redrawn at most ten times a second, and only once the run has taken a moment. */
class ProgressBar {
  private readonly stream: CommandOutput['stderr'];
  private readonly startedAt = performance.now();
  private lastDrawAt = 0;
  private drawn = false;

  constructor(stream: CommandOutput['stderr']) {
    this.stream = stream;
  }

  show(fraction: number): void {
    const now = performance.now();
    if (now - this.startedAt < 300 || now - this.lastDrawAt < 100) return;
    this.lastDrawAt = now;
    this.drawn = true;
    const width = 30;
    const filled = Math.round(fraction * width);
    this.stream.write(`\rsimulating [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`);
  }

  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
  }
}

// ---- The summary for a person ----------------------------------------------------------------------

const count = new Intl.NumberFormat('en-US');

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function percent(value: number | null, digits = 1): string {
  return value === null ? 'n/a' : `${(value * 100).toFixed(digits)}%`;
}

function seconds(value: number | null): string {
  if (value === null) return 'n/a';
  return value < 10 ? `${value.toFixed(2)} s` : `${value.toFixed(1)} s`;
}

export function formatSummary(summary: SimulationSummary, wallSeconds?: number): string {
  const p = summary.parameters;
  const lines: string[] = [];
  const handle = p.handleDistribution === 'lognormal' ? `lognormal, cv ${p.handleCoefficientOfVariation}` : p.handleDistribution;
  lines.push(`openixn simulate: ${p.agents} agents, capacity ${p.capacity} ${p.mediaType}, queue "${p.queue}" (strategy ${p.strategy}), seed ${p.seed}`);
  lines.push(`  arrivals ${p.arrivalRatePerSecond}/s (Poisson), handle time ${p.handleTimeSeconds} s mean (${handle})${p.wrapUpSeconds > 0 ? ` + ${p.wrapUpSeconds} s wrap-up` : ''}, ${p.durationSeconds} s of arrivals`);
  lines.push(`  agents accept ${percent(p.acceptProbability, 0)}, reject ${percent(p.rejectProbability, 0)}, miss ${percent(p.missProbability, 0)} of invites after ${p.answerDelaySeconds} s` +
    `; patience ${p.patienceSeconds === null ? 'unlimited' : `${p.patienceSeconds} s mean`}`);
  lines.push(`Statistics leave out the first ${p.warmupSeconds} s (warm-up, ${percent(p.warmupSeconds / p.durationSeconds, 0)}) and follow each interaction that arrived`);
  lines.push(`in the remaining ${p.durationSeconds - p.warmupSeconds} s until it was answered or abandoned. ± is two standard errors from ${summary.batches.length} batch means`);
  lines.push('(rough: a run that missed the rare long queues understates it).');
  lines.push('');
  const rows: [string, string, string][] = [
    ['offered', count.format(summary.offered), ''],
    ['answered', count.format(summary.answered), summary.offered > 0 ? `(${percent(summary.answered / summary.offered)})` : ''],
    ['abandoned', count.format(summary.abandoned), summary.abandonmentRate === null ? '' : `(${percent(summary.abandonmentRate)}${plusMinus(summary.standardErrors.abandonmentRate, (value) => percent(value))})`],
    ['service level', percent(summary.serviceLevel), `answered within ${p.serviceLevelThresholdSeconds} s${plusMinus(summary.standardErrors.serviceLevel, (value) => percent(value))}`],
    ['average speed of answer', seconds(summary.averageSpeedOfAnswerSeconds), `${plusMinus(summary.standardErrors.averageSpeedOfAnswerSeconds, seconds)}; longest wait ${seconds(summary.maxWaitSeconds)}`.replace(/^; /, '')],
    ['occupancy', percent(summary.occupancy.mean), `mean per agent; min ${percent(summary.occupancy.min)}, max ${percent(summary.occupancy.max)}`],
    ['invites', count.format(summary.invites.sent), `accepted ${count.format(summary.invites.accepted)}, rejected ${count.format(summary.invites.rejected)}, timed out ${count.format(summary.invites.timedOut)}, withdrawn ${count.format(summary.invites.stopped)} (whole run)`],
  ];
  for (const [label, value, note] of rows) lines.push(`${label.padEnd(24)}${value.padStart(9)}  ${note.trim()}`.trimEnd());
  if (summary.unresolved > 0) lines.push(`${count.format(summary.unresolved)} measured interactions were still waiting when the run stopped (after ${summary.simulatedSeconds.toFixed(0)} s).`);
  // An agent in after-call work takes nothing new: the formulas' service time is handle + wrap-up.
  const occupied = p.handleTimeSeconds + p.wrapUpSeconds;
  const offeredLoad = p.arrivalRatePerSecond * occupied;
  const servers = p.agents * p.capacity;
  lines.push('');
  if (summary.erlangC !== null) {
    const theory = summary.erlangC;
    lines.push(`Erlang C (M/M/${servers}, ${offeredLoad.toFixed(1)} erlangs, occupancy ${percent(theory.occupancy)}): service level ${percent(theory.serviceLevel)}, ` +
      `average speed of answer ${seconds(theory.averageSpeedOfAnswerSeconds)}, P(wait) ${percent(theory.probabilityOfWaiting)}`);
    const precision = simulationStandardErrors(
      { servers, arrivalRatePerSecond: p.arrivalRatePerSecond, meanHandleSeconds: occupied }, p.serviceLevelThresholdSeconds, p.durationSeconds - p.warmupSeconds);
    lines.push(`  a run this long of that model lands within ± ${percent(2 * precision.serviceLevel!)} and ± ${seconds(2 * precision.averageSpeedOfAnswerSeconds!)} of these about 95% of the time`);
  } else if (p.patienceSeconds === null) {
    lines.push(`The offered load (${offeredLoad.toFixed(1)} erlangs) reaches the ${servers} agent slots: without abandonment the queue grows for as long as the run lasts.`);
  }
  const staffing = summary.staffing;
  if (staffing.agentsNeeded !== null) {
    const wrapUp = p.wrapUpSeconds > 0 ? ` (${staffing.agentsNeededWithoutWrapUp ?? 'more than 100,000'} without the ${p.wrapUpSeconds} s wrap-up)` : '';
    lines.push(`Staffing (Erlang C, one slot per agent): ${staffing.agentsNeeded} agents for ${percent(p.serviceLevelTarget, 0)} answered within ${p.serviceLevelThresholdSeconds} s${wrapUp}`);
  }
  if (summary.erlangA !== null) {
    lines.push(`Erlang A (M/M/${servers}+M, patience ${p.patienceSeconds} s): abandonment ${percent(summary.erlangA.abandonmentProbability)}, P(wait) ${percent(summary.erlangA.probabilityOfWaiting)}`);
  }
  if (p.handleDistribution !== 'exponential' || p.wrapUpSeconds > 0 || p.acceptProbability < 1 || p.answerDelaySeconds > 0 || (summary.erlangC !== null && p.patienceSeconds !== null)) {
    lines.push('(The formulas assume exponential handle times' + (p.wrapUpSeconds > 0 ? ' (here handle + a constant wrap-up)' : '') + ', instant acceptance' + (summary.erlangC !== null && p.patienceSeconds !== null ? ' and, for Erlang C, no abandonment' : '') + '; they are a reference, not a prediction, for this run.)');
  }
  if (summary.refused.routeCalls > 0 || summary.refused.clientRequests > 0) {
    lines.push(`The core refused ${summary.refused.routeCalls} route calls of the router and ${summary.refused.clientRequests} requests of simulated clients.`);
  }
  lines.push(`Simulated ${count.format(Math.round(summary.simulatedSeconds))} s (${count.format(summary.events)} events)${wallSeconds === undefined ? '' : ` in ${wallSeconds.toFixed(1)} s`}.`);
  return `${lines.join('\n')}\n`;
}

function plusMinus(standardError: number | null, format: (value: number) => string): string {
  return standardError === null || !Number.isFinite(standardError) ? '' : ` ± ${format(2 * standardError)}`;
}
