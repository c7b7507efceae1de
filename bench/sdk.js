// SDK overhead benchmark: the lifecycle of bench/lifecycle.js (submit → route → invite → accept
// → stop) at the same closed-loop load, driven once by clients on raw ws and once by clients on
// openixn/client, against a server process of its own each time. It prints one JSON line with
// both rates and the SDK's overhead in per cent; progress goes to stderr.
//
// As in bench/lifecycle.js, the parent starts the server (`node dist/main.js serve`) on a free
// port with a temporary config and store, and forks this file with `--generator` so that the
// load generator has a process (and, on two cores, a core) of its own. The generator plays every
// role: media servers submit, one external router routes round-robin within capacity, agents
// accept and stop. What differs between the modes is only the client layer: hand-written frames
// and referenceId maps on ws (as bench/lifecycle.js writes them), or the SDK's methods, promises
// and typed listeners. The runs alternate (raw, sdk, raw, sdk, …) so that a neighbour's load on a
// shared machine falls on both.
//
// Usage: node bench/sdk.js [--rounds 2] [--agents 200] [--seconds 10] [--warmup 3] [--window 400]
//                          [--media-servers 4]

import { fork, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CHAT_CAPACITY, CLOCK_TICKS_PER_SECOND, cpuTicksOf, delay, findFreePort, waitForServer, QUEUE_NAME, SERVER_CONFIG_YAML } from './harness.js';

const CONNECT_CONCURRENCY = 25;
const HEALTH_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 10_000;

const benchFile = fileURLToPath(import.meta.url);
const serverMainFile = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function log(line) {
  process.stderr.write(`[bench:sdk] ${line}\n`);
}

function readOptions() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      rounds: { type: 'string', default: '2' },
      agents: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      window: { type: 'string', default: '400' },
      'media-servers': { type: 'string', default: '4' },
      generator: { type: 'string' },
      port: { type: 'string' },
      'server-pid': { type: 'string' },
    },
    strict: true,
  });
  const positive = (name) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
    return value;
  };
  return {
    rounds: positive('rounds'),
    agents: positive('agents'),
    seconds: positive('seconds'),
    warmupSeconds: Number(values.warmup),
    window: positive('window'),
    mediaServers: positive('media-servers'),
    generator: values.generator,
    port: Number(values.port),
    serverPid: Number(values['server-pid']),
  };
}

// ---------------------------------------------------------------------------------------------
// Parent: a server and a generator per run, then the result line.
// ---------------------------------------------------------------------------------------------

/** One run: a fresh server and store, a generator in the given mode; resolves with its figures. */
async function runOnce(mode, options) {
  const directory = await mkdtemp(join(tmpdir(), 'openixn-bench-sdk-'));
  const configFile = join(directory, 'bench.yaml');
  await writeFile(configFile, SERVER_CONFIG_YAML);
  const port = await findFreePort();
  const server = spawn(process.execPath, [serverMainFile, 'serve', '--config', configFile, '--port', String(port), '--host', '127.0.0.1',
    '--store', `sqlite:${join(directory, 'bench.db')}`, '--log-level', 'warn'], { stdio: ['ignore', 2, 2] });
  const serverExited = new Promise((resolve) => server.on('exit', resolve));
  try {
    await waitForServer(port, { exited: () => (server.exitCode !== null ? `code ${server.exitCode}` : null), timeoutMs: HEALTH_TIMEOUT_MS });
    log(`${mode}: server on port ${port}; forking the load generator`);
    const generator = fork(benchFile, [
      '--generator', mode, '--port', String(port), '--server-pid', String(server.pid), '--agents', String(options.agents),
      '--seconds', String(options.seconds), '--warmup', String(options.warmupSeconds), '--window', String(options.window),
      '--media-servers', String(options.mediaServers),
    ], { stdio: ['ignore', 2, 2, 'ipc'], execArgv: (process.env.OPENIXN_GENERATOR_NODE_ARGS ?? '').split(' ').filter(Boolean) });
    const outcome = await new Promise((resolve) => {
      generator.on('message', resolve);
      generator.on('exit', (code) => resolve({ error: `the ${mode} generator exited without a result (code ${code})` }));
    });
    if (outcome.error !== undefined) throw new Error(outcome.error);
    return outcome.result;
  } finally {
    server.kill('SIGTERM');
    await serverExited;
    await rm(directory, { recursive: true, force: true });
  }
}

