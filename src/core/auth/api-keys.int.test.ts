import { createHash } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { and, eq, sql } from 'drizzle-orm'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { bearer, expectError, linkToken, outbox, useExtraApp, waitFor } from '../../../test/helpers/identity.js'
import { versionOf } from '../../../test/helpers/user-admin.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'
import { requireActor, requirePermission } from '../access/require-permission.js'
import { auditLog } from '../audit/db/schema.js'
import { defineModule } from '../module.js'
import { CLOSE } from '../realtime/protocol.js'
import { API_KEY_SETTINGS, apiKeyRevoked, newApiKeySecret } from './api-key-authenticator.js'
import { MAX_ACTIVE_KEYS } from './api-keys.service.js'
import { apiKeys } from './db/schema.js'

/** A module with one permission every role has and one only workers and admins have. */
const probe = defineModule({
  name: 'probe',
  permissions: [
    { key: 'probe:read', description: 'Read probes', roles: ['admin', 'worker', 'user'] },
    { key: 'probe:write', description: 'Write probes', roles: ['admin', 'worker'] },
  ],
  createApi: (ctx) => ({ access: ctx.access }),
  routes: (api) => async (app) => {
    app.get('/probe', { preHandler: requirePermission(api.access, 'probe:read') }, async (request) => ({ actor: requireActor(request) }))
    app.post('/probe', { preHandler: requirePermission(api.access, 'probe:write') }, async (request) => ({ actor: requireActor(request) }))
  },
})

const app = useTestApp({ modules: [probe], setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined) })
/** Another instance on the same database: it hears of revocations only through Redis. */
const other = useExtraApp({ modules: [probe] })

afterEach(() => {
  vi.useRealTimers()
})

interface CreatedKey {
  id: string
  secret: string
  prefix: string
  label: string
  scopes: string[]
  createdAt: string
  expiresAt: string | null
  lastUsedAt: string | null
  revokedAt: string | null
}

const createKey = (as: TestUser, payload: Record<string, unknown>, url = '/api/auth/api-keys') => app().inject({ method: 'POST', url, headers: as.headers, payload })

async function newKey(as: TestUser, scopes = ['probe:read'], extra: Record<string, unknown> = {}): Promise<CreatedKey> {
  const response = await createKey(as, { label: 'billing sync', scopes, ...extra })
  expect(response.statusCode, response.body).toBe(201)
  return response.json<CreatedKey>()
}

const withKey = (secret: string, method: 'GET' | 'POST' = 'GET', url = '/api/probe', instance: FastifyInstance = app()): Promise<LightMyRequestResponse> =>
  instance.inject({ method, url, headers: bearer(secret) })
const listKeys = (as: TestUser, url = '/api/auth/api-keys') => app().inject({ url, headers: as.headers })
const revokeKey = (as: TestUser, id: string, url = `/api/auth/api-keys/${id}`) => app().inject({ method: 'DELETE', url, headers: as.headers })

const storedKey = async (id: string) => (await app().platform.database.db.select().from(apiKeys).where(eq(apiKeys.id, id)))[0]
const auditOf = (action: string, apiKeyId: string) =>
  app().platform.database.db.select().from(auditLog).where(and(eq(auditLog.action, action), sql`${auditLog.details}->>'apiKeyId' = ${apiKeyId}`))
const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url')

/** Asks for a reset link and returns its token once the e-mail has been written. */
async function resetToken(user: TestUser): Promise<string> {
  const before = new Set((await outbox(app(), user.email)).map((message) => message.id))
  expect((await app().inject({ method: 'POST', url: '/api/auth/password/forgot', payload: { email: user.email } })).statusCode).toBe(202)
  const message = await waitFor(async () => (await outbox(app(), user.email)).find((m) => !before.has(m.id) && m.subject === 'Reset your password'))
  return linkToken(message.text, '/reset-password')
}
const resetPassword = async (user: TestUser) =>
  app().inject({ method: 'POST', url: '/api/auth/password/reset', payload: { token: await resetToken(user), password: 'a brand new passphrase' } })

