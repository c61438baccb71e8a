import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { login, loginAs, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { literal, useFaults } from '../../../test/helpers/faults.js'
import { auditActions, expectError, linkToken, loginRequest, me, refresh, storedSessions, useExtraApp, waitForMessage } from '../../../test/helpers/identity.js'
import { auditRowsAbout, storedUserRow, versionOf } from '../../../test/helpers/user-admin.js'

/**
 * Password change, password reset, role change, disabling and deletion end the account's other
 * sessions in the same transaction as the change. So a refresh after the change fails on every
 * instance even when the announcement to the others is lost, and a change whose revocation fails
 * is not made at all.
 */
const app = useTestApp()
/** Another instance on the same database: it hears of revocations only through the announcement. */
const other = useExtraApp({})
const fail = useFaults(app)

const NEW_PASSWORD = 'a different long passphrase'

afterEach(() => {
  vi.restoreAllMocks()
})

/** An account signed in on two devices: `current` makes the change where it is its own. */
async function twoDevices(): Promise<{ current: TestUser; device: TestUser }> {
  const current = await registerUser(app())
  return { current, device: await login(app(), current.email, current.password) }
}

async function resetLink(user: TestUser): Promise<string> {
  await app().inject({ method: 'POST', url: '/api/auth/password/forgot', payload: { email: user.email } })
  return linkToken((await waitForMessage(app(), user.email, /Reset your password/)).text, '/reset-password')
}

interface Change {
  name: string
  /** The sessions it ends; `current` survives a password change only. */
  ends: 'other' | 'all'
  make(user: { current: TestUser; device: TestUser }, admin: TestUser): Promise<LightMyRequestResponse>
}

const changes: Change[] = [
  {
    name: 'password change',
    ends: 'other',
    make: ({ current }) =>
      app().inject({ method: 'PUT', url: '/api/auth/password', headers: current.headers, payload: { currentPassword: current.password, newPassword: NEW_PASSWORD } }),
  },
  {
    name: 'password reset',
    ends: 'all',
    make: async ({ current }) => app().inject({ method: 'POST', url: '/api/auth/password/reset', payload: { token: await resetLink(current), password: NEW_PASSWORD } }),
  },
  {
    name: 'role change',
    ends: 'all',
    make: async ({ current }, admin) =>
      app().inject({ method: 'PATCH', url: `/api/users/${current.id}`, headers: admin.headers, payload: { role: 'worker', version: await versionOf(app(), admin, current.id) } }),
  },
  {
    name: 'disabling',
    ends: 'all',
    make: async ({ current }, admin) =>
      app().inject({ method: 'PATCH', url: `/api/users/${current.id}`, headers: admin.headers, payload: { disabled: true, version: await versionOf(app(), admin, current.id) } }),
  },
  {
    name: 'deletion',
    ends: 'all',
    make: ({ current }, admin) => app().inject({ method: 'DELETE', url: `/api/users/${current.id}`, headers: admin.headers }),
  },
]

/** Makes this instance's announcements to the others fail (as with Redis unreachable). */
const loseAnnouncements = (instance: FastifyInstance) =>
  vi.spyOn(instance.platform.identity.revocations, 'broadcast').mockRejectedValue(new Error('Redis unreachable'))

describe.each(changes)('$name with the announcement to other instances lost', (change) => {
  it('answers, and no refresh token of the ended sessions works on any instance; their access tokens are refused here', async () => {
    const admin = await loginAs(app(), 'admin')
    const user = await twoDevices()
    const broadcast = loseAnnouncements(app())

    const response = await change.make(user, admin)

    expect(response.statusCode, response.body).toBeLessThan(300)
    expect(broadcast).toHaveBeenCalled()
    const ended = change.ends === 'all' ? [user.current, user.device] : [user.device]
    for (const session of ended) {
      expectError(await refresh(other(), session.refreshToken), 401, 'INVALID_REFRESH_TOKEN')
      expectError(await refresh(app(), session.refreshToken), 401, 'INVALID_REFRESH_TOKEN')
      expectError(await me(app(), session.accessToken), 401, 'SESSION_REVOKED')
    }
    if (change.ends === 'other') expect((await me(app(), user.current.accessToken)).statusCode).toBe(200)
  })
})

describe('an announcement that never completes', () => {
  it('does not hold the request: it is given up, and the sessions are ended all the same', async () => {
    const user = await twoDevices()
    vi.spyOn(app().platform.identity.revocations, 'broadcast').mockReturnValue(new Promise<void>(() => {}))

    const response = await changes[0]!.make(user, user.current)

    expect(response.statusCode, response.body).toBe(204)
    expectError(await refresh(other(), user.device.refreshToken), 401, 'INVALID_REFRESH_TOKEN')
    expectError(await me(app(), user.device.accessToken), 401, 'SESSION_REVOKED')
  })
})

describe.each(changes)('$name whose revocation fails', (change) => {
  it('is rolled back: nothing changes, every session still works', async () => {
    const admin = await loginAs(app(), 'admin')
    const user = await twoDevices()
    const before = (await storedUserRow(app(), user.current.id))!
    // The database refuses to end this account's sessions.
    await fail('sessions', 'update', `old.user_id = ${literal(user.current.id)} and new.revoked_at is not null`)

    expectError(await change.make(user, admin), 500, 'INTERNAL')

    const after = (await storedUserRow(app(), user.current.id))!
    expect(after).toEqual(before)
    expect((await storedSessions(app(), user.current.id)).map((session) => session.revokedAt)).toEqual([null, null])
    expect(await auditActions(app(), user.current.id)).toEqual(['auth.register', 'auth.login'])
    expect((await auditRowsAbout(app(), user.current.id)).map((row) => row.action)).toEqual([])
    for (const session of [user.current, user.device]) expect((await me(app(), session.accessToken)).statusCode).toBe(200)
    expect((await refresh(app(), user.device.refreshToken)).statusCode).toBe(200)
    expect((await loginRequest(app(), { email: user.current.email, password: user.current.password })).statusCode).toBe(200)
  })
})
