import { and, desc, eq, gt, inArray, isNull, ne, sql } from 'drizzle-orm'
import { auditLog } from '../audit/db/schema.js'
import type { Db } from '../db/client.js'
import { newId } from '../db/columns.js'
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

/** The audit entry written together with a new session (a sign-in's). */
export interface SessionAudit {
  action: string
  actorId: string
  ip: string | null
  userAgent: string | null
}

const liveSession = and(isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`))

type Values = Record<string, unknown>
const p = (name: string) => sql.placeholder(name) as never

export function createSessionsRepository(db: Db) {
  // A sign-in's three writes (session, first refresh token, audit entry) as one statement: one round
  // trip, atomic without BEGIN/COMMIT (data-modifying CTEs commit or fail together; the token's
  // foreign key is checked at the statement's end, when the session row exists). Built once.
  let withAudit: { execute(values: Values): Promise<SessionRow[]> } | undefined
  const insertWithAuditPrepared = () => {
    if (withAudit) return withAudit
    const session = db.$with('session').as(
      db
        .insert(sessions)
        .values({ id: p('id'), userId: p('userId'), currentTokenSealed: p('sealed'), ip: p('ip'), userAgent: p('userAgent'), expiresAt: p('expiresAt') })
        .returning(),
    )
    const token = db.$with('token').as(db.insert(refreshTokens).values({ tokenHash: p('tokenHash'), sessionId: p('id') }).returning({ tokenHash: refreshTokens.tokenHash }))
    const audit = db.$with('audit').as(
      db
        .insert(auditLog)
        .values({ id: p('auditId'), action: p('action'), actorId: p('actorId'), ip: p('auditIp'), userAgent: p('auditUserAgent'), details: {} })
        .returning({ id: auditLog.id }),
    )
    return (withAudit = db.with(session, token, audit).select().from(session).prepare('sessions_insert_with_audit') as unknown as typeof withAudit & object)
  }

  return {
    /** `insert` and an audit entry (details `{}`) in one statement: no transaction needed. */
    async insertWithAudit(session: NewSession, entry: SessionAudit): Promise<SessionRow> {
      const [row] = await insertWithAuditPrepared().execute({
        id: session.id,
        userId: session.userId,
        sealed: session.currentTokenSealed,
        ip: session.ip,
        userAgent: session.userAgent,
        expiresAt: session.expiresAt,
        tokenHash: session.tokenHash,
        auditId: newId(),
        action: entry.action,
        actorId: entry.actorId,
        auditIp: entry.ip,
        auditUserAgent: entry.userAgent,
      })
      return row!
    },

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
