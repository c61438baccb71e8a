import { and, eq } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { messages, type MessageRow } from './db/schema.js'

export type NewMessage = Omit<typeof messages.$inferInsert, 'id' | 'seq' | 'chatId'>

export function createMessagesRepository(db: Db) {
  return {
    async insert(values: typeof messages.$inferInsert): Promise<MessageRow> {
      const [row] = await db.insert(messages).values(values).returning()
      return row!
    },

    async findById(id: string): Promise<MessageRow | undefined> {
      const [row] = await db.select().from(messages).where(eq(messages.id, id)).limit(1)
      return row
    },

    /** The message an author already sent with this clientId in this chat. */
    async findByClientId(chatId: string, authorId: string, clientId: string): Promise<MessageRow | undefined> {
      const [row] = await db
        .select()
        .from(messages)
        .where(and(eq(messages.chatId, chatId), eq(messages.authorId, authorId), eq(messages.clientId, clientId)))
        .limit(1)
      return row
    },
  }
}

export type MessagesRepository = ReturnType<typeof createMessagesRepository>
