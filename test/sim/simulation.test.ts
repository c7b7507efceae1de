// The simulator (src/sim/): the real core and built-in router on virtual time, checked against
// queueing theory (Erlang C for M/M/c, Erlang A for abandonment) and, through the reporting stream
// the router itself reads, against the rules it must keep: reject cooldowns, the delivering
// timeout with notReadyOnNoAnswer, abandonment, skills, a user's strategy module, determinism.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import type { OutgoingMessage } from '../../src/core/types.js';

/** Events read loosely: a test looks at attributes of several kinds of event at once. */
type ReportingEvent = OutgoingMessage & { seq: number; eventTime: string };
import { simulateCommand } from '../../src/sim/cli.js';
import { erlangA, erlangCMetrics, simulationStandardErrors } from '../../src/sim/erlang.js';
import { simulate, type SimulationOptions, type SimulationSummary } from '../../src/sim/simulation.js';

const second = 1000;

interface Reported {
  at: number;
  event: ReportingEvent;
}

/** Runs the simulator and keeps every reporting event with its virtual time. */
async function simulateWithReports(options: SimulationOptions): Promise<{ summary: SimulationSummary; reported: Reported[] }> {
  const reported: Reported[] = [];
  const summary = await simulate({ ...options, onReport: (event, at) => reported.push({ at, event }) });
  return { summary, reported };
}

function named(reported: readonly Reported[], message: string): Reported[] {
  return reported.filter((entry) => entry.event.message === message);
}

/** Every measured interaction ended, and the core accepted every request the router and the clients made. */
function expectCleanRun(summary: SimulationSummary): void {
  expect(summary.unresolved).toBe(0);
  expect(summary.answered + summary.abandoned).toBe(summary.offered);
  expect(summary.refused.clientRequests, 'requests of the simulated media server and agents the core refused').toBe(0);
  // The router learns everything from the core synchronously here, so it should never ask for
  // what the core must refuse (AgentNotAvailable).
  expect(summary.refused.routeCalls, 'route calls of the built-in router the core refused').toBe(0);
  const invites = summary.invites;
  expect(invites.accepted + invites.rejected + invites.timedOut + invites.stopped).toBe(invites.sent);
}

/** A binomial share: within four standard errors of p, with n trials. */
function expectShare(successes: number, trials: number, p: number): void {
  expect(trials).toBeGreaterThan(100);
  expect(Math.abs(successes / trials - p)).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / trials));
}

