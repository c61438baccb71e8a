import { randomUUID } from 'node:crypto'
import { and, asc, eq, like } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { auditLog } from '../../src/core/audit/db/schema.js'
import { sessions } from '../../src/core/auth/db/schema.js'
import type { Database, Db } from '../../src/core/db/client.js'
import { platformSettings } from '../../src/core/secrets/db/schema.js'
import { aiKeys } from '../../src/modules/colorbook/db/schema.js'
import type { TestUser } from './auth.js'
import { call } from './colorbook.js'

const db = (app: FastifyInstance): Db => app.platform.database.db

/** A provider key as a user would paste it: unique per call. */
export const providerKey = (prefix = 'sk-test-'): string => `${prefix}${randomUUID().replaceAll('-', '')}Zx9Q`

/** Stores a key through the API, expecting 201. */
export async function storeKey(app: FastifyInstance, user: TestUser, input: { provider?: string; label?: string; key?: string } = {}) {
  const key = input.key ?? providerKey()
  const response = await call(app, user, 'POST', '/api/ai-keys', { provider: 'openai', ...input, key })
  if (response.statusCode !== 201) throw new Error(`storing a key: ${response.statusCode} ${response.body}`)
  return { ...response.json<{ id: string; provider: string; last4: string; label: string | null; createdAt: string; lastRevealedAt: string | null }>(), key }
}

export const reveal = (app: FastifyInstance, user: TestUser, id: string, password = user.password) => call(app, user, 'POST', `/api/ai-keys/${id}/reveal`, { password })

export const storedKeys = (app: FastifyInstance, userId: string) => db(app).select().from(aiKeys).where(eq(aiKeys.userId, userId)).orderBy(asc(aiKeys.id))
export const storedKey = async (app: FastifyInstance, id: string) => (await db(app).select().from(aiKeys).where(eq(aiKeys.id, id)))[0]
export const setStoredKey = async (app: FastifyInstance, id: string, values: Partial<typeof aiKeys.$inferInsert>): Promise<void> => {
  await db(app).update(aiKeys).set(values).where(eq(aiKeys.id, id))
}
export const insertKeyRow = async (app: FastifyInstance, values: typeof aiKeys.$inferInsert): Promise<void> => {
  await db(app).insert(aiKeys).values(values)
}

/** The user's colorbook AI key audit entries, oldest first. */
export const aiKeyAudit = (app: FastifyInstance, userId: string) =>
  db(app).select().from(auditLog).where(and(eq(auditLog.actorId, userId), like(auditLog.action, 'colorbook.ai_key.%'))).orderBy(asc(auditLog.at), asc(auditLog.id))

/** Every form a leaked key could take in stored text: itself and its base64, base64url and hex encodings. */
export const encodingsOf = (key: string): string[] => {
  const bytes = Buffer.from(key, 'utf8')
  return [key, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), bytes.toString('base64').replace(/=+$/, '')]
}

/** A private database as no instance has started on it: no key check values, no sealed sessions (key rotation tests). */
export async function forgetKeyring(database: Database): Promise<void> {
  await database.db.delete(platformSettings)
  await database.db.delete(sessions)
}
