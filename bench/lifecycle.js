// Lifecycle benchmark: submit → route → invite → accept → stop, measured end to end over real
// WebSockets against a real server process.
//
// The parent process starts the server (`node dist/main.js serve ...`) on a free port with a
// temporary config and store, then forks this same file with `--generator` so that the load
// generator and the server each get their own process (and, on a 2-core machine, their own core).
// The generator plays every client role itself: media servers submit, one external router routes,
// and the agents accept and stop. It runs a closed-loop phase (a bounded window of lifecycles in
// flight) and then an open-loop phase at half of the closed-loop throughput, and hands its figures
// to the parent, which prints them as one JSON line on stdout. Progress goes to stderr.
//
// Usage: node bench/lifecycle.js [--agents 200] [--seconds 15] [--warmup 3] [--window 400]
//                                [--media-servers 4] [--store URL | --store postgres]
//                                [--waiting N]  (N interactions waiting in another queue, seeded)

import { fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { seedStore } from './large.js';
import { CHAT_CAPACITY, CLOCK_TICKS_PER_SECOND, cpuTicksOf, delay, findFreePort, waitForServer, QUEUE_NAME, SERVER_CONFIG_YAML } from './harness.js';

const HEALTH_TIMEOUT_MS = 120_000;
const SERVER_STOP_GRACE_MS = 10_000;
const SETUP_REQUEST_TIMEOUT_MS = 15_000;
const CONNECT_CONCURRENCY = 25;
// Between the phases, and at the end, in-flight lifecycles get this long to finish so that the
// next phase starts from an idle server and leftovers show up as a figure rather than a hang.
const DRAIN_TIMEOUT_MS = 10_000;
// The open-loop phase never lets more than this many lifecycles pile up: if the server stalls, the
// generator records skipped submissions instead of growing without bound.
const OPEN_LOOP_IN_FLIGHT_MAX = 20_000;
const OPEN_LOOP_TICK_MS = 5;

const benchFile = fileURLToPath(import.meta.url);
const serverMainFile = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function log(line) {
  process.stderr.write(`[bench] ${line}\n`);
}

function readOptions() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      agents: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '3' },
      window: { type: 'string', default: '400' },
      'media-servers': { type: 'string', default: '4' },
      'half-rate': { type: 'string' },
      waiting: { type: 'string', default: '0' },
      store: { type: 'string' },
      generator: { type: 'boolean', default: false },
      port: { type: 'string' },
      'server-pid': { type: 'string' },
    },
    strict: true,
  });
  const positiveInteger = (name) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  const positiveNumber = (name) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
    return value;
  };
  return {
    agents: positiveInteger('agents'),
    seconds: positiveNumber('seconds'),
    warmupSeconds: Number(values.warmup) >= 0 ? Number(values.warmup) : 3,
    window: positiveInteger('window'),
    mediaServers: positiveInteger('media-servers'),
    halfRate: values['half-rate'] === undefined ? undefined : positiveNumber('half-rate'),
    store: values.store,
    waiting: Number(values.waiting),
    generator: values.generator,
    port: values.port === undefined ? undefined : Number(values.port),
    serverPid: values['server-pid'] === undefined ? undefined : Number(values['server-pid']),
  };
}

// ---------------------------------------------------------------------------------------------
// Parent: server process, generator process, result line, clean-up.
// ---------------------------------------------------------------------------------------------