describe('against Erlang C (one skill, FIFO, exponential handle times, every invite accepted at once, no abandonment)', () => {
  // How close must the simulation come? As close as its length allows, and no closer. The
  // standard error (SE) of each estimate comes from theory for the run length t (the measured
  // window): the asymptotic variance of a time average in the M/M/c birth–death chain
  // (simulationStandardErrors in src/sim/erlang.ts; erlang.test.ts checks the formula against
  // closed forms). The tolerance is 4 SE, plus a small bias allowance (0.5 points of service
  // level, 2% of ASA): the run starts empty, but the warm-up (5% of the run, at least 2,000 s)
  // lasts many relaxation times 1/(μ(√c − √A)²) (143 s for 10 agents at 8 erlangs, 343 s for 20
  // at 18, 359 s for 5 at 4; Whitt's heavy-traffic estimate), and the ratio estimators
  // (within/answered, waits/answered) are biased by O(1/n) with n ≥ 19,000.
  //
  // Why not batch means from the run itself? They were tried first: the average wait is
  // dominated by rare congestion episodes, and a run that happens to miss them has small
  // batch-to-batch spread and a low mean together, so its estimated SE is too small just when
  // its error is large (|error|/SE reached 5 to 9 over 56 seeds of the 20-agent case). The
  // theoretical SE does not depend on the run's luck. Calibration, over 24 to 56 seeds per case:
  // the simulated service levels and ASAs scatter by 0.9 to 1.2 times these SEs, their means
  // match Erlang C within 2 SE of the mean (no bias), and no seed came past 0.6 of the tolerance.
  //
  // The test must also be able to fail: the last checks show that Erlang C for one agent fewer
  // lies outside the tolerance, so a router that lost an agent's worth of work would be caught.
  const cases = [
    { agents: 10, arrivalRatePerSecond: 0.5, handleTimeSeconds: 16, durationSeconds: 40_000, capacity: 1 },
    { agents: 20, arrivalRatePerSecond: 1.0, handleTimeSeconds: 18, durationSeconds: 60_000, capacity: 1 },
    { agents: 5, arrivalRatePerSecond: 0.2, handleTimeSeconds: 20, durationSeconds: 100_000, capacity: 1 },
    // Chat with capacity 2: each of the 10 slots is a server, so it is M/M/10.
    { agents: 5, arrivalRatePerSecond: 0.4, handleTimeSeconds: 20, durationSeconds: 50_000, capacity: 2 },
  ];

  test.each(cases)('$agents agents × $capacity, λ = $arrivalRatePerSecond/s, 1/μ = $handleTimeSeconds s', async ({ capacity, ...traffic }) => {
    const summary = await simulate({
      ...traffic,
      seed: 1,
      ...(capacity > 1 ? { config: { queues: { sim: {} }, mediaTypes: { chat: { capacity } } } } : {}),
    });
    expectCleanRun(summary);
    expect(summary.abandoned).toBe(0);
    const servers = traffic.agents * capacity;
    const model = { servers, arrivalRatePerSecond: traffic.arrivalRatePerSecond, meanHandleSeconds: traffic.handleTimeSeconds };
    const theory = erlangCMetrics(model, 20)!;
    expect(summary.erlangC).toEqual(theory);

    const measuredSeconds = summary.parameters.durationSeconds - summary.parameters.warmupSeconds;
    const errors = simulationStandardErrors(model, 20, measuredSeconds);
    const serviceLevelTolerance = 4 * errors.serviceLevel! + 0.005;
    const speedTolerance = 4 * errors.averageSpeedOfAnswerSeconds! + 0.02 * theory.averageSpeedOfAnswerSeconds;
    expect(Math.abs(summary.serviceLevel! - theory.serviceLevel)).toBeLessThanOrEqual(serviceLevelTolerance);
    expect(Math.abs(summary.averageSpeedOfAnswerSeconds! - theory.averageSpeedOfAnswerSeconds)).toBeLessThanOrEqual(speedTolerance);

    // Occupancy is the handle time worked over the time staffed. The busy time is the sum of
    // about N exponential handle times with N Poisson: relative standard deviation √(2/N).
    const occupancyTolerance = 4 * theory.occupancy * Math.sqrt(2 / summary.offered);
    expect(Math.abs(summary.occupancy.mean - theory.occupancy)).toBeLessThanOrEqual(occupancyTolerance);
    expect(summary.occupancy.min).toBeGreaterThan(0);
    expect(summary.occupancy.max).toBeLessThanOrEqual(1);

    // One agent fewer: a longer wait, or none at all in the steady state (the queue would grow forever).
    const oneAgentFewer = erlangCMetrics({ ...model, servers: servers - capacity }, 20);
    expect(Math.abs(summary.averageSpeedOfAnswerSeconds! - (oneAgentFewer?.averageSpeedOfAnswerSeconds ?? Infinity))).toBeGreaterThan(speedTolerance);
    expect(Math.abs(summary.serviceLevel! - (oneAgentFewer?.serviceLevel ?? 0))).toBeGreaterThan(serviceLevelTolerance);
  });
});

describe('determinism', () => {
  const options: SimulationOptions = { agents: 4, arrivalRatePerSecond: 0.15, handleTimeSeconds: 20, durationSeconds: 5_000, rejectProbability: 0.2, missProbability: 0.1, patienceSeconds: 60 };

  test('a seed gives the same run, event for event', async () => {
    const first = await simulateWithReports({ ...options, seed: 42 });
    const second = await simulateWithReports({ ...options, seed: 42 });
    expect(second.summary).toEqual(first.summary);
    expect(second.reported).toEqual(first.reported);
    expect(first.reported.length).toBeGreaterThan(1000);
  });

  test('another seed gives another run', async () => {
    const first = await simulate({ ...options, seed: 42 });
    const other = await simulate({ ...options, seed: 'forty-three' });
    expect(other.batches).not.toEqual(first.batches);
    expect(other.parameters.seed).toBe('forty-three');
  });
});

