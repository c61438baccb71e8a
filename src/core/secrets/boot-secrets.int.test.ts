import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildApp } from '../../app.js'
import { ConfigError } from '../../config/index.js'
import { testConfig } from '../../../test/helpers/app.js'
import { registerUser } from '../../../test/helpers/auth.js'
import { me, refresh } from '../../../test/helpers/identity.js'
import { privateDatabase } from '../../../test/helpers/private-app.js'
import { sessions } from '../auth/db/schema.js'
import { Sealer } from '../crypto/seal.js'
import type { Database } from '../db/client.js'
import { newId } from '../db/columns.js'
import { users } from '../users/db/schema.js'
import { keyCheckSetting, keyCheckValue, resolveBootSecrets, SETTING } from './boot-secrets.js'
import { platformSettings } from './db/schema.js'

/** A config as a development instance builds it with DATABASE_URL and no secrets (the URL is only recorded here). */
const sharedSecretsConfig = (env: Record<string, string | undefined> = {}) =>
  testConfig({ NODE_ENV: 'development', DATABASE_URL: 'postgres://127.0.0.1:1/recorded-only', JWT_SECRET: undefined, ENCRYPTION_KEY: undefined, ...env })

let database: Database
let release: () => Promise<void>
let url: string
beforeAll(async () => {
  ;({ database, release, url } = await privateDatabase())
})
afterAll(() => release())
// Each test starts from a database no instance has started on yet.
beforeEach(async () => {
  await database.db.delete(platformSettings)
  await database.db.delete(sessions)
})

const stored = async () => Object.fromEntries((await database.db.select().from(platformSettings)).map((row) => [row.name, row.value]))

describe('development with DATABASE_URL and no secrets', () => {
  it('proposes generated secrets without writing DATA_DIR, and marks them to be taken from the database', () => {
    const config = sharedSecretsConfig()
    expect(config.secrets.fromDatabase).toEqual(['JWT_SECRET', 'ENCRYPTION_KEY'])
    const withOne = sharedSecretsConfig({ JWT_SECRET: 'j'.repeat(40) })
    expect(withOne.secrets).toMatchObject({ jwtSecret: 'j'.repeat(40), fromDatabase: ['ENCRYPTION_KEY'] })
    // Production never generates: both are required.
    expect(() => sharedSecretsConfig({ NODE_ENV: 'production' })).toThrow(ConfigError)
  })

  it('proposes the secrets an earlier start kept in DATA_DIR, so an existing setup keeps its own', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plinth-secrets-'))
    const earlier = { jwtSecret: 'e'.repeat(48), encryptionKey: 'cd'.repeat(32) }
    writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify(earlier))
    const config = sharedSecretsConfig({ DATA_DIR: dataDir })
    expect(config.secrets.jwtSecret).toBe(earlier.jwtSecret)
    expect(config.secrets.encryptionKey).toEqual(Buffer.from(earlier.encryptionKey, 'hex'))
  })

  it('every instance adopts the secrets the first one kept in the database', async () => {
    const [first, second] = [sharedSecretsConfig(), sharedSecretsConfig()]
    expect(second.secrets.jwtSecret).not.toBe(first.secrets.jwtSecret)
    const a = await resolveBootSecrets(first, database.db)
    const b = await resolveBootSecrets(second, database.db)
    expect(a.secrets.jwtSecret).toBe(first.secrets.jwtSecret)
    expect(b.secrets.jwtSecret).toBe(first.secrets.jwtSecret)
    expect(b.secrets.encryptionKey).toEqual(first.secrets.encryptionKey)
    // What one encrypts, the other reads.
    const sealed = new Sealer(a.secrets.encryptionKey).seal('secret', 'ctx')
    expect(new Sealer(b.secrets.encryptionKey).open(sealed, 'ctx')).toBe('secret')
  })

  it('instances booting at the same moment agree', async () => {
    const configs = Array.from({ length: 4 }, () => sharedSecretsConfig())
    const resolved = await Promise.all(configs.map((config) => resolveBootSecrets(config, database.db)))
    expect(new Set(resolved.map((config) => config.secrets.jwtSecret)).size).toBe(1)
    expect(new Set(resolved.map((config) => config.secrets.encryptionKey.toString('hex'))).size).toBe(1)
    expect(configs.map((config) => config.secrets.jwtSecret)).toContain(resolved[0]!.secrets.jwtSecret)
  })

  it('keeps nothing in the database when the environment has both secrets', async () => {
    await resolveBootSecrets(testConfig(), database.db)
    expect(Object.keys(await stored()).sort()).toEqual([keyCheckSetting('k1'), SETTING.v1KeyId])
  })
})

