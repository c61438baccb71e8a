import { randomUUID } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { auditRowsAbout, editUser, expectError, getUser, loginRequest, me, refresh, storedSessionRows, storedUserRow } from '../../../test/helpers/user-admin.js'
import { createOutboxRepository } from '../email/outbox.repository.js'
import { createJobs, type JobRecord } from '../jobs/index.js'
import { defineModule } from '../module.js'
import { userCleanupJobs } from './user-cleanup.job.js'

/**
 * Modules' part in exports and deletions: one keeps notes per user, one fails its first attempt for
 * each account (its storage was down), one has no hooks.
 */
const notesByUser = new Map<string, string[]>()
const deletedByModule: Record<string, string[]> = { notebook: [], broken: [] }
const brokenAttempts = new Map<string, number>()

const notebook = defineModule({
  name: 'notebook',
  permissions: [],
  createApi: () => ({ notes: notesByUser, deleted: deletedByModule.notebook! }),
  routes: () => async () => {},
  exportUserData: async (userId, api) => ({ notes: api.notes.get(userId) ?? [] }),
  onUserDeleted: async (userId, api) => {
    api.notes.delete(userId)
    api.deleted.push(userId)
  },
})
const broken = defineModule({
  name: 'broken',
  permissions: [],
  createApi: () => ({ deleted: deletedByModule.broken! }),
  routes: () => async () => {},
  onUserDeleted: async (userId, api) => {
    const attempt = (brokenAttempts.get(userId) ?? 0) + 1
    brokenAttempts.set(userId, attempt)
    if (attempt === 1) throw new Error('storage is down')
    api.deleted.push(userId)
  },
})
const silent = defineModule({ name: 'silent', permissions: [], createApi: () => ({}), routes: () => async () => {} })

const app = useTestApp({ modules: [broken, notebook, silent] })

/** The account's cleanup jobs (`users.module-cleanup.<module>`), by module. */
async function cleanupJobs(userId: string, modules = ['broken', 'files', 'notebook', 'silent']) {
  const found = new Map<string, JobRecord>()
  for (const module of modules) {
    const jobs = await app().platform.jobs.list(`users.module-cleanup.${module}`, { limit: 200 })
    for (const job of jobs) if ((job.payload as { userId: string }).userId === userId) found.set((job.payload as { module: string }).module, job)
  }
  return found
}

const remove = (as: TestUser, id: string) => app().inject({ method: 'DELETE', url: `/api/users/${id}`, headers: as.headers })
const exportOf = (as: TestUser, id: string) => app().inject({ url: `/api/users/${id}/export`, headers: as.headers })

