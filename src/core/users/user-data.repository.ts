import { desc, eq } from 'drizzle-orm'
import { emailOutbox } from '../email/db/schema.js'
import { sessions, type SessionRow } from '../auth/db/schema.js'
import type { Db } from '../db/client.js'
import { sqlExecutor, type SqlExecutor } from '../db/sql-executor.js'

/** What a user's export and erasure need from the session table, beyond the auth flows' queries. */
export function createUserDataRepository(db: Db) {
  return {
    /** Every session, live or ended, newest first: the export shows where the account was used. */
    sessionsOf(userId: string): Promise<SessionRow[]> {
      return db.select().from(sessions).where(eq(sessions.userId, userId)).orderBy(desc(sessions.createdAt))
    },

    /**
     * Erasure forgets where the user signed in from. The rows stay (revoked), because instances
     * reload recent revocations from them.
     */
    async forgetSessionOrigins(userId: string): Promise<void> {
      await db.update(sessions).set({ ip: null, userAgent: null }).where(eq(sessions.userId, userId))
    },

    /** This handle's connection for the job queue (`jobs.send(…, { db })`): in a transaction, jobs commit with it. */
    jobConnection(): SqlExecutor {
      return sqlExecutor(db)
    },

    /** Messages kept for the address (development outbox) hold the name and links. */
    async forgetMessagesTo(email: string): Promise<void> {
      await db.delete(emailOutbox).where(eq(emailOutbox.to, email))
    },
  }
}

export type UserDataRepository = ReturnType<typeof createUserDataRepository>
