import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import { afterAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../app.js'
import { testConfig, useTestApp } from '../../../test/helpers/app.js'
import { loginAs } from '../../../test/helpers/auth.js'
import { testDatabase } from '../../../test/helpers/database.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'
import { defineJob } from '../jobs/index.js'
import { defineModule } from '../module.js'

/** The metrics that deploy/prometheus/plinth-alerts.yml alerts on move when their event happens. */
const Failing = Type.Object({ reason: Type.String() })
const probe = defineModule({
  name: 'probe',
  permissions: [],
  createApi: () => ({}),
  routes: () => async () => {},
  jobs: () => [
    defineJob({
      name: 'probe.fail',
      payload: Failing,
      retryLimit: 0,
      handle: async ({ reason }) => {
        throw new Error(reason)
      },
    }),
  ],
})

const app = useTestApp({
  modules: [probe],
  setup: async (instance) => {
    await instance.listen({ port: 0, host: '127.0.0.1' })
  },
})

const metrics = async (instance: FastifyInstance = app()): Promise<string> => (await instance.inject({ url: '/metrics' })).body

describe('readiness gauge', () => {
  const apps: FastifyInstance[] = []
  afterAll(async () => {
    for (const instance of apps) await instance.close()
  })

  it('is 1 for each dependency that answers', async () => {
    const body = await metrics()
    expect(body).toMatch(/^plinth_ready\{dependency="database"\} 1$/m)
    if (process.env.REDIS_URL) expect(body).toMatch(/^plinth_ready\{dependency="redis"\} 1$/m)
  })

  it('is 0 for a database that does not answer', async () => {
    const real = await testDatabase()
    const broken = { ...real, ping: () => Promise.reject(new Error('connection refused')), close: async () => {} }
    const instance = await buildApp(testConfig({ REDIS_URL: undefined, JOBS_WORKERS: 'false' }), { database: broken, migrate: false })
    apps.push(instance)
    expect(await metrics(instance)).toMatch(/^plinth_ready\{dependency="database"\} 0$/m)
  })
})

describe('job dead letters', () => {
  it('counts a job whose last attempt failed, by job name', async () => {
    expect(await metrics()).not.toMatch(/^plinth_job_dead_letters_total\{job_name="probe\.fail"\}/m)
    await app().platform.jobs.send('probe.fail', { reason: 'always fails' })
    await expect.poll(metrics, { timeout: 10_000 }).toMatch(/^plinth_job_dead_letters_total\{job_name="probe\.fail"\} 1$/m)
  })
})

describe('realtime sockets', () => {
  it('counts the open authenticated sockets', async () => {
    const user = await loginAs(app())
    const { port } = app().server.address() as AddressInfo
    const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
    await socket.ofType('ready')
    expect(await metrics()).toMatch(/^plinth_realtime_sockets 1$/m)
    socket.close()
    await socket.closed
    await expect.poll(metrics).toMatch(/^plinth_realtime_sockets 0$/m)
  })
})
