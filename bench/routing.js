// Routing benchmark: how long the built-in router takes to decide, in process and on virtual time.
//
// A real core (dist/core) and the built-in router (dist/router) are wired as src/server.ts wires
// them: the core's messages to the router's RoutingEngine connection go to router.onMessage,
// reporting events to router.onReport, and router.takeRequests() goes back to the core from the
// router's connection. No sockets, no store, no timers: only the two state machines, so the figures
// are the router's own cost (the core's is reported beside it, not in it).
//
// Per strategy, in its own child process (so one run's garbage does not land in the other's
// figures):
//   1. Set-up: `--agents` agents log in ready for chat (capacity 1), spread over `--queues` queues.
//   2. Arrival path: interactions arrive one by one while agents are available; each is timed
//      from the router receiving EventRouteRequest to its RequestRouteCall, and the agent accepts.
//      This goes on until every agent that can be busy is (the available pool shrinks from all
//      agents to none, so the samples cover every size of it).
//   3. Backlog: more interactions arrive, with no agent free, until `--waiting` wait in the router.
//   4. Agent-freed path: `--samples` times, a busy agent finishes (RequestStopProcessing of what it
//      handles); the router's handling of that delivery (EventPartyRemoved ... EventProcessingStopped)
//      is timed until its RequestRouteCall comes out; the agent accepts, and the next one finishes.
// It prints one JSON line on stdout with, per strategy and path, the samples, decisions per second
// of router time, and p50/p99/max (nearest rank) in ms; progress goes to stderr.
//
// Usage: node bench/routing.js [--agents 10000] [--waiting 100000] [--queues 50] [--samples 5000]
//                              [--strategy longestIdle|skills|skillsUniform] (default: all three)

import { spawn } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveSettings } from '../dist/config/config.js';
import { Core } from '../dist/core/core.js';
import { RouterLink, reportingClientId, routingClientId } from '../dist/router/link.js';
import { Router } from '../dist/router/router.js';
import { loadStrategies } from '../dist/router/strategies.js';

const benchFile = fileURLToPath(import.meta.url);
const mediaClientId = 'media';
const skillNames = ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9'];
const skillsPerAgent = 4;
const startTime = Date.UTC(2025, 0, 6, 9, 0, 0);

function log(line) {
  process.stderr.write(`[bench:routing] ${line}\n`);
}

function readOptions() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      agents: { type: 'string', default: '10000' },
      waiting: { type: 'string', default: '100000' },
      queues: { type: 'string', default: '50' },
      samples: { type: 'string', default: '5000' },
      strategy: { type: 'string', multiple: true },
      child: { type: 'boolean', default: false },
    },
  });
  return {
    agents: Number(values.agents),
    waiting: Number(values.waiting),
    queues: Number(values.queues),
    samples: Number(values.samples),
    strategies: values.strategy ?? ['longestIdle', 'skills', 'skillsUniform'],
    child: values.child,
  };
}

/** A small seeded generator, so every run builds the same agents. */
function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function queueName(index) {
  return `q${String(index).padStart(2, '0')}`;
}

/**
 * longestIdle: every queue plain longest idle; any agent takes any interaction.
 * skills: queue i needs skill s(i mod 10) at level 1 + (i mod 3); each agent has 4 of the 10
 *   skills at levels 1 to 5, so it may take the work of some queues and not of others.
 * skillsUniform: every queue needs s0 at level 1 and every agent has it (at levels 1 to 5): the
 *   skills strategy's cost when everyone qualifies.
 */
function buildConfig(strategy, options) {
  const queues = {};
  for (let index = 0; index < options.queues; index++) {
    if (strategy === 'longestIdle') queues[queueName(index)] = {};
    else if (strategy === 'skills') queues[queueName(index)] = { strategy: 'skills', skills: { [skillNames[index % 10]]: 1 + (index % 3) } };
    else queues[queueName(index)] = { strategy: 'skills', skills: { s0: 1 } };
  }
  const random = mulberry32(7);
  const agents = {};
  for (let number = 1; number <= options.agents; number++) {
    const skills = {};
    if (strategy === 'skills') {
      const pool = [...skillNames];
      for (let count = 0; count < skillsPerAgent; count++) {
        const [skill] = pool.splice(Math.floor(random() * pool.length), 1);
        skills[skill] = 1 + Math.floor(random() * 5);
      }
    } else if (strategy === 'skillsUniform') {
      skills.s0 = 1 + Math.floor(random() * 5);
    }
    agents[agentIdOf(number)] = { skills };
  }
  return {
    // Nothing times out during the run: the clock moves a millisecond per step and no timer is fired.
    timeouts: { deliveringTimeout: '1d', handlingTimeout: '1d' },
    mediaTypes: { chat: { capacity: 1 } },
    queues,
    agents,
  };
}

