import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { participants, type ParticipantRow } from './db/schema.js'

type NewParticipant = typeof participants.$inferInsert

export function createParticipantsRepository(db: Db) {
  // Built once per repository: Drizzle otherwise rebuilds the SQL of these per call, on every chat request.
  let one: { execute(values: { chatId: string; userId: string }): Promise<ParticipantRow[]> } | undefined
  let ids: { execute(values: { chatId: string }): Promise<{ userId: string }[]> } | undefined
  return {
    async find(chatId: string, userId: string): Promise<ParticipantRow | undefined> {
      one ??= db
        .select()
        .from(participants)
        .where(and(eq(participants.chatId, sql.placeholder('chatId')), eq(participants.userId, sql.placeholder('userId'))))
        .limit(1)
        .prepare('chat_participants_one')
      const [row] = await one.execute({ chatId, userId })
      return row
    },

    /** The row, locked until the transaction ends (a read mark and a delete's unread step queue here). */
    async lock(chatId: string, userId: string): Promise<ParticipantRow | undefined> {
      const [row] = await db.select().from(participants).where(and(eq(participants.chatId, chatId), eq(participants.userId, userId))).limit(1).for('update')
      return row
    },

    /** Adds people; those already in are left as they are. Returns the rows that were added. */
    async insertMany(rows: NewParticipant[]): Promise<ParticipantRow[]> {
      if (rows.length === 0) return []
      return db.insert(participants).values(rows).onConflictDoNothing().returning()
    },

    /** Everyone in the chat, oldest member first. */
    listAll(chatId: string): Promise<ParticipantRow[]> {
      return db.select().from(participants).where(eq(participants.chatId, chatId)).orderBy(asc(participants.joinedAt), asc(participants.userId))
    },

    async userIds(chatId: string): Promise<string[]> {
      ids ??= db.select({ userId: participants.userId }).from(participants).where(eq(participants.chatId, sql.placeholder('chatId'))).prepare('chat_participants_ids')
      return (await ids.execute({ chatId })).map((row) => row.userId)
    },

    /** The author read their own message: their read mark moves to it. */
    async markRead(chatId: string, userId: string, seq: number, readCount: number, at?: Date): Promise<void> {
      await db
        .update(participants)
        .set({ lastReadSeq: seq, readCount, mentionCount: 0, hidden: false, ...(at ? { lastPostedAt: at } : {}) })
        .where(and(eq(participants.chatId, chatId), eq(participants.userId, userId)))
    },

    /** Hides (a private chat deleted for oneself) or shows the chat in the user's list. */
    async setHidden(chatId: string, userId: string, hidden: boolean): Promise<void> {
      await db.update(participants).set({ hidden }).where(and(eq(participants.chatId, chatId), eq(participants.userId, userId)))
    },

    /** The other person of each of these (private) chats, in one query: their name is the chat's title. */
    async othersOf(chatIds: readonly string[], userId: string): Promise<Map<string, string>> {
      if (chatIds.length === 0) return new Map()
      const rows = await db
        .select({ chatId: participants.chatId, userId: participants.userId })
        .from(participants)
        .where(and(inArray(participants.chatId, [...chatIds]), ne(participants.userId, userId)))
      return new Map(rows.map((row) => [row.chatId, row.userId]))
    },

    async remove(chatId: string, userIds: string[]): Promise<number> {
      if (userIds.length === 0) return 0
      return (await db.delete(participants).where(and(eq(participants.chatId, chatId), inArray(participants.userId, userIds))).returning({ userId: participants.userId })).length
    },
  }
}

export type ParticipantsRepository = ReturnType<typeof createParticipantsRepository>
