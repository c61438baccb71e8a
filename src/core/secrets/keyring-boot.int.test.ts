import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildApp } from '../../app.js'
import { ConfigError } from '../../config/index.js'
import { testConfig } from '../../../test/helpers/app.js'
import { registerUser } from '../../../test/helpers/auth.js'
import { refresh } from '../../../test/helpers/identity.js'
import { privateDatabase } from '../../../test/helpers/private-app.js'
import { sessions } from '../auth/db/schema.js'
import { restoredKeyProblem } from '../backup/restore-secrets.js'
import { createSealedSessionsRepository } from '../auth/sealed-sessions.repository.js'
import { rotateEncryptedData, type RewrapResult } from '../crypto/encrypted-data.js'
import type { Keyring, SealedRecord } from '../crypto/keyring.js'
import { Sealer } from '../crypto/seal.js'
import type { Database } from '../db/client.js'
import { defineModule, type ModuleDefinition } from '../module.js'
import { keyCheckSetting, keyCheckValue, SETTING } from './boot-secrets.js'
import { platformSettings } from './db/schema.js'

const [keyA, keyB, keyC] = [randomBytes(32), randomBytes(32), randomBytes(32)].map((key) => key.toString('hex')) as [string, string, string]
/** The environments of a rotation from A (id k1) to B (id k2). */
const before = { ENCRYPTION_KEY: keyA, ENCRYPTION_KEY_ID: 'k1' }
const during = { ENCRYPTION_KEY: keyB, ENCRYPTION_KEY_ID: 'k2', ENCRYPTION_KEYS_PREVIOUS: `k1:${keyA}` }
const after = { ENCRYPTION_KEY: keyB, ENCRYPTION_KEY_ID: 'k2' }
const everyKey = [keyA, keyB, keyC].flatMap((hex) => [hex, Buffer.from(hex, 'hex').toString('base64')])

let database: Database
let release: () => Promise<void>
const apps: FastifyInstance[] = []
beforeAll(async () => {
  ;({ database, release } = await privateDatabase())
})
afterAll(() => release())
beforeEach(async () => {
  await database.db.delete(platformSettings)
  await database.db.delete(sessions)
})
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

const stored = async () => Object.fromEntries((await database.db.select().from(platformSettings)).map((row) => [row.name, row.value]))
const sealedTokens = async () => (await database.db.select({ id: sessions.id, sealed: sessions.currentTokenSealed }).from(sessions)).map((row) => row.sealed)

/** A module keeping envelope-encrypted records in memory, as a module would in a table. */
function vaultModule(records: Map<string, SealedRecord>, seen: { crypto?: Keyring } = {}, extraIds: string[] = []): ModuleDefinition {
  return defineModule({
    name: 'vault',
    permissions: [],
    createApi: (ctx) => {
      seen.crypto = ctx.crypto
      return { records }
    },
    routes: () => async () => {},
    encryptedData: {
      keyIdsInUse: async (api) => [...new Set([...api.records.values()].map((record) => record.keyId)), ...extraIds],
      async rewrap(api, keyring, { limit, after: cursor }): Promise<RewrapResult> {
        const ids = [...api.records.keys()].sort().filter((id) => (cursor === null || id > cursor) && api.records.get(id)!.keyId !== keyring.currentKeyId).slice(0, limit)
        for (const id of ids) {
          const record = api.records.get(id)!
          api.records.set(id, { ...record, ...keyring.rewrap(record.wrappedKey, record.keyId) })
        }
        return { rewrapped: ids.length, failed: 0, next: ids.length < limit ? null : ids.at(-1)! }
      },
    },
  })
}

async function boot(env: Record<string, string | undefined>, modules: readonly ModuleDefinition[] = []): Promise<FastifyInstance> {
  const app = await buildApp(testConfig({ REFRESH_REUSE_GRACE_SECONDS: '300', ...env }, modules), { database, migrate: false, modules })
  apps.push(app)
  await app.ready()
  return app
}