describe('agents who reject', () => {
  test('a rejected interaction is not offered to the same agent again within rejectCooldown', async () => {
    const cooldownSeconds = 30;
    const { summary, reported } = await simulateWithReports({
      config: { queues: { sim: {} }, timeouts: { rejectCooldown: cooldownSeconds } },
      agents: 2, arrivalRatePerSecond: 0.01, handleTimeSeconds: 60, durationSeconds: 40_000, rejectProbability: 0.5, seed: 3, checkInvariants: true,
    });
    expectCleanRun(summary);
    expect(summary.abandoned).toBe(0);
    expect(summary.invites.timedOut).toBe(0);
    expectShare(summary.invites.rejected, summary.invites.sent, 0.5);
    expect(named(reported, 'EventRejected')).toHaveLength(summary.invites.rejected);

    const lastReject = new Map<string, number>();
    let reofferedAfterCooldown = 0;
    let reofferedAtCooldownEnd = 0;
    for (const { at, event } of reported) {
      const key = `${event.interactionId as string} ${event.agentId as string}`;
      if (event.message === 'EventRejected') lastReject.set(key, at);
      if (event.message !== 'EventAgentInvited' || !lastReject.has(key)) continue;
      const since = at - lastReject.get(key)!;
      expect(since, `invite of ${key}`).toBeGreaterThanOrEqual(cooldownSeconds * second);
      reofferedAfterCooldown++;
      if (since === cooldownSeconds * second) reofferedAtCooldownEnd++;
    }
    // The cooldown ends: both agents rejected some interactions, which then went back to the first
    // the moment its cooldown was over (the router's cooldown deadline), not later.
    expect(reofferedAfterCooldown).toBeGreaterThan(10);
    expect(reofferedAtCooldownEnd).toBeGreaterThan(5);
    expect(summary.parameters.rejectCooldownSeconds).toBe(cooldownSeconds);
  });
});

describe('agents who do not answer', () => {
  // The core revokes an unanswered invite after deliveringTimeout and, with
  // delivery.notReadyOnNoAnswer (the default), sets the agent not ready (reason NoAnswer). The
  // simulated agent notices the revoke and makes itself ready again after --ready-delay.
  const traffic = { agents: 4, arrivalRatePerSecond: 0.1, handleTimeSeconds: 30, durationSeconds: 20_000, warmupSeconds: 0, missProbability: 0.25, readyDelaySeconds: 45, seed: 5 };

  test('the delivering timeout revokes the invite, sets the agent not ready, and the agent returns after the ready delay', async () => {
    const { summary, reported } = await simulateWithReports({ ...traffic, config: { queues: { sim: {} }, timeouts: { deliveringTimeout: 10 } } });
    expectShare(summary.invites.timedOut, summary.invites.sent, 0.25);
    expect(summary.parameters).toMatchObject({ deliveringTimeoutSeconds: 10, notReadyOnNoAnswer: true, readyDelaySeconds: 45 });

    const setNotReady = new Set(named(reported, 'EventNotReadyForMedia').map(({ at, event }) => `${at} ${event.agentId as string}`));
    const invitedAt = new Map<number, number>();
    const notReadySince = new Map<string, number>();
    let timeouts = 0;
    let returns = 0;
    for (const { at, event } of reported) {
      const agentId = event.agentId as string;
      switch (event.message) {
        case 'EventAgentInvited':
          expect(notReadySince.has(agentId), `${agentId} invited while not ready`).toBe(false);
          invitedAt.set(event.ticketId as number, at);
          break;
        case 'EventRevoked':
          if (event.reason !== 'DeliveringTimeout') break;
          timeouts++;
          expect(at - invitedAt.get(event.ticketId as number)!).toBe(10 * second);
          // The agent is set not ready at once, in the same step.
          expect(setNotReady.has(`${at} ${agentId}`), `${agentId} set not ready when its invite timed out`).toBe(true);
          break;
        case 'EventNotReadyForMedia':
          expect(event.reason).toBe('NoAnswer');
          notReadySince.set(agentId, at);
          break;
        case 'EventReadyForMedia':
          expect(at - notReadySince.get(agentId)!).toBe(45 * second);
          notReadySince.delete(agentId);
          returns++;
          break;
      }
    }
    expect(timeouts).toBe(summary.invites.timedOut);
    expect(timeouts).toBeGreaterThan(100);
    // Every agent set not ready came back, except one whose ready delay outlasted the run.
    expect(returns + notReadySince.size).toBe(named(reported, 'EventNotReadyForMedia').length);
    const lastAt = reported.at(-1)!.at;
    for (const since of notReadySince.values()) expect(since + 45 * second).toBeGreaterThan(lastAt);
    // Everything that arrived was answered in the end, some only after a timeout or two.
    expect(summary.maxWaitSeconds).toBeGreaterThanOrEqual(10);
    // And the router did not invite the agent the timeout had just set not ready.
    expectCleanRun(summary);
  });

  test('with notReadyOnNoAnswer off, an agent who missed an invite stays ready and is invited again', async () => {
    const { summary, reported } = await simulateWithReports({
      ...traffic,
      config: { queues: { sim: {} }, timeouts: { deliveringTimeout: 10 }, delivery: { notReadyOnNoAnswer: false } },
    });
    expectCleanRun(summary);
    expect(summary.invites.timedOut).toBeGreaterThan(100);
    expect(named(reported, 'EventNotReadyForMedia')).toHaveLength(0);
    // Some agents get their next invite sooner than the ready delay after a miss.
    const missedAt = new Map<string, number>();
    let invitedSoonAfterMiss = 0;
    for (const { at, event } of reported) {
      if (event.message === 'EventRevoked' && event.reason === 'DeliveringTimeout') missedAt.set(event.agentId as string, at);
      if (event.message === 'EventAgentInvited' && at - (missedAt.get(event.agentId as string) ?? -Infinity) < 45 * second) invitedSoonAfterMiss++;
    }
    expect(invitedSoonAfterMiss).toBeGreaterThan(10);
  });
});

