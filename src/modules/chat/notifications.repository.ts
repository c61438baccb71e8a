import { and, asc, desc, eq, inArray, isNotNull, isNull, lt, lte, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { sqlExecutor, type SqlExecutor } from '../../core/db/sql-executor.js'
import { messages, notifications, participants, userSettings, type NotificationRow } from './db/schema.js'
import type { NotificationLevel } from './domain.js'

type NewNotification = typeof notifications.$inferInsert

/** What decides whether, and how, a participant hears about a message. */
export interface RecipientPreferences {
  readonly userId: string
  /** The chat's level for them, or their default when they left it unset. */
  readonly level: NotificationLevel
  readonly mutedUntil: Date | null
  readonly emailDigests: boolean
  readonly quietHours: QuietHours | null
}

export interface QuietHours {
  readonly start: string
  readonly end: string
  readonly timeZone: string
}

/** The notifications that go out by push and e-mail (an invitation waits in the list). */
export const DELIVERED_TYPES = ['mention', 'reply', 'message'] as const

export function createNotificationsRepository(db: Db) {
  return {
    /** The preferences of those of `userIds` still in the chat (others are left out), in one query. */
    async recipients(chatId: string, userIds: readonly string[]): Promise<RecipientPreferences[]> {
      if (userIds.length === 0) return []
      const rows = await db
        .select({
          userId: participants.userId,
          level: participants.notificationLevel,
          defaultLevel: userSettings.defaultNotificationLevel,
          mutedUntil: participants.mutedUntil,
          emailDigests: userSettings.emailDigests,
          quietHours: userSettings.quietHours,
        })
        .from(participants)
        .leftJoin(userSettings, eq(userSettings.userId, participants.userId))
        .where(and(eq(participants.chatId, chatId), inArray(participants.userId, [...userIds])))
      return rows.map((row) => ({
        userId: row.userId,
        level: row.level ?? row.defaultLevel ?? 'all',
        mutedUntil: row.mutedUntil,
        emailDigests: row.emailDigests ?? true,
        quietHours: row.quietHours ?? null,
      }))
    },

    /** A user's e-mail preferences (the defaults when they never set any). */
    async mailPreferences(userId: string): Promise<{ emailDigests: boolean; quietHours: QuietHours | null }> {
      const [row] = await db.select({ emailDigests: userSettings.emailDigests, quietHours: userSettings.quietHours }).from(userSettings).where(eq(userSettings.userId, userId)).limit(1)
      return { emailDigests: row?.emailDigests ?? true, quietHours: row?.quietHours ?? null }
    },

    async insertMany(rows: NewNotification[]): Promise<NotificationRow[]> {
      if (rows.length === 0) return []
      return db.insert(notifications).values(rows).returning()
    },

    async findById(id: string): Promise<NotificationRow | undefined> {
      const [row] = await db.select().from(notifications).where(eq(notifications.id, id)).limit(1)
      return row
    },

    /** Newest first (ids are UUIDv7), after the `beforeId` of the previous page; `limit + 1` rows tell whether there is more. */
    list(userId: string, options: { unread: boolean; limit: number; beforeId?: string }): Promise<NotificationRow[]> {
      return db
        .select()
        .from(notifications)
        .where(
          and(
            eq(notifications.userId, userId),
            options.unread ? isNull(notifications.readAt) : undefined,
            options.beforeId ? lt(notifications.id, options.beforeId) : undefined,
          ),
        )
        .orderBy(desc(notifications.id))
        .limit(options.limit + 1)
    },

    /** Marks one of the user's notifications read (keeping the first read time); undefined when it is not theirs. */
    async markRead(userId: string, id: string, at: Date): Promise<NotificationRow | undefined> {
      const [row] = await db
        .update(notifications)
        .set({ readAt: sql`coalesce(${notifications.readAt}, ${at.toISOString()}::timestamptz)` })
        .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
        .returning()
      return row
    },

    /** Marks every unread notification of the user read; returns how many changed. */
    async markAllRead(userId: string, at: Date): Promise<number> {
      const rows = await db
        .update(notifications)
        .set({ readAt: at })
        .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)))
        .returning({ id: notifications.id })
      return rows.length
    },

    async unreadCount(userId: string): Promise<number> {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(notifications).where(and(eq(notifications.userId, userId), isNull(notifications.readAt)))
      return row?.n ?? 0
    },

    /**
     * The user's unread, not yet e-mailed notifications of the delivered types created at or before
     * `createdBy`, oldest first, locked: a second digest run for the user waits for the first to
     * commit, then finds those rows e-mailed (so never e-mails them again, nor splits them).
     */
    pendingDigest(userId: string, createdBy: Date, limit: number): Promise<NotificationRow[]> {
      return db
        .select()
        .from(notifications)
        .where(and(pendingFor(userId), lte(notifications.createdAt, createdBy)))
        .orderBy(asc(notifications.id))
        .limit(limit)
        .for('update')
    },

    /** When the oldest notification still waiting for the digest was created (null: none waits). */
    async oldestPending(userId: string): Promise<Date | null> {
      const [row] = await db.select({ createdAt: notifications.createdAt }).from(notifications).where(pendingFor(userId)).orderBy(asc(notifications.id)).limit(1)
      return row?.createdAt ?? null
    },

    /** Of these notifications of the user, those whose message they have read in its chat since (lastReadSeq ≥ seq). */
    async readInChats(userId: string, rows: readonly NotificationRow[]): Promise<string[]> {
      const chatIds = [...new Set(rows.flatMap((row) => (typeof row.data.chatId === 'string' && typeof row.data.seq === 'number' ? [row.data.chatId] : [])))]
      if (chatIds.length === 0) return []
      const marks = await db
        .select({ chatId: participants.chatId, lastReadSeq: participants.lastReadSeq })
        .from(participants)
        .where(and(eq(participants.userId, userId), inArray(participants.chatId, chatIds)))
      const readUpTo = new Map(marks.map((mark) => [mark.chatId, mark.lastReadSeq]))
      return rows.filter((row) => typeof row.data.seq === 'number' && row.data.seq <= (readUpTo.get(row.data.chatId as string) ?? 0)).map((row) => row.id)
    },

    /** Of these notifications, those about a message deleted since: its text must not go out (list, push, e-mail). */
    async aboutDeletedMessages(rows: readonly NotificationRow[]): Promise<Set<string>> {
      const messageIds = [...new Set(rows.flatMap((row) => (typeof row.data.messageId === 'string' ? [row.data.messageId] : [])))]
      if (messageIds.length === 0) return new Set()
      const deleted = await db.select({ id: messages.id }).from(messages).where(and(inArray(messages.id, messageIds), isNotNull(messages.deletedAt)))
      const ids = new Set(deleted.map((row) => row.id))
      return new Set(rows.filter((row) => typeof row.data.messageId === 'string' && ids.has(row.data.messageId)).map((row) => row.id))
    },

    async markReadByIds(ids: readonly string[], at: Date): Promise<void> {
      if (ids.length === 0) return
      await db.update(notifications).set({ readAt: at }).where(and(inArray(notifications.id, [...ids]), isNull(notifications.readAt)))
    },

    async markEmailed(ids: readonly string[], at: Date): Promise<void> {
      if (ids.length === 0) return
      await db.update(notifications).set({ emailedAt: at }).where(inArray(notifications.id, [...ids]))
    },

    /** Sends jobs on this handle's connection: inside a transaction, the job exists if and only if it commits. */
    executor(): SqlExecutor {
      return sqlExecutor(db)
    },
  }
}

const pendingFor = (userId: string) =>
  and(eq(notifications.userId, userId), isNull(notifications.readAt), isNull(notifications.emailedAt), inArray(notifications.type, [...DELIVERED_TYPES]))

export type NotificationsRepository = ReturnType<typeof createNotificationsRepository>
