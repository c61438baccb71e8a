import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import Type from 'typebox'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { waitFor } from '../../../test/helpers/identity.js'
import { allPages, auditRowsAbout, expectError } from '../../../test/helpers/user-admin.js'
import { defineModule } from '../module.js'
import { defineJob } from './definition.js'
import type { JobState } from './jobs.repository.js'

/** Runs of each `probe.flaky` payload so far: its first run fails, the next ones succeed. */
const runs = new Map<string, number>()
const Probe = Type.Object({ key: Type.String(), secret: Type.String() })

const probe = defineModule({
  name: 'probe',
  permissions: [],
  createApi: () => ({}),
  routes: () => async () => {},
  jobs: () => [
    defineJob({
      name: 'probe.fail',
      payload: Probe,
      retryLimit: 0,
      handle: async ({ key }) => {
        throw new Error(`could not reach https://mail.example.test/reset-password?token=t0ken-${key} with Bearer abc.def.ghi`)
      },
    }),
    defineJob({
      name: 'probe.flaky',
      payload: Probe,
      retryLimit: 0,
      handle: async ({ key }) => {
        const run = (runs.get(key) ?? 0) + 1
        runs.set(key, run)
        if (run === 1) throw new Error('first run fails')
      },
    }),
    defineJob({ name: 'probe.later', payload: Probe, handle: async () => {} }),
  ],
})

const app = useTestApp({ modules: [probe], env: { JOBS_POLL_INTERVAL_MS: '500' } })

interface FailedJob {
  id: string
  queue: string
  attempts: number
  maxAttempts: number
  error: string | null
  createdAt: string
  failedAt: string
}

interface Queue {
  name: string
  queued: number
  retrying: number
  active: number
  failed: number
}

const stateOf = async (queue: string, id: string): Promise<JobState | undefined> => (await app().platform.jobs.find(queue, id))?.state

/** Sends a job and waits until it is dead-lettered. */
async function deadLetter(queue = 'probe.fail'): Promise<{ id: string; key: string }> {
  const key = randomUUID()
  const id = (await app().platform.jobs.send(queue, { key, secret: `payload-secret-${key}` }))!
  await waitFor(async () => ((await stateOf(queue, id)) === 'failed' ? true : undefined), 10_000)
  return { id, key }
}

const get = (url: string, as?: TestUser) => app().inject({ url, headers: as?.headers ?? {} })
const retry = (queue: string, id: string, as?: TestUser) => app().inject({ method: 'POST', url: `/api/admin/jobs/${queue}/${id}/retry`, headers: as?.headers ?? {} })
const discard = (queue: string, id: string, as?: TestUser) => app().inject({ method: 'DELETE', url: `/api/admin/jobs/${queue}/${id}`, headers: as?.headers ?? {} })

async function failedPage(admin: TestUser, query: string): Promise<{ items: FailedJob[]; nextCursor: string | null }> {
  const response = await get(`/api/admin/jobs/failed?${query}`, admin)
  expect(response.statusCode, response.body).toBe(200)
  return response.json()
}

describe('admin job routes', () => {
  it('refuse anonymous callers (401) and non-administrators (403), before looking at the input', async () => {
    const id = randomUUID()
    for (const [method, url] of [
      ['GET', '/api/admin/jobs'],
      ['GET', '/api/admin/jobs/failed?limit=500'],
      ['POST', `/api/admin/jobs/probe.fail/${id}/retry`],
      ['DELETE', '/api/admin/jobs/NOT-A-QUEUE/not-an-id'],
    ] as const) {
      expectError(await app().inject({ method, url }), 401, 'UNAUTHENTICATED')
      for (const role of ['user', 'worker'] as const) {
        const as = await loginAs(app(), role)
        expect(expectError(await app().inject({ method, url, headers: as.headers }), 403, 'FORBIDDEN').message).toMatch(/jobs:(read|manage)/)
      }
    }
  })
})

describe('GET /api/admin/jobs', () => {
  it('counts each queue’s waiting and dead-lettered jobs, with totals', async () => {
    const admin = await loginAs(app(), 'admin')
    const before = (await get('/api/admin/jobs', admin)).json<{ queues: Queue[] }>().queues
    await deadLetter()
    await app().platform.jobs.send('probe.later', { key: randomUUID(), secret: 's' }, { startAfter: 3600 })

    const response = await get('/api/admin/jobs', admin)
    expect(response.statusCode, response.body).toBe(200)
    const { queues, totals } = response.json<{ queues: Queue[]; totals: Omit<Queue, 'name'> }>()
    const byName = (list: Queue[], name: string) => list.find((queue) => queue.name === name)
    expect(byName(queues, 'probe.fail')!.failed).toBe((byName(before, 'probe.fail')?.failed ?? 0) + 1)
    expect(byName(queues, 'probe.later')).toMatchObject({ queued: (byName(before, 'probe.later')?.queued ?? 0) + 1, retrying: 0, active: 0, failed: 0 })
    // The platform's own queues are listed too, idle or not.
    expect(queues.map((queue) => queue.name)).toEqual(expect.arrayContaining(['email.send', 'files.thumbnail', 'retention.purge']))
    expect(queues.map((queue) => queue.name)).toEqual([...queues.map((queue) => queue.name)].sort())
    for (const key of ['queued', 'retrying', 'active', 'failed'] as const) expect(totals[key]).toBe(queues.reduce((sum, queue) => sum + queue[key], 0))
  })
})

