import { and, eq, isNull, ne, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { chats, participants, userSettings } from './db/schema.js'

export type UserSettingsRow = typeof userSettings.$inferSelect
export type UserSettingsChanges = Partial<Pick<UserSettingsRow, 'statusText' | 'presence' | 'lastSeenAt' | 'defaultNotificationLevel' | 'emailDigests' | 'quietHours'>>

/** At most this many people hear that someone came online or went offline (documented in docs/chat.md). */
export const MAX_PRESENCE_AUDIENCE = 5_000

/** A user's chat settings (status, presence set by hand, last seen, preferences); no row: the defaults. */
export function createUserSettingsRepository(db: Db) {
  return {
    async find(userId: string): Promise<UserSettingsRow | undefined> {
      const [row] = await db.select().from(userSettings).where(eq(userSettings.userId, userId)).limit(1)
      return row
    },

    /** Writes the changes (creating the row with the defaults for the rest); the version goes up. */
    async save(userId: string, changes: UserSettingsChanges, at: Date): Promise<UserSettingsRow> {
      const [row] = await db
        .insert(userSettings)
        .values({ userId, ...changes, updatedAt: at })
        .onConflictDoUpdate({ target: userSettings.userId, set: { ...changes, version: sql`${userSettings.version} + 1`, updatedAt: at } })
        .returning()
      return row!
    },

    /** Whether the two people are together in a chat that is not deleted. */
    async shareChat(userId: string, otherId: string): Promise<boolean> {
      const other = db.select({ chatId: participants.chatId }).from(participants).where(eq(participants.userId, otherId))
      const [row] = await db
        .select({ chatId: participants.chatId })
        .from(participants)
        .innerJoin(chats, eq(chats.id, participants.chatId))
        .where(and(eq(participants.userId, userId), isNull(chats.deletedAt), sql`${participants.chatId} in ${other}`))
        .limit(1)
      return row !== undefined
    },

    /** Everyone who shares a chat (not deleted) with the user, the user excluded; at most `MAX_PRESENCE_AUDIENCE`. */
    async contacts(userId: string): Promise<string[]> {
      const mine = db.select({ chatId: participants.chatId }).from(participants).innerJoin(chats, eq(chats.id, participants.chatId)).where(and(eq(participants.userId, userId), isNull(chats.deletedAt)))
      const rows = await db
        .selectDistinct({ userId: participants.userId })
        .from(participants)
        .where(and(sql`${participants.chatId} in ${mine}`, ne(participants.userId, userId)))
        .limit(MAX_PRESENCE_AUDIENCE)
      return rows.map((row) => row.userId)
    },
  }
}
