// Fires every timer of a core that is due, as the harnesses on virtual time do, but never without
// end: a million firings at one moment with more still due is a livelock of the timers (a handler
// that re-arms a timer for the same moment), and fails the test that met it, with its seed, where
// an endless loop would stop the whole run with no test to blame.

import type { Core } from '../../src/core/core.js';

const firingsBound = 1_000_000;

export function expireAllDue(core: Core, now: number): void {
  if (core.expire(now, firingsBound)) {
    throw new Error(`more than ${firingsBound} timers fired at ${now} and more are still due: the core's timers livelock`);
  }
}
