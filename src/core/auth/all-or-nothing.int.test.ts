import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, TEST_PASSWORD, uniqueEmail } from '../../../test/helpers/auth.js'
import { literal, useFaults } from '../../../test/helpers/faults.js'
import { auditActions, expectError, linkToken, queuedEmails, storedSessions, storedUser, waitForMessage } from '../../../test/helpers/identity.js'
import { auditLog } from '../audit/db/schema.js'

/**
 * Multi-row core writes are one transaction each: when a later write fails, the earlier ones are
 * not left behind. Each test makes one write fail in the database and checks what is stored.
 */
const app = useTestApp()
const fail = useFaults(app)

/** The user row whose e-mail is `email`, as a plpgsql condition on NEW.<column>. */
const userWithEmail = (column: string, email: string) => `exists (select 1 from users where id = new.${column} and email = ${literal(email)})`
/** A refresh token of a session of the user whose e-mail is `email`. */
const tokenOfUserWithEmail = (email: string) =>
  `exists (select 1 from sessions s join users u on u.id = s.user_id where s.id = new.session_id and u.email = ${literal(email)})`

const register = (email: string) => app().inject({ method: 'POST', url: '/api/auth/register', payload: { email, password: TEST_PASSWORD, name: 'Ada' } })

const auditAbout = (userId: string) => app().platform.database.db.select().from(auditLog).where(eq(auditLog.targetId, userId))

describe('registration: the account, its audit entry, its verification link and its session', () => {
  it('leave no account behind when the audit entry fails', async () => {
    const email = uniqueEmail('reg-audit')
    await fail('audit_log', 'insert', `new.action = 'auth.register' and ${userWithEmail('actor_id', email)}`)

    expectError(await register(email), 500, 'INTERNAL')

    expect(await storedUser(app(), email)).toBeUndefined()
    expect(await queuedEmails(app(), email)).toEqual([])
  })

  it('leave no account, audit entry or link behind when the session’s refresh token fails', async () => {
    const email = uniqueEmail('reg-token')
    const remove = await fail('refresh_tokens', 'insert', tokenOfUserWithEmail(email))

    expectError(await register(email), 500, 'INTERNAL')

    expect(await storedUser(app(), email)).toBeUndefined()
    expect(await queuedEmails(app(), email)).toEqual([])
    // Nothing half-done stands in the way: the same address registers once the fault is gone.
    await remove()
    expect((await register(email)).statusCode).toBe(201)
  })
})

describe('sign-in: the session, its refresh token and the audit entry', () => {
  it('leave no session and no sign-in record behind when the refresh token fails', async () => {
    const user = await registerUser(app())
    await fail('refresh_tokens', 'insert', tokenOfUserWithEmail(user.email))

    expectError(await app().inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: user.password } }), 500, 'INTERNAL')

    // Only the registration's session: no session without a refresh token.
    expect(await storedSessions(app(), user.id)).toHaveLength(1)
    expect(await auditActions(app(), user.id)).not.toContain('auth.login')
  })

  it('leave no session (and so no refresh token) behind when the sign-in record fails', async () => {
    const user = await registerUser(app())
    await fail('audit_log', 'insert', `new.action = 'auth.login' and ${userWithEmail('actor_id', user.email)}`)

    expectError(await app().inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: user.password } }), 500, 'INTERNAL')

    expect(await storedSessions(app(), user.id)).toHaveLength(1)
    expect(await auditActions(app(), user.id)).not.toContain('auth.login')
  })
})

describe('an administrator creating an account, with its audit entry', () => {
  it('leaves no account behind when the audit entry fails', async () => {
    const admin = await loginAs(app(), 'admin')
    const email = uniqueEmail('created')
    const create = () => app().inject({ method: 'POST', url: '/api/users', headers: admin.headers, payload: { email, password: TEST_PASSWORD, name: 'New', role: 'worker' } })
    const remove = await fail('audit_log', 'insert', `new.action = 'user.created' and ${userWithEmail('target_id', email)}`)

    expectError(await create(), 500, 'INTERNAL')
    expect(await storedUser(app(), email)).toBeUndefined()

    await remove()
    const created = await create()
    expect(created.statusCode, created.body).toBe(201)
    expect((await auditAbout(created.json<{ id: string }>().id)).map((row) => row.action)).toEqual(['user.created'])
  })
})

describe('e-mail verification: the used token, the verified address and the audit entry', () => {
  it('leaves the link unused and the address unverified when the audit entry fails', async () => {
    const user = await registerUser(app())
    const token = linkToken((await waitForMessage(app(), user.email, /Confirm your e-mail/)).text, '/verify-email')
    const verify = () => app().inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } })
    const remove = await fail('audit_log', 'insert', `new.action = 'auth.email_verified' and new.actor_id = ${literal(user.id)}`)

    expectError(await verify(), 500, 'INTERNAL')
    expect((await storedUser(app(), user.email))!.emailVerifiedAt).toBeNull()

    // The token was not used up by the failed attempt.
    await remove()
    const verified = await verify()
    expect(verified.statusCode, verified.body).toBe(200)
    expect((await storedUser(app(), user.email))!.emailVerifiedAt).toEqual(expect.any(Date))
  })
})
