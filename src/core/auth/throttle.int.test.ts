import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { registerUser, uniqueEmail } from '../../../test/helpers/auth.js'
import { expectError, linkToken, loginRequest, sleep, uniqueIp, useExtraApp, waitForMessage } from '../../../test/helpers/identity.js'

/**
 * Every test here sends from an IP of its own (`uniqueIp`), so counters kept in a shared Redis
 * never meet another test's, another file's or another run's. Accounts are registered on the
 * file's default app (limits off) and signed in on an app with the limits under test.
 */
const app = useTestApp()

const LOCKOUT_SECONDS = 2
const throttled = useExtraApp({ env: { LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_IP: '5', LOGIN_LOCKOUT_SECONDS: String(LOCKOUT_SECONDS) } })
const rateLimited = useExtraApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '3' } })

const WRONG = 'not the right password'

async function failTimes(times: number, payload: Record<string, unknown>, ip: string): Promise<void> {
  for (let i = 0; i < times; i++) expectError(await loginRequest(throttled(), payload, ip), 401, 'INVALID_CREDENTIALS')
}

function expectLockedOut(response: Awaited<ReturnType<typeof loginRequest>>): void {
  const error = expectError(response, 429, 'TOO_MANY_ATTEMPTS')
  const retryAfter = Number(response.headers['retry-after'])
  expect(retryAfter).toBeGreaterThanOrEqual(1)
  expect(retryAfter).toBeLessThanOrEqual(LOCKOUT_SECONDS)
  expect(error.details).toEqual({ retryAfterSeconds: retryAfter })
}

describe('lockout per account and IP (LOGIN_MAX_FAILURES)', () => {
  it('locks the IP out of the account after the limit, even against the right password, with Retry-After', async () => {
    const user = await registerUser(app())
    const ip = uniqueIp()
    await failTimes(3, { email: user.email, password: WRONG }, ip)

    expectLockedOut(await loginRequest(throttled(), { email: user.email, password: user.password }, ip))
  })

  it('a dozen failures from one address do not stop the owner signing in from another', async () => {
    const user = await registerUser(app())
    const attacker = uniqueIp()
    await failTimes(3, { email: user.email, password: WRONG }, attacker)
    for (let i = 0; i < 9; i++) expectLockedOut(await loginRequest(throttled(), { email: user.email, password: WRONG }, attacker))

    expect((await loginRequest(throttled(), { email: user.email, password: user.password }, uniqueIp())).statusCode).toBe(200)
    // The attacker's address stays locked out of the account.
    expectLockedOut(await loginRequest(throttled(), { email: user.email, password: user.password }, attacker))
  })

  it('counts failures by e-mail and by username against the same account', async () => {
    const username = `u_${randomUUID().slice(0, 8)}`
    const user = await registerUser(app(), { username })
    const ip = uniqueIp()
    await failTimes(2, { email: user.email, password: WRONG }, ip)
    await failTimes(1, { username: username.toUpperCase(), password: WRONG }, ip)

    expectLockedOut(await loginRequest(throttled(), { username, password: user.password }, ip))
  })

  it('refuses parallel guesses beyond the limit: only as many are checked as the limit allows', async () => {
    const user = await registerUser(app())
    const ip = uniqueIp()
    const responses = await Promise.all(Array.from({ length: 6 }, () => loginRequest(throttled(), { email: user.email, password: WRONG }, ip)))

    const statuses = responses.map((response) => response.statusCode).sort()
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429])
  })

  it('a password reset ends the lockout: the owner proved control of the mailbox', async () => {
    const user = await registerUser(app())
    const ip = uniqueIp()
    await failTimes(3, { email: user.email, password: WRONG }, ip)
    expectLockedOut(await loginRequest(throttled(), { email: user.email, password: user.password }, ip))

    await throttled().inject({ method: 'POST', url: '/api/auth/password/forgot', payload: { email: user.email } })
    const token = linkToken((await waitForMessage(throttled(), user.email, /Reset your password/)).text, '/reset-password')
    const newPassword = 'a brand new passphrase'
    expect((await throttled().inject({ method: 'POST', url: '/api/auth/password/reset', payload: { token, password: newPassword } })).statusCode).toBe(204)

    expect((await loginRequest(throttled(), { email: user.email, password: newPassword }, ip)).statusCode).toBe(200)
  })

  it('ends the lockout after LOGIN_LOCKOUT_SECONDS', async () => {
    const user = await registerUser(app())
    const ip = uniqueIp()
    await failTimes(3, { email: user.email, password: WRONG }, ip)
    expectLockedOut(await loginRequest(throttled(), { email: user.email, password: user.password }, ip))

    await sleep(LOCKOUT_SECONDS * 1000 + 200)

    expect((await loginRequest(throttled(), { email: user.email, password: user.password }, ip)).statusCode).toBe(200)
  })

  it('starts counting again after a successful sign-in', async () => {
    const user = await registerUser(app())
    const ip = uniqueIp()
    await failTimes(2, { email: user.email, password: WRONG }, ip)
    expect((await loginRequest(throttled(), { email: user.email, password: user.password }, ip)).statusCode).toBe(200)
    await failTimes(2, { email: user.email, password: WRONG }, ip)

    expect((await loginRequest(throttled(), { email: user.email, password: user.password }, ip)).statusCode).toBe(200)
  })

  it('locks out unknown accounts alike, so a lockout does not reveal whether an account exists', async () => {
    const email = uniqueEmail('nobody')
    const ip = uniqueIp()
    await failTimes(3, { email, password: WRONG }, ip)
    expectLockedOut(await loginRequest(throttled(), { email, password: WRONG }, ip))
  })
})