async function runParent(options) {
  const loadBefore = loadavg()[0];
  const runs = { raw: [], sdk: [] };
  for (let round = 0; round < options.rounds; round++) {
    for (const mode of ['raw', 'sdk']) {
      const result = await runOnce(mode, options);
      log(`${mode}: ${result.lifecyclesPerSec} lifecycles/s, generator ${result.generatorCpuCores} cores (${result.generatorCpuUsPerLifecycle} µs a lifecycle), server ${result.serverCpuCores} cores`);
      runs[mode].push(result);
    }
  }
  const mean = (results, key) => Math.round((results.reduce((sum, result) => sum + result[key], 0) / results.length) * 10) / 10;
  const summary = (results) => ({
    lifecyclesPerSec: mean(results, 'lifecyclesPerSec'),
    generatorCpuUsPerLifecycle: mean(results, 'generatorCpuUsPerLifecycle'),
    runs: results,
  });
  const raw = summary(runs.raw);
  const sdk = summary(runs.sdk);
  const round = (value) => Math.round(value * 10) / 10;
  process.stdout.write(`${JSON.stringify({
    bench: 'sdk',
    agents: options.agents, window: options.window, mediaServers: options.mediaServers, seconds: options.seconds, rounds: options.rounds,
    raw, sdk,
    overheadPercent: round(((raw.lifecyclesPerSec - sdk.lifecyclesPerSec) / raw.lifecyclesPerSec) * 100),
    generatorCpuOverheadPercent: round(((sdk.generatorCpuUsPerLifecycle - raw.generatorCpuUsPerLifecycle) / raw.generatorCpuUsPerLifecycle) * 100),
    node: process.version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown',
    loadAverage1m: { before: round(loadBefore), after: round(loadavg()[0]) },
  })}\n`);
}

// ---------------------------------------------------------------------------------------------
// Generator: the lifecycle, common to both modes, over a client layer per mode.
// ---------------------------------------------------------------------------------------------

/**
 * The lifecycle and the router's bookkeeping, whichever client layer carries the messages. The
 * layer calls the on* functions as answers and events arrive, and is called to send.
 */
function createLoad(options, layer) {
  const agents = Array.from({ length: options.agents }, (_, index) => ({ agentId: `agent-${index + 1}`, placeId: `place-${index + 1}`, load: 0, client: null }));
  const lifecycles = new Map();
  const backlog = [];
  const problems = {};
  let cursor = 0;
  let inFlight = 0;
  let window = 0;
  let completed = 0;
  const note = (key) => {
    problems[key] = (problems[key] ?? 0) + 1;
  };
  const lifecycleFor = (interactionId) => {
    let lifecycle = lifecycles.get(interactionId);
    if (lifecycle === undefined) lifecycles.set(interactionId, (lifecycle = { interactionId, agent: null, submitted: false, done: false }));
    return lifecycle;
  };
  const pickAgent = () => {
    for (let checked = 0; checked < agents.length; checked++) {
      const agent = agents[cursor];
      cursor = cursor + 1 === agents.length ? 0 : cursor + 1;
      if (agent.load < CHAT_CAPACITY) return agent;
    }
    return null;
  };
  const route = (lifecycle) => {
    const agent = pickAgent();
    if (agent === null) {
      backlog.push(lifecycle);
      return;
    }
    agent.load++;
    lifecycle.agent = agent;
    layer.routeCall(lifecycle, agent);
  };
  const freeAgent = (lifecycle) => {
    lifecycle.agent.load--;
    lifecycle.agent = null;
    // One place came free: the longest waiting interaction takes it.
    if (backlog.length > 0) route(backlog.shift());
  };
  const settle = (lifecycle) => {
    if (!lifecycle.submitted || !lifecycle.done) return;
    lifecycles.delete(lifecycle.interactionId);
    inFlight--;
    refill();
  };
  const refill = () => {
    while (inFlight < window) {
      inFlight++;
      layer.submit();
    }
  };
  return {
    agents,
    problems,
    get completed() {
      return completed;
    },
    get inFlight() {
      return inFlight;
    },
    start(size) {
      window = size;
      refill();
    },
    stop() {
      window = 0;
    },
    onSubmitted(interactionId) {
      const lifecycle = lifecycleFor(interactionId);
      lifecycle.submitted = true;
      settle(lifecycle);
    },
    onRouteRequest(interactionId) {
      route(lifecycleFor(interactionId));
    },
    onRouteUsed(lifecycle, result) {
      if (result === 'Accepted') return;
      note(`routeUsed${result}`);
      freeAgent(lifecycle);
      if (result === 'Rejected') route(lifecycle);
    },
    onInvite(agent, ticketId, interactionId) {
      layer.accept(agent, ticketId, lifecycleFor(interactionId));
    },
    onAccepted(agent, lifecycle) {
      layer.stop(agent, lifecycle);
    },
    onStopped(lifecycle) {
      completed++;
      lifecycle.done = true;
      freeAgent(lifecycle);
      settle(lifecycle);
    },
    onProblem: note,
  };
}

