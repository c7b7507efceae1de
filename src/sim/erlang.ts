// Queueing theory to check the simulator against: Erlang C for M/M/c (Poisson arrivals,
// exponential handle times, c agents, nobody gives up) and Erlang A for M/M/c+M (the same, where a
// waiting customer abandons after an exponential patience).
//
// The textbook form of Erlang C divides A^c/c! by a sum of such terms, which overflows doubles
// from about c = 170. Here Erlang B comes from its recurrence, whose terms stay between 0 and 1,
// and Erlang C from Erlang B, so a thousand agents are as exact as ten.

export interface QueueModel {
  /** c: agents (for chat, agents × capacity when every slot works independently). */
  servers: number;
  /** λ, per second. */
  arrivalRatePerSecond: number;
  /** 1/μ, in seconds. */
  meanHandleSeconds: number;
}

export interface ErlangCResult {
  /** A = λ/μ, in erlangs. */
  offeredLoad: number;
  /** ρ = A/c: the share of time an agent is busy. */
  occupancy: number;
  /** C(c, A): the probability that an arrival has to wait at all. */
  probabilityOfWaiting: number;
  thresholdSeconds: number;
  /** P(wait ≤ threshold) = 1 − C·e^(−(cμ−λ)·t). */
  serviceLevel: number;
  /** The mean wait over all arrivals: C/(cμ−λ). */
  averageSpeedOfAnswerSeconds: number;
}

/**
 * Erlang B, the blocking probability of M/M/c/c, by the recurrence B(0) = 1,
 * B(k) = A·B(k−1) / (k + A·B(k−1)): each step is a ratio of positive numbers below 1.
 */
export function erlangB(servers: number, offeredLoad: number): number {
  if (!Number.isInteger(servers) || servers < 0) throw new RangeError(`servers must be a non-negative integer, not ${servers}.`);
  if (!(offeredLoad >= 0)) throw new RangeError(`the offered load must be a non-negative number, not ${offeredLoad}.`);
  let blocking = 1;
  for (let k = 1; k <= servers; k++) blocking = (offeredLoad * blocking) / (k + offeredLoad * blocking);
  return blocking;
}

/** Erlang C, the probability of waiting in M/M/c: C = c·B / (c − A·(1 − B)). Needs A < c (else the queue grows forever). */
export function erlangC(servers: number, offeredLoad: number): number {
  if (!(offeredLoad < servers)) throw new RangeError(`Erlang C needs an offered load below the number of servers (${offeredLoad} ≥ ${servers}): the queue would grow without bound.`);
  const blocking = erlangB(servers, offeredLoad);
  return (servers * blocking) / (servers - offeredLoad * (1 - blocking));
}

/** Service level, average speed of answer and the rest for an M/M/c queue; null when A ≥ c (unstable). */
export function erlangCMetrics(model: QueueModel, thresholdSeconds: number): ErlangCResult | null {
  const { servers, arrivalRatePerSecond: lambda, meanHandleSeconds } = model;
  const mu = 1 / meanHandleSeconds;
  const offeredLoad = lambda * meanHandleSeconds;
  if (servers <= 0 || offeredLoad >= servers) return null;
  const probabilityOfWaiting = erlangC(servers, offeredLoad);
  // Given that it waits, an arrival's wait is exponential with rate cμ − λ (the queue drains at
  // cμ while it keeps filling at λ), hence both formulas.
  const drainRate = servers * mu - lambda;
  return {
    offeredLoad,
    occupancy: offeredLoad / servers,
    probabilityOfWaiting,
    thresholdSeconds,
    serviceLevel: 1 - probabilityOfWaiting * Math.exp(-drainRate * thresholdSeconds),
    averageSpeedOfAnswerSeconds: probabilityOfWaiting / drainRate,
  };
}

/**
 * What an agent is occupied for per interaction with after-call work (SPEC 9.4 step 3): the
 * handle time plus the wrap-up, during which it takes nothing new. Erlang C then treats that as
 * the service time: a customer waits for an agent that is free, not merely done talking. (The
 * wrap-up is a constant, not exponential; like any service time that is not exponential, the
 * formula is a reference that the simulator checks, not an exact prediction.)
 */