describe('wrong current passwords on PUT /api/auth/password', () => {
  const changePassword = (user: { headers: Record<string, string> }, currentPassword: string, ip: string) =>
    throttled().inject({ method: 'PUT', url: '/api/auth/password', headers: user.headers, remoteAddress: ip, payload: { currentPassword, newPassword: 'another long passphrase' } })

  it('count like failed sign-ins: a stolen access token cannot be used to guess the password', async () => {
    const user = await registerUser(app())
    const ip = uniqueIp()
    for (let i = 0; i < 3; i++) expectError(await changePassword(user, WRONG, ip), 400, 'CURRENT_PASSWORD_INCORRECT')

    expectLockedOut(await changePassword(user, user.password, ip))
    expectLockedOut(await loginRequest(throttled(), { email: user.email, password: user.password }, ip))
    // The owner, elsewhere, is not locked out.
    expect((await loginRequest(throttled(), { email: user.email, password: user.password }, uniqueIp())).statusCode).toBe(200)
  })
})

describe('failures on one account from many IPs (LOGIN_MAX_FAILURES_PER_ACCOUNT)', () => {
  // Past 2 failures, each attempt waits 1 s, then 2 s… (capped at 60 / 5 = 12 s); 5 lock the account.
  const delayed = useExtraApp({ env: { LOGIN_MAX_FAILURES: '2', LOGIN_MAX_FAILURES_PER_ACCOUNT: '5', LOGIN_LOCKOUT_SECONDS: '60' } })
  // 3 failures from anywhere lock the account.
  const locking = useExtraApp({ env: { LOGIN_MAX_FAILURES: '2', LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', LOGIN_LOCKOUT_SECONDS: '60' } })

  const waitToldBy = (response: Awaited<ReturnType<typeof loginRequest>>): number => {
    const error = expectError(response, 429, 'TOO_MANY_ATTEMPTS')
    expect(error.details).toEqual({ retryAfterSeconds: Number(response.headers['retry-after']) })
    return Number(response.headers['retry-after'])
  }

  it('past LOGIN_MAX_FAILURES, answers 429 with a Retry-After that doubles; the owner signs in once it has passed', async () => {
    const user = await registerUser(app())
    const guess = () => loginRequest(delayed(), { email: user.email, password: WRONG }, uniqueIp())
    for (let i = 0; i < 3; i++) expectError(await guess(), 401, 'INVALID_CREDENTIALS')

    // At once after the third failure, from anywhere, even with the right password: wait 1 s.
    expect(waitToldBy(await loginRequest(delayed(), { email: user.email, password: user.password }, uniqueIp()))).toBe(1)
    expect(waitToldBy(await guess())).toBe(1)
    await sleep(1100)
    expectError(await guess(), 401, 'INVALID_CREDENTIALS')
    expect(waitToldBy(await guess())).toBe(2)
    await sleep(2100)

    expect((await loginRequest(delayed(), { email: user.email, password: user.password }, uniqueIp())).statusCode).toBe(200)
    // The success started the account over: no delay.
    for (let i = 0; i < 3; i++) expectError(await guess(), 401, 'INVALID_CREDENTIALS')
  })

  it('locks the account from every IP after LOGIN_MAX_FAILURES_PER_ACCOUNT; a password reset ends it', async () => {
    const user = await registerUser(app())
    for (let i = 0; i < 3; i++) expectError(await loginRequest(locking(), { email: user.email, password: WRONG }, uniqueIp()), 401, 'INVALID_CREDENTIALS')

    const locked = await loginRequest(locking(), { email: user.email, password: user.password }, uniqueIp())
    const retryAfter = waitToldBy(locked)
    expect(retryAfter).toBeGreaterThan(1)
    expect(retryAfter).toBeLessThanOrEqual(60)

    await locking().inject({ method: 'POST', url: '/api/auth/password/forgot', payload: { email: user.email } })
    const token = linkToken((await waitForMessage(locking(), user.email, /Reset your password/)).text, '/reset-password')
    expect((await locking().inject({ method: 'POST', url: '/api/auth/password/reset', payload: { token, password: 'a brand new passphrase' } })).statusCode).toBe(204)
    expect((await loginRequest(locking(), { email: user.email, password: 'a brand new passphrase' }, uniqueIp())).statusCode).toBe(200)
  })
})

describe('lockout per IP (LOGIN_MAX_FAILURES_PER_IP)', () => {
  it('locks an IP out after failures across accounts, for every account', async () => {
    const user = await registerUser(app())
    const ip = uniqueIp()
    for (let i = 0; i < 5; i++) expectError(await loginRequest(throttled(), { email: uniqueEmail('spray'), password: WRONG }, ip), 401, 'INVALID_CREDENTIALS')

    expectLockedOut(await loginRequest(throttled(), { email: user.email, password: user.password }, ip))
    // The account itself is not locked: from elsewhere it signs in.
    expect((await loginRequest(throttled(), { email: user.email, password: user.password }, uniqueIp())).statusCode).toBe(200)
  })

  it('does not count successful sign-ins against the IP', async () => {
    const user = await registerUser(app())
    const ip = uniqueIp()
    for (let i = 0; i < 7; i++) expect((await loginRequest(throttled(), { email: user.email, password: user.password }, ip)).statusCode).toBe(200)
  })
})

describe('rate limit on /api/auth/* (AUTH_RATE_LIMIT_PER_MINUTE)', () => {
  it('answers 429 RATE_LIMITED in the error shape, with Retry-After, past the limit', async () => {
    const ip = uniqueIp()
    const refresh = () => rateLimited().inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: 'x' }, remoteAddress: ip })
    for (let i = 0; i < 3; i++) expectError(await refresh(), 401, 'INVALID_REFRESH_TOKEN')

    const limited = await refresh()

    const error = expectError(limited, 429, 'RATE_LIMITED')
    expect(error.details).toEqual({ limitPerMinute: 3 })
    const retryAfter = Number(limited.headers['retry-after'])
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
  })

  it('does not limit reads of the signed-in account (many users may share an IP)', async () => {
    const user = await registerUser(app())
    const ip = uniqueIp()
    for (let i = 0; i < 5; i++) {
      const response = await rateLimited().inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${user.accessToken}` }, remoteAddress: ip })
      expect(response.statusCode).toBe(200)
    }
  })

  it('counts every auth route together, and refuses sign-in past the limit', async () => {
    const user = await registerUser(app())
    const ip = uniqueIp()
    await rateLimited().inject({ method: 'POST', url: '/api/auth/password/forgot', payload: { email: user.email }, remoteAddress: ip })
    await rateLimited().inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: 'x' }, remoteAddress: ip })
    expect((await rateLimited().inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: user.password }, remoteAddress: ip })).statusCode).toBe(200)

    const refused = await rateLimited().inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: user.password }, remoteAddress: ip })
    expectError(refused, 429, 'RATE_LIMITED')
  })

  it('limits each IP on its own', async () => {
    const busy = uniqueIp()
    const refresh = (ip: string) => rateLimited().inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: 'x' }, remoteAddress: ip })
    for (let i = 0; i < 4; i++) await refresh(busy)
    expectError(await refresh(uniqueIp()), 401, 'INVALID_REFRESH_TOKEN')
  })

  it('leaves routes outside /api/auth alone', async () => {
    const ip = uniqueIp()
    for (let i = 0; i < 4; i++) await rateLimited().inject({ url: '/api/auth/me', remoteAddress: ip })
    expect((await rateLimited().inject({ url: '/health', remoteAddress: ip })).statusCode).toBe(200)
  })
})
