import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { login, registerUser, uniqueEmail, type TestUser } from '../../../test/helpers/auth.js'
import {
  auditActions,
  expectError,
  expireEmailTokens,
  linkToken,
  loginRequest,
  me,
  outbox,
  queuedEmails,
  refresh,
  storedUser,
  waitFor,
  waitForMessage,
} from '../../../test/helpers/identity.js'

const app = useTestApp()

const NEW_PASSWORD = 'a brand new passphrase'

const requestVerification = (user: TestUser) => app().inject({ method: 'POST', url: '/api/auth/verify-email/request', headers: user.headers })
const verify = (token: string) => app().inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } })
const forgot = (email: string) => app().inject({ method: 'POST', url: '/api/auth/password/forgot', payload: { email } })
const reset = (token: string, password: string) => app().inject({ method: 'POST', url: '/api/auth/password/reset', payload: { token, password } })

/** The token of the newest verification e-mail to the user (other than `except`, once it has arrived: e-mails are sent by a job). */
async function verificationToken(user: TestUser, except?: string): Promise<string> {
  return waitFor(async () => {
    const message = (await outbox(app(), user.email)).find((m) => /Confirm your e-mail/.test(m.subject))
    const token = message && linkToken(message.text, '/verify-email')
    return token === except ? undefined : token
  })
}

/** Asks for a reset link and returns its token once the e-mail has been written (after the 202). */
async function resetToken(user: TestUser): Promise<string> {
  const before = new Set((await outbox(app(), user.email)).map((message) => message.id))
  expect((await forgot(user.email)).statusCode).toBe(202)
  const message = await waitFor(async () => (await outbox(app(), user.email)).find((m) => !before.has(m.id) && m.subject === 'Reset your password'))
  return linkToken(message.text, '/reset-password')
}

describe('e-mail verification', () => {
  it('POST verify-email/request answers 202 and e-mails a new link', async () => {
    const user = await registerUser(app())
    const response = await requestVerification(user)

    expect(response.statusCode).toBe(202)
    expect(response.json()).toEqual({ status: 'accepted' })
    const messages = await waitFor(async () => {
      const all = await outbox(app(), user.email)
      return all.length >= 2 ? all : undefined
    })
    expect(messages).toHaveLength(2)
    expect(messages[0]).toMatchObject({ to: user.email, subject: 'Confirm your e-mail address' })
    expect(messages[0]!.text).toMatch(/http:\/\/localhost:3000\/verify-email\?token=[\w-]{43}\n/)
  })

  it('POST verify-email/request needs an access token: 401', async () => {
    expectError(await app().inject({ method: 'POST', url: '/api/auth/verify-email/request' }), 401, 'UNAUTHENTICATED')
  })

  it('POST verify-email with the token answers 200 with the verified account', async () => {
    const user = await registerUser(app())
    const response = await verify(await verificationToken(user))

    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toMatchObject({ id: user.id, email: user.email, emailVerified: true })
    expect((await storedUser(app(), user.email))!.emailVerifiedAt).toBeInstanceOf(Date)
    expect((await me(app(), user.accessToken)).json().emailVerified).toBe(true)
    expect(await auditActions(app(), user.id)).toContain('auth.email_verified')
  })

  it('refuses a token used already: 400 INVALID_EMAIL_TOKEN', async () => {
    const user = await registerUser(app())
    const token = await verificationToken(user)
    expect((await verify(token)).statusCode).toBe(200)
    expectError(await verify(token), 400, 'INVALID_EMAIL_TOKEN')
  })

  it('refuses a token that was never issued', async () => {
    expectError(await verify('never-issued-token'), 400, 'INVALID_EMAIL_TOKEN')
  })

  it('a newer link invalidates an older one', async () => {
    const user = await registerUser(app())
    const older = await verificationToken(user)
    await requestVerification(user)
    const newer = await verificationToken(user, older)

    expect(newer).not.toBe(older)
    expectError(await verify(older), 400, 'INVALID_EMAIL_TOKEN')
    expect((await storedUser(app(), user.email))!.emailVerifiedAt).toBeNull()
    expect((await verify(newer)).statusCode).toBe(200)
  })

  it('refuses an expired token and leaves the address unverified', async () => {
    const user = await registerUser(app())
    const token = await verificationToken(user)
    await expireEmailTokens(app(), user.id)

    expectError(await verify(token), 400, 'INVALID_EMAIL_TOKEN')
    expect((await storedUser(app(), user.email))!.emailVerifiedAt).toBeNull()
  })

  it('sends nothing more once the address is verified', async () => {
    const user = await registerUser(app())
    await verify(await verificationToken(user))
    expect((await requestVerification(user)).statusCode).toBe(202)
    // The request queues its e-mail before answering: none was queued beyond the first.
    expect(await queuedEmails(app(), user.email)).toHaveLength(1)
    expect(await outbox(app(), user.email)).toHaveLength(1)
  })

  it('refuses a password reset token in place of a verification token', async () => {
    const user = await registerUser(app())
    expectError(await verify(await resetToken(user)), 400, 'INVALID_EMAIL_TOKEN')
  })
})