function agentIdOf(number) {
  return `agent-${number}`;
}

class Samples {
  constructor() {
    this.values = new Float64Array(1024);
    this.length = 0;
    this.totalMs = 0;
    this.decisions = 0;
  }

  push(ms, decided) {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = ms;
    this.totalMs += ms;
    if (decided) this.decisions++;
  }

  summary() {
    const sorted = this.values.slice(0, this.length).sort();
    const rank = (fraction) => round(sorted[Math.max(1, Math.ceil(fraction * sorted.length)) - 1] ?? Number.NaN);
    return {
      samples: this.length,
      decisions: this.decisions,
      decisionsPerSec: Math.round(this.decisions / (this.totalMs / 1000)),
      p50Ms: rank(0.5),
      p99Ms: rank(0.99),
      maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
    };
  }
}

function round(ms) {
  return Math.round(ms * 1000) / 1000;
}

function elapsedMs(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The core and the router, linked as in every driver (src/router/link.ts), driven by hand. */
class Bench {
  constructor(settings, strategies) {
    this.core = new Core(settings.core);
    this.router = new Router(settings.router, strategies);
    this.link = new RouterLink(this.router);
    this.now = startTime;
    this.nextReferenceId = 0;
    this.invites = new Map();
    this.lastAnswer = null;
    this.coreMs = 0;
    this.refusals = 0;
  }

  start() {
    this.link.connect(this.core, this.now);
    this.core.register({ clientId: mediaClientId, now: this.now }, 1, 'MediaServer', 'bench');
    this.settle();
  }

  request(clientId, body) {
    this.now++;
    const started = process.hrtime.bigint();
    this.core.request({ clientId, now: this.now }, { ...body, referenceId: ++this.nextReferenceId });
    this.coreMs += elapsedMs(started);
  }

  /**
   * Hands the core's output to the router and the router's requests to the core until nothing
   * moves; returns the router's time on the first delivery (ms) and the route calls it made then.
   */
  settle() {
    let firstRouterMs = null;
    let firstCalls = 0;
    for (;;) {
      let started = process.hrtime.bigint();
      const { out } = this.core.takeEffects();
      this.coreMs += elapsedMs(started);
      if (out.length === 0) break;
      started = process.hrtime.bigint();
      for (const outgoing of out) this.link.deliver(outgoing, this.now);
      const requests = this.router.takeRequests();
      const routerMs = elapsedMs(started);
      if (firstRouterMs === null) {
        firstRouterMs = routerMs;
        firstCalls = requests.filter((request) => request.message === 'RequestRouteCall').length;
      }
      for (const outgoing of out) this.receive(outgoing);
      started = process.hrtime.bigint();
      this.link.send(this.core, this.now, requests);
      this.coreMs += elapsedMs(started);
    }
    return { routerMs: firstRouterMs ?? 0, calls: firstCalls };
  }

  receive(outgoing) {
    const message = outgoing.message;
    if (outgoing.to === routingClientId) {
      if (message.message === 'EventError') this.refusals++;
      return;
    }
    if (outgoing.to === null || outgoing.to === reportingClientId) return;
    if (message.referenceId === this.nextReferenceId) this.lastAnswer = message;
    if (message.message === 'EventInvite') this.invites.set(outgoing.to, { ticketId: message.ticketId, interactionId: message.interaction.interactionId });
  }

  submit(queue) {
    this.request(mediaClientId, { message: 'RequestSubmit', queue, mediaType: 'chat' });
    const id = this.lastAnswer.interactionId;
    return { id, ...this.settle() };
  }

  /** Accepts every invite that is out; returns the agents that accepted. */
  acceptAll() {
    const accepted = [];
    for (const [agentId, invite] of this.invites) {
      this.request(agentId, { message: 'RequestAccept', ticketId: invite.ticketId, interactionId: invite.interactionId });
      this.settle();
      accepted.push([agentId, invite.interactionId]);
    }
    this.invites.clear();
    return accepted;
  }
}

async function runStrategy(strategy, options) {
  const setupStarted = process.hrtime.bigint();
  const settings = resolveSettings(buildConfig(strategy, options));
  const bench = new Bench(settings, await loadStrategies(settings.router, process.cwd()));
  bench.start();
  for (let number = 1; number <= options.agents; number++) {
    const agentId = agentIdOf(number);
    bench.core.register({ clientId: agentId, now: bench.now }, 1, 'AgentApplication', agentId);
    bench.request(agentId, { message: 'RequestAgentLogin', agentId, placeId: `place-${number}`, media: { chat: 'ready' } });
    bench.settle();
  }

  // Arrival path: while agents are available, each arrival is one decision.
  const arrival = new Samples();
  /** What each busy agent handles. */
  const handling = new Map();
  let queueIndex = 0;
  let submitted = 0;
  for (let idleRounds = 0; handling.size < options.agents && idleRounds < 3 * options.queues; ) {
    const { routerMs, calls } = bench.submit(queueName(queueIndex++ % options.queues));
    submitted++;
    if (calls > 0) arrival.push(routerMs, true);
    idleRounds = calls > 0 ? 0 : idleRounds + 1;
    for (const [agentId, interactionId] of bench.acceptAll()) handling.set(agentId, interactionId);
  }
  log(`${strategy}: ${handling.size} of ${options.agents} agents busy after ${submitted} arrivals (${arrival.length} routed at once)`);

  // The backlog: nobody is free, so it waits.
  while (bench.router.waitingCount() < options.waiting) {
    bench.submit(queueName(queueIndex++ % options.queues));
    submitted++;
    for (const [agentId, interactionId] of bench.acceptAll()) handling.set(agentId, interactionId);
  }
  const setupMs = elapsedMs(setupStarted);
  log(`${strategy}: set up ${submitted} interactions, ${bench.router.waitingCount()} waiting, in ${Math.round(setupMs)} ms`);

  // Agent-freed path: a busy agent finishes; the router picks its next interaction.
  const freed = new Samples();
  const busy = [...handling.keys()];
  const stepsStarted = process.hrtime.bigint();
  const coreBefore = bench.coreMs;
  let idle = 0;
  for (let step = 0; step < options.samples && busy.length > 0; step++) {
    const agentId = busy[step % busy.length];
    const interactionId = handling.get(agentId);
    bench.request(agentId, { message: 'RequestStopProcessing', interactionId });
    const { routerMs, calls } = bench.settle();
    freed.push(routerMs, calls > 0);
    const accepted = bench.acceptAll();
    for (const [acceptingAgent, accepting] of accepted) handling.set(acceptingAgent, accepting);
    if (accepted.length === 0) {
      // Nothing it may take (within what the router looks at): it stays idle.
      handling.delete(agentId);
      busy.splice(busy.indexOf(agentId), 1);
      idle++;
    }
  }
  const stepsMs = elapsedMs(stepsStarted);
  return {
    setupMs: Math.round(setupMs),
    interactions: submitted,
    waitingAtStart: options.waiting,
    waitingAtEnd: bench.router.waitingCount(),
    arrival: arrival.summary(),
    agentFreed: { ...freed.summary(), leftIdle: idle, coreMsPerStep: round((bench.coreMs - coreBefore) / Math.max(1, freed.length)), stepsPerSec: Math.round(freed.length / (stepsMs / 1000)) },
    refusals: bench.refusals,
  };
}

function runChild(strategy, options) {
  return new Promise((resolve, reject) => {
    const args = [benchFile, '--child', '--strategy', strategy, '--agents', String(options.agents), '--waiting', String(options.waiting), '--queues', String(options.queues), '--samples', String(options.samples)];
    const child = spawn(process.execPath, [...process.execArgv, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`the ${strategy} run exited with ${code}`));
      else resolve(JSON.parse(output));
    });
  });
}

async function main() {
  const options = readOptions();
  const loadBefore = loadavg()[0];
  if (options.child) {
    process.stdout.write(`${JSON.stringify(await runStrategy(options.strategies[0], options))}\n`);
    return;
  }
  const strategies = {};
  for (const strategy of options.strategies) {
    log(`${strategy}: ${options.agents} agents, ${options.waiting} waiting over ${options.queues} queues, ${options.samples} agent-freed samples`);
    strategies[strategy] = await runChild(strategy, options);
  }
  const result = {
    bench: 'routing',
    date: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    // Other processes on the machine show here: the tails (p99, max) suffer first.
    loadAverage1m: { before: round(loadBefore), after: round(loadavg()[0]) },
    agents: options.agents,
    waiting: options.waiting,
    queues: options.queues,
    strategies,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