describe('GET /api/admin/jobs/failed', () => {
  it('lists dead letters with their last error, never their payload, and masks secret link parameters', async () => {
    const admin = await loginAs(app(), 'admin')
    const { id, key } = await deadLetter()

    const { items } = await failedPage(admin, 'queue=probe.fail&limit=200')
    const job = items.find((item) => item.id === id)
    expect(job).toEqual({ id, queue: 'probe.fail', attempts: 1, maxAttempts: 1, error: expect.any(String), createdAt: expect.any(String), failedAt: expect.any(String) })
    expect(job!.error).toContain('could not reach https://mail.example.test/reset-password?token=[REDACTED]')
    expect(job!.error).toContain('Bearer [REDACTED]')
    const body = JSON.stringify(items)
    expect(body).not.toContain(`t0ken-${key}`)
    expect(body).not.toContain('abc.def.ghi')
    expect(body).not.toContain('payload-secret')
    expect(Date.parse(job!.failedAt)).toBeGreaterThanOrEqual(Date.parse(job!.createdAt))
  })

  it('pages through every dead letter of a queue once, most recently failed first, and filters by queue', async () => {
    const admin = await loginAs(app(), 'admin')
    const mine = [await deadLetter(), await deadLetter(), await deadLetter()].map((job) => job.id)
    const flaky = await deadLetter('probe.flaky')

    const all = await allPages<FailedJob>(app(), admin, '/api/admin/jobs/failed?queue=probe.fail', 200)
    const paged = await allPages<FailedJob>(app(), admin, '/api/admin/jobs/failed?queue=probe.fail', 2)
    expect(paged.map((job) => job.id)).toEqual(all.map((job) => job.id))
    expect(new Set(paged.map((job) => job.id)).size).toBe(paged.length)
    expect(all.every((job) => job.queue === 'probe.fail')).toBe(true)
    // The three sent last failed last: they come first, newest first.
    expect(all.slice(0, 3).map((job) => job.id)).toEqual([...mine].reverse())
    const times = all.map((job) => Date.parse(job.failedAt))
    expect(times).toEqual([...times].sort((a, b) => b - a))

    const everything = await allPages<FailedJob>(app(), admin, '/api/admin/jobs/failed', 200)
    expect(everything.map((job) => job.id)).toEqual(expect.arrayContaining([...mine, flaky.id]))
  })

  it('refuses bad filters, limits and cursors (400)', async () => {
    const admin = await loginAs(app(), 'admin')
    const details = async (query: string) => expectError(await get(`/api/admin/jobs/failed?${query}`, admin), 400, 'VALIDATION_FAILED').details
    expect(await details('limit=0')).toHaveProperty(['query.limit'])
    expect(await details('limit=201')).toHaveProperty(['query.limit'])
    expect(await details('queue=Not%20A%20Queue')).toHaveProperty(['query.queue'])
    expect(await details('state=failed')).toEqual({ 'query.state': 'is not allowed' })
    expectError(await get('/api/admin/jobs/failed?cursor=garbage', admin), 400, 'INVALID_CURSOR')
    const otherList = Buffer.from(JSON.stringify(['-at', '2024-01-01T00:00:00.000000Z', randomUUID()])).toString('base64url')
    expectError(await get(`/api/admin/jobs/failed?cursor=${otherList}`, admin), 400, 'INVALID_CURSOR')
    const badTime = Buffer.from(JSON.stringify(['-failedAt', 'yesterday', randomUUID()])).toString('base64url')
    expectError(await get(`/api/admin/jobs/failed?cursor=${badTime}`, admin), 400, 'INVALID_CURSOR')
  })
})

