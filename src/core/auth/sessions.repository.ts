import { and, desc, eq, gt, inArray, isNull, ne, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { users } from '../users/db/schema.js'
import { emailTokens, refreshTokens, sessions, type SessionRow } from './db/schema.js'

export interface NewSession {
  id: string
  userId: string
  currentTokenSealed: string
  tokenHash: string
  userAgent: string | null
  ip: string | null
  expiresAt: Date
}

/** A refresh token with its session and the session's user, as the refresh flow needs them. */
export interface TokenLookup {
  rotatedAt: Date | null
  session: SessionRow
  user: { role: string; disabled: boolean; deletedAt: Date | null }
}

const liveSession = and(isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`))

export function createSessionsRepository(db: Db) {
  return {
    /** The session row and its first refresh token: two writes, so call it inside a transaction. */
    async insert(session: NewSession): Promise<SessionRow> {
      const { tokenHash, ...values } = session
      const [row] = await db.insert(sessions).values(values).returning()
      await db.insert(refreshTokens).values({ tokenHash, sessionId: session.id })
      return row!
    },

    async findToken(tokenHash: string): Promise<TokenLookup | undefined> {
      const [row] = await db
        .select({ rotatedAt: refreshTokens.rotatedAt, session: sessions, user: { role: users.role, disabled: users.disabled, deletedAt: users.deletedAt } })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(eq(refreshTokens.tokenHash, tokenHash))
        .limit(1)
      return row
    },

    /** Locks a live session's row for the rest of the transaction; false when the session has ended. */
    async lockLive(sessionId: string): Promise<boolean> {
      const rows = await db.select({ id: sessions.id }).from(sessions).where(and(eq(sessions.id, sessionId), liveSession)).for('update')
      return rows.length > 0
    },

    /** Marks the token used; false when another request rotated it first. */
    async markRotated(tokenHash: string): Promise<boolean> {
      const rows = await db
        .update(refreshTokens)
        .set({ rotatedAt: sql`now()` })
        .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.rotatedAt)))
        .returning({ tokenHash: refreshTokens.tokenHash })
      return rows.length > 0
    },

    async addToken(sessionId: string, tokenHash: string, sealed: string, meta: { ip: string | null; userAgent: string | null; expiresAt: Date }): Promise<void> {
      await db.insert(refreshTokens).values({ tokenHash, sessionId })
      await db
        .update(sessions)
        .set({ currentTokenSealed: sealed, lastUsedAt: sql`now()`, ip: meta.ip, userAgent: meta.userAgent, expiresAt: meta.expiresAt, updatedAt: sql`now()` })
        .where(eq(sessions.id, sessionId))
    },

    async findLive(sessionId: string): Promise<SessionRow | undefined> {
      const [row] = await db.select().from(sessions).where(and(eq(sessions.id, sessionId), liveSession)).limit(1)
      return row
    },

    listLive(userId: string): Promise<SessionRow[]> {
      return db.select().from(sessions).where(and(eq(sessions.userId, userId), liveSession)).orderBy(desc(sessions.lastUsedAt))
    },

    /** Revokes live sessions matching the filter; returns the ids revoked. */
    async revoke(filter: { sessionId?: string; userId?: string; exceptSessionId?: string }, reason: string): Promise<string[]> {
      const rows = await db
        .update(sessions)
        .set({ revokedAt: sql`now()`, revokedReason: reason, updatedAt: sql`now()` })
        .where(
          and(
            liveSession,
            filter.sessionId ? eq(sessions.id, filter.sessionId) : undefined,
            filter.userId ? eq(sessions.userId, filter.userId) : undefined,
            filter.exceptSessionId ? ne(sessions.id, filter.exceptSessionId) : undefined,
          ),
        )
        .returning({ id: sessions.id })
      return rows.map((row) => row.id)
    },

    /** Sessions revoked in the last `windowMs`: their access tokens may not have expired yet. */
    async revokedSince(windowMs: number): Promise<string[]> {
      const rows = await db
        .select({ id: sessions.id })
        .from(sessions)
        .where(gt(sessions.revokedAt, sql`now() - ${`${Math.ceil(windowMs / 1000)} seconds`}::interval`))
      return rows.map((row) => row.id)
    },

    async deleteTokensOf(sessionIds: string[]): Promise<void> {
      if (sessionIds.length > 0) await db.delete(refreshTokens).where(inArray(refreshTokens.sessionId, sessionIds))
    },
  }
}

export function createEmailTokensRepository(db: Db) {
  return {
    async insert(token: { tokenHash: string; userId: string; purpose: string; expiresAt: Date }): Promise<void> {
      await db.insert(emailTokens).values(token)
    },

    /** The user of a live token, without using it up. */
    async findLive(tokenHash: string, purpose: string): Promise<string | undefined> {
      const [row] = await db
        .select({ userId: emailTokens.userId })
        .from(emailTokens)
        .where(and(eq(emailTokens.tokenHash, tokenHash), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt), gt(emailTokens.expiresAt, sql`now()`)))
        .limit(1)
      return row?.userId
    },

    /** Uses a live token once; returns its user, or undefined if invalid, expired or used. */
    async consume(tokenHash: string, purpose: string): Promise<string | undefined> {
      const [row] = await db
        .update(emailTokens)
        .set({ usedAt: sql`now()` })
        .where(and(eq(emailTokens.tokenHash, tokenHash), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt), gt(emailTokens.expiresAt, sql`now()`)))
        .returning({ userId: emailTokens.userId })
      return row?.userId
    },

    /** A new link supersedes older unused ones of the same purpose. */
    async invalidate(userId: string, purpose: string): Promise<void> {
      await db
        .update(emailTokens)
        .set({ usedAt: sql`now()` })
        .where(and(eq(emailTokens.userId, userId), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt)))
    },
  }
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>
export type EmailTokensRepository = ReturnType<typeof createEmailTokensRepository>