describe('customers who give up', () => {
  test('abandonment is counted, stops the interaction, and matches Erlang A', async () => {
    // 3 agents at 3 erlangs (a queue that would grow forever without abandonment), patience 40 s.
    const traffic = { agents: 3, arrivalRatePerSecond: 0.15, handleTimeSeconds: 20, patienceSeconds: 40 };
    const { summary, reported } = await simulateWithReports({ ...traffic, durationSeconds: 60_000, warmupSeconds: 0, seed: 7 });
    expectCleanRun(summary);
    expect(summary.abandoned).toBeGreaterThan(500);
    expect(summary.abandonmentRate).toBeCloseTo(summary.abandoned / summary.offered, 12);

    // With no warm-up every arrival is measured: each abandonment is one stop by the media server.
    const abandonedStops = named(reported, 'EventProcessingStopped').filter(({ event }) => event.reason === 'Abandoned');
    expect(abandonedStops).toHaveLength(summary.abandoned);
    const acceptedIds = new Set(named(reported, 'EventPartyAdded').filter(({ event }) => (event.party as { type: string }).type === 'Agent').map(({ event }) => event.interactionId));
    expect(acceptedIds.size).toBe(summary.answered);
    for (const { event } of abandonedStops) expect(acceptedIds.has(event.interactionId)).toBe(false);
    // An invite out when the customer leaves is withdrawn from the agent.
    expect(summary.invites.stopped).toBe(named(reported, 'EventRevoked').filter(({ event }) => event.reason === 'Stopped').length);

    // M/M/c+M: 4 standard errors from the theory for this run length, as for Erlang C, plus half
    // a point for the start from empty (relaxation here is quick: abandonment empties the queue).
    const model = { servers: 3, arrivalRatePerSecond: 0.15, meanHandleSeconds: 20, meanPatienceSeconds: 40 };
    const theory = erlangA(model);
    expect(summary.erlangA).toEqual(theory);
    const tolerance = 4 * simulationStandardErrors(model, 20, 60_000).abandonmentRate! + 0.005;
    expect(Math.abs(summary.abandonmentRate! - theory.abandonmentProbability)).toBeLessThanOrEqual(tolerance);
    expect(tolerance).toBeLessThan(theory.abandonmentProbability / 3);
  });
});

