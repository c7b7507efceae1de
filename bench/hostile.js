// What a hostile client costs the server: each attack of issue 9 run against a real server
// process, measuring what it did to the server (its resident memory, its store's size, how long
// an honest client waited for an answer meanwhile) and whether it worked. Run against the current
// build, or against another build's main.js (`--main PATH`) to compare before and after a change.
//
// Usage: node bench/hostile.js [--main dist/main.js] [--attack all|logins|frames|replay|places|sockets|origin]
// Prints one JSON line per attack on stdout; progress on stderr.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, readdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    main: { type: 'string', default: fileURLToPath(new URL('../dist/main.js', import.meta.url)) },
    attack: { type: 'string', default: 'all' },
  },
});
const mainFile = resolve(values.main);
const log = (line) => process.stderr.write(`[hostile] ${line}\n`);
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function startServer(yaml) {
  const directory = await mkdtemp(join(tmpdir(), 'openixn-hostile-'));
  const configPath = join(directory, 'openixn.yaml');
  await writeFile(configPath, yaml);
  const child = spawn(process.execPath, [mainFile, 'serve', '--config', configPath, '--port', '0', '--store', `sqlite:${join(directory, 'data', 'openixn.db')}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const port = await new Promise((done, fail) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /"port":(\d+)/.exec(output);
      if (match) done(Number(match[1]));
    });
    child.once('exit', () => fail(new Error(`server exited: ${output}`)));
  });
  child.stdout.resume();
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    port,
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024,
    storeMb: async () => {
      let bytes = 0;
      for (const file of await readdir(join(directory, 'data'))) bytes += (await stat(join(directory, 'data', file))).size;
      return bytes / 1024 / 1024;
    },
    async stop() {
      child.kill('SIGKILL');
      await new Promise((done) => child.once('exit', done));
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A registered client that answers request() with the answer carrying its referenceId. */
async function client(url, clientType, clientName, extra = {}, options = {}) {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
  await new Promise((done, fail) => {
    ws.once('open', done);
    ws.once('error', fail);
    ws.once('unexpected-response', (_request, response) => fail(new Error(`HTTP ${response.statusCode}`)));
  });
  let next = 0;
  const waiting = new Map();
  const received = [];
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString());
    received.push(message);
    waiting.get(message.referenceId)?.(message);
    waiting.delete(message.referenceId);
  });
  const request = (message) => new Promise((done) => {
    const referenceId = ++next;
    waiting.set(referenceId, done);
    ws.send(JSON.stringify({ ...message, referenceId }));
  });
  const registered = await request({ message: 'RequestRegisterClient', clientType, clientName, ...extra });
  if (registered.message !== 'EventAck') throw new Error(`registration refused: ${JSON.stringify(registered)}`);
  return { ws, request, received, send: (message) => ws.send(JSON.stringify({ ...message, referenceId: ++next })) };
}

/** An honest media server asking for an interaction's properties every 20 ms; its answer times. */
async function probe(url, queue = 'backlog') {
  const media = await client(url, 'MediaServer', 'probe');
  const { interactionId } = await media.request({ message: 'RequestSubmit', queue, mediaType: 'email' });
  const times = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await Promise.race([media.request({ message: 'RequestGetInteractionProperties', interactionId }), sleep(10_000)]);
      times.push(performance.now() - started);
      await sleep(20);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      media.ws.terminate();
      times.sort((a, b) => a - b);
      const at = (q) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] * 100) / 100;
      return { answers: times.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: Math.round(times.at(-1) * 100) / 100 };
    },
  };
}

const baseConfig = 'queues: { backlog: { routing: none } }\nworkbins: { drafts: { owner: agent }, desk: { owner: place } }\nrouter: { builtin: false }\n';

const attacks = {
  /** 1. An agent sending ~1 MB logins (45,000 skills, changing each time) at a tenth of its rate limit for 5 s. */
  async logins() {
    const server = await startServer(baseConfig);
    try {
      const watcher = await probe(server.url);
      const storeBefore = await server.storeMb();
      const agent = await client(server.url, 'AgentApplication', 'desk');
      let refused = 0;
      let accepted = 0;
      const until = Date.now() + 5000;
      for (let round = 0; Date.now() < until; round++) {
        const skills = {};
        for (let index = 0; index < 45_000; index++) skills[`skill-${index}`] = round % 5;
        const answer = await agent.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1', skills });
        if (answer.message === 'EventAck') accepted++;
        else refused++;
        await sleep(100);
      }
      await sleep(500);
      return { attack: 'logins', accepted, refused, storeGrowthMb: round2((await server.storeMb()) - storeBefore), honestClient: await watcher.stop() };
    } finally {
      await server.stop();
    }
  },

  /** 2. 30 unregistered connections each sending the first 1 MiB of a frame announcing 16 MiB, with maxMessageBytes 65536. */
  async frames() {
    const server = await startServer(`${baseConfig}limits: { maxMessageBytes: 65536 }\n`);
    try {
      await sleep(500);
      const before = server.rssMb();
      const sockets = [];
      for (let index = 0; index < 30; index++) {
        const socket = await rawUpgrade(server.port);
        const header = Buffer.alloc(14);
        header[0] = 0x81;
        header[1] = 0x80 | 127;
        header.writeBigUInt64BE(BigInt(16 * 1024 * 1024), 2);
        socket.write(header);
        socket.write(Buffer.alloc(15 * 1024 * 1024, 0x61));
        sockets.push(socket);
      }
      await sleep(3000);
      const open = sockets.filter((socket) => !socket.destroyed && socket.readyState === 'open').length;
      const after = server.rssMb();
      for (const socket of sockets) socket.destroy();
      return { attack: 'frames', connections: 30, stillOpen: open, rssBeforeMb: round2(before), rssAfterMb: round2(after), rssGrowthMb: round2(after - before) };
    } finally {
      await server.stop();
    }
  },

  /** 3. Three reporting clients that ask for the whole log and stop reading, over ~15 MB of log. */
  async replay() {
    const server = await startServer(baseConfig);
    try {
      const media = await client(server.url, 'MediaServer', 'gateway');
      const body = 'y'.repeat(50_000);
      for (let index = 0; index < 300; index++) await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', userData: { body } });
      await sleep(500);
      const before = server.rssMb();
      const watcher = await probe(server.url);
      const readers = [];
      for (let index = 0; index < 3; index++) {
        const reader = await client(server.url, 'ReportingEngine', `frozen-${index}`);
        reader.send({ message: 'RequestStartReporting', fromSeq: 1 });
        reader.ws.pause();
        readers.push(reader);
      }
      let peak = before;
      const started = Date.now();
      const readerPorts = new Set(readers.map((reader) => reader.ws._socket.localPort));
      let releasedAfterMs = null;
      // The server's side of the readers' connections: gone once it has let them go.
      while (Date.now() - started < 45_000) {
        peak = Math.max(peak, server.rssMb());
        if (establishedOnServer(server.port, readerPorts) === 0) {
          releasedAfterMs = Date.now() - started;
          break;
        }
        await sleep(250);
      }
      const rssAfter = server.rssMb();
      for (const reader of readers) reader.ws.terminate();
      return { attack: 'replay', readers: 3, serverReleasedThemAfterMs: releasedAfterMs ?? 'not within 45 s', rssBeforeMb: round2(before), rssPeakMb: round2(peak), rssAtEndMb: round2(rssAfter), honestClient: await watcher.stop() };
    } finally {
      await server.stop();
    }
  },

  /** 4. With auth on, an agent token naming agent-1 only, logging in at another place to read its desk. */
  async places() {
    const secret = 'a-test-secret-of-more-than-thirty-two-bytes-0123456789';
    const server = await startServer(`${baseConfig}auth: { jwt: { secret: "${secret}" } }\n`);
    try {
      const { SignJWT } = await import('jose');
      const token = await new SignJWT({ clientType: 'AgentApplication', agentId: 'agent-1', placeId: 'place-1' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(secret));
      const agent = await client(server.url, 'AgentApplication', 'desk', { token });
      const login = await agent.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-of-someone-else' });
      agent.ws.terminate();
      return { attack: 'places', loginAtAnotherPlace: login.message === 'EventAck' ? 'accepted' : `refused (${login.errorCode})` };
    } finally {
      await server.stop();
    }
  },

  /** 5. 3,000 TCP connections from one address that never send a byte. */
  async sockets() {
    const server = await startServer(baseConfig);
    try {
      const sockets = [];
      const opened = await Promise.all(Array.from({ length: 3000 }, () => new Promise((done) => {
        const socket = tcpConnect({ host: '127.0.0.1', port: server.port }, () => done(socket));
        socket.on('error', () => done(null));
        sockets.push(socket);
      })));
      await sleep(1000);
      const heldAfter1s = establishedOnServer(server.port);
      await sleep(11_000);
      const heldAfter12s = establishedOnServer(server.port);
      const health = await fetch(`http://127.0.0.1:${server.port}/healthz`).then((response) => response.status, () => 'failed');
      for (const socket of sockets) socket.destroy();
      return { attack: 'sockets', connected: opened.filter(Boolean).length, heldByServerAfter1s: heldAfter1s, heldByServerAfter12s: heldAfter12s, healthz: health };
    } finally {
      await server.stop();
    }
  },

  /** 6. A page on a foreign origin opening the WebSocket of a server without auth and reading the reporting stream. */
  async origin() {
    const server = await startServer(baseConfig);
    try {
      try {
        const reader = await client(server.url, 'ReportingEngine', 'evil-page', {}, { origin: 'https://evil.example' });
        const started = await reader.request({ message: 'RequestStartReporting', fromSeq: 1 });
        reader.ws.terminate();
        return { attack: 'origin', foreignPage: started.message === 'EventAck' ? 'registered and read the reporting stream' : 'registered' };
      } catch (error) {
        return { attack: 'origin', foreignPage: `refused (${error.message})` };
      }
    } finally {
      await server.stop();
    }
  },
};

