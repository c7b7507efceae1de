// The queueing formulas the simulator is checked against (src/sim/erlang.ts): Erlang B and C
// against values worked out by hand below and against the textbook sum-of-factorials form, their
// stability where that form overflows, Erlang A against the cases where it has a closed form, and
// the asymptotic variances that set the simulation tests' tolerances against known results.

import { describe, expect, test } from 'vitest';
import { agentsNeeded, erlangA, erlangB, erlangC, erlangCMetrics, occupiedSeconds, simulationStandardErrors, timeAverageVariance } from '../../src/sim/erlang.js';

/**
 * The textbook form, written independently of the implementation:
 * C(c, A) = (A^c/c! · c/(c−A)) / (Σ_{k<c} A^k/k! + A^c/c! · c/(c−A)). It overflows past c ≈ 170.
 */
function textbookErlangC(servers: number, offeredLoad: number): number {
  let term = 1;
  let sum = 0;
  for (let k = 0; k < servers; k++) {
    sum += term;
    term = (term * offeredLoad) / (k + 1);
  }
  const waiting = (term * servers) / (servers - offeredLoad);
  return waiting / (sum + waiting);
}

describe('Erlang B', () => {
  test('values worked out by hand', () => {
    // One server: B = A/(1 + A), so 1 erlang is blocked half the time.
    expect(erlangB(1, 1)).toBeCloseTo(0.5, 15);
    // Two servers, 1 erlang: (1²/2!) / (1 + 1 + 1²/2!) = 0.5 / 2.5 = 0.2.
    expect(erlangB(2, 1)).toBeCloseTo(0.2, 15);
    // No servers: everything is blocked.
    expect(erlangB(0, 3)).toBe(1);
  });

  test('refuses what is not a number of servers or a load', () => {
    expect(() => erlangB(2.5, 1)).toThrow(RangeError);
    expect(() => erlangB(2, -1)).toThrow(RangeError);
    expect(() => erlangB(2, Number.NaN)).toThrow(RangeError);
  });
});

describe('Erlang C', () => {
  test('values worked out by hand', () => {
    // M/M/1: an arrival waits exactly when the server is busy, C = ρ.
    expect(erlangC(1, 0.8)).toBeCloseTo(0.8, 15);
    // c = 2, A = 1: (1/2 · 2/1) / (1 + 1 + 1) = 1/3.
    expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 15);
    // c = 3, A = 2: (8/6 · 3/1) / (1 + 2 + 2 + 4) = 4/9.
    expect(erlangC(3, 2)).toBeCloseTo(4 / 9, 15);
    // The classic call-centre exercise: a call a minute, 3 minutes each, 5 agents (A = 3):
    // Σ_{k<5} 3^k/k! = 1 + 3 + 4.5 + 4.5 + 3.375 = 16.375 = 262/16, and
    // 3^5/5! · 5/2 = 2.025 · 2.5 = 5.0625 = 81/16, so C = 81/343 ≈ 0.23615.
    expect(erlangC(5, 3)).toBeCloseTo(81 / 343, 15);
  });

  test('service level and average speed of answer, worked out by hand', () => {
    // c = 2, A = 1 with 1/μ = 60 s and λ = 1/60 per second: C = 1/3, cμ − λ = 2/60 − 1/60 = 1/60 per second.
    // ASA = C/(cμ − λ) = (1/3)·60 = 20 s; SL(20 s) = 1 − (1/3)·e^(−20/60) = 1 − 0.238844 = 0.761156.
    const twoAgents = erlangCMetrics({ servers: 2, arrivalRatePerSecond: 1 / 60, meanHandleSeconds: 60 }, 20)!;
    expect(twoAgents.offeredLoad).toBeCloseTo(1, 12);
    expect(twoAgents.occupancy).toBeCloseTo(0.5, 12);
    expect(twoAgents.probabilityOfWaiting).toBeCloseTo(1 / 3, 12);
    expect(twoAgents.averageSpeedOfAnswerSeconds).toBeCloseTo(20, 10);
    expect(twoAgents.serviceLevel).toBeCloseTo(0.761156, 6);
    // M/M/1 with λ = 0.08/s and 1/μ = 10 s: the queueing delay Wq = ρ/(μ − λ) = 0.8/0.02 = 40 s,
    // and P(wait ≤ t) = 1 − ρ·e^(−(μ−λ)t): for t = 20 s, 1 − 0.8·e^(−0.4) = 0.463744.
    const oneAgent = erlangCMetrics({ servers: 1, arrivalRatePerSecond: 0.08, meanHandleSeconds: 10 }, 20)!;
    expect(oneAgent.averageSpeedOfAnswerSeconds).toBeCloseTo(40, 10);
    expect(oneAgent.serviceLevel).toBeCloseTo(0.463744, 6);
    // The exercise above in seconds (λ = 1/60, 1/μ = 180 s, 5 agents): ASA = (81/343)/(5/180 − 1/60) = 21.2536 s.
    const exercise = erlangCMetrics({ servers: 5, arrivalRatePerSecond: 1 / 60, meanHandleSeconds: 180 }, 0)!;
    expect(exercise.averageSpeedOfAnswerSeconds).toBeCloseTo((81 / 343) / (5 / 180 - 1 / 60), 10);
    // With a threshold of 0 the service level is the share that does not wait at all.
    expect(exercise.serviceLevel).toBeCloseTo(1 - 81 / 343, 12);
  });

  test('agrees with the textbook form wherever that form can be computed', () => {
    for (const servers of [1, 2, 5, 10, 25, 50, 100, 150]) {
      for (const occupancy of [0.1, 0.5, 0.8, 0.9, 0.95, 0.99]) {
        const offeredLoad = servers * occupancy;
        expect(erlangC(servers, offeredLoad)).toBeCloseTo(textbookErlangC(servers, offeredLoad), 12);
      }
    }
  });

  test('stays exact for a thousand agents, where the textbook form overflows', () => {
    expect(Number.isNaN(textbookErlangC(2000, 1950))).toBe(true);
    const waiting = erlangC(2000, 1950);
    expect(waiting).toBeGreaterThan(0);
    expect(waiting).toBeLessThan(1);
    // More agents for the same load: less waiting, all the way up.
    let previous = 1;
    for (const servers of [1951, 1960, 1980, 2000, 2050, 2100]) {
      const next = erlangC(servers, 1950);
      expect(next).toBeLessThan(previous);
      previous = next;
    }
  });

  test('a load at or above the number of agents has no steady state', () => {
    expect(() => erlangC(10, 10)).toThrow(/grow without bound/);
    expect(erlangCMetrics({ servers: 10, arrivalRatePerSecond: 1, meanHandleSeconds: 12 }, 20)).toBeNull();
  });
});