describe('configs: skills and strategies', () => {
  const skillsConfig: ConfigInput = {
    queues: { support: { strategy: 'skills', skills: { english: 3 } } },
    agents: {
      alice: { skills: { english: 5 } },
      bob: { skills: { english: 2 } },
      carol: { skills: { french: 4 } },
      dave: { skills: { english: 3, french: 1 } },
    },
  };

  test('a skills queue routes only to agents with the skill at the level', async () => {
    const { summary, reported } = await simulateWithReports({
      config: skillsConfig, agents: 5, arrivalRatePerSecond: 0.05, handleTimeSeconds: 20, durationSeconds: 10_000, seed: 9, checkInvariants: true,
    });
    expectCleanRun(summary);
    expect(summary.parameters).toMatchObject({ queue: 'support', strategy: 'skills', agents: 5 });
    // The listed agents come first, then generated ones.
    expect(summary.agents.map((agent) => agent.agentId)).toEqual(['alice', 'bob', 'carol', 'dave', 'agent-1']);
    const accepted = Object.fromEntries(summary.agents.map((agent) => [agent.agentId, agent.accepted]));
    expect(accepted.alice).toBeGreaterThan(50);
    expect(accepted.dave).toBeGreaterThan(50);
    expect([accepted.bob, accepted.carol, accepted['agent-1']]).toEqual([0, 0, 0]);
    const invited = new Set(named(reported, 'EventAgentInvited').map(({ event }) => event.agentId));
    expect([...invited].sort()).toEqual(['alice', 'dave']);
    const occupancy = Object.fromEntries(summary.agents.map((agent) => [agent.agentId, agent.occupancy]));
    expect(occupancy.bob).toBe(0);
    expect(occupancy.alice).toBeGreaterThan(0);
  });

  test('with relaxAfter, a lower level takes work only after the interaction has been in the queue that long', async () => {
    const relaxAfterSeconds = 15;
    const config: ConfigInput = { ...skillsConfig, queues: { support: { strategy: 'skills', skills: { english: 3 }, relaxAfter: relaxAfterSeconds } } };
    // 2 qualified agents at 1.6 erlangs: waits beyond 15 s are common.
    const { summary, reported } = await simulateWithReports({
      config, agents: 5, arrivalRatePerSecond: 0.08, handleTimeSeconds: 20, durationSeconds: 20_000, seed: 10,
    });
    expectCleanRun(summary);
    const queuedSince = new Map<string, number>();
    let bobInvites = 0;
    for (const { at, event } of reported) {
      if (event.message === 'EventPlacedInQueue') queuedSince.set(event.interactionId as string, at);
      if (event.message !== 'EventAgentInvited') continue;
      expect(['alice', 'bob', 'dave']).toContain(event.agentId);
      if (event.agentId !== 'bob') continue;
      bobInvites++;
      expect(at - queuedSince.get(event.interactionId as string)!).toBeGreaterThanOrEqual(relaxAfterSeconds * second);
    }
    expect(bobInvites).toBeGreaterThan(10);
  });

  describe('a user strategy module named in a config file', () => {
    const directory = mkdtempSync(join(tmpdir(), 'openixn-sim-'));
    afterAll(() => rmSync(directory, { recursive: true, force: true }));

    test('is loaded relative to the config file and decides every invite', async () => {
      writeFileSync(join(directory, 'only-agent-2.js'), [
        '// Sends everything to agent-2, and lets work wait while agent-2 is busy.',
        "export function choose({ candidates }) { return candidates.some((c) => c.agentId === 'agent-2') ? 'agent-2' : null; }",
      ].join('\n'));
      writeFileSync(join(directory, 'openixn.yaml'), 'queues:\n  web-chat: { strategy: { module: ./only-agent-2.js } }\n');
      const { summary, reported } = await simulateWithReports({
        configPath: join(directory, 'openixn.yaml'), agents: 3, arrivalRatePerSecond: 0.01, handleTimeSeconds: 20, durationSeconds: 10_000, seed: 11,
      });
      expectCleanRun(summary);
      expect(summary.parameters).toMatchObject({ queue: 'web-chat', strategy: './only-agent-2.js' });
      expect(summary.agents.map((agent) => agent.accepted > 0)).toEqual([false, true, false]);
      expect(new Set(named(reported, 'EventAgentInvited').map(({ event }) => event.agentId))).toEqual(new Set(['agent-2']));
    });
  });
});

