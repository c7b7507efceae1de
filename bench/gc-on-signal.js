// Preloaded into a benchmark's server (node --expose-gc --import bench/gc-on-signal.js): SIGUSR2
// runs a full garbage collection, so that the heap read next from /metrics is what is live.
import process from 'node:process';

process.on('SIGUSR2', () => globalThis.gc?.());