describe('DELETE /api/users/:id', () => {
  it('deleting your own account erases it, signs you out everywhere and tells every module', async () => {
    const user = await registerUser(app(), { name: 'Gone Soon', username: `gone_${randomUUID().slice(0, 8)}` })
    const secondDevice = (await loginRequest(app(), user.email, user.password)).json<{ accessToken: string; refreshToken: string }>()
    notesByUser.set(user.id, ['private thought'])
    const outbox = createOutboxRepository(app().platform.database.db)
    // The verification e-mail is sent by a job: wait until it is in the outbox.
    await expect.poll(async () => (await outbox.listFor(user.email)).length, { timeout: 10_000 }).toBeGreaterThan(0)

    const response = await remove(user, user.id)
    expect(response.statusCode, response.body).toBe(204)
    expect(response.body).toBe('')

    expect(await storedUserRow(app(), user.id)).toMatchObject({
      email: `deleted-${user.id}@deleted.invalid`,
      username: null,
      name: 'Deleted user',
      avatarUrl: null,
      passwordHash: null,
      disabled: true,
      deletedAt: expect.any(Date),
    })
    expect(await outbox.listFor(user.email)).toEqual([])
    for (const session of await storedSessionRows(app(), user.id)) expect(session).toMatchObject({ revokedAt: expect.any(Date), ip: null, userAgent: null })

    for (const accessToken of [user.accessToken, secondDevice.accessToken]) expectError(await me(app(), accessToken), 401, 'SESSION_REVOKED')
    for (const refreshToken of [user.refreshToken, secondDevice.refreshToken]) expect((await refresh(app(), refreshToken)).statusCode).toBe(401)
    expectError(await loginRequest(app(), user.email, user.password), 401, 'INVALID_CREDENTIALS')

    // Each module erases its part in a job of its own, after the answer.
    await expect.poll(() => deletedByModule.notebook, { timeout: 10_000 }).toContain(user.id)
    expect(notesByUser.has(user.id)).toBe(false)
    expect((await auditRowsAbout(app(), user.id)).find((row) => row.action === 'user.deleted')).toMatchObject({ actorId: user.id, targetId: user.id })
  })

  it('runs each module’s onUserDeleted in a users.module-cleanup.<module> job: one that fails is retried, and the deletion stands', async () => {
    const user = await registerUser(app())
    const response = await remove(user, user.id)
    expect(response.statusCode, response.body).toBe(204)
    expect(await storedUserRow(app(), user.id)).toMatchObject({ name: 'Deleted user', deletedAt: expect.any(Date) })

    // One job per module with a hook (files is the platform's own), each on its module's queue, and
    // committed with the deletion: there as soon as the answer is; none for the module without one.
    const queued = await cleanupJobs(user.id)
    expect([...queued.keys()].sort()).toEqual(['broken', 'files', 'notebook'])
    for (const [module, job] of queued) expect(job.payload).toEqual({ module, userId: user.id })

    // The failing module's first attempt fails; it is retried (after 2–4 s) and then succeeds.
    await expect.poll(async () => (await cleanupJobs(user.id)).get('broken')?.state, { timeout: 30_000, interval: 250 }).toBe('completed')
    const broken = (await cleanupJobs(user.id)).get('broken')!
    expect(broken).toMatchObject({ attempts: 2, maxAttempts: 11 })
    expect(brokenAttempts.get(user.id)).toBe(2)
    expect(deletedByModule.broken).toContain(user.id)
    await expect.poll(async () => (await cleanupJobs(user.id)).get('notebook')?.state, { timeout: 10_000 }).toBe('completed')
    expect((await cleanupJobs(user.id)).get('notebook')).toMatchObject({ attempts: 1 })
  }, 40_000)

  it('queues the cleanup jobs in the deletion’s transaction: one that cannot be queued fails the request and deletes nothing', async () => {
    const user = await registerUser(app())
    const { jobs } = app().platform
    const send = jobs.send.bind(jobs)
    let sends = 0
    // The first module's job is inserted, the second's fails: the first must go with the rollback.
    const spy = vi.spyOn(jobs, 'send').mockImplementation((...args: Parameters<typeof send>) => (++sends === 2 ? Promise.reject(new Error('the job insert failed')) : send(...args)))
    try {
      const response = await remove(user, user.id)
      expect(response.statusCode, response.body).toBe(500)
    } finally {
      spy.mockRestore()
    }
    expect(sends).toBe(2)
    expect(await storedUserRow(app(), user.id)).toMatchObject({ deletedAt: null, email: user.email })
    expect((await me(app(), user.accessToken)).statusCode).toBe(200)
    expect(await cleanupJobs(user.id)).toEqual(new Map())
    // Sending works again: the client's retry deletes the account and queues every job.
    expect((await remove(user, user.id)).statusCode).toBe(204)
    expect([...(await cleanupJobs(user.id)).keys()].sort()).toEqual(['broken', 'files', 'notebook'])
  })

  it('an instance that does not run a module never fetches that module’s cleanup jobs; they wait for one that does', async () => {
    // Another instance, with MODULES including `elsewhere`, deleted an account: its queue and job exist.
    const { config, database } = app().platform
    const other = createJobs({ database, ...config.jobs, workers: false, log: app().log })
    other.define(userCleanupJobs([{ name: 'elsewhere', onUserDeleted: async () => {} }]), { owner: 'users' })
    await other.start()
    const user = await registerUser(app())
    try {
      await other.send(`users.module-cleanup.elsewhere`, { module: 'elsewhere', userId: user.id })
    } finally {
      await other.stop()
    }
    // This instance deletes the same account and works its own modules' jobs to the end…
    expect((await remove(user, user.id)).statusCode).toBe(204)
    await expect.poll(async () => (await cleanupJobs(user.id)).get('notebook')?.state, { timeout: 10_000 }).toBe('completed')
    await expect.poll(async () => (await cleanupJobs(user.id)).get('broken')?.state, { timeout: 30_000, interval: 250 }).toBe('completed')
    // …while the foreign module's job has not been touched, rather than failed and dead-lettered.
    expect((await cleanupJobs(user.id, ['elsewhere'])).get('elsewhere')).toMatchObject({ state: 'created', attempts: 0 })
  }, 40_000)

  it('a deleted account is 404 to administrators, missing from lists, and its address can register again', async () => {
    const [admin, user] = [await loginAs(app(), 'admin'), await registerUser(app(), { name: `Listed ${randomUUID()}` })]
    expect((await remove(user, user.id)).statusCode).toBe(204)
    expectError(await getUser(app(), admin, user.id), 404, 'NOT_FOUND')
    expectError(await exportOf(admin, user.id), 404, 'NOT_FOUND')
    expectError(await editUser(app(), admin, user.id, { name: 'Zombie', version: 2 }), 404, 'NOT_FOUND')
    expectError(await remove(admin, user.id), 404, 'NOT_FOUND')
    const list = await app().inject({ url: `/api/users?q=${user.email}`, headers: admin.headers })
    expect(list.json()).toEqual({ items: [], nextCursor: null })
    const again = await registerUser(app(), { email: user.email })
    expect(again.id).not.toBe(user.id)
  })

  it('an administrator may delete any account, recorded with actor and target', async () => {
    const [admin, user] = [await loginAs(app(), 'admin'), await registerUser(app())]
    expect((await remove(admin, user.id)).statusCode).toBe(204)
    expectError(await me(app(), user.accessToken), 401, 'SESSION_REVOKED')
    const rows = await auditRowsAbout(app(), user.id)
    expect(rows.find((row) => row.action === 'user.deleted')).toMatchObject({ actorId: admin.id, targetId: user.id })
    expect(rows.find((row) => row.action === 'auth.sessions_revoked')).toMatchObject({ actorId: admin.id, details: { reason: 'account_deleted', sessions: 1 } })
  })

  it('refuses others (404), anonymous callers (401) and bad ids (400), deleting nothing', async () => {
    const [owner, other, worker] = [await registerUser(app()), await registerUser(app()), await loginAs(app(), 'worker')]
    expectError(await remove(other, owner.id), 404, 'NOT_FOUND')
    expectError(await remove(worker, owner.id), 404, 'NOT_FOUND')
    expectError(await app().inject({ method: 'DELETE', url: `/api/users/${owner.id}` }), 401, 'UNAUTHENTICATED')
    expectError(await remove(owner, 'nope'), 400, 'VALIDATION_FAILED')
    expect(await storedUserRow(app(), owner.id)).toMatchObject({ deletedAt: null, email: owner.email })
    expect((await me(app(), owner.accessToken)).statusCode).toBe(200)
  })
})

