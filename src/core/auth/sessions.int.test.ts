import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { MAX_LISTED_SESSIONS } from './auth.schemas.js'
import { login, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { auditActions, bearer, expectError, loginRequest, me, refresh, storedSessions, storedUser, usedAMinuteAgo } from '../../../test/helpers/identity.js'

const app = useTestApp()

const NEW_PASSWORD = 'another long passphrase'

const logout = (user: TestUser, method: 'POST' | 'GET' = 'POST') => app().inject({ method, url: '/api/auth/logout', headers: user.headers })
const changePassword = (user: TestUser, payload: Record<string, unknown>) => app().inject({ method: 'PUT', url: '/api/auth/password', headers: user.headers, payload })
const listSessions = (user: TestUser) => app().inject({ url: '/api/auth/sessions', headers: user.headers })

/** A second sign-in of the same account, from another device. */
async function fromDevice(user: TestUser, device: { ip: string; userAgent: string }): Promise<TestUser> {
  const response = await app().inject({
    method: 'POST',
    url: '/api/auth/login',
    remoteAddress: device.ip,
    headers: { 'user-agent': device.userAgent },
    payload: { email: user.email, password: user.password },
  })
  expect(response.statusCode, response.body).toBe(200)
  const body = response.json()
  return { ...user, accessToken: body.accessToken, refreshToken: body.refreshToken, headers: bearer(body.accessToken) }
}

describe('GET /api/auth/me', () => {
  it('answers the account of the access token', async () => {
    const user = await registerUser(app(), { name: 'Grace Hopper' })
    const response = await me(app(), user.accessToken)

    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ id: user.id, email: user.email, name: 'Grace Hopper', role: 'user', emailVerified: false })
    expect(response.json()).not.toHaveProperty('passwordHash')
  })

  it('answers 401 UNAUTHENTICATED without a token', async () => {
    expectError(await app().inject({ url: '/api/auth/me' }), 401, 'UNAUTHENTICATED')
  })

  it('answers 401 once the account is deleted', async () => {
    const user = await registerUser(app())
    await app().platform.identity.store.repos.users.erase(user.id)
    expectError(await me(app(), user.accessToken), 401, 'SESSION_REVOKED')
  })
})

describe.each(['POST', 'GET'] as const)('%s /api/auth/logout', (method) => {
  it('answers 204 and refuses the access token at once', async () => {
    const user = await registerUser(app())
    const response = await logout(user, method)

    expect(response.statusCode, response.body).toBe(204)
    expect(response.body).toBe('')
    expectError(await me(app(), user.accessToken), 401, 'SESSION_REVOKED')
    const [session] = await storedSessions(app(), user.id)
    expect(session).toMatchObject({ revokedReason: 'logout', revokedAt: expect.any(Date) })
  })

  it('makes the refresh token fail', async () => {
    const user = await registerUser(app())
    await logout(user, method)
    expectError(await refresh(app(), user.refreshToken), 401, 'INVALID_REFRESH_TOKEN')
  })

  it('keeps the other sessions of the account signed in', async () => {
    const user = await registerUser(app())
    const other = await login(app(), user.email, user.password)
    await logout(user, method)

    expect((await me(app(), other.accessToken)).statusCode).toBe(200)
    expect((await refresh(app(), other.refreshToken)).statusCode).toBe(200)
  })

  it('answers 401 without a token', async () => {
    expectError(await app().inject({ method, url: '/api/auth/logout' }), 401, 'UNAUTHENTICATED')
  })

  it('answers 401 SESSION_REVOKED a second time', async () => {
    const user = await registerUser(app())
    await logout(user, method)
    expectError(await logout(user, method), 401, 'SESSION_REVOKED')
  })

  it('is audited', async () => {
    const user = await registerUser(app())
    await logout(user, method)
    expect(await auditActions(app(), user.id)).toContain('auth.logout')
  })
})

