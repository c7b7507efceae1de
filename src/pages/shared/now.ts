// One clock for a page's timers (countdowns, time in state): a signal that ticks every second, so
// every display of elapsed time re-renders together and no component keeps an interval of its own.

import { signal } from '@preact/signals';

export const now = signal(Date.now());
setInterval(() => {
  now.value = Date.now();
}, 1000);
