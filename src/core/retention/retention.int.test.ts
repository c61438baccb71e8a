import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inArray } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildApp } from '../../app.js'
import { loadConfig } from '../../config/index.js'
import { testConfig } from '../../../test/helpers/app.js'
import { privateDatabase } from '../../../test/helpers/private-app.js'
import { auditLog } from '../audit/db/schema.js'
import { emailTokens, refreshTokens, sessions } from '../auth/db/schema.js'
import type { Database } from '../db/client.js'
import { newId } from '../db/columns.js'
import { emailOutbox } from '../email/db/schema.js'
import { users } from '../users/db/schema.js'
import { purgeExpired, RETENTION_CRON, RETENTION_DEFAULTS, type RetentionPolicy } from './retention.js'
import { createRetentionRepository } from './retention.repository.js'

const DAY = 86_400_000
const now = new Date()
const ago = (ms: number) => new Date(now.getTime() - ms)
const later = (ms: number) => new Date(now.getTime() + ms)
const policy: RetentionPolicy = { refreshTokenTtlDays: 30, auditDays: 365, ...RETENTION_DEFAULTS }

// A database of its own: retention deletes across whole tables, and counts here must be exact.
let database: Database
let release: () => Promise<void>
beforeAll(async () => {
  ;({ database, release } = await privateDatabase())
})
afterAll(() => release())
beforeEach(async () => {
  for (const table of [auditLog, emailOutbox, emailTokens, sessions]) await database.db.delete(table)
})

async function user(): Promise<string> {
  const [row] = await database.db.insert(users).values({ email: `${randomUUID()}@example.test`, name: 'Kept' }).returning({ id: users.id })
  return row!.id
}

async function session(userId: string, expiresAt: Date): Promise<string> {
  const id = newId()
  await database.db.insert(sessions).values({ id, userId, currentTokenSealed: 'sealed', expiresAt })
  return id
}

async function token(sessionId: string, createdAt: Date, rotatedAt: Date | null): Promise<string> {
  const tokenHash = randomUUID()
  await database.db.insert(refreshTokens).values({ tokenHash, sessionId, createdAt, rotatedAt })
  return tokenHash
}

const remaining = async <T>(rows: Promise<{ id: T }[]>) => (await rows).map((row) => row.id)

