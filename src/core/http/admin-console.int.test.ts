import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../../../test/helpers/app.js'
import { closeTestDatabase } from '../../../test/helpers/database.js'
import { ADMIN_CSP } from './admin-console.js'

const INDEX = '<!doctype html><html><head><script type="module" src="/admin/assets/index-Ab12Cd34.js"></script></head><body></body></html>'
const SCRIPT = 'console.log("console")'

/** A stand-in for packages/admin/dist as build-admin.ts leaves it. */
function fixtureBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-admin-dist-'))
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), INDEX)
  writeFileSync(join(dir, 'assets', 'index-Ab12Cd34.js'), SCRIPT)
  writeFileSync(join(dir, 'assets', 'index-Ab12Cd34.js.gz'), gzipSync(SCRIPT))
  writeFileSync(join(dir, '.build-stamp'), 'stamp')
  return dir
}

const apps: FastifyInstance[] = []
afterAll(async () => {
  for (const app of apps) await app.close()
  await closeTestDatabase()
})
async function appWith(options: Parameters<typeof buildTestApp>[0]): Promise<FastifyInstance> {
  const app = await buildTestApp(options)
  apps.push(app)
  return app
}

describe('the admin console at /admin', () => {
  let app: FastifyInstance
  beforeAll(async () => {
    app = await appWith({ adminConsoleDir: fixtureBuild(), env: { MODULES: 'cylinders,chat' } })
  })

  it('serves index.html for /admin, revalidated on every load, under a same-origin-only CSP', async () => {
    const response = await app.inject({ url: '/admin' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(response.headers['cache-control']).toBe('no-cache')
    expect(response.headers['content-security-policy']).toBe(ADMIN_CSP)
    expect(ADMIN_CSP).toContain("script-src 'self'")
    expect(ADMIN_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https:/)
    expect(response.body).toBe(INDEX)
    const again = await app.inject({ url: '/admin', headers: { 'if-none-match': response.headers.etag as string } })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
  })

  it('answers client routes under /admin with index.html', async () => {
    for (const url of ['/admin/', '/admin/users', '/admin/cylinders/0190c7a4-0000-7000-8000-000000000000?tab=history']) {
      const response = await app.inject({ url })
      expect(response.statusCode, url).toBe(200)
      expect(response.body, url).toBe(INDEX)
      expect(response.headers['cache-control'], url).toBe('no-cache')
    }
  })

  it('serves hashed assets as immutable, compressed when the browser accepts it', async () => {
    const plain = await app.inject({ url: '/admin/assets/index-Ab12Cd34.js' })
    expect(plain.statusCode).toBe(200)
    expect(plain.body).toBe(SCRIPT)
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(plain.headers['content-type']).toMatch(/^text\/javascript|^application\/javascript/)
    expect(plain.headers['content-security-policy']).toBe(ADMIN_CSP)
    const gzipped = await app.inject({ url: '/admin/assets/index-Ab12Cd34.js', headers: { 'accept-encoding': 'gzip' } })
    expect(gzipped.headers['content-encoding']).toBe('gzip')
    expect(gzipped.rawPayload).toEqual(gzipSync(SCRIPT))
  })

  it('answers a missing asset with 404 in the error shape, never with index.html', async () => {
    const response = await app.inject({ url: '/admin/assets/index-Gone0000.js' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toMatchObject({ error: { code: 'NOT_FOUND' } })
    // The build stamp beside index.html is not an asset, however the path is spelled.
    for (const url of ['/admin/assets/%2e%2e/.build-stamp', '/admin/.build-stamp']) {
      expect((await app.inject({ url })).body, url).not.toBe('stamp')
    }
  })

  it('tells the console which modules run, and the version', async () => {
    const response = await app.inject({ url: '/admin/config.json' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ modules: ['cylinders', 'chat'], version: expect.stringMatching(/^\d+\.\d+\.\d+/) })
    expect(response.headers['cache-control']).toBe('no-cache')
  })

  it('is not part of the API document, and leaves the API its own headers', async () => {
    const document = (await app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>()
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/admin'))).toEqual([])
    const api = await app.inject({ url: '/health' })
    expect(api.headers['content-security-policy']).not.toBe(ADMIN_CSP)
  })
})

describe('the admin console, not built', () => {
  it('answers /admin with a 503 page saying how to build it, while the API serves', async () => {
    const app = await appWith({ adminConsoleDir: join(tmpdir(), 'plinth-admin-never-built') })
    const response = await app.inject({ url: '/admin/users' })
    expect(response.statusCode).toBe(503)
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(response.body).toContain('npm run build:admin')
    expect((await app.inject({ url: '/admin/assets/index-Ab12Cd34.js' })).statusCode).toBe(404)
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200)
  })
})

describe('ADMIN_CONSOLE=false', () => {
  it('answers 404 under /admin', async () => {
    const app = await appWith({ adminConsoleDir: fixtureBuild(), env: { ADMIN_CONSOLE: 'false' } })
    for (const url of ['/admin', '/admin/users', '/admin/config.json', '/admin/assets/index-Ab12Cd34.js']) {
      const response = await app.inject({ url })
      expect(response.statusCode, url).toBe(404)
      expect(response.json(), url).toMatchObject({ error: { code: 'NOT_FOUND' } })
    }
  })
})