function describeExit(exit) {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

async function dropPostgresSchema(storeUrl, schema) {
  const { default: postgres } = await import('postgres');
  const sql = postgres(storeUrl.slice(0, storeUrl.indexOf('?')), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function storeKind(storeUrl) {
  const scheme = storeUrl.split(':', 1)[0].toLowerCase();
  return scheme === 'postgresql' ? 'postgres' : scheme;
}

async function runParent(options) {
  const tempDir = await mkdtemp(join(tmpdir(), 'openixn-bench-'));
  const configFile = join(tempDir, 'bench.yaml');
  // At scale: thousands of agent connections from this one address, and a backlog that waits in a
  // queue of its own (seeded into the store before the server starts, as bench/large.js does).
  const scaleLimits = `limits: { maxConnections: ${options.agents + 1000}, maxConnectionsPerAddress: ${options.agents + 1000} }\n`;
  await writeFile(configFile, SERVER_CONFIG_YAML.replace(`queues: { ${QUEUE_NAME}: { routing: external } }`, `queues: { ${QUEUE_NAME}: { routing: external }, backlog: { routing: none } }`) + scaleLimits);
  // `--store postgres`: a fresh schema in the local PostgreSQL, dropped at the end.
  const postgresSchema = options.store === 'postgres' ? `openixn_bench_${process.pid}_${Date.now()}` : null;
  const storeUrl = postgresSchema !== null
    ? `${process.env.OPENIXN_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'}?schema=${postgresSchema}`
    : options.store ?? `sqlite:${join(tempDir, 'bench.db')}`;
  const port = await findFreePort();
  if (options.waiting > 0) {
    const seeded = performance.now();
    await seedStore(storeUrl, { count: options.waiting, queue: 'backlog' });
    log(`seeded ${options.waiting} interactions waiting in queue backlog in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
  }

  let server;
  let generator;
  const serverExit = { exited: false, code: null, signal: null, promise: null };
  let stopping = false;
  let finished = false;

  async function stopServer() {
    if (!server || serverExit.exited) return null;
    const startedAt = Date.now();
    server.kill('SIGTERM');
    const exitedInTime = await Promise.race([
      serverExit.promise.then(() => true),
      delay(SERVER_STOP_GRACE_MS).then(() => false),
    ]);
    if (!exitedInTime) {
      log(`server did not exit within ${SERVER_STOP_GRACE_MS / 1000} s of SIGTERM; sending SIGKILL`);
      server.kill('SIGKILL');
      await serverExit.promise;
    }
    const shutdown = { ms: Date.now() - startedAt, afterSigterm: exitedInTime, exit: describeExit(serverExit) };
    log(`server stopped in ${shutdown.ms} ms (${shutdown.exit}${exitedInTime ? '' : ', SIGKILL needed'})`);
    return shutdown;
  }

  async function cleanUp() {
    if (generator && generator.exitCode === null && generator.signalCode === null) generator.kill('SIGKILL');
    const shutdown = await stopServer();
    await rm(tempDir, { recursive: true, force: true });
    if (postgresSchema !== null) await dropPostgresSchema(storeUrl, postgresSchema);
    return shutdown;
  }

  async function abort(message) {
    if (stopping) return;
    stopping = true;
    log(`ERROR: ${message}`);
    await cleanUp().catch((error) => log(`clean-up failed: ${error.message}`));
    process.stdout.write(`${JSON.stringify({ bench: 'lifecycle', error: message })}\n`);
    process.exit(1);
  }

  // Everything, build excepted, must end by itself: two phases, the drains, set-up and shutdown.
  const deadlineMs = (2 * (options.seconds + options.warmupSeconds) + 75) * 1000;
  const deadline = setTimeout(() => {
    void abort(`the run did not finish within ${Math.round(deadlineMs / 1000)} s`);
  }, deadlineMs);
  deadline.unref();
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void abort(`interrupted by ${signal}`));

  log(`starting server on 127.0.0.1:${port}, store ${storeKind(storeUrl)}, temp dir ${tempDir}`);
  if (!existsSync(serverMainFile)) {
    await abort(`${serverMainFile} not found: build the server first (npm run build)`);
    return;
  }
  // OPENIXN_SERVER_NODE_ARGS passes flags to the server's node, e.g. "--cpu-prof --cpu-prof-dir=prof".
  const serverNodeArgs = (process.env.OPENIXN_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  server = spawn(
    process.execPath,
    [...serverNodeArgs, serverMainFile, 'serve', '--config', configFile, '--port', String(port), '--host', '127.0.0.1',
      '--store', storeUrl, '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // The server's own output goes to stderr so that stdout carries only the result line.
  server.stdout.pipe(process.stderr, { end: false });
  server.stderr.pipe(process.stderr, { end: false });
  serverExit.promise = new Promise((resolve) => {
    server.on('exit', (code, signal) => {
      serverExit.exited = true;
      serverExit.code = code;
      serverExit.signal = signal;
      resolve();
      if (!stopping && !finished) void abort(`server exited during the run (${describeExit(serverExit)})`);
    });
  });

  try {
    await waitForServer(port, { exited: () => (serverExit.exited ? describeExit(serverExit) : null), timeoutMs: HEALTH_TIMEOUT_MS });
  } catch (error) {
    await abort(error.message);
    return;
  }
  log('server healthy; forking the load generator');

  generator = fork(
    benchFile,
    ['--generator', '--port', String(port), '--server-pid', String(server.pid),
      '--agents', String(options.agents), '--seconds', String(options.seconds),
      '--warmup', String(options.warmupSeconds), '--window', String(options.window),
      '--media-servers', String(options.mediaServers), ...(options.halfRate === undefined ? [] : ['--half-rate', String(options.halfRate)])],
    {
      stdio: ['ignore', 2, 2, 'ipc'],
      // OPENIXN_GENERATOR_NODE_ARGS, like OPENIXN_SERVER_NODE_ARGS, for profiling the load generator.
      execArgv: (process.env.OPENIXN_GENERATOR_NODE_ARGS ?? '').split(' ').filter(Boolean),
    },
  );
  const outcome = await new Promise((resolve) => {
    let settled = false;
    generator.on('message', (message) => {
      if (settled) return;
      settled = true;
      resolve(message);
    });
    generator.on('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      resolve({ type: 'error', error: `generator exited without a result (${signal ? `signal ${signal}` : `code ${code}`})` });
    });
  });
  if (outcome.type !== 'result') {
    await abort(outcome.error);
    return;
  }
  finished = true;
  clearTimeout(deadline);
  const serverShutdown = await cleanUp();
  const line = {
    bench: 'lifecycle',
    store: storeKind(storeUrl),
    agents: options.agents,
    waiting: options.waiting,
    ...outcome.result,
    serverShutdown,
    node: process.version,
    cpus: availableParallelism(),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  const problems = outcome.result.problems;
  process.exit(problems && Object.keys(problems).length > 0 ? 2 : 0);
}

// ---------------------------------------------------------------------------------------------
// Generator: the clients, the load and the measurements.
// ---------------------------------------------------------------------------------------------

// A growable buffer of latency samples in milliseconds; sorted once, at the end of a phase.
class Samples {
  constructor(initialCapacity = 1 << 16) {
    this.values = new Float64Array(initialCapacity);
    this.length = 0;
  }

  push(value) {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  reset() {
    this.length = 0;
  }

  // Nearest-rank percentile, so that p99 is a latency some lifecycle really had.
  percentiles(fractions) {
    if (this.length === 0) return fractions.map(() => null);
    const sorted = this.values.slice(0, this.length).sort();
    return fractions.map((fraction) => {
      const rank = Math.max(1, Math.ceil(fraction * sorted.length));
      return Math.round(sorted[rank - 1] * 1000) / 1000;
    });
  }
}

// A FIFO of interactions the router holds while every agent is at capacity.
class Fifo {
  constructor() {
    this.items = [];
    this.head = 0;
  }

  get size() {
    return this.items.length - this.head;
  }

  push(item) {
    this.items.push(item);
  }

  shift() {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

const STAGE_SUBMITTING = 0;
const STAGE_ROUTING = 1;
const STAGE_ACCEPTING = 2;
const STAGE_STOPPING = 3;
const STAGE_DONE = 4;

// One interaction's trip through the server. The record is created either by the submit's
// EventAck or by the router's EventRouteRequest, whichever the generator reads first: the two
// arrive on different sockets, so their order is not guaranteed.
class Lifecycle {
  constructor() {
    this.interactionId = null;
    this.interactionIdJson = '';
    this.submitNs = 0n;
    this.routeNs = 0n;
    this.agent = null;
    this.stage = STAGE_SUBMITTING;
    this.routeAttempts = 0;
    // Submitted by this generator and acknowledged; false for an interaction the router was
    // offered before (or without) the submit's EventAck being read.
    this.submitted = false;
    this.settled = false;
  }
}

class Agent {
  constructor(index) {
    this.index = index;
    // Position in the router's agent array, for the round-robin cursor.
    this.position = index - 1;
    this.agentId = `agent-${index}`;
    this.agentIdJson = JSON.stringify(this.agentId);
    this.placeIdJson = JSON.stringify(`place-${index}`);
    this.socket = null;
    this.load = 0;
  }
}

async function runGenerator(options) {
  const url = `ws://127.0.0.1:${options.port}/ws`;
  const hrtime = process.hrtime.bigint;

  let nextReferenceId = 1;
  const setupRequests = new Map();
  const submitsByReference = new Map();
  const routeCallsByReference = new Map();
  const agentRequestsByReference = new Map();
  const lifecyclesByInteraction = new Map();
  const routerBacklog = new Fifo();

  const agents = [];
  const mediaServers = [];
  let router = null;
  let agentCursor = 0;
  let mediaCursor = 0;

  let inFlight = 0;
  let submitting = false;
  let closedLoopWindow = 0;
  let shuttingDown = false;

  // Counters of the current phase (reset when a measurement starts) and of the whole run.
  let measuring = false;
  let completedInPhase = 0;
  let completedTotal = 0;
  let submittedTotal = 0;
  let openLoopSkipped = 0;
  const routeToInvite = new Samples();
  const lifecycleLatency = new Samples();

  // Everything that is not the expected flow is counted here and reported.
  const anomalies = {};
  const errorSamples = [];
  const note = (key, detail) => {
    anomalies[key] = (anomalies[key] ?? 0) + 1;
    // One sample per kind is enough to see what the server said; the counters give the rest.
    if (detail !== undefined && anomalies[key] === 1 && errorSamples.length < 20) errorSamples.push({ key, detail });
    if (anomalies[key] === 1) log(`first ${key}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
  };

  function fail(message) {
    if (shuttingDown) return;
    shuttingDown = true;
    log(`generator failed: ${message}`);
    process.send({ type: 'error', error: message, anomalies, errorSamples }, () => process.exit(1));
  }

  const hardDeadline = setTimeout(
    () => fail('generator deadline passed'),
    (2 * (options.seconds + options.warmupSeconds) + 60) * 1000,
  );
  hardDeadline.unref();

  // ---- connections ----

  function connect(name, onMessage) {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      let opened = false;
      socket.on('message', (data, isBinary) => {
        if (isBinary) note('binaryFrame', name);
        let message;
        try {
          message = JSON.parse(data.toString());
        } catch {
          note('unparsableFrame', `${name}: ${String(data).slice(0, 200)}`);
          return;
        }
        const referenceId = message.referenceId;
        if (referenceId !== undefined && setupRequests.size > 0) {
          const request = setupRequests.get(referenceId);
          if (request !== undefined) {
            setupRequests.delete(referenceId);
            clearTimeout(request.timer);
            if (message.message === 'EventAck') request.resolve(message);
            else request.reject(new Error(`${name}: ${request.name} answered ${JSON.stringify(message)}`));
            return;
          }
        }
        onMessage(message);
      });
      socket.once('open', () => {
        opened = true;
        resolve(socket);
      });
      socket.on('error', (error) => {
        if (!opened) reject(new Error(`${name}: ${error.message}`));
        else if (!shuttingDown) fail(`${name}: ${error.message}`);
      });
      socket.on('close', (code, reason) => {
        if (!shuttingDown) fail(`${name}: connection closed by the server (${code} ${reason})`);
      });
    });
  }

  function setupRequest(socket, name, request) {
    const referenceId = nextReferenceId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        setupRequests.delete(referenceId);
        reject(new Error(`${name}: no answer to ${request.message} within ${SETUP_REQUEST_TIMEOUT_MS / 1000} s`));
      }, SETUP_REQUEST_TIMEOUT_MS);
      setupRequests.set(referenceId, { name: request.message, resolve, reject, timer });
      socket.send(JSON.stringify({ ...request, referenceId }));
    });
  }

  async function register(name, clientType, onMessage) {
    const socket = await connect(name, onMessage);
    await setupRequest(socket, name, { message: 'RequestRegisterClient', clientType, clientName: name });
    return socket;
  }

  // ---- the router ----

  function pickAgent() {
    const count = agents.length;
    for (let checked = 0; checked < count; checked++) {
      const agent = agents[agentCursor];
      agentCursor = agentCursor + 1 === count ? 0 : agentCursor + 1;
      if (agent.load < CHAT_CAPACITY) return agent;
    }
    return null;
  }

  function route(lifecycle) {
    const agent = pickAgent();
    if (agent === null) {
      routerBacklog.push(lifecycle);
      return;
    }
    agent.load++;
    lifecycle.agent = agent;
    lifecycle.stage = STAGE_ROUTING;
    lifecycle.routeAttempts++;
    const referenceId = nextReferenceId++;
    routeCallsByReference.set(referenceId, lifecycle);
    lifecycle.routeNs = hrtime();
    router.send(
      `{"message":"RequestRouteCall","referenceId":${referenceId},"interactionId":${lifecycle.interactionIdJson},` +
        `"agentId":${agent.agentIdJson},"placeId":${agent.placeIdJson}}`,
    );
  }

  function routeBacklog() {
    while (routerBacklog.size > 0) {
      const agent = pickAgent();
      if (agent === null) return;
      // pickAgent moved past the free agent; step back so that route() picks it.
      agentCursor = agent.position;
      route(routerBacklog.shift());
    }
  }

  function lifecycleFor(interactionId) {
    let lifecycle = lifecyclesByInteraction.get(interactionId);
    if (lifecycle === undefined) {
      lifecycle = new Lifecycle();
      lifecycle.interactionId = interactionId;
      lifecycle.interactionIdJson = JSON.stringify(interactionId);
      lifecyclesByInteraction.set(interactionId, lifecycle);
    }
    return lifecycle;
  }

  function onRouterMessage(message) {
    switch (message.message) {
      case 'EventRouteRequest': {
        const interactionId = message.interaction?.interactionId;
        if (interactionId === undefined) {
          note('routeRequestWithoutInteractionId', message);
          return;
        }
        // §4.1: an offered interaction is `routing` and still in its queue.
        if (message.interaction.state !== 'routing' || message.interaction.queue !== QUEUE_NAME) {
          note('routeRequestWrongInteractionState', message.interaction);
        }
        const lifecycle = lifecycleFor(interactionId);
        if (lifecycle.stage !== STAGE_SUBMITTING) note('routeRequestOfferedAgain', { interactionId, stage: lifecycle.stage });
        lifecycle.routeAttempts = 0;
        route(lifecycle);
        return;
      }
      case 'EventRouteUsed': {
        const lifecycle = routeCallsByReference.get(message.referenceId);
        if (lifecycle === undefined) {
          note('routeUsedForUnknownReference', message);
          return;
        }
        routeCallsByReference.delete(message.referenceId);
        if (message.interactionId !== lifecycle.interactionId) note('routeUsedWrongInteraction', message);
        if (message.result === 'Accepted') {
          if (message.agentId !== lifecycle.agent.agentId) note('routeUsedWrongAgent', message);
          return;
        }
        // Rejected or Revoked: the invite is over without an accept, so the agent is free again.
        note(`routeUsed${message.result}${message.reason ? `:${message.reason}` : ''}`, message);
        lifecycle.agent.load--;
        lifecycle.agent = null;
        // A rejected interaction stays with this router (§4.1 step 3); a revoked one comes back
        // with a new EventRouteRequest.
        if (message.result === 'Rejected') route(lifecycle);
        routeBacklog();
        return;
      }
      case 'EventError': {
        const lifecycle = routeCallsByReference.get(message.referenceId);
        if (lifecycle === undefined) {
          note(`routerError:${message.errorCode}`, message);
          return;
        }
        routeCallsByReference.delete(message.referenceId);
        lifecycle.agent.load--;
        lifecycle.agent = null;
        if (message.errorCode === 'AgentNotAvailable') {
          note('routeCallAgentNotAvailable', message);
          if (lifecycle.routeAttempts < agents.length) route(lifecycle);
          else routerBacklog.push(lifecycle);
          return;
        }
        note(`routeCallError:${message.errorCode}`, message);
        abandon(lifecycle);
        return;
      }
      case 'EventAck':
        // §4.1 step 1: a successful RequestRouteCall is answered by EventRouteUsed, not EventAck.
        note(routeCallsByReference.has(message.referenceId) ? 'routeCallAcked' : 'routerUnexpectedAck', message);
        return;
      default:
        note(`router:${message.message}`, message);
    }
  }

  // ---- the agents ----

  function onAgentMessage(agent, message) {
    switch (message.message) {
      case 'EventInvite': {
        const received = hrtime();
        const interactionId = message.interaction?.interactionId;
        const lifecycle = lifecyclesByInteraction.get(interactionId);
        if (lifecycle === undefined || lifecycle.stage !== STAGE_ROUTING) {
          note('inviteUnexpected', { agentId: agent.agentId, interactionId, stage: lifecycle?.stage });
          return;
        }
        if (lifecycle.agent !== agent) note('inviteToWrongAgent', { agentId: agent.agentId, interactionId });
        // §4.1 step 1: once the EventInvite is out the interaction is `invited`, still in its queue.
        if (message.interaction.state !== 'invited' || message.interaction.queue !== QUEUE_NAME) {
          note('inviteWrongInteractionState', message.interaction);
        }
        if (measuring) routeToInvite.push(Number(received - lifecycle.routeNs) / 1e6);
        lifecycle.stage = STAGE_ACCEPTING;
        const referenceId = nextReferenceId++;
        agentRequestsByReference.set(referenceId, lifecycle);
        agent.socket.send(
          `{"message":"RequestAccept","referenceId":${referenceId},"ticketId":${JSON.stringify(message.ticketId)},` +
            `"interactionId":${lifecycle.interactionIdJson}}`,
        );
        return;
      }
      case 'EventAck': {
        const lifecycle = agentRequestsByReference.get(message.referenceId);
        if (lifecycle === undefined) {
          note('agentAckForUnknownReference', message);
          return;
        }
        agentRequestsByReference.delete(message.referenceId);
        if (lifecycle.stage === STAGE_ACCEPTING) {
          lifecycle.stage = STAGE_STOPPING;
          const referenceId = nextReferenceId++;
          agentRequestsByReference.set(referenceId, lifecycle);
          agent.socket.send(
            `{"message":"RequestStopProcessing","referenceId":${referenceId},"interactionId":${lifecycle.interactionIdJson}}`,
          );
          return;
        }
        complete(lifecycle);
        return;
      }
      case 'EventError': {
        const lifecycle = agentRequestsByReference.get(message.referenceId);
        if (lifecycle === undefined) {
          note(`agentError:${message.errorCode}`, message);
          return;
        }
        agentRequestsByReference.delete(message.referenceId);
        const request = lifecycle.stage === STAGE_ACCEPTING ? 'accept' : 'stop';
        note(`${request}Error:${message.errorCode}`, message);
        // The interaction's fate is unknown, so the agent's slot stays taken; the lifecycle leaves
        // the window so that the load goes on, and the error is in the report.
        abandon(lifecycle);
        return;
      }
      default:
        note(`agent:${message.message}${message.reason ? `:${message.reason}` : ''}`, message);
    }
  }

  // ---- the media servers ----

  function submit() {
    const lifecycle = new Lifecycle();
    const referenceId = nextReferenceId++;
    submitsByReference.set(referenceId, lifecycle);
    const mediaServer = mediaServers[mediaCursor];
    mediaCursor = mediaCursor + 1 === mediaServers.length ? 0 : mediaCursor + 1;
    inFlight++;
    submittedTotal++;
    lifecycle.submitNs = hrtime();
    mediaServer.send(
      `{"message":"RequestSubmit","referenceId":${referenceId},"queue":"${QUEUE_NAME}","mediaType":"chat"}`,
    );
  }

  function onMediaServerMessage(message) {
    const lifecycle = submitsByReference.get(message.referenceId);
    if (lifecycle === undefined) {
      note(`mediaServer:${message.message}${message.errorCode ? `:${message.errorCode}` : ''}`, message);
      return;
    }
    submitsByReference.delete(message.referenceId);
    if (message.message !== 'EventAck' || typeof message.interactionId !== 'string') {
      note(`submit:${message.message}${message.errorCode ? `:${message.errorCode}` : ''}`, message);
      inFlight--;
      refill();
      return;
    }
    const known = lifecyclesByInteraction.get(message.interactionId);
    if (known === undefined) {
      lifecycle.interactionId = message.interactionId;
      lifecycle.interactionIdJson = JSON.stringify(message.interactionId);
      lifecycle.submitted = true;
      lifecyclesByInteraction.set(message.interactionId, lifecycle);
      return;
    }
    // The router read the EventRouteRequest first and already holds a record for it.
    known.submitNs = lifecycle.submitNs;
    known.submitted = true;
    settle(known);
  }

  // ---- completion and the load loops ----

  function complete(lifecycle) {
    const now = hrtime();
    lifecycle.stage = STAGE_DONE;
    lifecycle.agent.load--;
    completedTotal++;
    if (measuring) {
      completedInPhase++;
      if (lifecycle.submitted) lifecycleLatency.push(Number(now - lifecycle.submitNs) / 1e6);
    }
    routeBacklog();
    settle(lifecycle);
  }

  function abandon(lifecycle) {
    lifecycle.stage = STAGE_DONE;
    settle(lifecycle);
  }

  // A lifecycle leaves the window once it is both done and matched with its submit; an
  // interaction this generator never submitted stays in the map and is reported as foreign.
  function settle(lifecycle) {
    if (lifecycle.settled || !lifecycle.submitted || lifecycle.stage !== STAGE_DONE) return;
    lifecycle.settled = true;
    lifecyclesByInteraction.delete(lifecycle.interactionId);
    inFlight--;
    refill();
  }

  function refill() {
    if (!submitting || closedLoopWindow === 0) return;
    while (inFlight < closedLoopWindow) submit();
  }

  function startOpenLoop(ratePerSecond) {
    const startedNs = hrtime();
    let due = 0;
    return setInterval(() => {
      const elapsedSeconds = Number(hrtime() - startedNs) / 1e9;
      const target = Math.floor(elapsedSeconds * ratePerSecond);
      for (; due < target; due++) {
        if (inFlight >= OPEN_LOOP_IN_FLIGHT_MAX) openLoopSkipped++;
        else submit();
      }
    }, OPEN_LOOP_TICK_MS);
  }

  async function drain(label) {
    const startedAt = Date.now();
    while (inFlight > 0 && Date.now() - startedAt < DRAIN_TIMEOUT_MS) await delay(20);
    if (inFlight > 0) {
      log(`${label}: ${inFlight} lifecycles still in flight after ${DRAIN_TIMEOUT_MS / 1000} s`);
      note(`stuckAfter:${label}`, { inFlight, routerBacklog: routerBacklog.size });
    }
    return inFlight;
  }

  // Runs a warm-up and a measurement, printing progress every second, and returns the figures.
  async function runPhase(name) {
    let phaseStartedAt = Date.now();
    const progress = (label, seconds) => {
      let lastCompleted = completedTotal;
      let lastAt = Date.now();
      return setInterval(() => {
        const now = Date.now();
        const rate = ((completedTotal - lastCompleted) * 1000) / (now - lastAt);
        lastCompleted = completedTotal;
        lastAt = now;
        log(`${name} ${label} ${((now - phaseStartedAt) / 1000).toFixed(0)}/${seconds} s: ` +
          `${rate.toFixed(0)} lifecycles/s, in flight ${inFlight}, router backlog ${routerBacklog.size}`);
      }, 1000);
    };
    if (options.warmupSeconds > 0) {
      const timer = progress('warm-up', options.warmupSeconds);
      await delay(options.warmupSeconds * 1000);
      clearInterval(timer);
    }
    phaseStartedAt = Date.now();
    routeToInvite.reset();
    lifecycleLatency.reset();
    completedInPhase = 0;
    const serverTicksBefore = options.serverPid ? cpuTicksOf(options.serverPid) : null;
    const generatorCpuBefore = process.cpuUsage();
    const startedNs = hrtime();
    measuring = true;
    const timer = progress('measure', options.seconds);
    await delay(options.seconds * 1000);
    clearInterval(timer);
    measuring = false;
    const elapsedSeconds = Number(hrtime() - startedNs) / 1e9;
    const serverTicksAfter = options.serverPid ? cpuTicksOf(options.serverPid) : null;
    const generatorCpu = process.cpuUsage(generatorCpuBefore);
    const [routeToInviteP50Ms, routeToInviteP99Ms] = routeToInvite.percentiles([0.5, 0.99]);
    const [lifecycleP50Ms, lifecycleP99Ms] = lifecycleLatency.percentiles([0.5, 0.99]);
    const round = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;
    return {
      lifecyclesPerSec: round(completedInPhase / elapsedSeconds, 1),
      routeToInviteP50Ms,
      routeToInviteP99Ms,
      lifecycleP50Ms,
      lifecycleP99Ms,
      completed: completedInPhase,
      measuredSeconds: round(elapsedSeconds, 3),
      serverCpuCores: serverTicksBefore === null || serverTicksAfter === null
        ? null
        : round((serverTicksAfter - serverTicksBefore) / CLOCK_TICKS_PER_SECOND / elapsedSeconds, 2),
      generatorCpuCores: round((generatorCpu.user + generatorCpu.system) / 1e6 / elapsedSeconds, 2),
    };
  }

  // ---- the run ----

  try {
    log(`connecting ${options.agents} agents, 1 router, ${options.mediaServers} media servers to ${url}`);
    router = await register('router-1', 'RoutingEngine', onRouterMessage);
    for (let index = 1; index <= options.mediaServers; index++) {
      mediaServers.push(await register(`media-${index}`, 'MediaServer', onMediaServerMessage));
    }
    for (let index = 1; index <= options.agents; index++) agents.push(new Agent(index));
    let nextAgent = 0;
    const connectAgents = async () => {
      while (nextAgent < agents.length) {
        const agent = agents[nextAgent++];
        agent.socket = await register(agent.agentId, 'AgentApplication', (message) => onAgentMessage(agent, message));
        await setupRequest(agent.socket, agent.agentId, {
          message: 'RequestAgentLogin',
          agentId: agent.agentId,
          placeId: `place-${agent.index}`,
          media: { chat: 'ready' },
        });
      }
    };
    await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, connectAgents));
    log('all clients registered and agents logged in');

    // Phase 1: closed loop, a fixed number of lifecycles in flight.
    closedLoopWindow = options.window;
    submitting = true;
    refill();
    log(`full load: closed loop with ${options.window} lifecycles in flight`);
    const full = await runPhase('full');
    submitting = false;
    closedLoopWindow = 0;
    const leftAfterFull = await drain('full');
    if (full.completed === 0) throw new Error('no lifecycle completed at full load');

    // Phase 2: open loop at half the measured full-load throughput.
    // A fixed rate (--half-rate) compares the server's CPU per lifecycle across builds at the same load.
    const halfRate = options.halfRate ?? full.lifecyclesPerSec / 2;
    log(`half load: open loop at ${halfRate.toFixed(1)} submits/s`);
    submitting = true;
    const openLoop = startOpenLoop(halfRate);
    const half = await runPhase('half');
    clearInterval(openLoop);
    submitting = false;
    const leftAfterHalf = await drain('half');

    let foreignInteractions = 0;
    for (const lifecycle of lifecyclesByInteraction.values()) if (!lifecycle.submitted) foreignInteractions++;
    shuttingDown = true;
    clearTimeout(hardDeadline);
    for (const socket of [router, ...mediaServers, ...agents.map((agent) => agent.socket)]) socket.close(1000);

    // Anything off the expected flow is a problem, AgentNotAvailable included: the router tracks
    // capacity itself, so that error means the router and the server disagree about an agent.
    const problems = { ...anomalies };
    if (foreignInteractions > 0) problems.foreignInteractions = foreignInteractions;
    if (openLoopSkipped > 0) problems.openLoopSkipped = openLoopSkipped;
    const result = {
      window: options.window,
      mediaServers: options.mediaServers,
      warmupSeconds: options.warmupSeconds,
      seconds: options.seconds,
      full,
      half: { targetRatePerSec: Math.round(halfRate * 10) / 10, ...half },
      submitted: submittedTotal,
      completed: completedTotal,
      leftInFlight: { afterFull: leftAfterFull, afterHalf: leftAfterHalf },
      problems,
      errorSamples,
    };
    process.send({ type: 'result', result }, () => process.exit(0));
  } catch (error) {
    fail(error.message);
  }
}

const options = readOptions();
if (options.generator) await runGenerator(options);
else await runParent(options);
