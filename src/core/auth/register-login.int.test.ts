import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { login, registerUser, TEST_PASSWORD, uniqueEmail } from '../../../test/helpers/auth.js'
import {
  auditActions,
  expectError,
  failedLoginsFor,
  linkToken,
  loginRequest,
  me,
  outbox,
  storedSessions,
  storedUser,
  useExtraApp,
  waitForMessage,
} from '../../../test/helpers/identity.js'
import { PasswordHasher, TEST_PARAMETERS } from './passwords.js'

const app = useTestApp()

const register = (payload: Record<string, unknown>) => app().inject({ method: 'POST', url: '/api/auth/register', payload })
const uniqueUsername = (): string => `u_${randomUUID().slice(0, 8)}`
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

describe('POST /api/auth/register', () => {
  it('creates the account and signs it in: 201 with the user and a token pair', async () => {
    const email = uniqueEmail()
    const response = await register({ email, password: TEST_PASSWORD, name: 'Ada Lovelace' })

    expect(response.statusCode, response.body).toBe(201)
    const body = response.json()
    expect(body).toEqual({
      user: {
        id: expect.stringMatching(UUID),
        email,
        username: null,
        name: 'Ada Lovelace',
        avatarUrl: null,
        role: 'user',
        disabled: false,
        emailVerified: false,
        version: 1,
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
      },
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
      tokenType: 'Bearer',
      expiresIn: 900,
    })
    const stored = await storedUser(app(), email)
    expect(stored).toMatchObject({ id: body.user.id, name: 'Ada Lovelace', role: 'user' })
    expect(stored!.passwordHash).toMatch(/^\$argon2id\$/)
    expect(await storedSessions(app(), body.user.id)).toHaveLength(1)
    expect((await me(app(), body.accessToken)).json()).toMatchObject({ id: body.user.id })
  })

  it('stores the e-mail lower-cased, so any case signs in', async () => {
    const email = `Mixed.Case-${randomUUID()}@Example.TEST`
    const response = await register({ email, password: TEST_PASSWORD, name: 'Mixed' })

    expect(response.statusCode, response.body).toBe(201)
    expect(response.json().user.email).toBe(email.toLowerCase())
    expect((await storedUser(app(), email))!.email).toBe(email.toLowerCase())
    expect((await loginRequest(app(), { email: email.toUpperCase(), password: TEST_PASSWORD })).statusCode).toBe(200)
  })

  it('stores the username lower-cased', async () => {
    const username = uniqueUsername().toUpperCase()
    const response = await register({ email: uniqueEmail(), password: TEST_PASSWORD, name: 'Named', username })
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json().user.username).toBe(username.toLowerCase())
  })

  it('refuses an e-mail already registered, in any case: 409 EMAIL_TAKEN, nothing added', async () => {
    const first = await registerUser(app())
    const response = await register({ email: first.email.toUpperCase(), password: TEST_PASSWORD, name: 'Second' })

    expectError(response, 409, 'EMAIL_TAKEN')
    expect((await storedUser(app(), first.email))!.name).toBe('Test User')
  })

  it('refuses a username already taken, in any case: 409 USERNAME_TAKEN, nothing stored', async () => {
    const username = uniqueUsername()
    await registerUser(app(), { username })
    const email = uniqueEmail()
    const response = await register({ email, password: TEST_PASSWORD, name: 'Second', username: username.toUpperCase() })

    expectError(response, 409, 'USERNAME_TAKEN')
    expect(await storedUser(app(), email)).toBeUndefined()
  })

  it.each([
    ['shorter than 8 characters', 'short1!', 'must be at least 8 characters'],
    ['longer than 128 characters', 'x'.repeat(129), 'must be at most 128 characters'],
    ['a common password', 'password1', 'is one of the most common passwords; choose another'],
    ['a common password in another case', 'PassWord1', 'is one of the most common passwords; choose another'],
  ])('refuses a password %s: 400 VALIDATION_FAILED with the reason, nothing stored', async (_case, password, reason) => {
    const email = uniqueEmail()
    const error = expectError(await register({ email, password, name: 'Weak' }), 400, 'VALIDATION_FAILED')

    expect(error.details).toEqual({ password: reason })
    expect(error.message).toBe(`The password ${reason}.`)
    expect(await storedUser(app(), email)).toBeUndefined()
    expect(await outbox(app(), email)).toEqual([])
  })

  it('refuses the e-mail address as password', async () => {
    const email = uniqueEmail()
    const error = expectError(await register({ email, password: email, name: 'Lazy' }), 400, 'VALIDATION_FAILED')
    expect(error.details).toEqual({ password: 'must not be your e-mail address' })
    expect(await storedUser(app(), email)).toBeUndefined()
  })

  it('refuses malformed bodies field by field', async () => {
    const error = expectError(await register({ email: 'not-an-email', password: TEST_PASSWORD, username: 'a b', role: 'admin' }), 400, 'VALIDATION_FAILED')
    expect(error.details).toMatchObject({ email: expect.stringContaining('email'), name: 'is required', username: expect.any(String), role: 'is not allowed' })
  })

  it('puts a verification e-mail with a link in the outbox', async () => {
    const user = await registerUser(app())
    await waitForMessage(app(), user.email, /Confirm your e-mail/)
    const messages = await outbox(app(), user.email)

    expect(messages).toHaveLength(1)
    expect(messages[0]).toMatchObject({ to: user.email, subject: 'Confirm your e-mail address' })
    expect(messages[0]!.text).toMatch(/http:\/\/localhost:3000\/verify-email\?token=[\w-]{43}/)
    expect(linkToken(messages[0]!.text, '/verify-email')).toHaveLength(43)
  })

  it('records the registration in the audit log', async () => {
    const user = await registerUser(app())
    expect(await auditActions(app(), user.id)).toEqual(['auth.register'])
  })
})

