// Preloaded into a benchmark's server (node --import bench/loop-delay-on-signal.js): it watches
// the server's event loop, and on SIGUSR2 writes the longest pause since the previous signal to
// stderr as one JSON line ({"loopDelayMaxMs": …}) and starts a new window.
import process from 'node:process';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
process.on('SIGUSR2', () => {
  process.stderr.write(`${JSON.stringify({ loopDelayMaxMs: histogram.max / 1e6, loopDelayP99Ms: histogram.percentile(99) / 1e6 })}\n`);
  histogram.reset();
});