describe('Erlang A (M/M/c+M)', () => {
  test('when patience equals the handle time, the number in the system is Poisson(A)', () => {
    // With θ = μ every customer, served or waiting, leaves at rate μ: the chain is M/M/∞, so
    // N ~ Poisson(A). For c = 1 and A = 1: P(wait) = P(N ≥ 1) = 1 − e^(−1) = 0.632121, and
    // P(abandon) = θ·E[(N − 1)+]/λ = E[N] − 1 + P(N = 0) = e^(−1) = 0.367879.
    const result = erlangA({ servers: 1, arrivalRatePerSecond: 1, meanHandleSeconds: 1, meanPatienceSeconds: 1 });
    expect(result.probabilityOfWaiting).toBeCloseTo(1 - Math.exp(-1), 12);
    expect(result.abandonmentProbability).toBeCloseTo(Math.exp(-1), 12);
    // c = 2, A = 3: E[(N − 2)+] = E[N] − 2 + 2·P(0) + P(1) = 1 + 2e^(−3) + 3e^(−3) = 1 + 5e^(−3), over A = 3.
    const two = erlangA({ servers: 2, arrivalRatePerSecond: 0.15, meanHandleSeconds: 20, meanPatienceSeconds: 20 });
    expect(two.abandonmentProbability).toBeCloseTo((1 + 5 * Math.exp(-3)) / 3, 12);
    expect(two.probabilityOfWaiting).toBeCloseTo(1 - Math.exp(-3) * (1 + 3), 12);
  });

  test('with endless patience it is Erlang C', () => {
    const result = erlangA({ servers: 10, arrivalRatePerSecond: 0.5, meanHandleSeconds: 16, meanPatienceSeconds: 1e7 });
    expect(result.probabilityOfWaiting).toBeCloseTo(erlangC(10, 8), 5);
    expect(result.abandonmentProbability).toBeLessThan(1e-5);
  });

  test('an overloaded centre loses what it cannot serve', () => {
    // 2100 erlangs on 2000 agents: the fluid limit abandons the excess, (A − c)/A = 100/2100.
    const result = erlangA({ servers: 2000, arrivalRatePerSecond: 105, meanHandleSeconds: 20, meanPatienceSeconds: 60 });
    expect(result.abandonmentProbability).toBeCloseTo(100 / 2100, 3);
    expect(result.probabilityOfWaiting).toBeGreaterThan(0.99);
  });
});