/** Clients on raw ws, written as bench/lifecycle.js writes them: frames from templates, a map of referenceIds. */
async function rawLayer(options, url) {
  const { default: WebSocket } = await import('ws');
  let nextReferenceId = 1;
  const waiting = new Map();
  let load;
  const mediaServers = [];
  let mediaCursor = 0;
  let router;
  const connect = (onMessage) => new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      const answer = message.referenceId === undefined ? undefined : waiting.get(message.referenceId);
      if (answer !== undefined) {
        waiting.delete(message.referenceId);
        answer(message);
      } else onMessage(message);
    });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
  const request = (socket, text, referenceId, onAnswer) => {
    waiting.set(referenceId, onAnswer);
    socket.send(text);
  };
  const registered = async (clientName, clientType, onMessage, extra = '') => {
    const socket = await connect(onMessage);
    const referenceId = nextReferenceId++;
    await new Promise((resolve) => request(socket, `{"message":"RequestRegisterClient","referenceId":${referenceId},"clientType":"${clientType}","clientName":"${clientName}"${extra}}`, referenceId, resolve));
    return socket;
  };
  const layer = {
    submit() {
      const referenceId = nextReferenceId++;
      const socket = mediaServers[mediaCursor];
      mediaCursor = (mediaCursor + 1) % mediaServers.length;
      request(socket, `{"message":"RequestSubmit","referenceId":${referenceId},"queue":"${QUEUE_NAME}","mediaType":"chat"}`, referenceId, (answer) => {
        if (answer.message === 'EventAck') load.onSubmitted(answer.interactionId);
        else load.onProblem(`submit:${answer.errorCode}`);
      });
    },
    routeCall(lifecycle, agent) {
      const referenceId = nextReferenceId++;
      request(router, `{"message":"RequestRouteCall","referenceId":${referenceId},"interactionId":"${lifecycle.interactionId}","agentId":"${agent.agentId}","placeId":"${agent.placeId}"}`, referenceId, (answer) => {
        if (answer.message === 'EventRouteUsed') load.onRouteUsed(lifecycle, answer.result);
        else load.onProblem(`routeCall:${answer.errorCode}`);
      });
    },
    accept(agent, ticketId, lifecycle) {
      const referenceId = nextReferenceId++;
      request(agent.client, `{"message":"RequestAccept","referenceId":${referenceId},"ticketId":${ticketId},"interactionId":"${lifecycle.interactionId}"}`, referenceId, (answer) => {
        if (answer.message === 'EventAck') load.onAccepted(agent, lifecycle);
        else load.onProblem(`accept:${answer.errorCode}`);
      });
    },
    stop(agent, lifecycle) {
      const referenceId = nextReferenceId++;
      request(agent.client, `{"message":"RequestStopProcessing","referenceId":${referenceId},"interactionId":"${lifecycle.interactionId}"}`, referenceId, (answer) => {
        if (answer.message === 'EventAck') load.onStopped(lifecycle);
        else load.onProblem(`stop:${answer.errorCode}`);
      });
    },
    async connect(theLoad) {
      load = theLoad;
      router = await registered('router-1', 'RoutingEngine', (message) => {
        if (message.message === 'EventRouteRequest') load.onRouteRequest(message.interaction.interactionId);
        else load.onProblem(`router:${message.message}`);
      });
      for (let index = 1; index <= options.mediaServers; index++) {
        mediaServers.push(await registered(`media-${index}`, 'MediaServer', (message) => load.onProblem(`media:${message.message}`)));
      }
      await inParallel(load.agents, async (agent) => {
        agent.client = await registered(agent.agentId, 'AgentApplication', (message) => {
          if (message.message === 'EventInvite') load.onInvite(agent, message.ticketId, message.interaction.interactionId);
          else load.onProblem(`agent:${message.message}`);
        });
        const referenceId = nextReferenceId++;
        await new Promise((resolve) => request(agent.client, `{"message":"RequestAgentLogin","referenceId":${referenceId},"agentId":"${agent.agentId}","placeId":"${agent.placeId}","media":{"chat":"ready"}}`, referenceId, resolve));
      });
    },
    close() {
      for (const socket of [router, ...mediaServers, ...load.agents.map((agent) => agent.client)]) socket.close(1000);
    },
  };
  return layer;
}

