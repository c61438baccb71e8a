import { and, desc, eq, gt, isNull, lt, or } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { bans } from './db/schema.js'

export type BanRow = typeof bans.$inferSelect

/** Where a page of a chat's bans starts: after this (createdAt, userId), newest first. */
export interface BanPosition {
  readonly createdAt: Date
  readonly userId: string
}

/** The SQL of chat bans (the moderation area); `membership.bannedAmong` is the check others make. */
export function createBansRepository(db: Db) {
  const active = (now: Date) => or(isNull(bans.until), gt(bans.until, now))
  return {
    /** Bans, or bans again (a new `until`, by whom, when): the row as stored, and whether it was in force before. */
    async upsert(row: { chatId: string; userId: string; until: Date | null; bannedBy: string; at: Date }): Promise<{ ban: BanRow; renewed: boolean }> {
      const [before] = await db.select().from(bans).where(and(eq(bans.chatId, row.chatId), eq(bans.userId, row.userId), active(row.at)))
      const values = { chatId: row.chatId, userId: row.userId, until: row.until, bannedBy: row.bannedBy, createdAt: row.at }
      const [ban] = await db
        .insert(bans)
        .values(values)
        .onConflictDoUpdate({ target: [bans.chatId, bans.userId], set: { until: row.until, bannedBy: row.bannedBy, createdAt: row.at } })
        .returning()
      return { ban: ban!, renewed: before !== undefined }
    },

    /** Lifts a ban in force; the row removed, or undefined (none, or expired). Expired rows go too. */
    async remove(chatId: string, userId: string, now: Date): Promise<BanRow | undefined> {
      const [row] = await db.delete(bans).where(and(eq(bans.chatId, chatId), eq(bans.userId, userId))).returning()
      return row && (row.until === null || row.until > now) ? row : undefined
    },

    /** The bans in force, newest first, `limit` of them after `after`. */
    page(chatId: string, now: Date, limit: number, after?: BanPosition): Promise<BanRow[]> {
      const position = after ? or(lt(bans.createdAt, after.createdAt), and(eq(bans.createdAt, after.createdAt), gt(bans.userId, after.userId))) : undefined
      return db
        .select()
        .from(bans)
        .where(and(eq(bans.chatId, chatId), active(now), position))
        .orderBy(desc(bans.createdAt), bans.userId)
        .limit(limit)
    },
  }
}

export type BansRepository = ReturnType<typeof createBansRepository>
