import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { buildTestApp, useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, TEST_PASSWORD, uniqueEmail, type TestUser } from '../../../test/helpers/auth.js'
import { allPages, auditRowsAbout, expectError, getUser, loginRequest, me, type UserBody } from '../../../test/helpers/user-admin.js'

const app = useTestApp()

/** A word only this test's accounts carry in their names, so lists can be narrowed to them. */
const marker = (): string => `m${randomUUID().slice(0, 8)}`

const createUser = (as: TestUser, payload: Record<string, unknown>) => app().inject({ method: 'POST', url: '/api/users', headers: as.headers, payload })

describe('GET /api/users', () => {
  it('refuses anonymous callers (401) and callers without users:read (403)', async () => {
    expectError(await app().inject({ url: '/api/users' }), 401, 'UNAUTHENTICATED')
    expectError(await app().inject({ url: '/api/users?limit=9999' }), 401, 'UNAUTHENTICATED')
    for (const role of ['user', 'worker'] as const) {
      const caller = await loginAs(app(), role)
      const error = expectError(await app().inject({ url: '/api/users', headers: caller.headers }), 403, 'FORBIDDEN')
      expect(error.message).toContain('users:read')
    }
  })

  it('pages through every matching account exactly once, oldest first', async () => {
    const admin = await loginAs(app(), 'admin')
    const tag = marker()
    const created: string[] = []
    for (let i = 0; i < 7; i++) created.push((await registerUser(app(), { name: `${tag} ${i}` })).id)
    const seen = await allPages<UserBody>(app(), admin, `/api/users?q=${tag}`, 3)
    expect(seen.map((u) => u.id)).toEqual(created)
    expect(new Set(seen.map((u) => u.id)).size).toBe(7)
    expect(seen[0]).toEqual({
      id: created[0],
      email: expect.stringMatching(/@example\.test$/),
      username: null,
      name: `${tag} 0`,
      avatarUrl: null,
      role: 'user',
      disabled: false,
      emailVerified: false,
      version: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    })
  })

  it('defaults to 50 per page and ends with a null cursor', async () => {
    const admin = await loginAs(app(), 'admin')
    const response = await app().inject({ url: '/api/users', headers: admin.headers })
    expect(response.statusCode).toBe(200)
    const page = response.json<{ items: UserBody[]; nextCursor: string | null }>()
    // However many accounts the database holds: full pages of 50, a cursor only when more follow.
    if (page.nextCursor) expect(page.items).toHaveLength(50)
    else expect(page.items.length).toBeLessThanOrEqual(50)
    const tag = marker()
    await registerUser(app(), { name: tag })
    const only = await app().inject({ url: `/api/users?q=${tag}`, headers: admin.headers })
    expect(only.json()).toEqual({ items: [expect.objectContaining({ name: tag })], nextCursor: null })
  })

  it('filters by role and searches name, e-mail and username, case-insensitively', async () => {
    const admin = await loginAs(app(), 'admin')
    const tag = marker()
    const worker = await createUser(admin, { email: uniqueEmail(tag), password: TEST_PASSWORD, name: 'Wendy Worker', role: 'worker' })
    const named = await registerUser(app(), { name: `Nina ${tag.toUpperCase()}` })
    const byUsername = await registerUser(app(), { name: 'Una', username: `${tag}_una` })
    const list = async (query: string) =>
      (await app().inject({ url: `/api/users?${query}`, headers: admin.headers })).json<{ items: UserBody[] }>().items.map((u) => u.id)

    expect(await list(`q=${tag}`)).toEqual([worker.json<UserBody>().id, named.id, byUsername.id])
    expect(await list(`q=${tag}&role=worker`)).toEqual([worker.json<UserBody>().id])
    expect(await list(`q=${tag}&role=admin`)).toEqual([])
    expect(await list(`q=${tag.toUpperCase()}_UNA`)).toEqual([byUsername.id])
    // LIKE wildcards are literal characters.
    expect(await list(`q=${tag}%25`)).toEqual([])
    expect(await list(`q=${tag}_`)).toEqual([byUsername.id])
  })

  it('shows only the public fields of an account, never a password hash', async () => {
    const admin = await loginAs(app(), 'admin')
    const response = await app().inject({ url: '/api/users?limit=200', headers: admin.headers })
    const fields = ['avatarUrl', 'createdAt', 'disabled', 'email', 'emailVerified', 'id', 'name', 'role', 'updatedAt', 'username', 'version']
    for (const item of response.json<{ items: object[] }>().items) expect(Object.keys(item).sort()).toEqual(fields)
    expect(response.body).not.toMatch(/passwordHash|\$argon2/)
  })

  it('refuses bad limits, roles, cursors and unknown parameters (400)', async () => {
    const admin = await loginAs(app(), 'admin')
    const get = (query: string) => app().inject({ url: `/api/users?${query}`, headers: admin.headers })
    expect(expectError(await get('limit=201'), 400, 'VALIDATION_FAILED').details).toHaveProperty(['query.limit'])
    expect(expectError(await get('limit=0'), 400, 'VALIDATION_FAILED').details).toHaveProperty(['query.limit'])
    expect(expectError(await get('role=boss'), 400, 'VALIDATION_FAILED').details).toHaveProperty(['query.role'])
    expect(expectError(await get('sort=email'), 400, 'VALIDATION_FAILED').details).toEqual({ 'query.sort': 'is not allowed' })
    expectError(await get('cursor=not-a-cursor'), 400, 'INVALID_CURSOR')
    const foreign = Buffer.from(JSON.stringify(['-at', '2024-01-01T00:00:00.000Z', randomUUID()])).toString('base64url')
    expectError(await get(`cursor=${foreign}`), 400, 'INVALID_CURSOR')
    const notAnId = Buffer.from(JSON.stringify(['id', null, 'x'])).toString('base64url')
    expectError(await get(`cursor=${notAnId}`), 400, 'INVALID_CURSOR')
  })
})

