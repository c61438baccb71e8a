import { and, asc, eq, gte, inArray, lt, ne, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { chats, messages, reports } from './db/schema.js'

export type ReportRow = typeof reports.$inferSelect

/** Where a page of reports continues: after (open first, newest first, then id). */
export interface ReportPosition {
  readonly open: boolean
  readonly createdAt: Date
  readonly id: string
}

export interface StatsRange {
  /** Inclusive UTC day start. */
  readonly from: Date
  /** Exclusive UTC day start (the day after the last day). */
  readonly to: Date
  readonly chatId?: string
  /** Continue after this (day, chatId). */
  readonly after?: { day: string; chatId: string }
  readonly limit: number
}

export interface StatsRow {
  readonly chatId: string
  readonly day: string
  readonly messages: number
  readonly activeSenders: number
}

const openRank = sql<number>`(case when ${reports.status} = 'open' then 1 else 0 end)`

/** Reports of messages to the platform's moderators, and per-day message statistics. */
export function createModerationRepository(db: Db) {
  return {
    /** Stores the report; undefined when this user already reported this message (nothing written). */
    async insertReport(values: Pick<ReportRow, 'messageId' | 'chatId' | 'reporterId' | 'reason'> & { createdAt: Date }): Promise<ReportRow | undefined> {
      const [row] = await db.insert(reports).values(values).onConflictDoNothing().returning()
      return row
    },

    async findReportBy(messageId: string, reporterId: string): Promise<ReportRow | undefined> {
      const [row] = await db.select().from(reports).where(and(eq(reports.messageId, messageId), eq(reports.reporterId, reporterId))).limit(1)
      return row
    },

    async findReport(id: string): Promise<ReportRow | undefined> {
      const [row] = await db.select().from(reports).where(eq(reports.id, id)).limit(1)
      return row
    },

    /** Open reports first, then the others; newest first within each. */
    reportPage(options: { status?: ReportRow['status']; after?: ReportPosition; limit: number }): Promise<ReportRow[]> {
      const conditions: (SQL | undefined)[] = []
      if (options.status) conditions.push(eq(reports.status, options.status))
      if (options.after) {
        const { open, createdAt, id } = options.after
        conditions.push(sql`(${openRank}, ${reports.createdAt}, ${reports.id}) < (${open ? 1 : 0}, ${createdAt.toISOString()}::timestamptz, ${id}::uuid)`)
      }
      return db
        .select()
        .from(reports)
        .where(and(...conditions))
        .orderBy(sql`${openRank} desc`, sql`${reports.createdAt} desc`, sql`${reports.id} desc`)
        .limit(options.limit)
    },

    async setReportStatus(id: string, status: 'resolved' | 'dismissed', by: string, at: Date): Promise<ReportRow | undefined> {
      const [row] = await db.update(reports).set({ status, resolvedBy: by, resolvedAt: at }).where(eq(reports.id, id)).returning()
      return row
    },

    /** The open reports of a message a moderator deleted are resolved by them. */
    async resolveOpenReports(messageId: string, by: string, at: Date): Promise<void> {
      await db
        .update(reports)
        .set({ status: 'resolved', resolvedBy: by, resolvedAt: at })
        .where(and(eq(reports.messageId, messageId), eq(reports.status, 'open')))
    },

    messagesByIds(ids: readonly string[]) {
      if (ids.length === 0) return Promise.resolve([])
      return db.select().from(messages).where(inArray(messages.id, [...ids]))
    },

    chatsByIds(ids: readonly string[]) {
      if (ids.length === 0) return Promise.resolve([])
      return db.select({ id: chats.id, type: chats.type, title: chats.title, deletedAt: chats.deletedAt }).from(chats).where(inArray(chats.id, [...ids]))
    },

    /** Per chat and UTC day: messages (system ones excluded, deleted ones counted) and distinct senders. */
    async stats(range: StatsRange): Promise<StatsRow[]> {
      const day = sql<string>`to_char(${messages.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`
      const conditions: (SQL | undefined)[] = [ne(messages.type, 'system'), gte(messages.createdAt, range.from), lt(messages.createdAt, range.to)]
      if (range.chatId) conditions.push(eq(messages.chatId, range.chatId))
      const query = db
        .select({ chatId: messages.chatId, day, messages: sql<number>`count(*)::int`, activeSenders: sql<number>`count(distinct ${messages.authorId})::int` })
        .from(messages)
        .where(and(...conditions))
        .groupBy(messages.chatId, day)
      const after = range.after
      const rows = await (after ? query.having(sql`(${day}, ${messages.chatId}) > (${after.day}, ${after.chatId}::uuid)`) : query).orderBy(asc(day), asc(messages.chatId)).limit(range.limit)
      return rows
    },
  }
}

export type ModerationRepository = ReturnType<typeof createModerationRepository>
