import { defineConfig } from 'vitest/config';

/**
 * Suites that run real processes, hosts or browsers against the clock (client processes
 * training, network namespaces, Slurm, Chromium, the bench, fault injection, the CLI).
 * They run one file at a time, after the rest.
 */
const ONE_AT_A_TIME = ['test/integration/**', 'test/hosts/**', 'test/browser/**', 'test/bench/**', 'test/faults/**', 'test/cli/**'];

/**
 * Two groups, run one after the other:
 * - 'unit': every other suite, two files at once. Each file's fork spends about a second
 *   importing (TensorFlow.js, the backends) before its tests, and most of these files test
 *   for less than that, so one file at a time left a core idle for much of the suite.
 * - 'processes': the suites of ONE_AT_A_TIME, one file at a time, so that what a test
 *   starts (clients, coordinators, namespaces) has the machine's cores to itself.
 */
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs backends are process-global singletons: one fork per file keeps suites isolated.
    pool: 'forks',
    // Child processes run the compiled build of the sources under test (test/support/build-sources.ts).
    globalSetup: ['test/support/build-sources.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ONE_AT_A_TIME, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'processes', include: ONE_AT_A_TIME.map((folder) => `${folder}/*.test.ts`), maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