describe('handle-time distributions', () => {
  /** Handle times as the reporting stream shows them: from the agent's EventPartyAdded to its EventPartyRemoved. */
  function handleTimes(reported: readonly Reported[]): number[] {
    const started = new Map<string, number>();
    const times: number[] = [];
    for (const { at, event } of reported) {
      if ((event.party as { type?: string } | undefined)?.type !== 'Agent') continue;
      if (event.message === 'EventPartyAdded') started.set(event.interactionId as string, at);
      if (event.message === 'EventPartyRemoved') times.push((at - started.get(event.interactionId as string)!) / second);
    }
    return times;
  }

  test('constant: every interaction takes exactly the handle time', async () => {
    const { summary, reported } = await simulateWithReports({ agents: 3, arrivalRatePerSecond: 0.05, handleTimeSeconds: 25, handleDistribution: 'constant', durationSeconds: 5_000, seed: 12 });
    expectCleanRun(summary);
    const times = handleTimes(reported);
    expect(times.length).toBeGreaterThan(150);
    for (const time of times) expect(time).toBeCloseTo(25, 6);
  });

  test('lognormal: the mean and the coefficient of variation asked for', async () => {
    const { summary, reported } = await simulateWithReports({
      agents: 6, arrivalRatePerSecond: 0.1, handleTimeSeconds: 30, handleDistribution: 'lognormal', handleCoefficientOfVariation: 0.5, durationSeconds: 40_000, seed: 13,
    });
    expectCleanRun(summary);
    const times = handleTimes(reported);
    const average = times.reduce((sum, time) => sum + time, 0) / times.length;
    const deviation = Math.sqrt(times.reduce((sum, time) => sum + (time - average) ** 2, 0) / (times.length - 1));
    // The sample mean's standard error is σ/√n = 15/√n s; 4 of them.
    expect(Math.abs(average - 30)).toBeLessThanOrEqual(4 * 15 / Math.sqrt(times.length));
    expect(deviation / average).toBeGreaterThan(0.45);
    expect(deviation / average).toBeLessThan(0.55);
    expect(summary.parameters.handleCoefficientOfVariation).toBe(0.5);
  });
});

