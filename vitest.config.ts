import { defineConfig } from 'vitest/config';

// Every suite runs on the embedded SQLite store; the black-box suites run a second time on
// PostgreSQL (127.0.0.1:5432, a fresh schema per test), since SPEC section 6 promises the same
// behaviour on both. `vitest run --project sqlite` or `--project postgres` runs one of them.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Black-box tests start real servers on real ports; two cores run two files at a time.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'], env: { OPENIXN_TEST_STORE: 'sqlite' } } },
      { extends: true, test: { name: 'postgres', include: ['test/blackbox/**/*.test.ts'], env: { OPENIXN_TEST_STORE: 'postgres' } } },
    ],
  },
});