describe('POST /api/users', () => {
  it('lets an administrator create an account with a role, which can then sign in with it', async () => {
    const admin = await loginAs(app(), 'admin')
    const email = uniqueEmail('Worker')
    const response = await createUser(admin, { email, password: TEST_PASSWORD, name: 'Walt', username: `w_${marker()}`, role: 'worker' })
    expect(response.statusCode, response.body).toBe(201)
    const created = response.json<UserBody>()
    expect(created).toMatchObject({ email: email.toLowerCase(), name: 'Walt', role: 'worker', disabled: false, emailVerified: false, version: 1 })
    expect(response.body).not.toMatch(/password/i)

    const stored = await app().platform.identity.store.repos.users.findById(created.id)
    expect(stored).toMatchObject({ email: email.toLowerCase(), role: 'worker', passwordHash: expect.stringMatching(/^\$argon2id\$/) })
    const login = await loginRequest(app(), email, TEST_PASSWORD)
    expect(login.statusCode, login.body).toBe(200)
    expect((await me(app(), login.json<{ accessToken: string }>().accessToken)).json()).toMatchObject({ id: created.id, role: 'worker' })

    const audit = await auditRowsAbout(app(), created.id)
    expect(audit.filter((row) => row.action === 'user.created')).toEqual([expect.objectContaining({ actorId: admin.id, targetId: created.id, details: { role: 'worker' } })])
  })

  it('works when registration is closed', async () => {
    const closed = await buildTestApp({ env: { REGISTRATION: 'closed' } })
    try {
      const admin = await loginAs(app(), 'admin')
      const email = uniqueEmail()
      expectError(await closed.inject({ method: 'POST', url: '/api/auth/register', payload: { email, password: TEST_PASSWORD, name: 'Self-service' } }), 403, 'REGISTRATION_CLOSED')
      const created = await closed.inject({ method: 'POST', url: '/api/users', headers: admin.headers, payload: { email, password: TEST_PASSWORD, name: 'By staff', role: 'user' } })
      expect(created.statusCode, created.body).toBe(201)
      expect((await loginRequest(closed, email, TEST_PASSWORD)).statusCode).toBe(200)
    } finally {
      await closed.close()
    }
  })

  it('refuses anonymous callers (401) and callers without users:manage (403), creating nothing', async () => {
    const email = uniqueEmail()
    const payload = { email, password: TEST_PASSWORD, name: 'Nobody', role: 'admin' }
    expectError(await app().inject({ method: 'POST', url: '/api/users', payload }), 401, 'UNAUTHENTICATED')
    for (const role of ['user', 'worker'] as const) expectError(await createUser(await loginAs(app(), role), payload), 403, 'FORBIDDEN')
    expect(await app().platform.identity.store.repos.users.findByLogin({ email })).toBeUndefined()
  })

  it('validates the body and the password policy (400), creating nothing', async () => {
    const admin = await loginAs(app(), 'admin')
    const email = uniqueEmail()
    const missing = expectError(await createUser(admin, { email, password: TEST_PASSWORD, name: 'No role' }), 400, 'VALIDATION_FAILED')
    expect(missing.details).toEqual({ role: 'is required' })
    const bad = expectError(await createUser(admin, { email: 'not-an-email', password: TEST_PASSWORD, name: '', role: 'boss', extra: 1 }), 400, 'VALIDATION_FAILED')
    expect(Object.keys(bad.details).sort()).toEqual(['email', 'extra', 'name', 'role'])
    const weak = expectError(await createUser(admin, { email, password: 'password', name: 'Weak', role: 'user' }), 400, 'VALIDATION_FAILED')
    expect(weak.details).toEqual({ password: expect.stringContaining('common') })
    expect(await app().platform.identity.store.repos.users.findByLogin({ email })).toBeUndefined()
  })

  it('answers 409 for a taken e-mail or username', async () => {
    const admin = await loginAs(app(), 'admin')
    const existing = await registerUser(app(), { username: `u_${marker()}` })
    const taken = expectError(await createUser(admin, { email: existing.email.toUpperCase(), password: TEST_PASSWORD, name: 'Dup', role: 'user' }), 409, 'EMAIL_TAKEN')
    expect(taken.message).toContain('e-mail')
    const stored = await app().platform.identity.store.repos.users.findById(existing.id)
    expectError(await createUser(admin, { email: uniqueEmail(), password: TEST_PASSWORD, name: 'Dup', username: stored!.username!.toUpperCase(), role: 'user' }), 409, 'USERNAME_TAKEN')
  })
})