describe('openixn simulate (the command)', () => {
  function capture(): { output: { stdout: { write(text: string): boolean }; stderr: { write(text: string): boolean; isTTY: boolean } }; stdout: () => string; stderr: () => string } {
    let stdout = '';
    let stderr = '';
    return {
      output: { stdout: { write: (text) => ((stdout += text), true) }, stderr: { write: (text) => ((stderr += text), true), isTTY: false } },
      stdout: () => stdout,
      stderr: () => stderr,
    };
  }
  const flags = ['--agents', '3', '--arrival-rate', '0.1', '--handle-time', '20', '--duration', '4000', '--seed', '8'];

  test('--json prints one line with the summary', async () => {
    const io = capture();
    await simulateCommand([...flags, '--json', '--patience', '90', '--service-level-threshold', '30'], io.output);
    const lines = io.stdout().trim().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]!) as SimulationSummary & { wallSeconds: number };
    expect(summary.parameters).toMatchObject({ agents: 3, arrivalRatePerSecond: 0.1, handleTimeSeconds: 20, durationSeconds: 4000, warmupSeconds: 200, seed: 8, patienceSeconds: 90, serviceLevelThresholdSeconds: 30 });
    expect(summary.offered).toBeGreaterThan(300);
    expect(summary.answered + summary.abandoned + summary.unresolved).toBe(summary.offered);
    expect(summary.serviceLevel).toBeGreaterThan(0);
    expect(summary.wallSeconds).toBeGreaterThan(0);
    // No progress bar when stderr is not a terminal.
    expect(io.stderr()).toBe('');
  });

  test('prints a summary for a person, with the warm-up and Erlang C', async () => {
    const io = capture();
    await simulateCommand(flags, io.output);
    const text = io.stdout();
    expect(text).toMatch(/Statistics leave out the first 200 s \(warm-up, 5%\)/);
    expect(text).toMatch(/^service level\s+\d+\.\d%\s+answered within 20 s/m);
    expect(text).toMatch(/^average speed of answer\s+\d+\.\d+ s/m);
    expect(text).toMatch(/^occupancy\s+\d+\.\d%\s+mean per agent; min \d+\.\d%, max \d+\.\d%/m);
    expect(text).toMatch(/^Erlang C \(M\/M\/3, 2\.0 erlangs, occupancy 66\.7%\)/m);
  });

  test('refuses inconsistent or missing flags with a sentence', async () => {
    await expect(simulateCommand(['--agents', '3', '--handle-time', '20'], capture().output)).rejects.toThrow('--arrival-rate is required');
    await expect(simulateCommand([...flags, '--accept-probability', '0.5'], capture().output)).rejects.toThrow(/add up to 1/);
    await expect(simulateCommand([...flags, '--handle-distribution', 'normal'], capture().output)).rejects.toThrow(/exponential, constant, lognormal/);
    await expect(simulateCommand(['--arrival-rate', '1', '--handle-time', '20'], capture().output)).rejects.toThrow(/--agents/);
  });

  test('refuses a queue the config lacks, or one the built-in router does not serve', async () => {
    const traffic = { agents: 2, arrivalRatePerSecond: 0.1, handleTimeSeconds: 10, durationSeconds: 100 };
    const config: ConfigInput = { queues: { inbound: {}, backlog: { routing: 'none' }, partner: { routing: 'external' } } };
    await expect(simulate({ ...traffic, config, queue: 'nowhere' })).rejects.toThrow('There is no queue named "nowhere" in the config.');
    await expect(simulate({ ...traffic, config, queue: 'backlog' })).rejects.toThrow(/needs a builtin queue/);
    await expect(simulate({ ...traffic, config, queue: 'partner' })).rejects.toThrow(/needs a builtin queue/);
    await expect(simulate({ ...traffic, config: { ...config, router: { builtin: false } } })).rejects.toThrow(/built-in router off/);
    // Without --queue, the config's first builtin queue.
    expect((await simulate({ ...traffic, config })).parameters.queue).toBe('inbound');
  });
});

describe('9.4 the simulator honours wrap-up', () => {
  test('9.4.3 after each stop the agent is not ready (AfterCallWork) for the wrap-up, the router waits for it, and the summary staffs for it', async () => {
    const options: SimulationOptions = { agents: 3, arrivalRatePerSecond: 0.1, handleTimeSeconds: 10, durationSeconds: 4000, seed: 7 };
    const plain = await simulate(options);
    const { summary, reported } = await simulateWithReports({ ...options, wrapUpSeconds: 8 });
    expectCleanRun(summary);
    expect(summary.parameters.wrapUpSeconds).toBe(8);
    const notReady = named(reported, 'EventNotReadyForMedia');
    const stops = named(reported, 'EventProcessingStopped');
    expect(notReady.length).toBe(stops.length);
    expect(notReady.every((entry) => entry.event.reason === 'AfterCallWork')).toBe(true);
    // Ready again exactly the wrap-up later, and never invited meanwhile.
    const readyAt = new Map<string, number>();
    for (const entry of named(reported, 'EventReadyForMedia')) readyAt.set(`${String(entry.event.agentId)}@${entry.at - 8 * second}`, entry.at);
    for (const entry of notReady) expect(readyAt.has(`${String(entry.event.agentId)}@${entry.at}`), `agent ${String(entry.event.agentId)} ready 8 s after ${entry.at}`).toBe(true);
    const wrapUps = notReady.map((entry) => ({ agentId: entry.event.agentId, from: entry.at, to: entry.at + 8 * second }));
    for (const invite of named(reported, 'EventAgentInvited')) {
      expect(wrapUps.some((wrapUp) => wrapUp.agentId === invite.event.agentId && invite.at >= wrapUp.from && invite.at < wrapUp.to)).toBe(false);
    }
    expect(summary.averageSpeedOfAnswerSeconds!).toBeGreaterThan(plain.averageSpeedOfAnswerSeconds!);
    expect(summary.erlangC?.offeredLoad).toBeCloseTo(0.1 * 18, 12);
    expect(summary.staffing.agentsNeeded!).toBeGreaterThanOrEqual(summary.staffing.agentsNeededWithoutWrapUp!);
  });
});
