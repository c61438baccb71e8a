import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyStatic from '@fastify/static'
import { projectRoot } from '../db/paths.js'
import { AppError } from '../errors/app-error.js'

export const ADMIN_PREFIX = '/admin'

/**
 * The console's own policy: everything from this origin only. Images may also be `data:` and `blob:`
 * URLs (QR codes and file previews are fetched with the bearer token, then shown from a blob), and
 * `connect-src 'self'` covers the realtime socket on the same host.
 */
export const ADMIN_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

export interface AdminConsoleOptions {
  /** The built console (packages/admin/dist); a missing index.html answers 503 until it is built. */
  distDir: string
  /** The modules this server runs: the console shows their pages only. */
  modules: readonly string[]
  version: string
}

/** Where `npm install` / `npm start` build the console: the @plinth/admin workspace package's dist/. */
export function defaultAdminDist(): string {
  try {
    const manifest = createRequire(import.meta.url).resolve('@plinth/admin/package.json')
    return join(dirname(manifest), 'dist')
  } catch {
    return join(projectRoot(), 'packages', 'admin', 'dist')
  }
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plinth admin console: not built</title></head>
<body><h1>The admin console is not built</h1>
<p>This server serves the console from <code>packages/admin/dist</code>, which does not exist yet.
Run <code>npm run build:admin</code> (or <code>npm install</code>, which builds it), then reload.
The API is unaffected.</p></body></html>
`

/**
 * The admin console (packages/admin, a Svelte single-page app) at /admin: hashed files under
 * /admin/assets/ cached for a year as immutable, `index.html` for /admin and every other path under
 * it (client routes), revalidated on every load (`no-cache` with an ETag), and `GET /admin/config.json`
 * telling the console which modules run. All of it is hidden from the OpenAPI document: it is not API.
 */
export async function adminConsole(app: FastifyInstance, options: AdminConsoleOptions): Promise<void> {
  await app.register(consoleRoutes, { ...options, prefix: ADMIN_PREFIX })
}

async function consoleRoutes(app: FastifyInstance, options: AdminConsoleOptions): Promise<void> {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('content-security-policy', ADMIN_CSP)
  })
  // A file missing under /admin/assets/ (the static plugin's wildcard route matched it): a plain 404.
  // The app's own handler would see that route and answer 405.
  app.setNotFoundHandler((request) => {
    throw new AppError('NOT_FOUND', `No route matches ${request.method} ${request.url.split('?')[0] ?? ''}.`)
  })
  const config = { modules: [...options.modules], version: options.version }
  app.get('/config.json', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache')
    return config
  })
  const index = new IndexFile(join(options.distDir, 'index.html'))
  const assets = join(options.distDir, 'assets')
  await app.register(fastifyStatic, {
    root: existsSync(assets) ? assets : options.distDir,
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    immutable: true,
    maxAge: '365d',
    // build-admin.ts writes .br and .gz beside each file; the smallest one the browser accepts is sent.
    preCompressed: true,
  })
  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    const file = index.read()
    if (!file) {
      request.log.warn('the admin console is not built (packages/admin/dist/index.html is missing)')
      return reply.code(503).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT_PAGE)
    }
    reply.header('cache-control', 'no-cache').header('etag', file.etag).header('content-type', 'text/html; charset=utf-8')
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send()
    return reply.send(file.body)
  }
  app.get('/', { schema: { hide: true } }, page)
  app.get('/*', { schema: { hide: true } }, page)
}

/** index.html, read again when the build replaces it (its mtime or size changes), else from memory. */
class IndexFile {
  private cached: { key: string; body: Buffer; etag: string } | undefined

  constructor(private readonly path: string) {}

  read(): { body: Buffer; etag: string } | undefined {
    let key: string
    try {
      const stat = statSync(this.path)
      key = `${stat.mtimeMs}:${stat.size}`
    } catch {
      this.cached = undefined
      return undefined
    }
    if (this.cached?.key !== key) {
      const body = readFileSync(this.path)
      this.cached = { key, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` }
    }
    return this.cached
  }
}
