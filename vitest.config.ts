import { defineConfig } from 'vitest/config';

// The SDK's "Node 22 from 2027" notice is for users (README says so), not for every test worker.
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          env,
          // Unit tests first (fast feedback), then the e2e files with their own worker limit.
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          env,
          sequence: { groupOrder: 1 },
          // Strict AWS layer: collects each proxy's rule hits and prints one table at the end.
          globalSetup: ['test/e2e/harness/strict/global-setup.ts'],
          // Each e2e file starts its own moto_server; files run in parallel on separate ports.
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
    ],
  },
});
