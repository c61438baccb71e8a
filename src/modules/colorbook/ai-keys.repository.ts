import { and, asc, desc, eq, gt, lt, ne } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { aiKeys } from './db/schema.js'

export type AiKeyRow = typeof aiKeys.$inferSelect
export type NewAiKey = typeof aiKeys.$inferInsert
/** What lists and exports show of a key: never its ciphertext. */
export type AiKeySummary = Pick<AiKeyRow, 'id' | 'provider' | 'label' | 'last4' | 'createdAt' | 'lastRevealedAt'>

const summary = { id: aiKeys.id, provider: aiKeys.provider, label: aiKeys.label, last4: aiKeys.last4, createdAt: aiKeys.createdAt, lastRevealedAt: aiKeys.lastRevealedAt }
const ownKey = (id: string, userId: string) => and(eq(aiKeys.id, id), eq(aiKeys.userId, userId))

/** Users' sealed AI provider keys. Every read and write names the owner: another user's key is not found. */
export function createAiKeysRepository(db: Db) {
  return {
    async insert(values: NewAiKey): Promise<AiKeySummary> {
      const [row] = await db.insert(aiKeys).values(values).returning(summary)
      return row!
    },

    /** Newest first (ids are time-ordered), after the id `before` when given. */
    list(userId: string, limit: number, before?: string): Promise<AiKeySummary[]> {
      return db
        .select(summary)
        .from(aiKeys)
        .where(and(eq(aiKeys.userId, userId), before === undefined ? undefined : lt(aiKeys.id, before)))
        .orderBy(desc(aiKeys.id))
        .limit(limit)
    },

    async find(id: string, userId: string): Promise<AiKeyRow | undefined> {
      return (await db.select().from(aiKeys).where(ownKey(id, userId)).limit(1))[0]
    },

    async remove(id: string, userId: string): Promise<AiKeySummary | undefined> {
      return (await db.delete(aiKeys).where(ownKey(id, userId)).returning(summary))[0]
    },

    async markRevealed(id: string, userId: string, at: Date): Promise<boolean> {
      return (await db.update(aiKeys).set({ lastRevealedAt: at }).where(ownKey(id, userId)).returning({ id: aiKeys.id })).length === 1
    },

    /** Oldest first: the user's data export. */
    allOf(userId: string): Promise<AiKeySummary[]> {
      return db.select(summary).from(aiKeys).where(eq(aiKeys.userId, userId)).orderBy(asc(aiKeys.id))
    },

    async removeAllOf(userId: string): Promise<number> {
      return (await db.delete(aiKeys).where(eq(aiKeys.userId, userId)).returning({ id: aiKeys.id })).length
    },

    /** The master key ids the stored keys' data keys are wrapped with. */
    async keyIds(): Promise<string[]> {
      return (await db.selectDistinct({ keyId: aiKeys.keyId }).from(aiKeys)).map((row) => row.keyId)
    },

    /** Up to `limit` keys after the id `after` whose data key is not wrapped with `keyId`, by id. */
    notUnder(keyId: string, after: string | null, limit: number): Promise<Pick<AiKeyRow, 'id' | 'wrappedDataKey' | 'keyId'>[]> {
      return db
        .select({ id: aiKeys.id, wrappedDataKey: aiKeys.wrappedDataKey, keyId: aiKeys.keyId })
        .from(aiKeys)
        .where(and(ne(aiKeys.keyId, keyId), after === null ? undefined : gt(aiKeys.id, after)))
        .orderBy(asc(aiKeys.id))
        .limit(limit)
    },

    /** The re-wrapped data key, only if the row still holds `before` (a write meanwhile wins). */
    async replaceWrapped(id: string, before: { wrappedKey: string; keyId: string }, after: { wrappedKey: string; keyId: string }): Promise<boolean> {
      const rows = await db
        .update(aiKeys)
        .set({ wrappedDataKey: after.wrappedKey, keyId: after.keyId })
        .where(and(eq(aiKeys.id, id), eq(aiKeys.keyId, before.keyId), eq(aiKeys.wrappedDataKey, before.wrappedKey)))
        .returning({ id: aiKeys.id })
      return rows.length === 1
    },
  }
}

export type AiKeysRepository = ReturnType<typeof createAiKeysRepository>
