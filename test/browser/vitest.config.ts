import { defineConfig } from 'vitest/config'

/**
 * `npm run test:browser`: the admin console in Debian's Chromium (playwright-core, never a downloaded
 * browser) against a real Plinth process. Apart from `npm test`: it needs /usr/bin/chromium and builds
 * the console first.
 */
export default defineConfig({
  test: {
    root: `${import.meta.dirname}/../..`,
    include: ['test/browser/**/*.spec.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 240_000,
    hookTimeout: 180_000,
  },
})