describe('POST /api/auth/password/forgot', () => {
  it('answers 202 for an existing account and e-mails it a reset link', async () => {
    const user = await registerUser(app())
    const response = await forgot(user.email.toUpperCase())

    expect(response.statusCode).toBe(202)
    expect(response.json()).toEqual({ status: 'accepted' })
    const message = await waitForMessage(app(), user.email, /Reset your password/)
    expect(message.text).toMatch(/http:\/\/localhost:3000\/reset-password\?token=[\w-]{43}\n/)
  })

  it('answers the same 202 for an unknown address, and sends nothing', async () => {
    const unknown = uniqueEmail('nobody')
    const known = await registerUser(app())

    const forUnknown = await forgot(unknown)
    const forKnown = await forgot(known.email)

    expect(forUnknown.statusCode).toBe(202)
    expect(forUnknown.json()).toEqual(forKnown.json())
    // The known address's e-mail was asked for after the unknown one: once it is there, the other is done.
    await waitForMessage(app(), known.email, /Reset your password/)
    expect(await outbox(app(), unknown)).toEqual([])
  })

  it('sends nothing to a disabled account', async () => {
    const disabled = await registerUser(app())
    const witness = await registerUser(app())
    await app().platform.identity.store.repos.users.update(disabled.id, { disabled: true })

    await forgot(disabled.email)
    await forgot(witness.email)

    await waitForMessage(app(), witness.email, /Reset your password/)
    expect((await outbox(app(), disabled.email)).map((message) => message.subject)).not.toContain('Reset your password')
  })

  it('refuses a malformed address: 400', async () => {
    expectError(await forgot('not-an-address'), 400, 'VALIDATION_FAILED')
  })
})

describe('POST /api/auth/password/reset', () => {
  it('sets the new password: 204, every session ends, only the new password signs in', async () => {
    const user = await registerUser(app())
    const other = await login(app(), user.email, user.password)
    const token = await resetToken(user)

    const response = await reset(token, NEW_PASSWORD)

    expect(response.statusCode, response.body).toBe(204)
    for (const session of [user, other]) {
      expectError(await me(app(), session.accessToken), 401, 'SESSION_REVOKED')
      expectError(await refresh(app(), session.refreshToken), 401, 'INVALID_REFRESH_TOKEN')
    }
    expectError(await loginRequest(app(), { email: user.email, password: user.password }), 401, 'INVALID_CREDENTIALS')
    expect((await loginRequest(app(), { email: user.email, password: NEW_PASSWORD })).statusCode).toBe(200)
    expect(await auditActions(app(), user.id)).toContain('auth.password_reset')
  })

  it('counts the e-mail address as verified (the link proved the mailbox)', async () => {
    const user = await registerUser(app())
    await reset(await resetToken(user), NEW_PASSWORD)
    expect((await storedUser(app(), user.email))!.emailVerifiedAt).toBeInstanceOf(Date)
  })

  it('accepts a token once: 400 INVALID_EMAIL_TOKEN the second time', async () => {
    const user = await registerUser(app())
    const token = await resetToken(user)
    expect((await reset(token, NEW_PASSWORD)).statusCode).toBe(204)

    expectError(await reset(token, 'yet another passphrase'), 400, 'INVALID_EMAIL_TOKEN')
    expect((await loginRequest(app(), { email: user.email, password: NEW_PASSWORD })).statusCode).toBe(200)
  })

  it.each([
    ['too short', 'short', 'must be at least 8 characters'],
    ['common', 'password1', 'is one of the most common passwords; choose another'],
  ])('refuses a %s password with 400 and leaves the token usable', async (_case, password, reason) => {
    const user = await registerUser(app())
    const token = await resetToken(user)

    const error = expectError(await reset(token, password), 400, 'VALIDATION_FAILED')

    expect(error.details).toEqual({ password: reason })
    expect((await me(app(), user.accessToken)).statusCode).toBe(200)
    expect((await reset(token, NEW_PASSWORD)).statusCode).toBe(204)
  })

  it('refuses the e-mail address as password with 400 and leaves the token usable', async () => {
    const user = await registerUser(app())
    const token = await resetToken(user)

    const error = expectError(await reset(token, user.email), 400, 'VALIDATION_FAILED')

    expect(error.details).toEqual({ password: 'must not be your e-mail address' })
    expect((await reset(token, NEW_PASSWORD)).statusCode).toBe(204)
  })

  it('refuses an expired token, and the password stays', async () => {
    const user = await registerUser(app())
    const token = await resetToken(user)
    await expireEmailTokens(app(), user.id)

    expectError(await reset(token, NEW_PASSWORD), 400, 'INVALID_EMAIL_TOKEN')
    expect((await loginRequest(app(), { email: user.email, password: user.password })).statusCode).toBe(200)
    expect((await me(app(), user.accessToken)).statusCode).toBe(200)
  })

  it('refuses an older link once a newer one was sent', async () => {
    const user = await registerUser(app())
    const older = await resetToken(user)
    const newer = await resetToken(user)

    expectError(await reset(older, NEW_PASSWORD), 400, 'INVALID_EMAIL_TOKEN')
    expect((await reset(newer, NEW_PASSWORD)).statusCode).toBe(204)
  })

  it('refuses a verification token in place of a reset token', async () => {
    const user = await registerUser(app())
    expectError(await reset(await verificationToken(user), NEW_PASSWORD), 400, 'INVALID_EMAIL_TOKEN')
    expect((await loginRequest(app(), { email: user.email, password: user.password })).statusCode).toBe(200)
  })

  it('refuses a token that was never issued', async () => {
    expectError(await reset('never-issued-token', NEW_PASSWORD), 400, 'INVALID_EMAIL_TOKEN')
  })
})