/**
 * The server's side of its TCP connections that are still established, from /proc/net/tcp{,6}:
 * what the server holds, whatever the client's paused sockets have noticed. With `remotePorts`,
 * only those connections.
 */
function establishedOnServer(serverPort, remotePorts) {
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== '01') continue;
      const localPort = parseInt(fields[1].split(':')[1], 16);
      const remotePort = parseInt(fields[2].split(':')[1], 16);
      if (localPort === serverPort && (remotePorts === undefined || remotePorts.has(remotePort))) count++;
    }
  }
  return count;
}

function round2(value) {
  return Math.round(value * 100) / 100;
}

/** A socket with a finished WebSocket upgrade, on which frames are written by hand. */
function rawUpgrade(port) {
  return new Promise((done, fail) => {
    const socket = tcpConnect({ host: '127.0.0.1', port }, () => {
      socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.once('data', (chunk) => (chunk.toString().startsWith('HTTP/1.1 101') ? done(socket) : fail(new Error(chunk.toString()))));
    socket.on('error', () => {});
  });
}

const chosen = values.attack === 'all' ? Object.keys(attacks) : values.attack.split(',');
for (const name of chosen) {
  log(`${name} against ${mainFile}`);
  process.stdout.write(`${JSON.stringify({ ...(await attacks[name]()), main: mainFile, date: new Date().toISOString() })}\n`);
}
