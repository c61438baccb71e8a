import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { login, registerUser } from '../../../test/helpers/auth.js'
import { auditActions, expectError, expireSessions, me, refresh, rotatedAMinuteAgo, storedSessions, useExtraApp } from '../../../test/helpers/identity.js'

/** Default settings: a 10 s grace window for a rotated refresh token. */
const app = useTestApp()

/** The old token is exchanged once; presented again, later, it is theft. */
async function refreshed(instance = app(), token: string) {
  const response = await refresh(instance, token)
  expect(response.statusCode, response.body).toBe(200)
  return response.json<{ accessToken: string; refreshToken: string; tokenType: string; expiresIn: number }>()
}

describe('POST /api/auth/refresh: rotation', () => {
  it('exchanges a refresh token for a new pair', async () => {
    const user = await registerUser(app())
    const pair = await refreshed(app(), user.refreshToken)

    expect(pair).toEqual({ accessToken: expect.any(String), refreshToken: expect.stringMatching(/^[\w-]{43}$/), tokenType: 'Bearer', expiresIn: 900 })
    expect(pair.refreshToken).not.toBe(user.refreshToken)
    expect((await me(app(), pair.accessToken)).json()).toMatchObject({ id: user.id })
    // Still one session: refreshing continues it rather than starting another.
    expect(await storedSessions(app(), user.id)).toHaveLength(1)
  })

  it('lets the new refresh token be exchanged in turn', async () => {
    const user = await registerUser(app())
    const second = await refreshed(app(), user.refreshToken)
    const third = await refreshed(app(), second.refreshToken)
    expect(new Set([user.refreshToken, second.refreshToken, third.refreshToken]).size).toBe(3)
  })

  it('records the client and the time of the last use on the session', async () => {
    const user = await registerUser(app())
    const [before] = await storedSessions(app(), user.id)
    await app().inject({ method: 'POST', url: '/api/auth/refresh', remoteAddress: '10.9.8.7', headers: { 'user-agent': 'refresher/2.0' }, payload: { refreshToken: user.refreshToken } })

    const [after] = await storedSessions(app(), user.id)
    expect(after).toMatchObject({ id: before!.id, ip: '10.9.8.7', userAgent: 'refresher/2.0' })
    expect(after!.lastUsedAt.getTime()).toBeGreaterThanOrEqual(before!.lastUsedAt.getTime())
    expect(after!.expiresAt.getTime()).toBeGreaterThanOrEqual(before!.expiresAt.getTime())
  })
})

describe('POST /api/auth/refresh: a rotated token within the grace window', () => {
  it('answers with the session current pair (the same refresh token the winner got)', async () => {
    const user = await registerUser(app())
    const winner = await refreshed(app(), user.refreshToken)
    const late = await refreshed(app(), user.refreshToken)

    expect(late.refreshToken).toBe(winner.refreshToken)
    expect((await me(app(), late.accessToken)).statusCode).toBe(200)
    expect(await refreshed(app(), late.refreshToken)).toMatchObject({ tokenType: 'Bearer' })
  })
})

// Concurrent requests interleave inside their transactions: many at once and many rounds, so that a
// missing lock shows.
const ROUNDS = 10

describe('POST /api/auth/refresh: concurrent refreshes with one token', () => {
  it('lets two concurrent refreshes with one token both succeed with the same current token', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const user = await registerUser(app())
      const [first, second] = await Promise.all([refresh(app(), user.refreshToken), refresh(app(), user.refreshToken)])

      expect(first.statusCode, first.body).toBe(200)
      expect(second.statusCode, second.body).toBe(200)
      const current = first.json().refreshToken as string
      expect(second.json().refreshToken).toBe(current)
      expect(current).not.toBe(user.refreshToken)
      // The session is intact: both access tokens work and the shared refresh token rotates on.
      expect((await me(app(), first.json().accessToken)).statusCode).toBe(200)
      expect((await me(app(), second.json().accessToken)).statusCode).toBe(200)
      await refreshed(app(), current)
      expect((await storedSessions(app(), user.id)).filter((session) => session.revokedAt === null)).toHaveLength(1)
    }
  })

  it('answers many concurrent refreshes with one token with one current token, which rotates on', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const user = await registerUser(app())
      const responses = await Promise.all(Array.from({ length: 12 }, () => refresh(app(), user.refreshToken)))

      expect(responses.map((response) => response.statusCode)).toEqual(Array.from({ length: 12 }, () => 200))
      const tokens = new Set(responses.map((response) => response.json<{ refreshToken: string }>().refreshToken))
      expect(tokens.size, `round ${round}`).toBe(1)
      await refreshed(app(), [...tokens][0]!)
    }
  })
})

