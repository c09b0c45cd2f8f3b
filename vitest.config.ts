import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Registers the scenario sections other layers own (check's explore:/property:, drill:).
    setupFiles: ['test/setup.ts'],
    // Simulation-heavy tests (property searches, worker threads) share 2 cores with the rest of
    // the suite: generous limits, since no test here asserts on wall time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