describe('the ENCRYPTION_KEY check value', () => {
  it('is written on first start, is not the key, and does not change on later starts', async () => {
    const config = testConfig()
    const key = config.secrets.encryptionKey
    await resolveBootSecrets(config, database.db)
    const value = (await stored())[keyCheckSetting('k1')]!
    expect(value).toBe(keyCheckValue(key))
    for (const encoded of [key.toString('hex'), key.toString('base64'), key.toString('base64url'), key.toString('latin1')]) {
      expect(value).not.toContain(encoded)
    }
    await resolveBootSecrets(testConfig(), database.db)
    expect((await stored())[keyCheckSetting('k1')]).toBe(value)
  })

  it('refuses a start with another key, naming ENCRYPTION_KEY, and leaves the stored value alone', async () => {
    const app = await buildApp(testConfig(), { database, migrate: false })
    await app.close()
    const before = await stored()

    const wrong = buildApp(testConfig({ ENCRYPTION_KEY: randomBytes(32).toString('hex') }), { database, migrate: false })
    await expect(wrong).rejects.toBeInstanceOf(ConfigError)
    await expect(wrong).rejects.toThrow(/ENCRYPTION_KEY is not the key the data in this database was encrypted with/)
    expect(await stored()).toEqual(before)
  })

  it('on a database from before check values, refuses a key that cannot open the stored sessions', async () => {
    const right = testConfig()
    const id = newId()
    const [user] = await database.db.insert(users).values({ email: `${id}@example.test`, name: 'Old' }).returning()
    await database.db.insert(sessions).values({
      id,
      userId: user!.id,
      currentTokenSealed: new Sealer(right.secrets.encryptionKey).seal('refresh', id),
      expiresAt: new Date(Date.now() + 86_400_000),
    })

    await expect(resolveBootSecrets(testConfig({ ENCRYPTION_KEY: randomBytes(32).toString('hex') }), database.db)).rejects.toThrow(/ENCRYPTION_KEY/)
    expect(await stored()).toEqual({})
    await resolveBootSecrets(right, database.db)
    expect(await stored()).toEqual({ [keyCheckSetting('k1')]: keyCheckValue(right.secrets.encryptionKey), [SETTING.v1KeyId]: 'k1' })
  })

  it('when the key Plinth generated in DATA_DIR is lost, says it was generated and how to recover', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plinth-secrets-'))
    // The embedded database with no secrets set: Plinth generates them and keeps them in DATA_DIR.
    const embedded = () => testConfig({ DATABASE_URL: undefined, DATA_DIR: dataDir, JWT_SECRET: undefined, ENCRYPTION_KEY: undefined })
    await resolveBootSecrets(embedded(), database.db)
    rmSync(join(dataDir, 'secrets.json'))

    const refused = resolveBootSecrets(embedded(), database.db)
    await expect(refused).rejects.toBeInstanceOf(ConfigError)
    const { message } = (await refused.catch((error: Error) => error)) as Error
    expect(message).toContain(`ENCRYPTION_KEY is unset, so Plinth used the key it generated and keeps in ${join(dataDir, 'secrets.json')}`)
    expect(message).toContain('Restore DATA_DIR/secrets.json from a backup, or set ENCRYPTION_KEY to the original key')
  })

  it('refuses a key kept in the database that does not match the check value', async () => {
    await resolveBootSecrets(testConfig(), database.db)
    await expect(resolveBootSecrets(sharedSecretsConfig(), database.db)).rejects.toThrow(/ENCRYPTION_KEY is unset and the key kept in the database does not match/)
  })
})

// Two apps on one database, each with its own DATA_DIR.
describe('two development instances on one DATABASE_URL without secrets', () => {
  let apps: FastifyInstance[] = []
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()))
  })

  it("accept each other's tokens and read each other's encrypted sessions", async () => {
    const env = { NODE_ENV: 'development', DATABASE_URL: url, JWT_SECRET: undefined, ENCRYPTION_KEY: undefined }
    apps = await Promise.all([buildApp(testConfig(env)), buildApp(testConfig(env))])
    const [a, b] = apps as [FastifyInstance, FastifyInstance]
    await Promise.all(apps.map((app) => app.ready()))

    const user = await registerUser(a)
    const answer = await me(b, user.accessToken)
    expect(answer.statusCode, answer.body).toBe(200)
    expect(answer.json()).toMatchObject({ id: user.id })
    const refreshed = await refresh(b, user.refreshToken)
    expect(refreshed.statusCode, refreshed.body).toBe(200)
    expect((await me(a, refreshed.json().accessToken)).statusCode).toBe(200)
    expect(b.platform.config.secrets.encryptionKey).toEqual(a.platform.config.secrets.encryptionKey)
  })
})