describe('GET /api/users/:id', () => {
  it('shows your own account, and any account to holders of users:read', async () => {
    const [user, admin] = [await registerUser(app(), { name: 'Selma' }), await loginAs(app(), 'admin')]
    expect((await getUser(app(), user, user.id)).json()).toMatchObject({ id: user.id, name: 'Selma', email: user.email })
    expect((await getUser(app(), admin, user.id)).json()).toMatchObject({ id: user.id, name: 'Selma' })
  })

  it('answers 404 for other people’s accounts, as for missing ones', async () => {
    const [owner, other, worker, admin] = [await registerUser(app()), await registerUser(app()), await loginAs(app(), 'worker'), await loginAs(app(), 'admin')]
    const hidden = expectError(await getUser(app(), other, owner.id), 404, 'NOT_FOUND')
    const missing = expectError(await getUser(app(), other, randomUUID()), 404, 'NOT_FOUND')
    expect(hidden).toEqual(missing)
    expectError(await getUser(app(), worker, owner.id), 404, 'NOT_FOUND')
    expectError(await getUser(app(), admin, randomUUID()), 404, 'NOT_FOUND')
  })

  it('needs a token (401) and a UUID (400)', async () => {
    const user = await registerUser(app())
    expectError(await app().inject({ url: `/api/users/${user.id}` }), 401, 'UNAUTHENTICATED')
    expectError(await app().inject({ url: `/api/users/${user.id}`, headers: { authorization: 'Bearer nonsense' } }), 401, 'INVALID_TOKEN')
    expect(expectError(await getUser(app(), user, 'not-a-uuid'), 400, 'VALIDATION_FAILED').details).toHaveProperty(['params.id'])
  })
})

describe('the OpenAPI document', () => {
  it('describes every users and audit route with a summary, a description, security and error responses', async () => {
    const document = (await app().inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, Record<string, unknown>>> }>()
    const routes = ['/api/users', '/api/users/{id}', '/api/users/{id}/export', '/api/admin/audit']
    const operations = routes.flatMap((path) => Object.values(document.paths[path] ?? {}))
    expect(operations).toHaveLength(8)
    for (const operation of operations) {
      expect(operation).toMatchObject({ summary: expect.any(String), description: expect.any(String), security: [{ bearerAuth: expect.any(Array) }] })
      expect(operation.responses).toHaveProperty('401')
    }
    // Routes that need a permission name it as the scope; the others take any signed-in account.
    const scopes = (path: string, method: string) => (document.paths[path]![method]!.security as { bearerAuth: string[] }[])[0]!.bearerAuth
    expect(scopes('/api/users', 'get')).toEqual(['users:read'])
    expect(scopes('/api/users', 'post')).toEqual(['users:manage'])
    expect(scopes('/api/admin/audit', 'get')).toEqual(['audit:read'])
    expect(scopes('/api/users/{id}', 'get')).toEqual([])
  })
})
