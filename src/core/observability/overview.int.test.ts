import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../app.js'
import { headerActor } from '../../../test/fixtures/notes/index.js'
import { testConfig, useTestApp } from '../../../test/helpers/app.js'
import { testDatabase } from '../../../test/helpers/database.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { expectError } from '../../../test/helpers/user-admin.js'

const app = useTestApp({
  setup: (instance) => {
    instance.get('/test/overview-boom', { schema: { hide: true } }, async () => {
      throw new Error('boom')
    })
  },
})

interface Counts {
  requests: number
  clientErrors: number
  serverErrors: number
}

interface Overview {
  version: string
  modules: string[]
  startedAt: string
  uptimeSeconds: number
  requests: { lastMinute: Counts & { seconds: number; perSecond: number; serverErrorRatio: number }; sinceStart: Counts }
  ready: boolean
  dependencies: Record<string, string>
}

async function overview(admin: TestUser): Promise<Overview> {
  const response = await app().inject({ url: '/api/admin/overview', headers: admin.headers })
  expect(response.statusCode, response.body).toBe(200)
  return response.json<Overview>()
}

describe('GET /api/admin/overview', () => {
  it('shows the version, the modules, uptime and the readiness of each dependency', async () => {
    const admin = await loginAs(app(), 'admin')
    const body = await overview(admin)
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
    expect(body).toMatchObject({ version, modules: ['cylinders', 'chat', 'colorbook'], ready: true })
    expect(body.dependencies).toEqual(process.env.REDIS_URL ? { database: 'ok', redis: 'ok' } : { database: 'ok' })
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0)
    expect(Math.abs(Date.parse(body.startedAt) + body.uptimeSeconds * 1000 - Date.now())).toBeLessThan(5000)
  })

  it('counts the requests this instance answered, and its 4xx and 5xx answers, over the last minute and since start', async () => {
    const admin = await loginAs(app(), 'admin')
    const before = await overview(admin)
    expect((await app().inject({ url: '/health' })).statusCode).toBe(200)
    expect((await app().inject({ url: '/api/no-such-route' })).statusCode).toBe(404)
    expect((await app().inject({ url: '/test/overview-boom' })).statusCode).toBe(500)
    const after = await overview(admin)

    // The first overview request is counted once it was answered: four since.
    const delta = (key: keyof Counts) => after.requests.sinceStart[key] - before.requests.sinceStart[key]
    expect([delta('requests'), delta('clientErrors'), delta('serverErrors')]).toEqual([4, 1, 1])
    const { lastMinute } = after.requests
    expect(lastMinute.requests).toBeGreaterThanOrEqual(4)
    expect(lastMinute.serverErrors).toBeGreaterThanOrEqual(1)
    expect(lastMinute.seconds).toBeGreaterThanOrEqual(1)
    expect(lastMinute.seconds).toBeLessThanOrEqual(60)
    expect(lastMinute.perSecond).toBeCloseTo(lastMinute.requests / lastMinute.seconds, 2)
    expect(lastMinute.serverErrorRatio).toBeCloseTo(lastMinute.serverErrors / lastMinute.requests, 2)
  })

  it('still answers, with ready false and the failing dependency, when one is down', async () => {
    const real = await testDatabase()
    const broken = { ...real, ping: () => Promise.reject(new Error('connection refused')), close: async () => {} }
    // No Redis, and a header actor: this app is only asked for its overview.
    const instance = await buildApp(testConfig({ REDIS_URL: undefined, JOBS_WORKERS: 'false' }), { database: broken, migrate: false, authenticate: headerActor })
    try {
      const response = await instance.inject({ url: '/api/admin/overview', headers: { 'x-test-actor': `${randomUUID()}:admin` } })
      expect(response.statusCode, response.body).toBe(200)
      expect(response.json()).toMatchObject({ ready: false, dependencies: { database: 'unreachable' } })
    } finally {
      await instance.close()
    }
  })

  it('refuses anonymous callers (401) and non-administrators (403)', async () => {
    expectError(await app().inject({ url: '/api/admin/overview' }), 401, 'UNAUTHENTICATED')
    for (const role of ['user', 'worker'] as const) {
      const caller = await loginAs(app(), role)
      expect(expectError(await app().inject({ url: '/api/admin/overview', headers: caller.headers }), 403, 'FORBIDDEN').message).toContain('platform:read')
    }
  })
})
