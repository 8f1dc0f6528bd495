import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['flagstaff-source'] },
  ssr: { resolve: { conditions: ['flagstaff-source'], externalConditions: ['flagstaff-source'] } },
  test: {
    include: ['tests/**/*.test.ts', 'sdk/tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
