import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../app.js'
import { TEST_SECRETS, testConfig } from '../../test/helpers/app.js'
import { registerUser } from '../../test/helpers/auth.js'
import { refresh } from '../../test/helpers/identity.js'
import { privateDatabase } from '../../test/helpers/private-app.js'
import { runScript } from '../../test/helpers/server-process.js'
import { sessions } from '../core/auth/db/schema.js'
import type { Database } from '../core/db/client.js'
import { platformSettings } from '../core/secrets/db/schema.js'

const [keyA, keyB] = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')]
const before = { ENCRYPTION_KEY: keyA, ENCRYPTION_KEY_ID: 'k1' }
const during = { ENCRYPTION_KEY: keyB, ENCRYPTION_KEY_ID: 'k2', ENCRYPTION_KEYS_PREVIOUS: `k1:${keyA}` }
const after = { ENCRYPTION_KEY: keyB, ENCRYPTION_KEY_ID: 'k2' }

let database: Database
let release: () => Promise<void>
beforeAll(async () => {
  ;({ database, release } = await privateDatabase())
  // A database no instance has started on (the template may have been started on).
  await database.db.delete(platformSettings)
  await database.db.delete(sessions)
})
afterAll(() => release())

const cli = (args: string[], keys: Record<string, string>) =>
  runScript('src/cli.ts', args, {
    NODE_ENV: 'test',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'plinth-rotate-')),
    JWT_SECRET: TEST_SECRETS.JWT_SECRET,
    DATABASE_URL: database.url,
    JOBS_SCHEMA: 'jobs_rotate_cli',
    ...keys,
  })

async function app(keys: Record<string, string>) {
  const built = await buildApp(testConfig({ REFRESH_REUSE_GRACE_SECONDS: '300', ...keys }), { database, migrate: false })
  await built.ready()
  return built
}

const sealedTokens = async () => (await database.db.select({ sealed: sessions.currentTokenSealed }).from(sessions)).map((row) => row.sealed)

describe('npm run cli -- rotate-encryption-key', () => {
  it('moves sealed sessions under the new key while they stay usable, is idempotent, and the old key can then go', async () => {
    const first = await app(before)
    const user = await registerUser(first)
    const t1 = (await refresh(first, user.refreshToken)).json().refreshToken as string
    await first.close()
    expect(await sealedTokens()).toEqual([expect.stringMatching(/^v2\.k1\./)])

    // Removing the old key before rotating is refused, by the CLI as by the server.
    const early = await cli(['rotate-encryption-key'], after)
    expect(early.code).toBe(1)
    expect(early.output).toContain('Stored data (sessions) is encrypted with key id "k1", which is not configured')
    expect(early.output).not.toContain(keyA)

    // A server runs with the new key as current while the CLI rotates.
    const running = await app(during)
    const rotated = await cli(['rotate-encryption-key'], during)
    expect(rotated.output).toContain('Moved to key id "k2":\n  sessions: 1 moved\n')
    expect(rotated.output).toContain('Everything encrypted is under key id "k2". Nothing names "k1": remove it from ENCRYPTION_KEYS_PREVIOUS.')
    expect(rotated.code).toBe(0)
    expect(await sealedTokens()).toEqual([expect.stringMatching(/^v2\.k2\./)])

    const again = await cli(['rotate-encryption-key'], during)
    expect(again.output).toContain('  sessions: 0 moved\n')
    expect(again.code).toBe(0)
    await running.close()

    // The old key removed: the start is allowed, and the sealed token made under k1 opens (grace replay).
    const last = await app(after)
    const replay = await refresh(last, user.refreshToken)
    expect(replay.statusCode, replay.body).toBe(200)
    expect(replay.json().refreshToken).toBe(t1)
    await last.close()
    // Four CLI processes, each compiling the app: minutes on a busy machine.
  }, 240_000)

  it('refuses arguments, with the usage', async () => {
    const result = await cli(['rotate-encryption-key', 'now'], during)
    expect(result.code).toBe(2)
    expect(result.output).toContain('rotate-encryption-key takes no arguments.')
    expect(result.output).toContain('Usage: npm run cli')
  }, 60_000)
})
