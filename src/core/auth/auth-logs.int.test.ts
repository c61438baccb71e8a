import { captureLogs } from '../../../test/helpers/logs.js'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { uniqueEmail } from '../../../test/helpers/auth.js'

const { stream: logStream, lines: logLines } = captureLogs()

const app = useTestApp({ env: { LOG_LEVEL: 'info' }, logStream })

describe('logs of the sign-in flows', () => {
  it('never contain the password or the tokens of a register, login, refresh and logout exchange', async () => {
    const email = uniqueEmail()
    const password = 'log-canary-passphrase-7f3a'
    const secrets: string[] = [password]

    const registered = await app().inject({ method: 'POST', url: '/api/auth/register', headers: { 'user-agent': 'log-test' }, payload: { email, password, name: 'Logged' } })
    expect(registered.statusCode, registered.body).toBe(201)
    secrets.push(registered.json().accessToken, registered.json().refreshToken)

    const wrong = await app().inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'wrong-canary-passphrase-9c1d' } })
    expect(wrong.statusCode).toBe(401)
    secrets.push('wrong-canary-passphrase-9c1d')

    const loggedIn = await app().inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } })
    expect(loggedIn.statusCode).toBe(200)
    secrets.push(loggedIn.json().accessToken, loggedIn.json().refreshToken)

    const refreshed = await app().inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: loggedIn.json().refreshToken } })
    expect(refreshed.statusCode).toBe(200)
    secrets.push(refreshed.json().accessToken, refreshed.json().refreshToken)

    const changed = await app().inject({
      method: 'PUT',
      url: '/api/auth/password',
      headers: { authorization: `Bearer ${refreshed.json().accessToken}` },
      payload: { currentPassword: password, newPassword: 'new-canary-passphrase-2b8e' },
    })
    expect(changed.statusCode).toBe(204)
    secrets.push('new-canary-passphrase-2b8e')

    const loggedOut = await app().inject({ method: 'POST', url: '/api/auth/logout', headers: { authorization: `Bearer ${refreshed.json().accessToken}` } })
    expect(loggedOut.statusCode).toBe(204)

    const all = logLines.join('')
    // The exchange was logged (so the assertion below looks at real request logs)...
    expect(all).toContain('/api/auth/refresh')
    expect(all).toContain('/api/auth/logout')
    // ...and none of its secrets, in full or in part (a JWT's signature alone is enough to matter).
    for (const secret of secrets) {
      expect(all).not.toContain(secret)
      if (secret.split('.').length === 3) expect(all).not.toContain(secret.split('.')[2])
    }
  })
})
