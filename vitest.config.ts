import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Registers the scenario sections other layers own (check's explore:/property:, drill:).
    setupFiles: ['test/setup.ts'],
    // Simulation-heavy tests (property searches, worker threads) share 2 cores with the rest of
    // the suite: generous limits, since no test here asserts on wall time.
    testTimeout: 60_000,
    // Both cores: vitest's default leaves one for itself, which ran the suite on one worker (205 s
    // against 157 s with two, measured on this 2-core machine); the main process does little.
    maxWorkers: 2,
    hookTimeout: 60_000,
  },
});
