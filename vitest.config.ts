import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Two cores here; one PostgreSQL server per run, one database per worker.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'server',
          // Inline projects do not inherit the root's test options: the timeouts are set here.
          testTimeout: 60_000,
          hookTimeout: 60_000,
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          // setup-contract: every status a route answers must be declared in the OpenAPI document.
          setupFiles: ['test/setup-database.ts', 'test/setup-contract.ts'],
          pool: 'forks',
          // A worker keeps its module graph across test files: evaluating ~400 modules per file cost more than
          // a third of the run (import 217 s, setup 156 s → 24 s and 7 s; 611 s → 381 s on the embedded pass).
          // Files therefore share module state: nothing may rely on a fresh module, and no file uses vi.mock.
          isolate: false,
        },
      },
      // The admin console's component tests (Svelte, happy-dom); no database.
      'packages/admin/vitest.config.ts',
    ],
  },
})