describe('retention', () => {
  it('deletes sessions a day past their expiry, with their refresh tokens; keeps live and just-expired ones', async () => {
    const owner = await user()
    const expired = await session(owner, ago(2 * DAY))
    const justExpired = await session(owner, ago(60_000))
    const live = await session(owner, later(DAY))
    const expiredToken = await token(expired, ago(3 * DAY), null)

    const counts = await purgeExpired(createRetentionRepository(database.db), policy, now)

    expect(counts.sessions).toBe(1)
    expect((await remaining(database.db.select({ id: sessions.id }).from(sessions))).sort()).toEqual([justExpired, live].sort())
    expect(await database.db.select().from(refreshTokens).where(inArray(refreshTokens.tokenHash, [expiredToken]))).toEqual([])
  })

  it('deletes rotated refresh tokens older than their lifetime; keeps recent ones and the current one', async () => {
    const live = await session(await user(), later(DAY))
    const old = await token(live, ago(31 * DAY), ago(30 * DAY))
    const recent = await token(live, ago(2 * DAY), ago(DAY))
    const current = await token(live, ago(40 * DAY), null)

    const counts = await purgeExpired(createRetentionRepository(database.db), policy, now)

    expect(counts.refreshTokens).toBe(1)
    const kept = await database.db.select({ tokenHash: refreshTokens.tokenHash }).from(refreshTokens).where(inArray(refreshTokens.tokenHash, [old, recent, current]))
    expect(kept.map((row) => row.tokenHash).sort()).toEqual([recent, current].sort())
  })

  it('deletes expired e-mail tokens and outbox messages older than 30 days; keeps the rest', async () => {
    const owner = await user()
    await database.db.insert(emailTokens).values([
      { tokenHash: 'expired', userId: owner, purpose: 'verify', expiresAt: ago(2 * DAY) },
      { tokenHash: 'live', userId: owner, purpose: 'verify', expiresAt: later(DAY) },
    ])
    const [oldMail, newMail] = [newId(), newId()]
    await database.db.insert(emailOutbox).values([
      { id: oldMail, to: 'a@example.test', subject: 'Old', text: 'old', createdAt: ago(31 * DAY) },
      { id: newMail, to: 'a@example.test', subject: 'New', text: 'new', createdAt: ago(29 * DAY) },
    ])

    const counts = await purgeExpired(createRetentionRepository(database.db), policy, now)

    expect(counts).toMatchObject({ emailTokens: 1, outbox: 1 })
    expect((await database.db.select().from(emailTokens)).map((row) => row.tokenHash)).toEqual(['live'])
    expect(await remaining(database.db.select({ id: emailOutbox.id }).from(emailOutbox))).toEqual([newMail])
  })

  it('deletes audit entries older than AUDIT_RETENTION_DAYS, keeps younger ones, and keeps all with 0', async () => {
    const [old, young] = [newId(), newId()]
    await database.db.insert(auditLog).values([
      { id: old, action: 'test.old', at: ago(366 * DAY) },
      { id: young, action: 'test.young', at: ago(364 * DAY) },
    ])

    expect((await purgeExpired(createRetentionRepository(database.db), { ...policy, auditDays: 0 }, now)).audit).toBe(0)
    expect(await database.db.select().from(auditLog)).toHaveLength(2)

    expect((await purgeExpired(createRetentionRepository(database.db), policy, now)).audit).toBe(1)
    expect(await remaining(database.db.select({ id: auditLog.id }).from(auditLog))).toEqual([young])
  })

  it('deletes in bounded batches: a backlog larger than one run is finished by the next', async () => {
    await database.db.insert(auditLog).values(Array.from({ length: 5 }, (_, i) => ({ id: newId(), action: 'test.old', at: ago((400 + i) * DAY) })))
    const small = { ...policy, batchSize: 2, maxBatches: 2 }

    expect((await purgeExpired(createRetentionRepository(database.db), small, now)).audit).toBe(4)
    // The oldest went first.
    expect((await database.db.select({ at: auditLog.at }).from(auditLog)).map((row) => row.at)).toEqual([ago(400 * DAY)])
    expect((await purgeExpired(createRetentionRepository(database.db), small, now)).audit).toBe(1)
    expect(await database.db.select().from(auditLog)).toEqual([])
  })

  it('runs hourly as the retention.purge job of the app', async () => {
    const app = await buildApp(testConfig(), { database, migrate: false })
    try {
      await app.ready()
      expect(await app.platform.jobs.schedules()).toContainEqual(expect.objectContaining({ name: 'retention.purge', cron: RETENTION_CRON }))
      const old = newId()
      await database.db.insert(auditLog).values({ id: old, action: 'test.old', at: ago(400 * DAY) })
      const id = await app.platform.jobs.send('retention.purge', {})
      await expect.poll(async () => (await app.platform.jobs.find('retention.purge', id!))?.state, { timeout: 20_000 }).toBe('completed')
      expect(await database.db.select().from(auditLog).where(inArray(auditLog.id, [old]))).toEqual([])
    } finally {
      await app.close()
    }
  })
})

describe('AUDIT_RETENTION_DAYS', () => {
  const dataDir = () => mkdtempSync(join(tmpdir(), 'plinth-retention-'))

  it('defaults to 365 days; 0 keeps audit entries forever; negative is refused', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).audit.retentionDays).toBe(365)
    expect(loadConfig({ DATA_DIR: dataDir(), AUDIT_RETENTION_DAYS: '0' }).audit.retentionDays).toBe(0)
    expect(() => loadConfig({ DATA_DIR: dataDir(), AUDIT_RETENTION_DAYS: '-1' })).toThrow(/AUDIT_RETENTION_DAYS/)
  })
})
