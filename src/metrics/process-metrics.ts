// Node's own metrics (CPU, memory, heap, event-loop lag, GC) from prom-client's default collectors.
// They describe the process, not a server, so one registry serves every server in it: each
// collector starts an event-loop monitor and a GC observer that are never stopped, and a registry
// per server would leave a pair behind at every restart of an in-process server (the tests start
// hundreds).

import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | null = null;

export function processRegistry(): Registry {
  if (shared === null) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
