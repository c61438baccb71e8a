import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // setup-contract: every status a route answers must be declared in the OpenAPI document.
    setupFiles: ['test/setup-database.ts', 'test/setup-contract.ts'],
    pool: 'forks',
    // Two cores here; one PostgreSQL server per run, one database per worker.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