describe('how precise a simulation of a given length can be', () => {
  test('the asymptotic variance of the number in an M/M/1 system is 2ρ(1 + ρ)/(μ(1 − ρ)⁴)', () => {
    // Whitt (1992), also in Asmussen & Glynn, "Stochastic Simulation", IV.6: for ρ = 0.8 and
    // μ = 1 per second, 2·0.8·1.8 / 0.2⁴ = 2.88 / 0.0016 = 1800 s; the mean is ρ/(1 − ρ) = 4.
    const result = timeAverageVariance({ servers: 1, arrivalRatePerSecond: 0.8, meanHandleSeconds: 1 }, (n) => n);
    expect(result.mean).toBeCloseTo(4, 10);
    expect(result.asymptoticVariance).toBeCloseTo(1800, 6);
    // At ρ = 0.5 it is 2·0.5·1.5/0.5⁴ = 24.
    expect(timeAverageVariance({ servers: 1, arrivalRatePerSecond: 0.5, meanHandleSeconds: 1 }, (n) => n).asymptoticVariance).toBeCloseTo(24, 8);
  });

  test('with patience equal to the handle time it is M/M/∞: σ² = 2A/μ', () => {
    // N is a stationary Poisson(A) process with Cov(N(0), N(s)) = A·e^(−μs), whose integral
    // doubled is 2A/μ: with A = 2 and μ = 0.5 per second, 8 s.
    const result = timeAverageVariance({ servers: 1, arrivalRatePerSecond: 1, meanHandleSeconds: 2, meanPatienceSeconds: 2 }, (n) => n);
    expect(result.mean).toBeCloseTo(2, 10);
    expect(result.asymptoticVariance).toBeCloseTo(8, 8);
  });

  test('standard errors shrink as one over the square root of the run length', () => {
    const model = { servers: 10, arrivalRatePerSecond: 0.5, meanHandleSeconds: 16 };
    const short = simulationStandardErrors(model, 20, 10_000);
    const long = simulationStandardErrors(model, 20, 40_000);
    expect(long.serviceLevel! / short.serviceLevel!).toBeCloseTo(0.5, 10);
    expect(long.averageSpeedOfAnswerSeconds! / short.averageSpeedOfAnswerSeconds!).toBeCloseTo(0.5, 10);
    expect(short.abandonmentRate).toBeNull();
    // For this model (10 agents at 8 erlangs) a 38,000 s run pins the ASA of 3.27 s to a standard error of about 0.46 s.
    expect(simulationStandardErrors(model, 20, 38_000).averageSpeedOfAnswerSeconds).toBeCloseTo(0.462, 3);
  });

  test('with patience, the abandonment rate; and large centres stay finite', () => {
    const withPatience = simulationStandardErrors({ servers: 3, arrivalRatePerSecond: 0.15, meanHandleSeconds: 20, meanPatienceSeconds: 40 }, 20, 60_000);
    expect(withPatience.serviceLevel).toBeNull();
    expect(withPatience.abandonmentRate).toBeGreaterThan(0.005);
    expect(withPatience.abandonmentRate).toBeLessThan(0.02);
    const large = simulationStandardErrors({ servers: 2000, arrivalRatePerSecond: 95, meanHandleSeconds: 20 }, 20, 60_000);
    expect(Number.isFinite(large.averageSpeedOfAnswerSeconds)).toBe(true);
    expect(Number.isFinite(large.serviceLevel)).toBe(true);
  });
});

describe('9.4.3 wrap-up in Erlang C: agents needed', () => {
  test('an agent is occupied for handle plus wrap-up', () => {
    expect(occupiedSeconds(12, 4)).toBe(16);
    expect(() => occupiedSeconds(0, 4)).toThrow(RangeError);
    expect(() => occupiedSeconds(12, -1)).toThrow(RangeError);
  });

  test('the fewest agents that reach the target, and one fewer does not', () => {
    const traffic = { arrivalRatePerSecond: 0.5, meanHandleSeconds: 12, wrapUpSeconds: 4 };
    const staffing = agentsNeeded(traffic, 0.8, 20);
    const level = (servers: number, meanHandleSeconds: number) => erlangCMetrics({ servers, arrivalRatePerSecond: 0.5, meanHandleSeconds }, 20)?.serviceLevel ?? 0;
    expect(level(staffing.agentsNeeded!, 16)).toBeGreaterThanOrEqual(0.8);
    expect(level(staffing.agentsNeeded! - 1, 16)).toBeLessThan(0.8);
    expect(level(staffing.agentsNeededWithoutWrapUp!, 12)).toBeGreaterThanOrEqual(0.8);
    expect(level(staffing.agentsNeededWithoutWrapUp! - 1, 12)).toBeLessThan(0.8);
    // 8 erlangs with the wrap-up against 6 without: the wrap-up costs agents.
    expect(staffing).toMatchObject({ agentsNeeded: 9, agentsNeededWithoutWrapUp: 7 });
    expect(staffing.atAgentsNeeded?.offeredLoad).toBeCloseTo(8, 12);
  });

  test('without wrap-up both answers agree; a target out of range is refused', () => {
    const staffing = agentsNeeded({ arrivalRatePerSecond: 2, meanHandleSeconds: 180, wrapUpSeconds: 0 }, 0.8, 20);
    expect(staffing.agentsNeeded).toBe(staffing.agentsNeededWithoutWrapUp);
    expect(staffing.agentsNeeded!).toBeGreaterThan(360);
    expect(() => agentsNeeded({ arrivalRatePerSecond: 2, meanHandleSeconds: 180, wrapUpSeconds: 0 }, 1, 20)).toThrow(RangeError);
  });
});
