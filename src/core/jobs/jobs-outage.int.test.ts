import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import Type from 'typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../app.js'
import { testConfig } from '../../../test/helpers/app.js'
import { workerDatabaseUrl } from '../../../test/helpers/database.js'
import { startDatabaseProxy, type TcpProxy } from '../../../test/helpers/tcp-proxy.js'
import { defineModule } from '../module.js'
import { defineJob } from './definition.js'

/**
 * The job queue's own pool while PostgreSQL goes away, through a proxy this file controls (the run's
 * server itself is never stopped): a request that sends a job answers 503 DATABASE_UNAVAILABLE in time.
 * The bound is the promised one (statement + wait timeout), with margin: not performance.
 */
const STATEMENT_TIMEOUT_MS = 1000
const WAIT_TIMEOUT_MS = 500
const ANSWER_WITHIN_MS = STATEMENT_TIMEOUT_MS + WAIT_TIMEOUT_MS + 2500

const beta = defineModule({
  name: 'beta',
  permissions: [],
  createApi: (ctx) => ({ jobs: ctx.jobs }),
  routes: (api) => async (app) => {
    app.post('/beta/notes', { schema: { response: { 202: Type.Object({ id: Type.String() }, { description: 'Queued' }) } } }, async (_request, reply) =>
      reply.code(202).send({ id: await api.jobs.send('beta.note', {}) }),
    )
  },
  jobs: () => [defineJob({ name: 'beta.note', payload: Type.Object({}), handle: async () => {} })],
})

describe('the job queue during a PostgreSQL outage', () => {
  let proxy: TcpProxy
  let app: FastifyInstance

  const send = async (): Promise<{ response: LightMyRequestResponse; ms: number }> => {
    const started = performance.now()
    const response = await app.inject({ method: 'POST', url: '/api/beta/notes' })
    return { response, ms: performance.now() - started }
  }

  const expectUnavailable = ({ response, ms }: { response: LightMyRequestResponse; ms: number }): void => {
    expect(ms).toBeLessThan(ANSWER_WITHIN_MS)
    expect(response.statusCode, response.body).toBe(503)
    expect(response.json()).toEqual({ error: { code: 'DATABASE_UNAVAILABLE', message: expect.any(String), details: {} } })
    expect(response.headers['retry-after']).toBe('5')
  }

  beforeAll(async () => {
    const through = await startDatabaseProxy(workerDatabaseUrl())
    proxy = through.proxy
    const env = {
      DATABASE_URL: through.url,
      DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      DATABASE_WAIT_TIMEOUT_MS: String(WAIT_TIMEOUT_MS),
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      JOBS_WORKERS: 'false',
    }
    app = await buildApp(testConfig(env), { modules: [beta], migrate: false })
    await app.ready()
  })

  afterAll(async () => {
    await proxy?.restore()
    await app?.close()
    await proxy?.close()
  })

  it('a server that stops answering: the send gives up in time with 503, and it recovers by itself', async () => {
    expect((await send()).response.statusCode).toBe(202)
    proxy.blackhole()
    expectUnavailable(await send())
    await proxy.restore()
    expect((await send()).response.statusCode).toBe(202)
  })

  it('refused connections: the send answers 503, and it recovers by itself', async () => {
    expect((await send()).response.statusCode).toBe(202)
    await proxy.cut()
    expectUnavailable(await send())
    expectUnavailable(await send())
    await proxy.restore()
    expect((await send()).response.statusCode).toBe(202)
  })
})
