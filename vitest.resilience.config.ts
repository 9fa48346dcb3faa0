import { defineConfig } from 'vitest/config';

/** `npm run test:resilience`: the long crash and fault suites (also run by .ci/run). */
export default defineConfig({
  test: {
    include: ['test/resilience/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
    // Each file kills and restarts many child processes: one file at a time keeps them from starving each other.
    fileParallelism: false,
  },
});
