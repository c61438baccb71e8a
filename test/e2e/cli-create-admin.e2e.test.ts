import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { testConfig, TEST_SECRETS } from '../helpers/app.js'
import { TEST_PASSWORD, uniqueEmail } from '../helpers/auth.js'
import { runScript } from '../helpers/server-process.js'

// Each run of the CLI is a process with its own database connection (or embedded PostgreSQL), so
// the runs are few and share one DATA_DIR.

/** The CLI's environment: a DATA_DIR, and the run's PostgreSQL when there is one. */
const cliEnv = (dataDir: string, extra: Record<string, string> = {}) => ({ DATA_DIR: dataDir, DATABASE_URL: process.env.DATABASE_URL, ...TEST_SECRETS, ...extra })
const freshDir = () => mkdtempSync(join(tmpdir(), 'plinth-cli-'))
/** `input`: what is piped to the CLI (the password, one line); without it standard input is empty. */
const createAdmin = (dataDir: string, args: string[], input?: string, extra?: Record<string, string>) => runScript('src/cli.ts', ['create-admin', ...args], cliEnv(dataDir, extra), { input })

/** Opens the app on the CLI's database for some requests, then closes it (embedded PostgreSQL allows one process). */
async function onCliDatabase<T>(dataDir: string, work: (app: FastifyInstance) => Promise<T>): Promise<T> {
  const app = await buildApp(testConfig({ DATA_DIR: dataDir }))
  try {
    await app.ready()
    return await work(app)
  } finally {
    await app.close()
  }
}

describe('cli create-admin', () => {
  it('creates a verified administrator once, the password piped on standard input or from ADMIN_EMAIL/ADMIN_PASSWORD, and never promotes an existing account', { timeout: 120_000 }, async () => {
    const dataDir = freshDir()
    const email = uniqueEmail('Admin')
    const first = await createAdmin(dataDir, ['--email', email, '--name', 'Ann Admin'], `${TEST_PASSWORD}\n`)
    expect(first.code, first.output).toBe(0)
    expect(first.output).toContain(`Administrator ${email.toLowerCase()} created.`)
    expect(first.output).not.toContain(TEST_PASSWORD)

    const again = await createAdmin(dataDir, ['--email', email], 'another long passphrase\n')
    expect(again.code, again.output).toBe(0)
    expect(again.output).toContain(`An account with ${email.toLowerCase()} already exists; nothing was changed.`)

    const fromEnv = uniqueEmail('env-admin')
    const byEnv = await createAdmin(dataDir, [], undefined, { ADMIN_EMAIL: fromEnv, ADMIN_PASSWORD: TEST_PASSWORD })
    expect(byEnv.code, byEnv.output).toBe(0)
    expect(byEnv.output).toContain(`Administrator ${fromEnv} created.`)

    const member = uniqueEmail('member')
    await onCliDatabase(dataDir, async (app) => {
      const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: TEST_PASSWORD } })
      expect(login.statusCode, login.body).toBe(200)
      expect(login.json().user).toMatchObject({ email: email.toLowerCase(), name: 'Ann Admin', role: 'admin', emailVerified: true })
      const secondPassword = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'another long passphrase' } })
      expect(secondPassword.statusCode).toBe(401)
      const envLogin = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: fromEnv, password: TEST_PASSWORD } })
      expect(envLogin.json().user).toMatchObject({ role: 'admin', name: 'Administrator' })
      const registered = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: member, password: TEST_PASSWORD, name: 'Member' } })
      expect(registered.statusCode).toBe(201)
    })

    const taken = await createAdmin(dataDir, ['--email', member], `${TEST_PASSWORD}\n`)
    expect(taken.code, taken.output).toBe(0)
    expect(taken.output).toContain('already exists; nothing was changed')
    expect(taken.output).toContain('was not promoted')
  })

  it('refuses bad input with exit code 2, saying why', { timeout: 60_000 }, async () => {
    const dataDir = freshDir()
    const empty = 'create-admin reads the password from standard input, and it was empty'
    const cases: [string[], string | undefined, string][] = [
      [[], `${TEST_PASSWORD}\n`, 'create-admin needs --email <address> (or ADMIN_EMAIL)'],
      [['--email', uniqueEmail()], undefined, empty],
      [['--email', uniqueEmail()], '\n', empty],
      [['--email', 'not-an-address'], `${TEST_PASSWORD}\n`, '"not-an-address" is not an e-mail address'],
      [['--email', uniqueEmail()], 'password1\n', 'The password is one of the most common passwords'],
      [['--email', uniqueEmail(), '--role', 'admin'], `${TEST_PASSWORD}\n`, "Unknown option '--role'"],
      // A password in argv shows in `ps` and shell history: the flag is gone, not ignored.
      [['--email', uniqueEmail(), '--password', TEST_PASSWORD], undefined, "Unknown option '--password': the password is read from standard input"],
      [['--email', uniqueEmail(), `--password=${TEST_PASSWORD}`], `${TEST_PASSWORD}\n`, "Unknown option '--password'"],
    ]
    for (const [args, input, message] of cases) {
      const result = await createAdmin(dataDir, args, input)
      expect(result.code, result.output).toBe(2)
      expect(result.output).toContain(message)
      expect(result.output).not.toContain(TEST_PASSWORD)
      expect(result.output).toMatch(/create-admin +Create an administrator/)
    }
  })
})
