import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // WebGPU on lavapipe is CPU-bound; give GPU tests room and keep them in one worker each.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    setupFiles: ['test/setup/node-host.ts'],
  },
});
