import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { sessions } from './db/schema.js'

/** Only a live session's sealed token is ever opened (a refresh inside the grace window). */
const live = and(isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`))
/** `v2.<keyId>.…` → the key id; `v1.…` (before key ids) → null. */
const keyIdOf = sql<string | null>`case when split_part(${sessions.currentTokenSealed}, '.', 1) = 'v2' then split_part(${sessions.currentTokenSealed}, '.', 2) end`

/** The sessions' sealed refresh tokens, as key rotation sees them. */
export function createSealedSessionsRepository(db: Db) {
  return {
    /** The key ids live sessions' sealed tokens name; null stands for `v1.` values. */
    async keyIds(): Promise<(string | null)[]> {
      const rows = await db.selectDistinct({ keyId: keyIdOf }).from(sessions).where(live)
      return rows.map((row) => row.keyId)
    },

    /** Up to `limit` live sessions after `after` (by id) whose token is not sealed under `keyId`. */
    async notUnder(keyId: string, after: string | null, limit: number): Promise<{ id: string; sealed: string }[]> {
      return db
        .select({ id: sessions.id, sealed: sessions.currentTokenSealed })
        .from(sessions)
        .where(and(live, sql`${keyIdOf} is distinct from ${keyId}`, after === null ? undefined : gt(sessions.id, after)))
        .orderBy(asc(sessions.id))
        .limit(limit)
    },

    /** Replaces the sealed token only if it is still `before`: a refresh meanwhile wins. */
    async replaceSealed(id: string, before: string, after: string): Promise<boolean> {
      const rows = await db
        .update(sessions)
        .set({ currentTokenSealed: after })
        .where(and(eq(sessions.id, id), eq(sessions.currentTokenSealed, before)))
        .returning({ id: sessions.id })
      return rows.length === 1
    },
  }
}

export type SealedSessionsRepository = ReturnType<typeof createSealedSessionsRepository>