export function occupiedSeconds(meanHandleSeconds: number, wrapUpSeconds: number): number {
  if (!(meanHandleSeconds > 0 && wrapUpSeconds >= 0)) throw new RangeError(`the handle time must be positive and the wrap-up zero or more, not ${meanHandleSeconds} and ${wrapUpSeconds}.`);
  return meanHandleSeconds + wrapUpSeconds;
}

export interface StaffingResult {
  /** The fewest agents whose service level reaches the target; null when none up to the limit does. */
  agentsNeeded: number | null;
  /** The same without wrap-up: the difference is what after-call work costs in agents. */
  agentsNeededWithoutWrapUp: number | null;
  /** Erlang C for agentsNeeded, with wrap-up. */
  atAgentsNeeded: ErlangCResult | null;
}

/** Agents searched at most: beyond this a target is taken as out of reach. */
const maxStaffedAgents = 100_000;

/**
 * The fewest agents (each one slot: capacity 1, the M/M/c model) for which the share answered
 * within the threshold reaches `targetServiceLevel`, with and without wrap-up. The service level
 * rises with every agent added, so the search starts at the least stable count (just above the
 * offered load) and walks up.
 */
export function agentsNeeded(
  traffic: { arrivalRatePerSecond: number; meanHandleSeconds: number; wrapUpSeconds: number },
  targetServiceLevel: number,
  thresholdSeconds: number,
): StaffingResult {
  if (!(targetServiceLevel > 0 && targetServiceLevel < 1)) throw new RangeError(`the target service level must be between 0 and 1, not ${targetServiceLevel}.`);
  const fewest = (meanHandleSeconds: number): { agents: number; metrics: ErlangCResult } | null => {
    const offeredLoad = traffic.arrivalRatePerSecond * meanHandleSeconds;
    for (let servers = Math.max(1, Math.floor(offeredLoad) + 1); servers <= maxStaffedAgents; servers++) {
      const metrics = erlangCMetrics({ servers, arrivalRatePerSecond: traffic.arrivalRatePerSecond, meanHandleSeconds }, thresholdSeconds)!;
      if (metrics.serviceLevel >= targetServiceLevel) return { agents: servers, metrics };
    }
    return null;
  };
  const withWrapUp = fewest(occupiedSeconds(traffic.meanHandleSeconds, traffic.wrapUpSeconds));
  const without = fewest(traffic.meanHandleSeconds);
  return { agentsNeeded: withWrapUp?.agents ?? null, agentsNeededWithoutWrapUp: without?.agents ?? null, atAgentsNeeded: withWrapUp?.metrics ?? null };
}

export interface ErlangAResult {
  /** A = λ/μ, in erlangs (may exceed c: abandonment keeps the queue finite). */
  offeredLoad: number;
  /** The probability that an arrival has to wait at all. */
  probabilityOfWaiting: number;
  /** The share of arrivals that abandon before an agent takes them. */
  abandonmentProbability: number;
  /** The mean number waiting. */
  meanQueueLength: number;
}

/**
 * Erlang A (M/M/c+M), from the birth–death chain of the number in the system: births at λ,
 * deaths at min(n, c)·μ + max(n − c, 0)·θ with θ = 1/patience. By Little's law applied to the
 * abandonment flow, P(abandon) = θ·E[queue] / λ; by PASTA, P(wait) = P(n ≥ c).
 */