describe('PUT /api/auth/password', () => {
  it('refuses a wrong current password: 400 CURRENT_PASSWORD_INCORRECT, nothing changes', async () => {
    const user = await registerUser(app())
    const before = (await storedUser(app(), user.email))!.passwordHash

    expectError(await changePassword(user, { currentPassword: 'not the password', newPassword: NEW_PASSWORD }), 400, 'CURRENT_PASSWORD_INCORRECT')
    expect((await storedUser(app(), user.email))!.passwordHash).toBe(before)
  })

  it.each([
    ['too short', 'short', 'must be at least 8 characters'],
    ['common', 'password1', 'is one of the most common passwords; choose another'],
  ])('refuses a %s new password: 400 with the reason in details.newPassword, nothing changes', async (_case, newPassword, reason) => {
    const user = await registerUser(app())
    const other = await login(app(), user.email, user.password)
    const error = expectError(await changePassword(user, { currentPassword: user.password, newPassword }), 400, 'VALIDATION_FAILED')

    expect(error.details).toEqual({ newPassword: reason })
    expect((await loginRequest(app(), { email: user.email, password: user.password })).statusCode).toBe(200)
    expect((await me(app(), other.accessToken)).statusCode).toBe(200)
  })

  it('needs an access token: 401', async () => {
    const response = await app().inject({ method: 'PUT', url: '/api/auth/password', payload: { currentPassword: 'whatever it is', newPassword: NEW_PASSWORD } })
    expectError(response, 401, 'UNAUTHENTICATED')
  })

  it('changes it: 204, other sessions end, this one stays, only the new password signs in', async () => {
    const user = await registerUser(app())
    const other = await login(app(), user.email, user.password)

    const response = await changePassword(user, { currentPassword: user.password, newPassword: NEW_PASSWORD })

    expect(response.statusCode, response.body).toBe(204)
    expectError(await me(app(), other.accessToken), 401, 'SESSION_REVOKED')
    expectError(await refresh(app(), other.refreshToken), 401, 'INVALID_REFRESH_TOKEN')
    expect((await me(app(), user.accessToken)).statusCode).toBe(200)
    expect((await refresh(app(), user.refreshToken)).statusCode).toBe(200)
    expectError(await loginRequest(app(), { email: user.email, password: user.password }), 401, 'INVALID_CREDENTIALS')
    expect((await loginRequest(app(), { email: user.email, password: NEW_PASSWORD })).statusCode).toBe(200)
    expect(await auditActions(app(), user.id)).toContain('auth.password_changed')
  })
})

describe('GET /api/auth/sessions', () => {
  it('lists the live sessions with user agent, IP, times and the current flag', async () => {
    const user = await registerUser(app())
    const laptop = await fromDevice(user, { ip: '10.20.30.40', userAgent: 'Laptop/1.0' })
    const phone = await fromDevice(user, { ip: '10.20.30.41', userAgent: 'Phone/2.0' })
    await logout(user)

    const response = await listSessions(laptop)

    expect(response.statusCode).toBe(200)
    const { items, nextCursor } = response.json()
    expect(nextCursor).toBeNull()
    expect(items).toHaveLength(2)
    const byAgent = Object.fromEntries(items.map((item: { userAgent: string }) => [item.userAgent, item]))
    const timestamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(byAgent['Laptop/1.0']).toEqual({ id: expect.any(String), userAgent: 'Laptop/1.0', ip: '10.20.30.40', createdAt: timestamp, lastUsedAt: timestamp, expiresAt: timestamp, current: true })
    expect(byAgent['Phone/2.0']).toMatchObject({ ip: '10.20.30.41', current: false })
    expect((await listSessions(phone)).json().items.filter((item: { current: boolean }) => item.current)).toEqual([expect.objectContaining({ userAgent: 'Phone/2.0' })])
  })

  it('orders them by last use, most recent first', async () => {
    const user = await registerUser(app())
    const later = await fromDevice(user, { ip: '10.20.30.42', userAgent: 'Later/1.0' })
    await usedAMinuteAgo(app(), user.id) // both in the past, in the same order: the refresh below makes the first the latest
    const first = await refresh(app(), user.refreshToken)
    expect(first.statusCode).toBe(200)

    const items = (await listSessions(later)).json().items as { userAgent: string | null }[]
    expect(items.map((item) => item.userAgent)).toEqual(['lightMyRequest', 'Later/1.0'])
  })

  it(`lists at most ${MAX_LISTED_SESSIONS}, the most recently used`, async () => {
    const user = await registerUser(app())
    const { sessions } = app().platform.identity
    for (let i = 0; i < MAX_LISTED_SESSIONS; i++) await sessions.start({ id: user.id, role: 'user' }, { ip: '10.20.30.50', userAgent: `Device/${i}` })

    const items = (await listSessions(user)).json().items as { userAgent: string | null }[]
    expect(items).toHaveLength(MAX_LISTED_SESSIONS)
    // The registration's session was used longest ago: it is the one left out.
    expect(items.map((item) => item.userAgent)).not.toContain('lightMyRequest')
  })

  it('answers 401 without a token', async () => {
    expectError(await app().inject({ url: '/api/auth/sessions' }), 401, 'UNAUTHENTICATED')
  })
})