/** Resolves when `instance` has heard of the announcement (live over Redis, or its own). */
const hears = (instance: FastifyInstance, id: (heard: string) => boolean) =>
  new Promise<void>((resolve) => {
    const stop = instance.platform.identity.revocations.onRevoked((heard) => {
      if (!id(heard)) return
      stop()
      resolve()
    })
  })

describe('creating an API key', () => {
  it('answers 201 with the secret once; only its hash and display prefix are stored; the creation is audited', async () => {
    const user = await registerUser(app())
    const key = await newKey(user, ['probe:read'])

    expect(key).toEqual({
      id: expect.any(String),
      label: 'billing sync',
      prefix: key.secret.slice(0, 12),
      scopes: ['probe:read'],
      createdAt: expect.any(String),
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
      secret: expect.stringMatching(/^plk_[A-Za-z0-9_-]{43}$/),
    })
    const row = await storedKey(key.id)
    expect(row).toMatchObject({ userId: user.id, tokenHash: sha256(key.secret), prefix: key.prefix, createdBy: user.id })
    expect(JSON.stringify(row)).not.toContain(key.secret)
    expect(await auditOf('api_key.created', key.id)).toEqual([expect.objectContaining({ actorId: user.id, targetId: user.id })])

    const listed = await listKeys(user)
    expect(listed.statusCode).toBe(200)
    expect(listed.body).not.toContain(key.secret)
    expect(listed.body).not.toContain(row!.tokenHash)
    const { secret: _secret, ...view } = key
    expect(listed.json()).toEqual({ items: [view], nextCursor: null })
  })

  it('refuses a scope the owner’s role lacks with 403 API_KEY_SCOPE_NOT_HELD, naming it', async () => {
    const user = await registerUser(app())
    const error = expectError(await createKey(user, { label: 'x', scopes: ['probe:read', 'probe:write'] }), 403, 'API_KEY_SCOPE_NOT_HELD')
    expect(error.details).toEqual({ scopes: ['probe:write'] })
    expect(await app().platform.database.db.select().from(apiKeys).where(eq(apiKeys.userId, user.id))).toEqual([])
  })

  it.each([
    ['an unknown field', { label: 'x', scopes: ['probe:read'], admin: true }],
    ['no label', { scopes: ['probe:read'] }],
    ['an empty label', { label: '', scopes: ['probe:read'] }],
    ['a label over 100 characters', { label: 'x'.repeat(101), scopes: ['probe:read'] }],
    ['no scopes', { label: 'x', scopes: [] }],
    ['a scope twice', { label: 'x', scopes: ['probe:read', 'probe:read'] }],
    ['an undeclared permission', { label: 'x', scopes: ['probe:delete'] }],
    ['api-keys:manage', { label: 'x', scopes: ['api-keys:manage'] }],
    ['an expiry in the past', { label: 'x', scopes: ['probe:read'], expiresAt: new Date(Date.now() - 60_000).toISOString() }],
    ['an expiry over 366 days away', { label: 'x', scopes: ['probe:read'], expiresAt: new Date(Date.now() + 367 * 86_400_000).toISOString() }],
    ['an expiry that is not a time', { label: 'x', scopes: ['probe:read'], expiresAt: 'tomorrow' }],
    ['a label that is a number (never coerced)', { label: 5, scopes: ['probe:read'] }],
    ['scopes that are a string', { label: 'x', scopes: 'probe:read' }],
  ])('refuses %s with 400 VALIDATION_FAILED, storing nothing', async (_name, payload) => {
    const user = await registerUser(app())
    expectError(await createKey(user, payload), 400, 'VALIDATION_FAILED')
    expect(await app().platform.database.db.select().from(apiKeys).where(eq(apiKeys.userId, user.id))).toEqual([])
  })

  it('refuses a body that is not JSON with 415, storing nothing', async () => {
    const user = await registerUser(app())
    const response = await app().inject({ method: 'POST', url: '/api/auth/api-keys', headers: { ...user.headers, 'content-type': 'text/plain' }, payload: 'label=x' })
    expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(await app().platform.database.db.select().from(apiKeys).where(eq(apiKeys.userId, user.id))).toEqual([])
  })

  it(`allows at most ${MAX_ACTIVE_KEYS} active keys per account (409 API_KEY_LIMIT_REACHED); revoking one makes room`, async () => {
    const user = await registerUser(app())
    const keys: CreatedKey[] = []
    for (let i = 0; i < MAX_ACTIVE_KEYS; i++) keys.push(await newKey(user))
    expectError(await createKey(user, { label: 'one more', scopes: ['probe:read'] }), 409, 'API_KEY_LIMIT_REACHED')
    expect((await revokeKey(user, keys[0]!.id)).statusCode).toBe(204)
    await newKey(user)
  })

  it('answers 401 without a session', async () => {
    expectError(await app().inject({ method: 'POST', url: '/api/auth/api-keys', payload: { label: 'x', scopes: ['probe:read'] } }), 401, 'UNAUTHENTICATED')
  })
})