export function erlangA(model: QueueModel & { meanPatienceSeconds: number }): ErlangAResult {
  const { servers, arrivalRatePerSecond: lambda, meanHandleSeconds, meanPatienceSeconds } = model;
  if (!Number.isInteger(servers) || servers < 0) throw new RangeError(`servers must be a non-negative integer, not ${servers}.`);
  if (!(lambda > 0 && meanHandleSeconds > 0 && meanPatienceSeconds > 0)) throw new RangeError('Erlang A needs positive rates, handle time and patience.');
  const mu = 1 / meanHandleSeconds;
  const theta = 1 / meanPatienceSeconds;
  // Unnormalised probabilities π_n / π_0, rescaled whenever they grow large (they peak near n ≈ A,
  // where e^A would overflow for a few thousand erlangs).
  let term = 1;
  let total = 1;
  let waiting = servers === 0 ? 1 : 0;
  let queued = 0;
  for (let n = 1; ; n++) {
    term *= lambda / (Math.min(n, servers) * mu + Math.max(n - servers, 0) * theta);
    total += term;
    if (n >= servers) waiting += term;
    if (n > servers) queued += (n - servers) * term;
    if (term > 1e250) {
      term /= 1e250;
      total /= 1e250;
      waiting /= 1e250;
      queued /= 1e250;
    }
    // Past the peak each term is at most r = λ/d(n+1) < 1 times the one before, and r keeps
    // falling, so the rest of the sum is below term·r/(1 − r): stop when that no longer counts.
    const ratio = lambda / (Math.min(n + 1, servers) * mu + Math.max(n + 1 - servers, 0) * theta);
    if (n >= servers && ratio < 1 && (term * ratio) / (1 - ratio) < total * 1e-16) break;
    if (n > servers + 1e7) throw new RangeError('Erlang A did not converge: the patience is too long for this load.');
  }
  const meanQueueLength = queued / total;
  return {
    offeredLoad: lambda / mu,
    probabilityOfWaiting: waiting / total,
    abandonmentProbability: (theta * meanQueueLength) / lambda,
    meanQueueLength,
  };
}

// ---- How precise a simulation can be ----------------------------------------------------------

/** The number in the system of M/M/c (or M/M/c+M): its stationary distribution, truncated where it no longer counts. */
interface Chain {
  readonly lambda: number;
  /** π(0), π(1), …, normalised. */
  readonly probabilities: readonly number[];
}

function chainOf(model: QueueModel & { meanPatienceSeconds?: number }): Chain {
  const { servers, arrivalRatePerSecond: lambda, meanHandleSeconds } = model;
  const mu = 1 / meanHandleSeconds;
  const theta = model.meanPatienceSeconds === undefined ? 0 : 1 / model.meanPatienceSeconds;
  const death = (n: number) => Math.min(n, servers) * mu + Math.max(n - servers, 0) * theta;
  if (theta === 0 && lambda * meanHandleSeconds >= servers) throw new RangeError('M/M/c needs an offered load below the number of servers.');
  // Unnormalised, in logarithms: π(n) peaks near n ≈ A, where e^A overflows for large centres.
  const logs = [0];
  let peak = 0;
  for (let n = 1; ; n++) {
    const log = logs[n - 1]! + Math.log(lambda / death(n));
    logs.push(log);
    if (log > peak) peak = log;
    if (n > servers && lambda < death(n) && log < peak - 45) break;
    if (n > servers + 1e7) throw new RangeError('The chain did not converge.');
  }
  const unnormalised = logs.map((log) => Math.exp(log - peak));
  const total = unnormalised.reduce((sum, value) => sum + value, 0);
  return { lambda, probabilities: unnormalised.map((value) => value / total) };
}

/**
 * The asymptotic variance σ² of the time average of f(N) over a run of length t, in the sense
 * t·Var → σ² (so the standard error is σ/√t), for the birth–death chain of the model. For a
 * birth–death process with birth rate λ and stationary π (Whitt, "Asymptotic formulas for Markov
 * processes with applications to simulation", Operations Research 40(2), 1992):
 *   σ² = 2 Σ_j (Σ_{i≤j} (f(i) − m)·π(i))² / (λ·π(j)),  m = Σ f(i)·π(i).
 */
