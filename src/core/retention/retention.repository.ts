import { and, inArray, isNotNull, lt } from 'drizzle-orm'
import { auditLog } from '../audit/db/schema.js'
import { emailTokens, refreshTokens, sessions } from '../auth/db/schema.js'
import type { Db } from '../db/client.js'
import { emailOutbox } from '../email/db/schema.js'

/** What retention removes; each delete takes at most `limit` rows (oldest first), so one statement stays short. */
export interface RetentionRepository {
  /** Sessions that expired before `before`; their refresh tokens go with them (cascade). */
  deleteSessions(before: Date, limit: number): Promise<number>
  /** Refresh tokens already exchanged for a successor and issued before `before`. */
  deleteRotatedRefreshTokens(before: Date, limit: number): Promise<number>
  /** E-mail tokens (verification, password reset) that expired before `before`. */
  deleteEmailTokens(before: Date, limit: number): Promise<number>
  /** Outbox messages written before `before`. */
  deleteOutbox(before: Date, limit: number): Promise<number>
  /** Audit entries recorded before `before`. */
  deleteAudit(before: Date, limit: number): Promise<number>
}

export function createRetentionRepository(db: Db): RetentionRepository {
  return {
    async deleteSessions(before, limit) {
      const oldest = db.select({ id: sessions.id }).from(sessions).where(lt(sessions.expiresAt, before)).orderBy(sessions.expiresAt).limit(limit)
      return (await db.delete(sessions).where(inArray(sessions.id, oldest)).returning({ id: sessions.id })).length
    },
    async deleteRotatedRefreshTokens(before, limit) {
      const oldest = db
        .select({ tokenHash: refreshTokens.tokenHash })
        .from(refreshTokens)
        .where(and(lt(refreshTokens.createdAt, before), isNotNull(refreshTokens.rotatedAt)))
        .orderBy(refreshTokens.createdAt)
        .limit(limit)
      return (await db.delete(refreshTokens).where(inArray(refreshTokens.tokenHash, oldest)).returning({ tokenHash: refreshTokens.tokenHash })).length
    },
    async deleteEmailTokens(before, limit) {
      const oldest = db.select({ tokenHash: emailTokens.tokenHash }).from(emailTokens).where(lt(emailTokens.expiresAt, before)).orderBy(emailTokens.expiresAt).limit(limit)
      return (await db.delete(emailTokens).where(inArray(emailTokens.tokenHash, oldest)).returning({ tokenHash: emailTokens.tokenHash })).length
    },
    async deleteOutbox(before, limit) {
      const oldest = db.select({ id: emailOutbox.id }).from(emailOutbox).where(lt(emailOutbox.createdAt, before)).orderBy(emailOutbox.createdAt).limit(limit)
      return (await db.delete(emailOutbox).where(inArray(emailOutbox.id, oldest)).returning({ id: emailOutbox.id })).length
    },
    async deleteAudit(before, limit) {
      const oldest = db.select({ id: auditLog.id }).from(auditLog).where(lt(auditLog.at, before)).orderBy(auditLog.at).limit(limit)
      return (await db.delete(auditLog).where(inArray(auditLog.id, oldest)).returning({ id: auditLog.id })).length
    },
  }
}
