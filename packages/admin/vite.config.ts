import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defaultClientConditions, defineConfig } from 'vite'

/**
 * The console is served by Plinth at /admin (src/core/http/admin-console.ts): hashed files under
 * /admin/assets/ (cached as immutable), index.html for every other path. `npm run dev` in this folder
 * proxies the API to a Plinth on :3000.
 */
export default defineConfig({
  base: '/admin/',
  plugins: [svelte({ configFile: false })],
  // @plinth/client is bundled from its TypeScript sources (its `source` export): no build of it needed first.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    target: 'es2022',
    // No inline module-preload polyfill or data: URLs the CSP (script-src 'self') would have to allow.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    // On a busy 2-core machine the timing warning fires on most builds and says nothing about the console.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:3000', ws: true },
      '/health': 'http://127.0.0.1:3000',
      '/ready': 'http://127.0.0.1:3000',
      '/metrics': 'http://127.0.0.1:3000',
      '/admin/config.json': 'http://127.0.0.1:3000',
    },
  },
})
