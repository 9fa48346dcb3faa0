import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Long crash/fault suites live behind `npm run test:resilience`.
    exclude: ['test/resilience/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
    // Most suites wait on sockets and child processes, not the CPU: three files at a time on two cores.
    maxWorkers: 3,
  },
});