describe('POST /api/admin/jobs/:queue/:id/retry', () => {
  it('gives a dead letter one more attempt, at once, and audits it', async () => {
    const admin = await loginAs(app(), 'admin')
    const { id, key } = await deadLetter('probe.flaky')

    const response = await retry('probe.flaky', id, admin)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({ id, queue: 'probe.flaky', state: expect.stringMatching(/^(retry|active|completed)$/), attempts: expect.any(Number), maxAttempts: 2 })

    await waitFor(async () => ((await stateOf('probe.flaky', id)) === 'completed' ? true : undefined), 10_000)
    expect(runs.get(key)).toBe(2)
    const { items } = await failedPage(admin, 'queue=probe.flaky&limit=200')
    expect(items.map((item) => item.id)).not.toContain(id)
    const audit = await auditRowsAbout(app(), id)
    expect(audit).toEqual([expect.objectContaining({ action: 'job.retried', actorId: admin.id, targetId: id, details: { queue: 'probe.flaky' } })])
  })

  it('is 404 for no such job and 409 for one that is not dead-lettered, changing nothing', async () => {
    const admin = await loginAs(app(), 'admin')
    expectError(await retry('probe.fail', randomUUID(), admin), 404, 'NOT_FOUND')
    const { id } = await deadLetter()
    // The job exists, but in another queue.
    expectError(await retry('probe.flaky', id, admin), 404, 'NOT_FOUND')

    const waiting = (await app().platform.jobs.send('probe.later', { key: randomUUID(), secret: 's' }, { startAfter: 3600 }))!
    const refused = expectError(await retry('probe.later', waiting, admin), 409, 'CONFLICT')
    expect(refused.details).toEqual({ state: 'created' })
    expect(await stateOf('probe.later', waiting)).toBe('created')
    expect(await auditRowsAbout(app(), waiting)).toEqual([])
  })

  it('is 409 for a dead letter already archived (after its week in the queue), which leaves the list', async () => {
    const admin = await loginAs(app(), 'admin')
    const { id } = await deadLetter()
    // What pg-boss's maintenance does to a dead letter a week old.
    const schema = app().platform.config.jobs.schema
    await app().platform.database.db.execute(sql.raw(`WITH moved AS (DELETE FROM ${schema}.job WHERE id = '${id}' RETURNING *) INSERT INTO ${schema}.archive SELECT * FROM moved`))

    expect(expectError(await retry('probe.fail', id, admin), 409, 'CONFLICT').details).toEqual({ state: 'failed', archived: true })
    expect(expectError(await discard('probe.fail', id, admin), 409, 'CONFLICT').details).toEqual({ state: 'failed', archived: true })
    expect((await failedPage(admin, 'queue=probe.fail&limit=200')).items.map((item) => item.id)).not.toContain(id)
    expect(await auditRowsAbout(app(), id)).toEqual([])
  })

  it('refuses malformed queue names and ids (400)', async () => {
    const admin = await loginAs(app(), 'admin')
    expect(expectError(await retry('probe.fail', 'not-a-uuid', admin), 400, 'VALIDATION_FAILED').details).toHaveProperty(['params.id'])
    expect(expectError(await retry('PROBE', randomUUID(), admin), 400, 'VALIDATION_FAILED').details).toHaveProperty(['params.queue'])
  })
})

describe('DELETE /api/admin/jobs/:queue/:id', () => {
  it('discards a dead letter for good, audited', async () => {
    const admin = await loginAs(app(), 'admin')
    const { id } = await deadLetter()

    const response = await discard('probe.fail', id, admin)
    expect(response.statusCode, response.body).toBe(204)
    expect(await app().platform.jobs.find('probe.fail', id)).toBeUndefined()
    expect(await auditRowsAbout(app(), id)).toEqual([expect.objectContaining({ action: 'job.discarded', actorId: admin.id, details: { queue: 'probe.fail' } })])
    expectError(await discard('probe.fail', id, admin), 404, 'NOT_FOUND')
  })

  it('leaves jobs that are not dead letters alone (409)', async () => {
    const admin = await loginAs(app(), 'admin')
    const waiting = (await app().platform.jobs.send('probe.later', { key: randomUUID(), secret: 's' }, { startAfter: 3600 }))!
    expect(expectError(await discard('probe.later', waiting, admin), 409, 'CONFLICT').details).toEqual({ state: 'created' })
    expect(await stateOf('probe.later', waiting)).toBe('created')
    expect(await auditRowsAbout(app(), waiting)).toEqual([])
  })
})

describe('the OpenAPI document', () => {
  it('names the permission of each console route as its bearer scope, with the statuses it answers', async () => {
    const document = (await app().inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { security: { bearerAuth: string[] }[]; responses: Record<string, unknown> }>> }>()
    const operation = (path: string, method: string) => document.paths[path]![method]!
    const expected: [string, string, string, string[]][] = [
      ['/api/admin/jobs', 'get', 'jobs:read', ['200', '401', '403']],
      ['/api/admin/jobs/failed', 'get', 'jobs:read', ['200', '400', '401', '403']],
      ['/api/admin/jobs/{queue}/{id}/retry', 'post', 'jobs:manage', ['200', '400', '401', '403', '404', '409']],
      ['/api/admin/jobs/{queue}/{id}', 'delete', 'jobs:manage', ['204', '400', '401', '403', '404', '409']],
      ['/api/admin/files', 'get', 'files:manage', ['200', '400', '401', '403']],
      ['/api/admin/files/usage', 'get', 'files:manage', ['200', '400', '401', '403']],
      ['/api/admin/files/{id}', 'delete', 'files:manage', ['204', '400', '401', '403', '404']],
      ['/api/admin/overview', 'get', 'platform:read', ['200', '401', '403']],
      ['/api/users/{id}/sessions', 'delete', 'users:manage', ['200', '400', '401', '403', '404']],
    ]
    for (const [path, method, scope, statuses] of expected) {
      expect(operation(path, method).security, `${method} ${path}`).toEqual([{ bearerAuth: [scope] }])
      expect(Object.keys(operation(path, method).responses), `${method} ${path}`).toEqual(expect.arrayContaining(statuses))
    }
  })
})