describe('POST /api/auth/register with REGISTRATION=closed', () => {
  const closed = useExtraApp({ env: { REGISTRATION: 'closed' } })

  it('answers 403 REGISTRATION_CLOSED and stores nothing', async () => {
    const email = uniqueEmail()
    const response = await closed().inject({ method: 'POST', url: '/api/auth/register', payload: { email, password: TEST_PASSWORD, name: 'Late' } })

    expectError(response, 403, 'REGISTRATION_CLOSED')
    expect(await storedUser(closed(), email)).toBeUndefined()
    expect(await outbox(closed(), email)).toEqual([])
  })

  it('still lets existing accounts sign in', async () => {
    const user = await registerUser(app())
    expect((await loginRequest(closed(), { email: user.email, password: user.password })).statusCode).toBe(200)
  })
})

describe('POST /api/auth/login', () => {
  it('signs in by e-mail: 200 with the user and a new session', async () => {
    const user = await registerUser(app())
    const response = await loginRequest(app(), { email: user.email, password: user.password })

    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({
      user: expect.objectContaining({ id: user.id, email: user.email }),
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
    })
    expect(response.json().refreshToken).not.toBe(user.refreshToken)
    expect(await storedSessions(app(), user.id)).toHaveLength(2)
    expect((await me(app(), response.json().accessToken)).statusCode).toBe(200)
  })

  it('signs in by username, in any case', async () => {
    const username = uniqueUsername()
    const user = await registerUser(app(), { username })
    const response = await loginRequest(app(), { username: username.toUpperCase(), password: user.password })

    expect(response.statusCode, response.body).toBe(200)
    expect(response.json().user).toMatchObject({ id: user.id, username })
  })

  it('answers a wrong password and an unknown account alike: 401 INVALID_CREDENTIALS', async () => {
    const user = await registerUser(app())
    const wrongPassword = expectError(await loginRequest(app(), { email: user.email, password: 'not the password' }), 401, 'INVALID_CREDENTIALS')
    const unknownEmail = expectError(await loginRequest(app(), { email: uniqueEmail(), password: user.password }), 401, 'INVALID_CREDENTIALS')
    const unknownUsername = expectError(await loginRequest(app(), { username: uniqueUsername(), password: user.password }), 401, 'INVALID_CREDENTIALS')

    expect(unknownEmail).toEqual(wrongPassword)
    expect(unknownUsername).toEqual(wrongPassword)
    expect(await storedSessions(app(), user.id)).toHaveLength(1)
  })

  it('needs an e-mail or a username: 400', async () => {
    const error = expectError(await loginRequest(app(), { password: TEST_PASSWORD }), 400, 'VALIDATION_FAILED')
    expect(error.details).toEqual({ email: 'email or username is required' })
  })

  it('refuses a disabled account with the right password: 403 ACCOUNT_DISABLED', async () => {
    const user = await registerUser(app())
    await app().platform.identity.store.repos.users.update(user.id, { disabled: true })

    expectError(await loginRequest(app(), { email: user.email, password: user.password }), 403, 'ACCOUNT_DISABLED')
    expect(await storedSessions(app(), user.id)).toHaveLength(1)
  })

  it('does not reveal that an account is disabled to a wrong password', async () => {
    const user = await registerUser(app())
    await app().platform.identity.store.repos.users.update(user.id, { disabled: true })
    expectError(await loginRequest(app(), { email: user.email, password: 'not the password' }), 401, 'INVALID_CREDENTIALS')
  })

  it('refuses a deleted account like an unknown one', async () => {
    const user = await registerUser(app())
    await app().platform.identity.store.repos.users.erase(user.id)
    expectError(await loginRequest(app(), { email: user.email, password: user.password }), 401, 'INVALID_CREDENTIALS')
  })

  it('rehashes a password stored with other argon2 parameters, transparently', async () => {
    const user = await registerUser(app())
    const older = new PasswordHasher({ memoryCost: 2048, timeCost: 2, parallelism: 1 })
    await app().platform.identity.store.repos.users.update(user.id, { passwordHash: await older.hash(user.password) })
    expect((await storedUser(app(), user.email))!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=2048,t=2,p=1\$/)

    await login(app(), user.email, user.password)

    const { memoryCost, timeCost, parallelism } = TEST_PARAMETERS
    const rehashed = (await storedUser(app(), user.email))!.passwordHash!
    expect(rehashed).toMatch(new RegExp(`^\\$argon2id\\$v=19\\$m=${memoryCost},t=${timeCost},p=${parallelism}\\$`))
    await login(app(), user.email, user.password)
    expect((await storedUser(app(), user.email))!.passwordHash).toBe(rehashed)
  })

  it('audits successes and failures, with IP and user agent', async () => {
    const user = await registerUser(app())
    await app().inject({ method: 'POST', url: '/api/auth/login', headers: { 'user-agent': 'audit-test/1.0' }, payload: { email: user.email, password: 'not the password' } })
    await login(app(), user.email, user.password)

    expect(await auditActions(app(), user.id)).toEqual(['auth.register', 'auth.login_failed', 'auth.login'])
    const [failure] = await failedLoginsFor(app(), user.email)
    expect(failure).toMatchObject({ actorId: user.id, ip: '127.0.0.1', userAgent: 'audit-test/1.0', details: { login: user.email } })
  })

  it('audits a failure for an unknown account without an actor', async () => {
    const email = uniqueEmail()
    await loginRequest(app(), { email, password: TEST_PASSWORD })
    const failures = await failedLoginsFor(app(), email)
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ actorId: null, action: 'auth.login_failed' })
  })
})
