import { and, count, desc, eq, isNull, or, gt, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { users } from '../users/db/schema.js'
import { apiKeys, type ApiKeyRow } from './db/schema.js'

export type NewApiKey = Pick<ApiKeyRow, 'id' | 'userId' | 'label' | 'prefix' | 'tokenHash' | 'scopes' | 'expiresAt' | 'createdBy'>

/** A key found by its hash, with what its use depends on: the owner's current role and state. */
export interface ApiKeyLookup {
  id: string
  userId: string
  scopes: string[]
  expiresAt: Date | null
  revokedAt: Date | null
  owner: { role: string; disabled: boolean; deletedAt: Date | null }
}

/** Keys neither revoked nor expired. */
const live = () => and(isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)))

export function createApiKeysRepository(db: Db) {
  return {
    async insert(key: NewApiKey): Promise<ApiKeyRow> {
      const [row] = await db.insert(apiKeys).values(key).returning()
      return row!
    },

    /** By the unique index on the hash: one indexed read, joined with the owner. */
    async findByHash(tokenHash: string): Promise<ApiKeyLookup | undefined> {
      const [row] = await db
        .select({
          id: apiKeys.id,
          userId: apiKeys.userId,
          scopes: apiKeys.scopes,
          expiresAt: apiKeys.expiresAt,
          revokedAt: apiKeys.revokedAt,
          owner: { role: users.role, disabled: users.disabled, deletedAt: users.deletedAt },
        })
        .from(apiKeys)
        .innerJoin(users, eq(users.id, apiKeys.userId))
        .where(eq(apiKeys.tokenHash, tokenHash))
        .limit(1)
      return row
    },

    /** A user's keys, newest first, revoked and expired ones included. */
    listOf(userId: string, limit: number): Promise<ApiKeyRow[]> {
      return db.select().from(apiKeys).where(eq(apiKeys.userId, userId)).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id)).limit(limit)
    },

    async countLive(userId: string): Promise<number> {
      const [row] = await db.select({ n: count() }).from(apiKeys).where(and(eq(apiKeys.userId, userId), live()))
      return row?.n ?? 0
    },

    /** Locks the owner's row: concurrent creations for one account are counted one after the other. */
    async lockOwner(userId: string): Promise<boolean> {
      const rows = await db.select({ id: users.id }).from(users).where(and(eq(users.id, userId), isNull(users.deletedAt))).for('update')
      return rows.length > 0
    },

    /** Revokes one of the user's keys; the row as it is now, or undefined when the user has no such key. */
    async revoke(id: string, userId: string): Promise<{ row: ApiKeyRow; revokedNow: boolean } | undefined> {
      const [revoked] = await db
        .update(apiKeys)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
        .returning()
      if (revoked) return { row: revoked, revokedNow: true }
      const [existing] = await db.select().from(apiKeys).where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId))).limit(1)
      return existing ? { row: existing, revokedNow: false } : undefined
    },

    /** Revokes every key of the user not revoked yet (an account recovery); returns those revoked now. */
    async revokeAllOf(userId: string): Promise<Array<{ id: string; prefix: string }>> {
      return db
        .update(apiKeys)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id, prefix: apiKeys.prefix })
    },

    /**
     * Records a use: `last_used_at` now, and whether this use is the first in `auditEveryMs` to be
     * audited (decided here, so instances agree). Run both in one transaction.
     */
    async touch(id: string, auditEveryMs: number): Promise<{ audit: boolean }> {
      await db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(eq(apiKeys.id, id))
      const audited = await db
        .update(apiKeys)
        .set({ useAuditedAt: sql`now()` })
        .where(and(eq(apiKeys.id, id), or(isNull(apiKeys.useAuditedAt), sql`${apiKeys.useAuditedAt} < now() - make_interval(secs => ${auditEveryMs / 1000})`)))
        .returning({ id: apiKeys.id })
      return { audit: audited.length > 0 }
    },

    /** A deleted account's keys go with its personal data; returns the ids removed. */
    async deleteOf(userId: string): Promise<string[]> {
      const rows = await db.delete(apiKeys).where(eq(apiKeys.userId, userId)).returning({ id: apiKeys.id })
      return rows.map((row) => row.id)
    },
  }
}

export type ApiKeysRepository = ReturnType<typeof createApiKeysRepository>
