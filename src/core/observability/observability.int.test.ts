import type { FastifyInstance } from 'fastify'
import { captureLogs } from '../../../test/helpers/logs.js'
import { afterAll, describe, expect, it } from 'vitest'
import Type from 'typebox'
import { buildApp } from '../../app.js'
import { testConfig, useTestApp } from '../../../test/helpers/app.js'
import { testDatabase } from '../../../test/helpers/database.js'

const { stream: logStream, lines: logLines } = captureLogs()

const app = useTestApp({
  env: { LOG_LEVEL: 'info' },
  logStream,
  setup: (instance) => {
    instance.post('/login-like', { schema: { body: Type.Object({ email: Type.String(), password: Type.String() }) } }, async (request) => {
      request.log.info({ body: request.body }, 'handler saw a body')
      return { ok: true }
    })
  },
})

describe('health and readiness', () => {
  it('GET /health answers while the process lives', async () => {
    const response = await app().inject({ url: '/health' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ok', uptimeSeconds: expect.any(Number) })
  })

  it('GET /ready checks the database (and Redis when configured)', async () => {
    const response = await app().inject({ url: '/ready' })
    expect(response.statusCode).toBe(200)
    const expected = process.env.REDIS_URL ? { database: 'ok', redis: 'ok' } : { database: 'ok' }
    expect(response.json()).toEqual({ status: 'ready', checks: expected })
  })
})

describe('readiness failures', () => {
  const apps: FastifyInstance[] = []
  afterAll(async () => {
    for (const instance of apps) await instance.close()
  })

  it('answers 503 naming the failing database', async () => {
    const real = await testDatabase()
    const broken = { ...real, ping: () => Promise.reject(new Error('connection refused')), close: async () => {} }
    const instance = await buildApp(testConfig({ REDIS_URL: undefined }), { database: broken, migrate: false })
    apps.push(instance)
    const response = await instance.inject({ url: '/ready' })
    expect(response.statusCode).toBe(503)
    expect(response.json().error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'Not ready: database unreachable.', details: { database: 'unreachable' } })
  })

  it('answers 503 naming Redis when REDIS_URL points nowhere', async () => {
    const instance = await buildApp(testConfig({ REDIS_URL: 'redis://127.0.0.1:1/0' }), { database: await testDatabase(), migrate: false })
    apps.push(instance)
    const response = await instance.inject({ url: '/ready' })
    expect(response.statusCode).toBe(503)
    expect(response.json().error.details).toEqual({ database: 'ok', redis: 'unreachable' })
  })
})

describe('request ids', () => {
  it('echoes a well-formed incoming X-Request-Id and uses it in the log', async () => {
    const response = await app().inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } })
    expect(response.headers['x-request-id']).toBe('abc-123')
    expect(logLines.some((line) => line.includes('"reqId":"abc-123"'))).toBe(true)
  })

  it('replaces a missing or malformed one with a fresh UUID', async () => {
    const missing = await app().inject({ url: '/health' })
    expect(missing.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    const malformed = await app().inject({ url: '/health', headers: { 'x-request-id': 'bad id\nwith newline' } })
    expect(malformed.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('logs never carry secrets', () => {
  it('redacts passwords, tokens and authorization values', async () => {
    await app().inject({
      method: 'POST',
      url: '/login-like?token=query-secret-1&page=2',
      headers: { authorization: 'Bearer header-secret-2', cookie: 'sid=cookie-secret-3' },
      payload: { email: 'a@example.com', password: 'body-secret-4' },
    })
    const all = logLines.join('')
    expect(all).toContain('handler saw a body')
    expect(all).toContain('token=[REDACTED]&page=2')
    for (const secret of ['query-secret-1', 'header-secret-2', 'cookie-secret-3', 'body-secret-4']) expect(all).not.toContain(secret)
  })
})

describe('metrics', () => {
  it('exposes request counts and latency by route and status, process and pool metrics', async () => {
    await app().inject({ url: '/health' })
    await app().inject({ url: '/nowhere/at/all' })
    const response = await app().inject({ url: '/metrics' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toContain('text/plain')
    const text = response.body
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/health",status="200"\} \d+/)
    expect(text).toMatch(/http_requests_total\{method="GET",route="unmatched",status="404"\} \d+/)
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/health",status="200"\} \d+/)
    expect(text).toContain('process_resident_memory_bytes')
    // The driver label is the database's kind (embedded|postgres; the test app connects by URL: postgres).
    const { kind, poolSize } = app().platform.database
    expect(text).toContain(`db_pool_max_connections{driver="${kind}"} ${poolSize}`)
    expect(text).toMatch(new RegExp(`db_queries_total\\{driver="${kind}"\\} \\d+`))
  })
})