/** The same clients on openixn/client, imported by the package's name as a user imports it. */
async function sdkLayer(options, url) {
  const { AgentClient, MediaServerClient, RouterClient } = await import('openixn/client');
  let load;
  const mediaServers = [];
  let mediaCursor = 0;
  let router;
  const problem = (what) => (error) => load.onProblem(`${what}:${error.code ?? error.message}`);
  const layer = {
    submit() {
      const media = mediaServers[mediaCursor];
      mediaCursor = (mediaCursor + 1) % mediaServers.length;
      media.submit({ queue: QUEUE_NAME, mediaType: 'chat' }).then((answer) => load.onSubmitted(answer.interactionId), problem('submit'));
    },
    routeCall(lifecycle, agent) {
      router.routeCall({ interactionId: lifecycle.interactionId, agentId: agent.agentId, placeId: agent.placeId })
        .then((used) => load.onRouteUsed(lifecycle, used.result), problem('routeCall'));
    },
    accept(agent, ticketId, lifecycle) {
      agent.client.accept({ ticketId, interactionId: lifecycle.interactionId }).then(() => load.onAccepted(agent, lifecycle), problem('accept'));
    },
    stop(agent, lifecycle) {
      agent.client.stopProcessing({ interactionId: lifecycle.interactionId }).then(() => load.onStopped(lifecycle), problem('stop'));
    },
    async connect(theLoad) {
      load = theLoad;
      router = new RouterClient({ urls: [url], clientName: 'router-1' });
      router.on('EventRouteRequest', ({ interaction }) => load.onRouteRequest(interaction.interactionId));
      await router.connect();
      for (let index = 1; index <= options.mediaServers; index++) {
        const media = new MediaServerClient({ urls: [url], clientName: `media-${index}` });
        await media.connect();
        mediaServers.push(media);
      }
      await inParallel(load.agents, async (agent) => {
        agent.client = new AgentClient({ urls: [url], clientName: agent.agentId });
        agent.client.on('EventInvite', ({ ticketId, interaction }) => load.onInvite(agent, ticketId, interaction.interactionId));
        await agent.client.connect();
        await agent.client.agentLogin({ agentId: agent.agentId, placeId: agent.placeId, media: { chat: 'ready' } });
      });
    },
    close() {
      for (const client of [router, ...mediaServers, ...load.agents.map((agent) => agent.client)]) void client.close();
    },
  };
  return layer;
}

async function inParallel(items, run) {
  let next = 0;
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, async () => {
    while (next < items.length) await run(items[next++]);
  }));
}

async function runGenerator(options) {
  const url = `ws://127.0.0.1:${options.port}/ws`;
  const layer = options.generator === 'sdk' ? await sdkLayer(options, url) : await rawLayer(options, url);
  const load = createLoad(options, layer);
  await layer.connect(load);
  log(`${options.generator}: ${options.agents} agents, 1 router, ${options.mediaServers} media servers connected; closed loop of ${options.window}`);
  load.start(options.window);
  await delay(options.warmupSeconds * 1000);
  const completedBefore = load.completed;
  const serverTicksBefore = cpuTicksOf(options.serverPid);
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  await delay(options.seconds * 1000);
  const elapsedSeconds = (performance.now() - startedAt) / 1000;
  const completed = load.completed - completedBefore;
  const cpu = process.cpuUsage(cpuBefore);
  const serverTicks = cpuTicksOf(options.serverPid) - serverTicksBefore;
  load.stop();
  const drainUntil = Date.now() + DRAIN_TIMEOUT_MS;
  while (load.inFlight > 0 && Date.now() < drainUntil) await delay(20);
  if (load.inFlight > 0) load.onProblem('stuckAfterDrain');
  layer.close();
  const generatorCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
  const result = {
    mode: options.generator,
    lifecyclesPerSec: round(completed / elapsedSeconds),
    completed,
    generatorCpuCores: round(generatorCpuSeconds / elapsedSeconds, 2),
    generatorCpuUsPerLifecycle: round((generatorCpuSeconds * 1e6) / completed),
    serverCpuCores: round(serverTicks / CLOCK_TICKS_PER_SECOND / elapsedSeconds, 2),
    problems: load.problems,
  };
  process.send({ result }, () => process.exit(0));
}

const options = readOptions();
if (options.generator !== undefined) await runGenerator(options);
else await runParent(options);
