import { defineConfig } from 'vitest/config';
import { isTransientFault } from './src/store/postgres/faults.js';
import { ProgressReporter } from './test/support/progress-reporter.js';

// With OPENIXN_TEST_PROGRESS set (.ci/run sets it), every test's start and end also go to that file
// as they happen, so that a run that stops moving says where (test/support/progress-reporter.ts).
const progress = process.env.OPENIXN_TEST_PROGRESS || null;

// Every suite runs on the embedded SQLite store; the black-box suites run a second time on
// PostgreSQL (127.0.0.1:5432, a fresh schema per test), since SPEC section 6 promises the same
// behaviour on both. `vitest run --project sqlite` or `--project postgres` runs one of them.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Black-box tests start real servers on real ports; two cores run two files at a time.
    maxWorkers: 2,
    reporters: progress === null ? ['default'] : ['default', new ProgressReporter(progress)],
    setupFiles: progress === null ? [] : ['test/support/stall-watch.ts'],
    // The in-process servers of the tests get the policy of the server's own process (src/main.ts):
    // a PostgreSQL connection fault that postgres.js left unobserved (a connection killed while it
    // was still reading the database's types, in the fault tests) is not a failure; any other
    // unhandled error is.
    onUnhandledError(error) {
      if (error.type !== 'Unhandled Rejection' || !isTransientFault(error)) return;
      process.stderr.write(`ignored, as src/main.ts does, a PostgreSQL connection fault nobody awaited: ${error.message}\n`);
      return false;
    },
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'], env: { OPENIXN_TEST_STORE: 'sqlite' } } },
      { extends: true, test: { name: 'postgres', include: ['test/blackbox/**/*.test.ts'], env: { OPENIXN_TEST_STORE: 'postgres' } } },
    ],
  },
});
