import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import Type from 'typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../../../test/helpers/app.js'
import { registerUser } from '../../../test/helpers/auth.js'
import { closeTestDatabase, testDatabase } from '../../../test/helpers/database.js'
import { queuedEmails, sleep, waitFor } from '../../../test/helpers/identity.js'
import { defineModule } from '../module.js'
import { defineJob } from './definition.js'
import { createJobs, type Jobs } from './jobs.js'

/** Jobs through the whole app: a module's manifest, its context, the app's close, JOBS_WORKERS. */
const schema = `jobs_${randomUUID().replaceAll('-', '').slice(0, 16)}`
const Note = Type.Object({ text: Type.String(), delayMs: Type.Integer({ minimum: 0 }) })

/** What the `alpha.note` handlers of every app built here saw. */
const handled: { text: string; finishedAt?: number }[] = []

const alpha = defineModule({
  name: 'alpha',
  permissions: [],
  createApi: (ctx) => ({ jobs: ctx.jobs }),
  routes: (api) => async (app) => {
    app.post('/alpha/notes', { schema: { response: { 202: Type.Object({ id: Type.String() }, { description: 'Queued' }) } } }, async (request, reply) => {
      const id = await api.jobs.send('alpha.note', request.body)
      return reply.code(202).send({ id })
    })
  },
  jobs: () => [
    defineJob({
      name: 'alpha.note',
      payload: Note,
      handle: async ({ text, delayMs }) => {
        const entry: { text: string; finishedAt?: number } = { text }
        handled.push(entry)
        await sleep(delayMs)
        entry.finishedAt = Date.now()
      },
    }),
  ],
})

const apps: FastifyInstance[] = []
/** An app with the alpha module, on the file's queue unless `JOBS_SCHEMA` says otherwise. */
async function boot(env: Record<string, string> = {}): Promise<FastifyInstance> {
  const app = await buildTestApp({ modules: [alpha], env: { JOBS_SCHEMA: schema, JOBS_POLL_INTERVAL_MS: '500', ...env } })
  apps.push(app)
  return app
}

const inspectors: Jobs[] = []
/** Reads a queue whatever its apps do (a closed app has let go of its connections). */
async function inspect(queueSchema: string): Promise<Jobs> {
  const jobs = createJobs({ database: await testDatabase(), workers: false, concurrency: 1, pollIntervalMs: 500, schema: queueSchema, log: pino({ level: 'silent' }) })
  await jobs.start()
  inspectors.push(jobs)
  return jobs
}

let inspector: Jobs
beforeAll(async () => {
  inspector = await inspect(schema)
  await boot()
})

afterAll(async () => {
  for (const app of apps) await app.close()
  for (const jobs of inspectors) await jobs.stop()
  await closeTestDatabase()
})

const ownSchema = (): string => `jobs_${randomUUID().replaceAll('-', '').slice(0, 16)}`

const postNote = async (app: FastifyInstance, text: string, delayMs = 0): Promise<string> => {
  const response = await app.inject({ method: 'POST', url: '/api/alpha/notes', payload: { text, delayMs } })
  expect(response.statusCode, response.body).toBe(202)
  return response.json<{ id: string }>().id
}

const stateOf = async (id: string, jobs = inspector) => (await jobs.find('alpha.note', id))?.state

describe('module jobs', () => {
  it('registers a manifest’s jobs at boot and runs what a module sends through its context', async () => {
    const text = randomUUID()
    const id = await postNote(apps[0]!, text)

    await waitFor(async () => ((await stateOf(id)) === 'completed' ? true : undefined))
    expect(handled.map((entry) => entry.text)).toContain(text)
  })

  it('refuses, at boot, a module job not named after its module', async () => {
    const rogue = defineModule({ ...alpha, name: 'beta' })
    await expect(buildTestApp({ modules: [rogue], env: { JOBS_SCHEMA: schema } })).rejects.toThrow('Job "alpha.note" of "beta" must be named "beta.<job>"')
  })

  it('lets a running job finish when the app closes (SIGTERM)', async () => {
    // A queue of its own, so no other app's worker takes the job.
    const own = ownSchema()
    const queue = await inspect(own)
    const app = await boot({ JOBS_SCHEMA: own })
    const text = randomUUID()
    const id = await postNote(app, text, 600)
    const entry = await waitFor(async () => handled.find((candidate) => candidate.text === text))

    await app.close()

    expect(entry.finishedAt).toEqual(expect.any(Number))
    expect(await stateOf(id, queue)).toBe('completed')
  })

  it('with JOBS_WORKERS=false, queues jobs without running them; a process with workers runs them', async () => {
    const own = ownSchema()
    const queue = await inspect(own)
    const apiOnly = await boot({ JOBS_SCHEMA: own, JOBS_WORKERS: 'false' })
    const text = randomUUID()
    const id = await postNote(apiOnly, text)

    // A worker in the sending process would have run it within milliseconds.
    await sleep(600)
    expect(await stateOf(id, queue)).toBe('created')
    expect(handled.map((entry) => entry.text)).not.toContain(text)

    await boot({ JOBS_SCHEMA: own })
    await waitFor(async () => ((await stateOf(id, queue)) === 'completed' ? true : undefined))
    expect(handled.map((entry) => entry.text)).toContain(text)
  })
})

describe('e-mail through the queue', () => {
  it('a verification e-mail that cannot be delivered is kept and retried', async () => {
    // A queue of its own, so no app with an outbox sends the e-mail instead.
    const app = await boot({ SMTP_URL: 'smtp://127.0.0.1:1', JOBS_SCHEMA: ownSchema() })
    const user = await registerUser(app)

    const [job] = await waitFor(async () => {
      const jobs = await queuedEmails(app, user.email)
      return jobs[0]?.state === 'retry' ? jobs : undefined
    })
    expect(job).toMatchObject({ name: 'email.send', attempts: 1, maxAttempts: 6, error: expect.stringMatching(/ECONNREFUSED/) })
    expect(job!.payload).toMatchObject({ to: user.email, subject: 'Confirm your e-mail address' })
    expect((await app.inject({ url: '/api/auth/me', headers: user.headers })).statusCode).toBe(200)
  })
})