export function timeAverageVariance(model: QueueModel & { meanPatienceSeconds?: number }, f: (n: number) => number): { mean: number; asymptoticVariance: number } {
  const { lambda, probabilities } = chainOf(model);
  const mean = probabilities.reduce((sum, probability, n) => sum + f(n) * probability, 0);
  // The inner sums go to 0 at the far end; there, summing the tail backwards avoids taking a tiny
  // difference of large numbers (which the division by a tiny π(j) would then blow up).
  const tail: number[] = new Array<number>(probabilities.length).fill(0);
  for (let j = probabilities.length - 2; j >= 0; j--) tail[j] = tail[j + 1]! - (f(j + 1) - mean) * probabilities[j + 1]!;
  let head = 0;
  let mass = 0;
  let variance = 0;
  for (let j = 0; j < probabilities.length - 1; j++) {
    head += (f(j) - mean) * probabilities[j]!;
    mass += probabilities[j]!;
    // A state too unlikely to be represented adds about m²·π(j): nothing.
    if (probabilities[j]! < 1e-280) continue;
    const inner = mass < 0.5 ? head : tail[j]!;
    variance += (inner * inner) / (lambda * probabilities[j]!);
  }
  return { mean, asymptoticVariance: 2 * variance };
}

export interface SimulationStandardErrors {
  /** Of the service level (answered within the threshold over answered); null with patience. */
  serviceLevel: number | null;
  /** Of the average speed of answer, in seconds; null with patience. */
  averageSpeedOfAnswerSeconds: number | null;
  /** Of the abandonment rate; null without patience. */
  abandonmentRate: number | null;
}

/**
 * The standard errors that a steady-state simulation of `measuredSeconds` can reach for the model:
 * what a simulator's estimates scatter by from run to run, from theory rather than from the run.
 *
 * - ASA: by Little's law the sum of waits is the area under the queue length Q, so the estimate is
 *   (time average of Q)/λ̂; its standard error is taken as σ_Q/(λ·√t). This leaves out the
 *   positive covariance between Q and the number of arrivals, which makes the ratio steadier:
 *   the value errs on the large side.
 * - Service level: an arrival finding n in the system is answered within τ with probability
 *   h(n) = 1 for n < c, else P(Poisson(cμτ) ≥ n − c + 1) (it waits for n − c + 1 departures at
 *   rate cμ); by PASTA the estimate is the average of h over arrivals plus the coin flip of each
 *   arrival around h: σ_h²/t + SL(1 − SL)/(λt).
 * - Abandonment: an abandonment happens at rate θ·Q, so the rate is (time average of θQ)/λ plus
 *   the coin flip of each arrival: σ_{θQ/λ}²/t + p(1 − p)/(λt).
 */
export function simulationStandardErrors(model: QueueModel & { meanPatienceSeconds?: number }, thresholdSeconds: number, measuredSeconds: number): SimulationStandardErrors {
  const { servers, arrivalRatePerSecond: lambda, meanHandleSeconds } = model;
  const arrivals = lambda * measuredSeconds;
  const queued = (n: number) => Math.max(n - servers, 0);
  if (model.meanPatienceSeconds !== undefined) {
    const theta = 1 / model.meanPatienceSeconds;
    const abandoning = timeAverageVariance(model, (n) => (theta * queued(n)) / lambda);
    const p = abandoning.mean;
    return { serviceLevel: null, averageSpeedOfAnswerSeconds: null, abandonmentRate: Math.sqrt(abandoning.asymptoticVariance / measuredSeconds + (p * (1 - p)) / arrivals) };
  }
  const queue = timeAverageVariance(model, queued);
  const drainAtThreshold = (servers / meanHandleSeconds) * thresholdSeconds;
  const answeredInTime = timeAverageVariance(model, (n) => (n < servers ? 1 : 1 - poissonCdf(n - servers, drainAtThreshold)));
  const serviceLevel = answeredInTime.mean;
  return {
    serviceLevel: Math.sqrt(answeredInTime.asymptoticVariance / measuredSeconds + (serviceLevel * (1 - serviceLevel)) / arrivals),
    averageSpeedOfAnswerSeconds: Math.sqrt(queue.asymptoticVariance / measuredSeconds) / lambda,
    abandonmentRate: null,
  };
}

/** P(Poisson(mean) ≤ k), with the terms carried in logarithms so that a large mean does not underflow e^(−mean). */
function poissonCdf(k: number, mean: number): number {
  let log = -mean;
  let total = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) log += Math.log(mean / i);
    total += Math.exp(log);
  }
  return Math.min(1, total);
}
