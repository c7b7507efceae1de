// A setup file (vitest.config.ts adds it when OPENIXN_TEST_PROGRESS is set, as .ci/run does): a
// thread beside each test worker's main thread that notices when the main thread's event loop has
// not turned for a minute (a test's own timeout cannot fire then) and writes where the main
// thread is to the progress file, through the inspector: a busy loop in JavaScript, however deep
// in the server, is named by its stack. A thread blocked in a system call never reaches the
// inspector; .ci/hang-report.mjs reads its wait from /proc instead.

import { relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import { expect } from 'vitest';

const progress = process.env.OPENIXN_TEST_PROGRESS;
const stallMs = Number(process.env.OPENIXN_TEST_STALL_MS ?? 60_000);

if (progress !== undefined && progress !== '') {
  const beat = new Int32Array(new SharedArrayBuffer(4));
  setInterval(() => Atomics.add(beat, 0, 1), 1000).unref();
  const watcher = new Worker(
    `
    const { workerData } = require('node:worker_threads');
    const { Session } = require('node:inspector');
    const { appendFileSync } = require('node:fs');
    const { beat, progress, stallMs, file } = workerData;
    let seen = Atomics.load(beat, 0);
    let since = Date.now();
    let reported = false;
    const write = (what) => appendFileSync(progress, new Date().toISOString() + ' stall ' + file + ' | ' + what.replace(/\\s+/g, ' ') + '\\n');
    setInterval(() => {
      const now = Atomics.load(beat, 0);
      if (now !== seen) { seen = now; since = Date.now(); reported = false; return; }
      if (reported || Date.now() - since < stallMs) return;
      reported = true;
      const session = new Session();
      session.connectToMainThread();
      const timer = setTimeout(() => write('the main thread did not answer the inspector within 5 s: blocked outside JavaScript'), 5000);
      const urls = new Map();
      session.on('Debugger.scriptParsed', ({ params }) => urls.set(params.scriptId, params.url));
      session.on('Debugger.paused', ({ params }) => {
        clearTimeout(timer);
        const frames = params.callFrames.slice(0, 12).map((frame) => (frame.functionName || '(anonymous)') + ' ' + (frame.url || urls.get(frame.location.scriptId) || '?').replace(/^file:\\/\\//, '') + ':' + (frame.location.lineNumber + 1));
        write('the event loop has not turned for ' + Math.round((Date.now() - since) / 1000) + ' s; the main thread is at ' + frames.join(' < '));
        session.post('Debugger.resume', () => session.disconnect());
      });
      session.post('Debugger.enable', () => session.post('Debugger.pause'));
    }, 5000);
    `,
    { eval: true, workerData: { beat, progress, stallMs, file: `${relative(process.cwd(), expect.getState().testPath ?? '?')} (pid ${process.pid})` } },
  );
  watcher.unref();
}