describe('GET /api/users/:id/export', () => {
  it('gives you everything stored about you, without secrets', async () => {
    const user = await registerUser(app(), { name: 'Exporter' })
    await loginRequest(app(), user.email, user.password)
    await editUser(app(), user, user.id, { avatarUrl: 'https://img.example/me.png', version: 1 })
    notesByUser.set(user.id, ['first', 'second'])

    const response = await exportOf(user, user.id)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.headers['content-disposition']).toBe(`attachment; filename="user-${user.id}.json"`)
    const data = response.json()
    expect(data.account).toEqual({ ...(await getUser(app(), user, user.id)).json(), emailVerifiedAt: null })
    expect(data.account).toMatchObject({ email: user.email, name: 'Exporter', avatarUrl: 'https://img.example/me.png' })
    expect(data.sessions).toHaveLength(2)
    for (const session of data.sessions) {
      expect(Object.keys(session).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'ip', 'lastUsedAt', 'revokedAt', 'revokedReason', 'userAgent'])
    }
    expect(data.auditLog.map((entry: { action: string }) => entry.action).sort()).toEqual(['auth.login', 'auth.register', 'user.updated'])
    expect(data.modules).toEqual({ notebook: { notes: ['first', 'second'] } })
    expect(data.exportedAt).toMatch(/^\d{4}-\d\d-\d\dT/)

    expect(response.body).not.toMatch(/password|argon2|sealed|tokenHash/i)
    for (const secret of [user.refreshToken, user.accessToken]) expect(response.body).not.toContain(secret)
  })

  it('lets holders of users:read export anyone (audited), without other people’s addresses', async () => {
    const [admin, user] = [await loginAs(app(), 'admin'), await registerUser(app())]
    await app().inject({ method: 'PATCH', url: `/api/users/${user.id}`, headers: { ...admin.headers, 'user-agent': 'admin-console/1.0' }, payload: { name: 'Renamed', version: 1 } })

    const byAdmin = await exportOf(admin, user.id)
    expect(byAdmin.statusCode, byAdmin.body).toBe(200)
    expect(byAdmin.json().account).toMatchObject({ id: user.id, name: 'Renamed' })
    expect((await auditRowsAbout(app(), user.id)).find((row) => row.action === 'user.exported')).toMatchObject({ actorId: admin.id })

    const own = (await exportOf(user, user.id)).json<{ auditLog: { action: string; actorId: string; ip: string | null; userAgent: string | null }[] }>()
    const byOthers = own.auditLog.filter((entry) => entry.actorId !== user.id)
    expect(byOthers.map((entry) => entry.action).sort()).toEqual(['user.exported', 'user.updated'])
    for (const entry of byOthers) expect(entry).toMatchObject({ actorId: admin.id, ip: null, userAgent: null })
    expect(own.auditLog.find((entry) => entry.action === 'auth.register')).toMatchObject({ ip: '127.0.0.1' })
  })

  it('answers 404 for other people’s exports, 401 without a token', async () => {
    const [owner, other, worker] = [await registerUser(app()), await registerUser(app()), await loginAs(app(), 'worker')]
    expectError(await exportOf(other, owner.id), 404, 'NOT_FOUND')
    expectError(await exportOf(worker, owner.id), 404, 'NOT_FOUND')
    expectError(await app().inject({ url: `/api/users/${owner.id}/export` }), 401, 'UNAUTHENTICATED')
  })
})
