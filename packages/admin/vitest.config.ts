import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'vitest/config'

/** Component tests: Svelte compiled for the browser, rendered in happy-dom (jsdom needs Node 22). */
export default defineConfig({
  plugins: [svelte({ configFile: false })],
  resolve: { conditions: ['source', 'browser'] },
  test: {
    name: 'admin',
    root: import.meta.dirname,
    include: ['test/**/*.test.ts'],
    environment: 'happy-dom',
    setupFiles: ['test/setup.ts'],
  },
})
