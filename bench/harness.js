// What the lifecycle benchmarks (bench/lifecycle.js, bench/sdk.js) share: the server's config
// for the lifecycle, a free port, waiting for a server to serve, and a process's CPU time.

import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { setTimeout } from 'node:timers';

// The chat capacity written into the server's config; the benchmarks' routers track it on their own side.
export const CHAT_CAPACITY = 4;
export const QUEUE_NAME = 'bench';
export const SERVER_CONFIG_YAML = `timeouts: { deliveringTimeout: 30, handlingTimeout: 600 }
mediaTypes: { chat: { capacity: ${CHAT_CAPACITY} } }
queues: { ${QUEUE_NAME}: { routing: external } }
router: { builtin: false }
`;

// Linux reports process CPU time in clock ticks of 1/100 s on every common configuration.
export const CLOCK_TICKS_PER_SECOND = 100;

export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function findFreePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export function httpStatus(url) {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

/**
 * Waits until GET `path` on the server answers 200: /readyz once it serves as the primary (the
 * default), /healthz once it is up, standing by perhaps. Throws when `exited()` names how the
 * server ended (null while it runs), or after `timeoutMs`.
 */
export async function waitForServer(port, { path = '/readyz', exited = () => null, timeoutMs = 600_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    const exit = exited();
    if (exit !== null) throw new Error(`the server exited before GET ${path} answered 200 (${exit})`);
    try {
      const status = await httpStatus(`http://127.0.0.1:${port}${path}`);
      if (status === 200) return;
      lastProblem = `HTTP ${status}`;
    } catch (error) {
      lastProblem = error.code ?? error.message;
    }
    await delay(20);
  }
  throw new Error(`GET ${path} did not answer 200 within ${timeoutMs / 1000} s (last: ${lastProblem})`);
}

/** A process's user + system CPU time in clock ticks (/proc/PID/stat), or null when it is gone. */
export function cpuTicksOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of /proc/PID/stat (utime, stime) are 11 and 12 after the command name.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}
