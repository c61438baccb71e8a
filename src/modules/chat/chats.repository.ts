import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { chats, type ChatRow } from './db/schema.js'

type NewChat = typeof chats.$inferInsert

/** One row per chat; `allocateSeq` is the chat's serialization point for messages. */
export function createChatsRepository(db: Db) {
  return {
    async insert(values: NewChat): Promise<ChatRow> {
      const [row] = await db.insert(chats).values(values).returning()
      return row!
    },

    /** A chat that is not deleted; `undefined` otherwise. */
    async findById(id: string): Promise<ChatRow | undefined> {
      const [row] = await db.select().from(chats).where(and(eq(chats.id, id), isNull(chats.deletedAt))).limit(1)
      return row
    },

    async findByPairKey(key: string): Promise<ChatRow | undefined> {
      const [row] = await db.select().from(chats).where(and(eq(chats.pairKey, key), isNull(chats.deletedAt))).limit(1)
      return row
    },

    /**
     * Takes the next seq of the chat (and, for a message that counts as unread, the next
     * `countedSeq`) in one UPDATE: the row lock it takes is the only serialization between two sends
     * to one chat, and it lasts until the caller's transaction commits, so keep the rest of that
     * transaction to the message's own INSERTs. Undefined when the chat is gone.
     */
    async allocateSeq(chatId: string, counted: boolean, at: Date): Promise<{ seq: number; countedSeq: number } | undefined> {
      const [row] = await db
        .update(chats)
        .set({ lastSeq: sql`${chats.lastSeq} + 1`, countedSeq: counted ? sql`${chats.countedSeq} + 1` : chats.countedSeq, lastMessageAt: at })
        .where(and(eq(chats.id, chatId), isNull(chats.deletedAt)))
        .returning({ seq: chats.lastSeq, countedSeq: chats.countedSeq })
      return row
    },
  }
}

export type ChatsRepository = ReturnType<typeof createChatsRepository>
