import { and, asc, count, eq, inArray, isNull, or, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { sqlExecutor, type SqlExecutor } from '../../core/db/sql-executor.js'
import { scheduledMessages } from './db/schema.js'

export type ScheduledRow = typeof scheduledMessages.$inferSelect
type NewScheduled = typeof scheduledMessages.$inferInsert

/** The SQL of scheduled messages: a row per message to send later, pending until `sentMessageId` is set. */
export function createScheduledRepository(db: Db) {
  const pendingOf = (chatId: string, authorId: string) => and(eq(scheduledMessages.chatId, chatId), eq(scheduledMessages.authorId, authorId), isNull(scheduledMessages.sentMessageId))
  return {
    async insert(row: NewScheduled): Promise<ScheduledRow> {
      const [stored] = await db.insert(scheduledMessages).values(row).returning()
      return stored!
    },

    async findById(id: string): Promise<ScheduledRow | undefined> {
      const [row] = await db.select().from(scheduledMessages).where(eq(scheduledMessages.id, id))
      return row
    },

    /** The author's pending one in the chat scheduled with this clientId (a retry of the scheduling). */
    async findPendingByClientId(chatId: string, authorId: string, clientId: string): Promise<ScheduledRow | undefined> {
      const [row] = await db
        .select()
        .from(scheduledMessages)
        .where(and(pendingOf(chatId, authorId), sql`${scheduledMessages.payload}->>'clientId' = ${clientId}`))
        .limit(1)
      return row
    },

    async countPending(chatId: string, authorId: string): Promise<number> {
      const [row] = await db.select({ n: count() }).from(scheduledMessages).where(pendingOf(chatId, authorId))
      return Number(row?.n ?? 0)
    },

    /** The author's pending ones in the chat, soonest first. */
    pending(chatId: string, authorId: string, limit: number): Promise<ScheduledRow[]> {
      return db.select().from(scheduledMessages).where(pendingOf(chatId, authorId)).orderBy(asc(scheduledMessages.scheduledFor), asc(scheduledMessages.id)).limit(limit)
    },

    /** Cancels one of the author's pending ones; the row removed, or undefined. */
    async deletePending(id: string, chatId: string, authorId: string): Promise<ScheduledRow | undefined> {
      const [row] = await db.delete(scheduledMessages).where(and(eq(scheduledMessages.id, id), pendingOf(chatId, authorId))).returning()
      return row
    },

    /** Cancels what these people still had scheduled in the chat (they left or were removed). */
    async deletePendingOf(chatId: string, authorIds: readonly string[]): Promise<number> {
      if (authorIds.length === 0) return 0
      const rows = await db
        .delete(scheduledMessages)
        .where(and(eq(scheduledMessages.chatId, chatId), inArray(scheduledMessages.authorId, [...authorIds]), isNull(scheduledMessages.sentMessageId)))
        .returning({ id: scheduledMessages.id })
      return rows.length
    },

    /**
     * The job takes the row before sending: `sentMessageId` set to the row's own id means "being
     * sent" (never a message's id). One conditional UPDATE, so it and a cancel (`deletePending`, a
     * conditional DELETE of a pending row) cannot both succeed: whichever commits first wins the row.
     * Undefined when the row is gone, taken or sent.
     */
    async claim(id: string): Promise<ScheduledRow | undefined> {
      const [row] = await db.update(scheduledMessages).set({ sentMessageId: id }).where(and(eq(scheduledMessages.id, id), isNull(scheduledMessages.sentMessageId))).returning()
      return row
    },

    /** Gives a taken row back (nothing was sent: slow mode postponed it, or the send failed): pending and cancellable again. */
    async release(id: string): Promise<void> {
      await db.update(scheduledMessages).set({ sentMessageId: null }).where(and(eq(scheduledMessages.id, id), eq(scheduledMessages.sentMessageId, id)))
    },

    /** Cancels a pending or taken row by id (the job found it may no longer be sent); a sent one stays. */
    async cancel(id: string): Promise<void> {
      await db
        .delete(scheduledMessages)
        .where(and(eq(scheduledMessages.id, id), or(isNull(scheduledMessages.sentMessageId), eq(scheduledMessages.sentMessageId, id))))
    },

    async markSent(id: string, messageId: string): Promise<void> {
      await db.update(scheduledMessages).set({ sentMessageId: messageId }).where(eq(scheduledMessages.id, id))
    },

    /** Sends jobs on this handle's connection: inside a transaction, the job exists if and only if it commits. */
    executor(): SqlExecutor {
      return sqlExecutor(db)
    },
  }
}

export type ScheduledRepository = ReturnType<typeof createScheduledRepository>