describe('POST /api/auth/refresh: reuse after the grace window', () => {
  const strict = useExtraApp({ env: { REFRESH_REUSE_GRACE_SECONDS: '0' } })

  it('answers 401 REFRESH_TOKEN_REUSED and ends the whole session', async () => {
    const user = await registerUser(strict())
    const newest = await refreshed(strict(), user.refreshToken)
    await rotatedAMinuteAgo(strict(), user.id) // past the grace window, without waiting for it

    expectError(await refresh(strict(), user.refreshToken), 401, 'REFRESH_TOKEN_REUSED')

    expectError(await me(strict(), newest.accessToken), 401, 'SESSION_REVOKED')
    expectError(await refresh(strict(), newest.refreshToken), 401, 'INVALID_REFRESH_TOKEN')
    const [session] = await storedSessions(strict(), user.id)
    expect(session).toMatchObject({ revokedReason: 'refresh_token_reused', revokedAt: expect.any(Date) })
    expect(await auditActions(strict(), user.id)).toContain('auth.refresh_reused')
  })

  it('leaves the other sessions of the account signed in', async () => {
    const user = await registerUser(strict())
    const other = await strict().inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: user.password } })
    await refreshed(strict(), user.refreshToken)
    await rotatedAMinuteAgo(strict(), user.id)

    expectError(await refresh(strict(), user.refreshToken), 401, 'REFRESH_TOKEN_REUSED')

    expect((await me(strict(), other.json().accessToken)).statusCode).toBe(200)
    await refreshed(strict(), other.json().refreshToken)
  })
})

describe('POST /api/auth/refresh racing a logout of the same session', () => {
  it('never fails: whichever wins, the session ends and no token of it works', async () => {
    const user = await registerUser(app())
    // The two transactions interleave; a race lost in one round in ten used to deadlock (500).
    for (let round = 0; round < 30; round++) {
      const session = await login(app(), user.email, user.password)
      const [refreshed, loggedOut] = await Promise.all([refresh(app(), session.refreshToken), app().inject({ method: 'POST', url: '/api/auth/logout', headers: session.headers })])

      expect(loggedOut.statusCode, loggedOut.body).toBe(204)
      if (refreshed.statusCode === 200) {
        expectError(await me(app(), refreshed.json().accessToken), 401, 'SESSION_REVOKED')
        expectError(await refresh(app(), refreshed.json().refreshToken), 401, 'INVALID_REFRESH_TOKEN')
      } else {
        expectError(refreshed, 401, 'INVALID_REFRESH_TOKEN')
      }
      expectError(await refresh(app(), session.refreshToken), 401, 'INVALID_REFRESH_TOKEN')
    }
  })
})

describe('POST /api/auth/refresh: refusals', () => {
  it('refuses an unknown token: 401 INVALID_REFRESH_TOKEN', async () => {
    expectError(await refresh(app(), 'garbage-that-was-never-issued'), 401, 'INVALID_REFRESH_TOKEN')
  })

  it('refuses a token longer than any refresh token: 400', async () => {
    const error = expectError(await refresh(app(), 'x'.repeat(257)), 400, 'VALIDATION_FAILED')
    expect(error.details).toEqual({ refreshToken: expect.stringContaining('256') })
  })

  it('refuses an empty or missing token: 400', async () => {
    expectError(await refresh(app(), ''), 400, 'VALIDATION_FAILED')
    expectError(await app().inject({ method: 'POST', url: '/api/auth/refresh', payload: {} }), 400, 'VALIDATION_FAILED')
  })

  it('refuses the token of an expired session: 401', async () => {
    const user = await registerUser(app())
    await expireSessions(app(), user.id)
    expectError(await refresh(app(), user.refreshToken), 401, 'INVALID_REFRESH_TOKEN')
  })

  it('refuses the token of a disabled account: 403 ACCOUNT_DISABLED', async () => {
    const user = await registerUser(app())
    await app().platform.identity.store.repos.users.update(user.id, { disabled: true })
    expectError(await refresh(app(), user.refreshToken), 403, 'ACCOUNT_DISABLED')
  })

  it('refuses the token of a logged-out session', async () => {
    const user = await registerUser(app())
    expect((await app().inject({ method: 'POST', url: '/api/auth/logout', headers: user.headers })).statusCode).toBe(204)
    expectError(await refresh(app(), user.refreshToken), 401, 'INVALID_REFRESH_TOKEN')
  })
})