async function refused(env: Record<string, string | undefined>, modules: readonly ModuleDefinition[] = []): Promise<string> {
  const error = await buildApp(testConfig(env, modules), { database, migrate: false, modules }).then(
    (app) => {
      apps.push(app)
      throw new Error('the start was not refused')
    },
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(ConfigError)
  const { message } = error as ConfigError
  for (const key of everyKey) expect(message).not.toContain(key)
  return message
}

describe('key check values per key id', () => {
  it('are stored for every configured key id on first sight, with the id v1 values were made with', async () => {
    await boot(during)
    expect(await stored()).toEqual({
      [keyCheckSetting('k2')]: keyCheckValue(Buffer.from(keyB, 'hex')),
      [keyCheckSetting('k1')]: keyCheckValue(Buffer.from(keyA, 'hex')),
      [SETTING.v1KeyId]: 'k2',
    })
  })

  it('refuse a start where a previous key id stands for another key than before, naming it, and write nothing', async () => {
    await boot(during)
    const settings = await stored()
    const message = await refused({ ...during, ENCRYPTION_KEYS_PREVIOUS: `k1:${keyC}` })
    expect(message).toContain('ENCRYPTION_KEYS_PREVIOUS: key id "k1" is not the key the data in this database names with that id')
    expect(await stored()).toEqual(settings)
  })

  it('refuse a start where the current key id stands for another key, naming ENCRYPTION_KEY and the id', async () => {
    await boot(before)
    const message = await refused({ ENCRYPTION_KEY: keyB, ENCRYPTION_KEY_ID: 'k1' })
    expect(message).toContain('ENCRYPTION_KEY is not the key the data in this database was encrypted with (its key check value for key id "k1" differs)')
  })
})

describe('after a restore, the warning about keys', () => {
  it('compares the configured keys with the check values kept per key id, or with the one old check value', async () => {
    await boot(during)
    expect(await restoredKeyProblem(testConfig(during), database.db)).toBeUndefined()
    expect(await restoredKeyProblem(testConfig(after), database.db)).toBeUndefined()
    expect(await restoredKeyProblem(testConfig({ ENCRYPTION_KEY: keyC, ENCRYPTION_KEY_ID: 'k2' }), database.db)).toMatch(/^The restored data was encrypted with another ENCRYPTION_KEY/)

    await database.db.delete(platformSettings)
    await database.db.insert(platformSettings).values({ name: SETTING.keyCheck, value: keyCheckValue(Buffer.from(keyA, 'hex')) })
    expect(await restoredKeyProblem(testConfig(during), database.db)).toBeUndefined()
    expect(await restoredKeyProblem(testConfig(after), database.db)).toMatch(/another ENCRYPTION_KEY/)
  })
})

describe('stored data naming a key id that is not configured', () => {
  it('stops the start (sessions sealed under k1, k1 removed too early); with k1 as a previous key it starts', async () => {
    const app = await boot(before)
    await registerUser(app)
    expect(await sealedTokens()).toEqual([expect.stringMatching(/^v2\.k1\./)])
    await app.close()

    const message = await refused(after)
    expect(message).toContain('Stored data (sessions) is encrypted with key id "k1", which is not configured: set ENCRYPTION_KEYS_PREVIOUS to include k1:<that key>')
    await boot(during)
  })

  it("stops the start when a module's data names an unknown key id, naming the module", async () => {
    const message = await refused(before, [vaultModule(new Map(), {}, ['k7'])])
    expect(message).toContain('Stored data (vault) is encrypted with key id "k7", which is not configured')
  })
})

describe('ctx.crypto and rotation', () => {
  it('modules get the keyring; rotation moves their records and sessions under the new key, and they open without the old one', async () => {
    const records = new Map<string, SealedRecord>()
    const seen: { crypto?: Keyring } = {}
    const first = await boot(before, [vaultModule(records, seen)])
    for (let i = 0; i < 5; i++) records.set(`r${i}`, seen.crypto!.sealRecord(`secret-${i}`, `vault:owner:r${i}`))
    expect(seen.crypto!.currentKeyId).toBe('k1')
    const user = await registerUser(first)
    // Rotated once: the session's current token is t1, sealed under k1; t0 is within the grace window.
    const t1 = (await refresh(first, user.refreshToken)).json().refreshToken as string
    await first.close()

    const rotating = await boot(during, [vaultModule(records, seen)])
    expect(seen.crypto!.currentKeyId).toBe('k2')
    const counts = await rotateEncryptedData(rotating.platform.keyring, rotating.encryptedData, 2)
    expect(counts).toEqual([
      { name: 'sessions', rewrapped: 1, failed: 0 },
      { name: 'vault', rewrapped: 5, failed: 0 },
    ])
    expect(await rotateEncryptedData(rotating.platform.keyring, rotating.encryptedData, 2)).toEqual([
      { name: 'sessions', rewrapped: 0, failed: 0 },
      { name: 'vault', rewrapped: 0, failed: 0 },
    ])
    expect(await sealedTokens()).toEqual([expect.stringMatching(/^v2\.k2\./)])
    await rotating.close()

    const rotated = await boot(after, [vaultModule(records, seen)])
    for (let i = 0; i < 5; i++) expect(seen.crypto!.openRecord(records.get(`r${i}`)!, `vault:owner:r${i}`)).toBe(`secret-${i}`)
    // The sealed token opens under k2 alone: replaying t0 in the grace window returns the current pair.
    const replay = await refresh(rotated, user.refreshToken)
    expect(replay.statusCode, replay.body).toBe(200)
    expect(replay.json().refreshToken).toBe(t1)
  })

  it('opens v1 values of a database from before key ids with the key its old check value names, and rotates them', async () => {
    const app = await boot(before)
    const user = await registerUser(app)
    const t1 = (await refresh(app, user.refreshToken)).json().refreshToken as string
    await app.close()
    // As an earlier version left it: one check value, no per-id ones, the token sealed as v1.
    const [session] = await database.db.select().from(sessions)
    await database.db.delete(platformSettings)
    await database.db.insert(platformSettings).values({ name: SETTING.keyCheck, value: keyCheckValue(Buffer.from(keyA, 'hex')) })
    await database.db.update(sessions).set({ currentTokenSealed: new Sealer(Buffer.from(keyA, 'hex')).seal(t1, session!.id) }).where(eq(sessions.id, session!.id))

    const rotating = await boot(during)
    expect((await stored())[SETTING.v1KeyId]).toBe('k1')
    expect(await rotateEncryptedData(rotating.platform.keyring, rotating.encryptedData)).toEqual([{ name: 'sessions', rewrapped: 1, failed: 0 }])
    await rotating.close()
    const replay = await refresh(await boot(after), user.refreshToken)
    expect(replay.json().refreshToken).toBe(t1)
  })

  it('refreshes during the rotation keep their newer tokens: every session replays its latest token afterwards', async () => {
    const first = await boot(before)
    const users = await Promise.all(Array.from({ length: 12 }, () => registerUser(first)))
    await first.close()
    const rotating = await boot(during)
    const [refreshed] = await Promise.all([
      Promise.all(users.map(async (user) => (await refresh(rotating, user.refreshToken)).json().refreshToken as string)),
      rotateEncryptedData(rotating.platform.keyring, rotating.encryptedData, 2),
    ])
    // Whatever the rotation did not move, the refreshes sealed under k2 already.
    expect(await rotateEncryptedData(rotating.platform.keyring, rotating.encryptedData)).toEqual([{ name: 'sessions', rewrapped: 0, failed: 0 }])
    await rotating.close()
    const last = await boot(after)
    const replays = await Promise.all(users.map((user) => refresh(last, user.refreshToken)))
    expect(replays.map((replay) => replay.json().refreshToken as string)).toEqual(refreshed)
  })

  it('a session token written meanwhile wins over the rotation (conditional update)', async () => {
    const app = await boot(before)
    await registerUser(app)
    const repo = createSealedSessionsRepository(database.db)
    const [row] = await repo.notUnder('k2', null, 10)
    const newer = app.platform.keyring.seal('newer', row!.id)
    await database.db.update(sessions).set({ currentTokenSealed: newer }).where(eq(sessions.id, row!.id))
    expect(await repo.replaceSealed(row!.id, row!.sealed, 'v2.k2.stale')).toBe(false)
    expect(await sealedTokens()).toEqual([newer])
  })
})
