// What a test run that stopped moving was doing, for .ci/run: the tests that started and never
// ended (from the progress file of test/support/progress-reporter.ts), and every process of the
// run's session with what its threads wait on in the kernel and, for Node processes, their
// JavaScript stack and open handles (a diagnostic report each writes on SIGUSR2, which .ci/run
// turns on with NODE_OPTIONS). Kept to a few kilobytes: it is printed last, where CI keeps it.
//
// node .ci/hang-report.mjs <progress file> <session id> <report directory>

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const [progressPath, sessionArgument, reportDirectory] = process.argv.slice(2);
const session = Number(sessionArgument);
const cut = (text, length = 160) => (text.length > length ? `${text.slice(0, length - 1)}…` : text);
const read = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

// 1. Tests and files that started and did not end.
const now = Date.now();
const open = new Map();
const openFiles = new Map();
const stalls = [];
for (const line of read(progressPath).split('\n')) {
  const match = /^(\S+) (\S+) (.*)$/.exec(line);
  if (match === null) continue;
  const [, time, event, name] = match;
  const what = event.split(':')[0];
  if (what === 'file-start') openFiles.set(name, time);
  else if (what.startsWith('file-')) openFiles.delete(name);
  else if (what === 'test-start') open.set(name, time);
  else if (what === 'stall') stalls.push(`${time} ${name}`);
  else open.delete(name);
}
const age = (time) => `${Math.round((now - Date.parse(time)) / 1000)} s ago`;
console.log(`Test files started and not ended (${openFiles.size}):`);
for (const [name, time] of openFiles) console.log(`  ${name} (started ${age(time)})`);
console.log(`Tests started and not ended (${open.size}):`);
for (const [name, time] of open) console.log(`  ${cut(name, 220)} (started ${age(time)})`);
console.log(`Event loops that stopped turning (${stalls.length}; test/support/stall-watch.ts):`);
for (const stall of stalls.slice(-6)) console.log(`  ${cut(stall, 1200)}`);

// 2. The session's processes.
const processes = [];
for (const entry of readdirSync('/proc')) {
  if (!/^\d+$/.test(entry)) continue;
  const stat = read(`/proc/${entry}/stat`);
  // pid (comm) state ppid pgrp session ...
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (Number(fields[3]) !== session) continue;
  const args = read(`/proc/${entry}/cmdline`).split('\0').filter(Boolean).join(' ');
  processes.push({ pid: Number(entry), ppid: Number(fields[1]), state: fields[0], args });
}
const isNode = (item) => /(^|\/)node( |$)/.test(item.args.split(' ')[0] ?? '');

// Ask every Node process for a report, and give them a moment to write it.
const before = new Set(existsSync(reportDirectory) ? readdirSync(reportDirectory) : []);
for (const item of processes.filter(isNode)) {
  try {
    process.kill(item.pid, 'SIGUSR2');
  } catch {
    // gone meanwhile
  }
}
await sleep(4000);
const reports = new Map();
for (const file of existsSync(reportDirectory) ? readdirSync(reportDirectory) : []) {
  if (before.has(file) || !file.endsWith('.json')) continue;
  try {
    const report = JSON.parse(readFileSync(join(reportDirectory, file), 'utf8'));
    reports.set(report.header?.processId, report);
  } catch {
    // half written
  }
}

console.log(`\nProcesses of the test run's session (${processes.length}):`);
for (const item of processes.sort((a, b) => a.pid - b.pid)) {
  console.log(`${item.pid} (parent ${item.ppid}) ${item.state} ${cut(item.args)}`);
  // Threads that wait on something other than an ordinary poll or lock.
  const threads = existsSync(`/proc/${item.pid}/task`) ? readdirSync(`/proc/${item.pid}/task`) : [];
  for (const tid of threads) {
    const wchan = read(`/proc/${item.pid}/task/${tid}/wchan`).trim();
    const main = Number(tid) === item.pid;
    if (!main && /^(futex|ep_poll|do_epoll_wait|0$|$)/.test(wchan)) continue;
    const name = read(`/proc/${item.pid}/task/${tid}/comm`).trim();
    const stack = read(`/proc/${item.pid}/task/${tid}/stack`).split('\n').filter(Boolean).slice(0, 4).map((frame) => frame.replace(/^\[<[0-9a-f]+>\] /, '')).join(' < ');
    console.log(`    thread ${tid} ${name}${main ? ' (main)' : ''}: ${wchan || '-'}${stack ? ` [${cut(stack, 200)}]` : ''}`);
  }
  const report = reports.get(item.pid);
  if (report === undefined) {
    if (isNode(item)) console.log('    no diagnostic report: its event loop did not turn within 4 s (state R: busy in JavaScript or native code; S or D: the wait above)');
    continue;
  }
  const frames = (report.javascriptStack?.stack ?? []).filter((frame) => !frame.includes('node:internal/report')).slice(0, 8);
  console.log(`    JavaScript: ${cut(report.javascriptStack?.message ?? '', 120)}`);
  for (const frame of frames) console.log(`      ${cut(frame.trim(), 200)}`);
  const handles = new Map();
  for (const handle of report.libuv ?? []) {
    if (!handle.is_active) continue;
    const key = `${handle.type}${handle.is_referenced ? '' : ' (unref)'}`;
    handles.set(key, (handles.get(key) ?? 0) + 1);
  }
  console.log(`    active handles: ${[...handles].map(([key, count]) => `${count} ${key}`).join(', ') || 'none'}`);
  const sockets = (report.libuv ?? []).filter((handle) => handle.is_active && handle.type === 'tcp' && handle.remoteEndpoint);
  if (sockets.length > 0) console.log(`    tcp: ${cut(sockets.slice(0, 12).map((handle) => `${handle.localEndpoint?.port}->${handle.remoteEndpoint?.port}`).join(' '), 200)}`);
}