describe('using an API key', () => {
  it('acts as its owner on a route its scopes cover, and answers 403 API_KEY_SCOPE_MISSING outside them', async () => {
    const worker = await loginAs(app(), 'worker')
    const key = await newKey(worker, ['probe:read'])

    const read = await withKey(key.secret)
    expect(read.statusCode, read.body).toBe(200)
    expect(read.json().actor).toEqual({ id: worker.id, role: 'worker', apiKey: { id: key.id, scopes: ['probe:read'] } })
    // The worker's session may write; its key, scoped to reading, may not.
    expect((await app().inject({ method: 'POST', url: '/api/probe', headers: worker.headers })).statusCode).toBe(200)
    expectError(await withKey(key.secret, 'POST'), 403, 'API_KEY_SCOPE_MISSING')
  })

  it('is refused with 401 API_KEY_NOT_ALLOWED where no permission is checked: account, sessions, API keys themselves', async () => {
    const admin = await loginAs(app(), 'admin')
    const key = await newKey(admin, ['probe:read', 'users:read', 'audit:read'])
    const refused: [string, string, Record<string, unknown>?][] = [
      ['GET', '/api/auth/me'],
      ['POST', '/api/auth/logout'],
      ['GET', '/api/auth/sessions'],
      ['DELETE', '/api/auth/sessions'],
      ['GET', '/api/auth/api-keys'],
      ['POST', '/api/auth/api-keys', { label: 'from a key', scopes: ['probe:read'] }],
      ['DELETE', `/api/auth/api-keys/${key.id}`],
      ['GET', `/api/users/${admin.id}/api-keys`],
      ['GET', '/api/users'],
      ['GET', '/api/admin/audit'],
      ['GET', '/api/files'],
    ]
    for (const [method, url, payload] of refused) {
      const response = await app().inject({ method: method as 'GET', url, headers: bearer(key.secret), ...(payload ? { payload } : {}) })
      expectError(response, 401, 'API_KEY_NOT_ALLOWED')
    }
    // Nothing was done in its name: the key is still live, the session too.
    expect((await storedKey(key.id))?.revokedAt).toBeNull()
    expect((await app().inject({ url: '/api/auth/me', headers: admin.headers })).statusCode).toBe(200)
    expect((await withKey(key.secret)).statusCode).toBe(200)
  })

  it.each([
    ['a malformed key', 'plk_not-a-key'],
    ['an unknown key', `plk_${'A'.repeat(43)}`],
  ])('answers 401 API_KEY_INVALID for %s', async (_name, secret) => {
    expectError(await withKey(secret), 401, 'API_KEY_INVALID')
  })

  it('answers 401 API_KEY_EXPIRED once it expires, cached or not', async () => {
    const user = await registerUser(app())
    const stored = await newKey(user)
    await app().platform.database.db.update(apiKeys).set({ expiresAt: sql`now() - interval '1 minute'` }).where(eq(apiKeys.id, stored.id))
    expectError(await withKey(stored.secret), 401, 'API_KEY_EXPIRED')

    const cached = await newKey(user, ['probe:read'], { expiresAt: new Date(Date.now() + 3_600_000).toISOString() })
    expect((await withKey(cached.secret)).statusCode).toBe(200)
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 3_600_001 })
    expectError(await withKey(cached.secret), 401, 'API_KEY_EXPIRED')
  })

  it('records lastUsedAt and audits a use once, not per request', async () => {
    const user = await registerUser(app())
    const key = await newKey(user)
    for (let i = 0; i < 3; i++) expect((await withKey(key.secret)).statusCode).toBe(200)
    await app().platform.identity.apiKeys.idle()

    const [listed] = (await listKeys(user)).json<{ items: CreatedKey[] }>().items
    expect(listed!.lastUsedAt).toEqual(expect.any(String))
    expect(await auditOf('api_key.used', key.id)).toEqual([expect.objectContaining({ actorId: user.id, targetId: user.id })])
  })

  it('loses what its owner’s role loses at once, and stops with a disabled or deleted owner', async () => {
    const admin = await loginAs(app(), 'admin')
    const worker = await loginAs(app(), 'worker')
    const key = await newKey(worker, ['probe:read', 'probe:write'])
    expect((await withKey(key.secret, 'POST')).statusCode).toBe(200)

    const patch = async (payload: Record<string, unknown>) =>
      app().inject({ method: 'PATCH', url: `/api/users/${worker.id}`, headers: admin.headers, payload: { ...payload, version: await versionOf(app(), admin, worker.id) } })
    expect((await patch({ role: 'user' })).statusCode).toBe(200)
    expectError(await withKey(key.secret, 'POST'), 403, 'FORBIDDEN')
    expect((await withKey(key.secret)).json().actor.role).toBe('user')

    expect((await patch({ disabled: true })).statusCode).toBe(200)
    expectError(await withKey(key.secret), 401, 'API_KEY_OWNER_DISABLED')
    expect((await patch({ disabled: false })).statusCode).toBe(200)
    expect((await withKey(key.secret)).statusCode).toBe(200)

    expect((await app().inject({ method: 'DELETE', url: `/api/users/${worker.id}`, headers: admin.headers })).statusCode).toBe(204)
    expectError(await withKey(key.secret), 401, 'API_KEY_INVALID')
    expect(await storedKey(key.id)).toBeUndefined()
  })

  it('cannot open a realtime socket (closed 4401): realtime needs a session', async () => {
    const user = await registerUser(app())
    const key = await newKey(user)
    const { port } = app().server.address() as AddressInfo
    const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, bearer(key.secret))
    expect((await socket.closed).code).toBe(CLOSE.UNAUTHORIZED)
    const byQuery = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime?token=${key.secret}`)
    expect((await byQuery.closed).code).toBe(CLOSE.UNAUTHORIZED)
  })
})

describe('revoking an API key', () => {
  it('answers 204, refuses the key at once with 401 API_KEY_REVOKED, audits it, and is idempotent', async () => {
    const user = await registerUser(app())
    const key = await newKey(user)
    expect((await withKey(key.secret)).statusCode).toBe(200)

    expect((await revokeKey(user, key.id)).statusCode).toBe(204)
    expectError(await withKey(key.secret), 401, 'API_KEY_REVOKED')
    const [listed] = (await listKeys(user)).json<{ items: CreatedKey[] }>().items
    expect(listed).toMatchObject({ id: key.id, revokedAt: expect.any(String) })
    expect((await revokeKey(user, key.id)).statusCode).toBe(204)
    expect(await auditOf('api_key.revoked', key.id)).toEqual([expect.objectContaining({ actorId: user.id, targetId: user.id })])
  })

  it('another account cannot list or revoke my keys (404), an administrator can', async () => {
    const owner = await registerUser(app())
    const stranger = await registerUser(app())
    const admin = await loginAs(app(), 'admin')
    const key = await newKey(owner)

    expectError(await revokeKey(stranger, key.id), 404, 'NOT_FOUND')
    expectError(await listKeys(stranger, `/api/users/${owner.id}/api-keys`), 404, 'NOT_FOUND')
    expectError(await revokeKey(stranger, key.id, `/api/users/${owner.id}/api-keys/${key.id}`), 404, 'NOT_FOUND')
    expectError(await createKey(stranger, { label: 'x', scopes: ['probe:read'] }, `/api/users/${owner.id}/api-keys`), 404, 'NOT_FOUND')
    expect((await listKeys(stranger)).json()).toEqual({ items: [], nextCursor: null })
    expect((await withKey(key.secret)).statusCode).toBe(200)

    expect((await listKeys(admin, `/api/users/${owner.id}/api-keys`)).json().items).toEqual([expect.objectContaining({ id: key.id })])
    expect((await revokeKey(admin, key.id, `/api/users/${owner.id}/api-keys/${key.id}`)).statusCode).toBe(204)
    expectError(await withKey(key.secret), 401, 'API_KEY_REVOKED')
    expect(await auditOf('api_key.revoked', key.id)).toEqual([expect.objectContaining({ actorId: admin.id, targetId: owner.id })])
  })

  it('an administrator creates keys for an account within that account’s role, not their own', async () => {
    const admin = await loginAs(app(), 'admin')
    const user = await registerUser(app())
    expectError(await createKey(admin, { label: 'x', scopes: ['probe:write'] }, `/api/users/${user.id}/api-keys`), 403, 'API_KEY_SCOPE_NOT_HELD')
    const created = await createKey(admin, { label: 'for the user', scopes: ['probe:read'] }, `/api/users/${user.id}/api-keys`)
    expect(created.statusCode, created.body).toBe(201)
    expect((await withKey(created.json().secret)).json().actor.id).toBe(user.id)
    expect(await storedKey(created.json().id)).toMatchObject({ userId: user.id, createdBy: admin.id })
  })
})

describe('API keys and the owner’s password', () => {
  it('a password reset (account recovery) revokes every key of the account, audited with the reason', async () => {
    const user = await registerUser(app())
    const bystander = await registerUser(app())
    const [first, second] = [await newKey(user), await newKey(user)]
    const theirs = await newKey(bystander)
    expect((await withKey(first.secret)).statusCode).toBe(200)

    const response = await resetPassword(user)
    expect(response.statusCode, response.body).toBe(204)

    for (const key of [first, second]) {
      expectError(await withKey(key.secret), 401, 'API_KEY_REVOKED')
      expect((await storedKey(key.id))?.revokedAt).toBeInstanceOf(Date)
      const audited = await auditOf('api_key.revoked', key.id)
      expect(audited).toEqual([expect.objectContaining({ actorId: user.id, targetId: user.id })])
      expect(audited[0]!.details).toMatchObject({ apiKeyId: key.id, prefix: key.prefix, reason: 'password_reset' })
    }
    expect((await withKey(theirs.secret)).statusCode).toBe(200)
  })

  it('a password change by the signed-in owner keeps the keys (as GitHub keeps tokens)', async () => {
    const user = await registerUser(app())
    const key = await newKey(user)
    const changed = await app().inject({ method: 'PUT', url: '/api/auth/password', headers: user.headers, payload: { currentPassword: user.password, newPassword: 'a brand new passphrase' } })
    expect(changed.statusCode, changed.body).toBe(204)
    expect((await withKey(key.secret)).statusCode).toBe(200)
    expect((await storedKey(key.id))?.revokedAt).toBeNull()
  })
})

describe('a flood of random keys', () => {
  it(`past ${API_KEY_SETTINGS.unknownKeysPerIpPerMinute} unknown keys a minute from one IP: 401 API_KEY_INVALID with no lookup; cached keys and other IPs unaffected`, async () => {
    const user = await registerUser(app())
    const key = await newKey(user)
    expect((await withKey(key.secret)).statusCode).toBe(200)
    const lookups = vi.spyOn(app().platform.identity.store.repos.apiKeys, 'findByHash')
    const from = (secret: string, remoteAddress: string) => app().inject({ url: '/api/probe', headers: bearer(secret), remoteAddress })
    try {
      for (let i = 0; i < API_KEY_SETTINGS.unknownKeysPerIpPerMinute + 10; i++) expectError(await from(newApiKeySecret().secret, '203.0.113.50'), 401, 'API_KEY_INVALID')
      expect(lookups).toHaveBeenCalledTimes(API_KEY_SETTINGS.unknownKeysPerIpPerMinute)

      lookups.mockClear()
      expect((await from(key.secret, '203.0.113.50')).statusCode).toBe(200)
      expect((await withKey(key.secret)).statusCode).toBe(200)
      expect(lookups).not.toHaveBeenCalled()
      expectError(await from(newApiKeySecret().secret, '203.0.113.51'), 401, 'API_KEY_INVALID')
      expect(lookups).toHaveBeenCalledTimes(1)
      // Routes that need no actor still answer the flooding client.
      expect((await app().inject({ url: '/health', headers: bearer(newApiKeySecret().secret), remoteAddress: '203.0.113.50' })).statusCode).toBe(200)
    } finally {
      lookups.mockRestore()
    }
  })
})

describe.runIf(Boolean(process.env.REDIS_URL))('with two instances (Redis)', () => {
  it('a revocation on one instance is refused at once on the other, which had the key cached', async () => {
    const user = await registerUser(app())
    const key = await newKey(user)
    expect((await withKey(key.secret, 'GET', '/api/probe', other())).statusCode).toBe(200)

    const heard = hears(other(), (id) => id === apiKeyRevoked(key.id))
    expect((await revokeKey(user, key.id)).statusCode).toBe(204)
    await heard
    expectError(await withKey(key.secret, 'GET', '/api/probe', other()), 401, 'API_KEY_REVOKED')
  })

  it('a role change on one instance limits the key on the other at once', async () => {
    const admin = await loginAs(app(), 'admin')
    const worker = await loginAs(app(), 'worker')
    const key = await newKey(worker, ['probe:read', 'probe:write'])
    expect((await withKey(key.secret, 'POST', '/api/probe', other())).statusCode).toBe(200)

    const heard = hears(other(), (id) => id.startsWith(`api-key-owner:${worker.id}:`))
    const response = await app().inject({ method: 'PATCH', url: `/api/users/${worker.id}`, headers: admin.headers, payload: { role: 'user', version: await versionOf(app(), admin, worker.id) } })
    expect(response.statusCode).toBe(200)
    await heard
    expectError(await withKey(key.secret, 'POST', '/api/probe', other()), 403, 'FORBIDDEN')
  })

  it('a password reset on one instance refuses the account’s keys at once on the other, which had them cached', async () => {
    const user = await registerUser(app())
    const key = await newKey(user)
    expect((await withKey(key.secret, 'GET', '/api/probe', other())).statusCode).toBe(200)

    const heard = hears(other(), (id) => id === apiKeyRevoked(key.id))
    expect((await resetPassword(user)).statusCode).toBe(204)
    await heard
    expectError(await withKey(key.secret, 'GET', '/api/probe', other()), 401, 'API_KEY_REVOKED')
  })
})
