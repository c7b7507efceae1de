import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Black-box tests start real servers on real ports; two cores run two files at a time.
    maxWorkers: 2,
  },
});
