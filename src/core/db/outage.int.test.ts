import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../app.js'
import { testConfig } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addCylinders, type TestCylinder } from '../../../test/helpers/cylinders.js'
import { workerDatabaseUrl } from '../../../test/helpers/database.js'
import { startDatabaseProxy, type TcpProxy } from '../../../test/helpers/tcp-proxy.js'

/**
 * PostgreSQL going away under load, through a proxy this file controls (the run's server itself is
 * never stopped).
 * Bounds are the promised behaviour ("answers within 5 s"), with margin: not performance.
 */
const ANSWER_WITHIN_MS = 5000 + 1500
const READY_WITHIN_MS = 3000 + 1000
const LOAD = 16

interface Timed {
  response: LightMyRequestResponse
  ms: number
}

describe('a PostgreSQL outage', () => {
  let proxy: TcpProxy
  let app: FastifyInstance
  let admin: TestUser
  let cylinder: TestCylinder

  const timed = async (request: () => Promise<LightMyRequestResponse>): Promise<Timed> => {
    const started = performance.now()
    const response = await request()
    return { response, ms: performance.now() - started }
  }
  const getCylinder = (): Promise<Timed> => timed(() => app.inject({ url: `/api/cylinders/${cylinder.id}`, headers: admin.headers }))
  const ready = (): Promise<Timed> => timed(() => app.inject({ url: '/ready' }))
  const load = (): Promise<Timed[]> => Promise.all(Array.from({ length: LOAD }, getCylinder))

  /** Every answer is 200 or the 503 error shape, in time: never a 500, never a long wait. */
  const expectAnsweredOrUnavailable = (answers: Timed[]): void => {
    for (const { response, ms } of answers) {
      expect(ms).toBeLessThan(ANSWER_WITHIN_MS)
      if (response.statusCode === 200) continue
      expect(response.statusCode, response.body).toBe(503)
      expect(response.json()).toEqual({ error: { code: 'DATABASE_UNAVAILABLE', message: expect.any(String), details: {} } })
      expect(response.headers['retry-after']).toBe('5')
    }
  }

  const expectNotReady = async (): Promise<void> => {
    const { response, ms } = await ready()
    expect(ms).toBeLessThan(READY_WITHIN_MS)
    expect(response.statusCode).toBe(503)
    expect(response.json().error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { database: expect.stringMatching(/^(timeout|unreachable)$/) } })
  }

  const expectRecovered = async (): Promise<void> => {
    expect((await ready()).response.statusCode).toBe(200)
    const answers = await load()
    expect(answers.map(({ response }) => response.statusCode)).toEqual(Array(LOAD).fill(200))
  }

  beforeAll(async () => {
    const through = await startDatabaseProxy(workerDatabaseUrl())
    proxy = through.proxy
    app = await buildApp(testConfig({ DATABASE_URL: through.url, DATABASE_POOL_SIZE: '4', JOBS_WORKERS: 'false' }), { migrate: false })
    await app.ready()
    admin = await loginAs(app, 'admin')
    ;[cylinder] = (await addCylinders(app, admin, 1)) as [TestCylinder]
  })

  afterAll(async () => {
    await proxy?.restore()
    await app?.close()
    await proxy?.close()
  })

  it('refused connections: requests in flight and new ones get 503 DATABASE_UNAVAILABLE, then it recovers by itself', async () => {
    const inFlight = load()
    await proxy.cut()
    expectAnsweredOrUnavailable(await inFlight)

    const during = await load()
    expectAnsweredOrUnavailable(during)
    expect(during.every(({ response }) => response.statusCode === 503)).toBe(true)
    await expectNotReady()

    await proxy.restore()
    await expectRecovered()
  })

  it('a server that stops answering: nothing waits past the bound, and it recovers by itself', async () => {
    // Connections are open and idle in the pool: the queries are sent, and nothing comes back.
    expect((await getCylinder()).response.statusCode).toBe(200)
    proxy.blackhole()
    const [answers] = await Promise.all([load(), expectNotReady()])
    expectAnsweredOrUnavailable(answers)
    expect(answers.every(({ response }) => response.statusCode === 503)).toBe(true)

    // Connections opened while it is blackholed are accepted and never answered either.
    const later = await load()
    expectAnsweredOrUnavailable(later)
    expect(later.every(({ response }) => response.statusCode === 503)).toBe(true)

    await proxy.restore()
    await expectRecovered()
  })

  it('with only readiness checks going on, /ready reports the outage and then the return', async () => {
    expect((await ready()).response.statusCode).toBe(200)
    proxy.blackhole()
    await expectNotReady()
    await expectNotReady()
    await proxy.restore()
    expect((await ready()).response.statusCode).toBe(200)
  })
})
