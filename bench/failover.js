// How long clients wait when the primary of a highly available pair goes away (docs/deployment.md,
// "High availability"): two `openixn serve` processes on one PostgreSQL schema with the default
// lease (3 s), a media server submitting all the while, and the primary killed with SIGKILL, or
// paused with SIGSTOP, again and again. Served again: from the signal to the first submit the new
// primary acknowledges, the client trying every node in turn meanwhile. After each failover every
// submit acknowledged before it is looked up on the new primary: lost counts those missing.
//
// node bench/failover.js [--kills N] [--pauses N]   (npm run bench:failover; needs PostgreSQL at
// OPENIXN_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test). One JSON line.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import WebSocket from 'ws';
import { delay, findFreePort, httpStatus, waitForServer } from './harness.js';

const { values } = parseArgs({ options: { kills: { type: 'string', default: '10' }, pauses: { type: 'string', default: '5' } } });
const databaseUrl = process.env.OPENIXN_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `openixn_bench_${Math.floor(Math.random() * 2 ** 31).toString(16)}`;
const directory = mkdtempSync(join(tmpdir(), 'openixn-failover-'));
const configPath = join(directory, 'openixn.yaml');
writeFileSync(configPath, 'queues: { backlog: { routing: none } }\nrouter: { builtin: false }\n');
const mainFile = resolve(import.meta.dirname, '../dist/main.js');

/** A node: `openixn serve` on a free port, resolved once it listens (as a standby, perhaps). */
async function startNode() {
  const port = await findFreePort();
  const child = spawn(process.execPath, [mainFile, 'serve', '--config', configPath, '--port', String(port), '--store', `${databaseUrl}?schema=${schema}`, '--log-level', 'warn'], { stdio: 'ignore' });
  const node = { child, port, url: `ws://127.0.0.1:${port}/ws`, exited: new Promise((done) => child.on('exit', done)) };
  await waitForServer(port, { path: '/healthz', exited: () => (child.exitCode !== null ? `code ${child.exitCode}` : null) });
  return node;
}

async function readyNode(nodes) {
  for (;;) {
    for (const node of nodes) if ((await httpStatus(`http://127.0.0.1:${node.port}/readyz`).catch(() => 0)) === 200) return node;
    await delay(20);
  }
}

/** A registered MediaServer connection; request() resolves with the answer, or null if the connection goes first. */
function connect(url) {
  return new Promise((resolveConnection) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const pending = new Map();
    let next = 0;
    const request = (message) => new Promise((answer) => {
      if (socket.readyState !== WebSocket.OPEN) return answer(null);
      pending.set(++next, answer);
      socket.send(JSON.stringify({ ...message, referenceId: next }));
    });
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      pending.get(message.referenceId)?.(message);
      pending.delete(message.referenceId);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      for (const answer of pending.values()) answer(null);
      pending.clear();
      resolveConnection(null);
    });
    socket.on('open', async () => {
      const registered = await request({ message: 'RequestRegisterClient', clientType: 'MediaServer', clientName: 'bench' });
      resolveConnection(registered?.message === 'EventAck' ? { request, close: () => socket.terminate() } : null);
    });
  });
}

/** Submits until a submit is acknowledged on some node: the moment clients are served again. */
async function firstAcknowledgedSubmit(nodes) {
  for (;;) {
    for (const node of nodes) {
      const client = await connect(node.url);
      const answer = client === null ? null : await client.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' });
      if (answer?.message === 'EventAck') return { client, node, interactionId: answer.interactionId };
      client?.close();
    }
    await delay(20);
  }
}

function percentile(values, fraction) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

async function main() {
  const nodes = [await startNode()];
  await readyNode(nodes);
  nodes.push(await startNode());
  const acknowledged = [];
  const figures = { kill: [], pause: [] };
  let lost = 0;
  const plan = [...Array(Number(values.kills)).fill('kill'), ...Array(Number(values.pauses)).fill('pause')];
  for (const kind of plan) {
    const primary = await readyNode(nodes);
    const { client } = await firstAcknowledgedSubmit([primary]);
    // Load up to the signal: submits one after another, each acknowledged one remembered.
    let running = true;
    const load = (async () => {
      while (running) {
        const answer = await client.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' });
        if (answer?.message === 'EventAck') acknowledged.push(answer.interactionId);
        if (answer === null) return;
      }
    })();
    await delay(300 + Math.random() * 300);
    const signalledAt = performance.now();
    primary.child.kill(kind === 'kill' ? 'SIGKILL' : 'SIGSTOP');
    running = false;
    const others = nodes.filter((node) => node !== primary);
    const served = await firstAcknowledgedSubmit(others);
    figures[kind].push(performance.now() - signalledAt);
    client.close();
    await load;
    acknowledged.push(served.interactionId);
    // Nothing acknowledged before the failover is missing on the new primary.
    for (const interactionId of acknowledged) {
      const answer = await served.client.request({ message: 'RequestGetInteractionProperties', interactionId });
      if (answer?.message !== 'EventInteractionProperties') lost++;
    }
    served.client.close();
    if (kind === 'pause') primary.child.kill('SIGKILL');
    await primary.exited;
    nodes.splice(nodes.indexOf(primary), 1);
    nodes.push(await startNode());
  }
  for (const node of nodes) node.child.kill('SIGTERM');
  await Promise.all(nodes.map((node) => node.exited));
  const summary = (times) => (times.length === 0 ? null : { cycles: times.length, p50Ms: Math.round(percentile(times, 0.5)), p99Ms: Math.round(percentile(times, 0.99)), maxMs: Math.round(Math.max(...times)) });
  return {
    bench: 'failover', leaseSeconds: 3, sigkill: summary(figures.kill), sigstop: summary(figures.pause), acknowledged: acknowledged.length, lost,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, loadAverage: loadavg().map((load) => Number(load.toFixed(2))) },
    date: new Date().toISOString(),
  };
}

try {
  process.stdout.write(`${JSON.stringify(await main())}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ bench: 'failover', error: error.message })}\n`);
  process.exitCode = 1;
} finally {
  rmSync(directory, { recursive: true, force: true });
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await sql.end();
}
