import type { LightMyRequestResponse } from 'fastify'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { uniqueEmail } from '../../../test/helpers/auth.js'
import { uploadFile } from '../../../test/helpers/files.js'
import { bearer, outbox, storedUser } from '../../../test/helpers/identity.js'
import { captureLogs } from '../../../test/helpers/logs.js'

const logs = captureLogs()

// Everything logged, at the most talkative level.
const app = useTestApp({ env: { LOG_LEVEL: 'trace' }, logStream: logs.stream })

const LINK = /https?:\/\/\S+\/(?:verify-email|reset-password)\?token=([A-Za-z0-9_-]+)/

describe('the log of a whole account’s life', () => {
  it('holds none of the secrets the flow produced: passwords, hashes, tokens, mailed links and tokens, signed-link signatures', async () => {
    const email = uniqueEmail('logged')
    const passwords = { first: 'log-canary-first-7f3a', wrong: 'log-canary-wrong-9c1d', reset: 'log-canary-reset-4e6b', changed: 'log-canary-changed-2b8e' }
    const secrets = new Set<string>(Object.values(passwords))
    const keep = (...values: (string | null | undefined)[]) => values.forEach((value) => value && secrets.add(value))
    const keepTokens = (response: LightMyRequestResponse) => {
      expect(response.statusCode, response.body).toBeLessThan(300)
      const { accessToken, refreshToken } = response.json<{ accessToken: string; refreshToken: string }>()
      keep(accessToken, refreshToken)
      return { accessToken, refreshToken }
    }
    const keepHash = async () => keep((await storedUser(app(), email))?.passwordHash)
    /** The mailed link of the message with this subject, once the outbox has it (the e-mail job logs its line then). */
    const mailed = async (subject: string) => {
      await logs.waitForLine((line) => line.to === email && line.subject === subject)
      const message = (await outbox(app(), email)).find((entry) => entry.subject === subject)!
      const [link, token] = LINK.exec(message.text)!
      keep(link, token)
      return token!
    }

    // Register, verify the address.
    const registered = keepTokens(await app().inject({ method: 'POST', url: '/api/auth/register', headers: { 'user-agent': 'log-test' }, payload: { email, password: passwords.first, name: 'Logged' } }))
    await keepHash()
    const verifyToken = await mailed('Confirm your e-mail address')
    expect((await app().inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token: verifyToken } })).statusCode).toBe(200)

    // A wrong password, a sign-in, a refresh.
    expect((await app().inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: passwords.wrong } })).statusCode).toBe(401)
    const signedIn = keepTokens(await app().inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: passwords.first } }))
    const refreshed = keepTokens(await app().inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: signedIn.refreshToken } }))

    // Forgot and reset.
    expect((await app().inject({ method: 'POST', url: '/api/auth/password/forgot', payload: { email } })).statusCode).toBe(202)
    const resetToken = await mailed('Reset your password')
    expect((await app().inject({ method: 'POST', url: '/api/auth/password/reset', payload: { token: resetToken, password: passwords.reset } })).statusCode).toBe(204)
    await keepHash()
    // The used reset link once more: refused, and still not logged.
    expect((await app().inject({ method: 'POST', url: '/api/auth/password/reset', payload: { token: resetToken, password: passwords.reset } })).statusCode).toBe(400)

    // Sign in again, change the password.
    const again = keepTokens(await app().inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: passwords.reset } }))
    const changed = await app().inject({
      method: 'PUT',
      url: '/api/auth/password',
      headers: bearer(again.accessToken),
      payload: { currentPassword: passwords.reset, newPassword: passwords.changed },
    })
    expect(changed.statusCode, changed.body).toBe(204)
    await keepHash()
    const latest = keepTokens(await app().inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: passwords.changed } }))

    // A file, its signed link, and the link used without a token (its signature is in the URL).
    const user = { id: '', email, password: passwords.changed, ...latest, headers: bearer(latest.accessToken) }
    const uploaded = await uploadFile(app(), user, { content: 'logged file', filename: 'notes.txt' })
    expect(uploaded.statusCode, uploaded.body).toBe(201)
    const links = await app().inject({ url: `/api/files/${uploaded.json<{ id: string }>().id}/url`, headers: user.headers })
    expect(links.statusCode, links.body).toBe(200)
    const { url } = links.json<{ url: string }>()
    keep(url, new URL(url).searchParams.get('signature'))
    const content = await app().inject({ url: url.slice(url.indexOf('/api/')) })
    expect(content.statusCode).toBe(200)

    // Old tokens refused (logged as 401s), then sign out.
    expect((await app().inject({ url: '/api/auth/me', headers: bearer(registered.accessToken) })).statusCode).toBe(401)
    expect((await app().inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: refreshed.refreshToken } })).statusCode).toBe(401)
    expect((await app().inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(latest.accessToken) })).statusCode).toBe(204)

    const all = logs.lines.join('')
    // The flow was logged (the search below looks at real lines, mail included)...
    for (const route of ['/api/auth/register', '/api/auth/verify-email', '/api/auth/password/reset', '/api/auth/password', '/api/files/', '/content?', '/api/auth/logout']) {
      expect(all).toContain(route)
    }
    expect(all).toContain('Reset your password')
    // ...and none of its secrets, in full or in part (a JWT's signature alone is enough to matter).
    // 4 passwords, 3 hashes, 5 token pairs, 2 mailed links and their tokens, a signed link and its signature
    // (a refresh within the second of its sign-in may sign the very same access token).
    expect(secrets.size).toBeGreaterThanOrEqual(4 + 3 + 2 * 5 + 4 + 2 - 1)
    for (const secret of secrets) {
      expect(all).not.toContain(secret)
      if (secret.split('.').length === 3) expect(all).not.toContain(secret.split('.')[2])
    }
    expect(all).not.toContain('$argon2id$')
    expect(all).not.toMatch(/token=(?!\[REDACTED\])/)
    expect(all).not.toMatch(/signature=(?!\[REDACTED\])/)
  })
})