describe('DELETE /api/auth/sessions/:id', () => {
  it('ends one of your sessions: 204, its token is refused, the others stay', async () => {
    const user = await registerUser(app())
    const phone = await fromDevice(user, { ip: '10.20.30.43', userAgent: 'Phone/3.0' })
    const phoneSession = (await listSessions(phone)).json().items.find((item: { current: boolean }) => item.current)

    const response = await app().inject({ method: 'DELETE', url: `/api/auth/sessions/${phoneSession.id}`, headers: user.headers })

    expect(response.statusCode, response.body).toBe(204)
    expectError(await me(app(), phone.accessToken), 401, 'SESSION_REVOKED')
    expectError(await refresh(app(), phone.refreshToken), 401, 'INVALID_REFRESH_TOKEN')
    expect((await me(app(), user.accessToken)).statusCode).toBe(200)
    expect((await listSessions(user)).json().items).toHaveLength(1)
  })

  it("answers 404 for another account's session, which stays valid", async () => {
    const owner = await registerUser(app())
    const stranger = await registerUser(app())
    const [session] = await storedSessions(app(), owner.id)

    expectError(await app().inject({ method: 'DELETE', url: `/api/auth/sessions/${session!.id}`, headers: stranger.headers }), 404, 'NOT_FOUND')

    expect((await me(app(), owner.accessToken)).statusCode).toBe(200)
    expect((await storedSessions(app(), owner.id))[0]!.revokedAt).toBeNull()
  })

  it('answers 404 for an unknown or already ended session, 400 for a malformed id', async () => {
    const user = await registerUser(app())
    const other = await login(app(), user.email, user.password)
    const [, otherSession] = await storedSessions(app(), user.id)
    await app().inject({ method: 'DELETE', url: `/api/auth/sessions/${otherSession!.id}`, headers: user.headers })

    expectError(await app().inject({ method: 'DELETE', url: `/api/auth/sessions/${otherSession!.id}`, headers: user.headers }), 404, 'NOT_FOUND')
    expectError(await app().inject({ method: 'DELETE', url: '/api/auth/sessions/0190a0a0-0000-7000-8000-000000000000', headers: user.headers }), 404, 'NOT_FOUND')
    expectError(await app().inject({ method: 'DELETE', url: '/api/auth/sessions/not-a-uuid', headers: user.headers }), 400, 'VALIDATION_FAILED')
    expectError(await me(app(), other.accessToken), 401, 'SESSION_REVOKED')
  })
})

describe('DELETE /api/auth/sessions', () => {
  it('ends every session but the current one', async () => {
    const user = await registerUser(app())
    const others = [await login(app(), user.email, user.password), await login(app(), user.email, user.password)]
    const stranger = await registerUser(app())

    const response = await app().inject({ method: 'DELETE', url: '/api/auth/sessions', headers: user.headers })

    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({ revoked: 2 })
    for (const other of others) expectError(await me(app(), other.accessToken), 401, 'SESSION_REVOKED')
    expect((await me(app(), user.accessToken)).statusCode).toBe(200)
    expect((await refresh(app(), user.refreshToken)).statusCode).toBe(200)
    expect((await me(app(), stranger.accessToken)).statusCode).toBe(200)
    expect(await auditActions(app(), user.id)).toContain('auth.sessions_revoked')
  })

  it('answers 401 without a token', async () => {
    expectError(await app().inject({ method: 'DELETE', url: '/api/auth/sessions' }), 401, 'UNAUTHENTICATED')
  })
})
