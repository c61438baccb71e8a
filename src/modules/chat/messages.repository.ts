import { and, eq, inArray, lt, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import type { Attachment } from './attachments.js'
import { messageFiles, messages, messageVersions, participants, type MessageRow } from './db/schema.js'

export type NewMessage = Omit<typeof messages.$inferInsert, 'id' | 'seq' | 'chatId'>

/** The unique index that makes a clientId name one message per chat and author. */
export const CLIENT_ID_CONSTRAINT = 'chat_messages_client_id_key'

export function createMessagesRepository(db: Db) {
  // Built once per repository: every send with a clientId looks it up first.
  let byClientId: { execute(values: { chatId: string; authorId: string; clientId: string }): Promise<MessageRow[]> } | undefined
  return {
    async insert(values: typeof messages.$inferInsert): Promise<MessageRow> {
      const [row] = await db.insert(messages).values(values).returning()
      return row!
    },

    async findById(id: string): Promise<MessageRow | undefined> {
      const [row] = await db.select().from(messages).where(eq(messages.id, id)).limit(1)
      return row
    },

    /** The row, locked until the transaction ends (edits and deletes of one message queue here). */
    async lock(id: string): Promise<MessageRow | undefined> {
      const [row] = await db.select().from(messages).where(eq(messages.id, id)).limit(1).for('update')
      return row
    },

    /** The message an author already sent with this clientId in this chat. */
    async findByClientId(chatId: string, authorId: string, clientId: string): Promise<MessageRow | undefined> {
      byClientId ??= db
        .select()
        .from(messages)
        .where(and(eq(messages.chatId, sql.placeholder('chatId')), eq(messages.authorId, sql.placeholder('authorId')), eq(messages.clientId, sql.placeholder('clientId'))))
        .limit(1)
        .prepare('chat_messages_by_client_id')
      const [row] = await byClientId.execute({ chatId, authorId, clientId })
      return row
    },

    async insertFiles(messageId: string, attachments: readonly Attachment[]): Promise<void> {
      if (attachments.length === 0) return
      await db.insert(messageFiles).values(attachments.map((file) => ({ messageId, ...file })))
    },

    /** A reply landed in the thread `rootId` starts. */
    async countReply(rootId: string, at: Date): Promise<void> {
      await db.update(messages).set({ replyCount: sql`${messages.replyCount} + 1`, lastReplyAt: at }).where(eq(messages.id, rootId))
    },

    /**
     * The mentioned participants who have not read up to `seq` gain an unread mention (the chat
     * list shows the stored counter; reading resets it).
     */
    async countMentions(chatId: string, userIds: readonly string[], seq: number): Promise<void> {
      if (userIds.length === 0) return
      await db
        .update(participants)
        .set({ mentionCount: sql`${participants.mentionCount} + 1` })
        .where(and(eq(participants.chatId, chatId), inArray(participants.userId, [...userIds]), lt(participants.lastReadSeq, seq)))
    },

    /** A private chat someone deleted for themselves comes back to their list with a new message. */
    async unhide(chatId: string): Promise<void> {
      await db.update(participants).set({ hidden: false }).where(and(eq(participants.chatId, chatId), eq(participants.hidden, true)))
    },

    /** The edit: the previous text kept as a version, the new one in place, the version bumped. */
    async edit(current: MessageRow, changes: Pick<MessageRow, 'text' | 'type' | 'mentions'>, at: Date): Promise<MessageRow> {
      await db.insert(messageVersions).values({ messageId: current.id, version: current.version, text: current.text, writtenAt: current.editedAt ?? current.createdAt })
      const [row] = await db
        .update(messages)
        .set({ ...changes, version: current.version + 1, editedAt: at })
        .where(eq(messages.id, current.id))
        .returning()
      return row!
    },

    /**
     * The tombstone: the row (and so its seq) stays, its content goes — text, mentions, media,
     * attachments and earlier versions — so nothing of it stays readable anywhere.
     */
    async tombstone(current: MessageRow, at: Date): Promise<MessageRow> {
      await db.delete(messageFiles).where(eq(messageFiles.messageId, current.id))
      await db.delete(messageVersions).where(eq(messageVersions.messageId, current.id))
      const [row] = await db
        .update(messages)
        .set({ text: null, mentions: [], media: null, deletedAt: at, version: current.version + 1 })
        .where(eq(messages.id, current.id))
        .returning()
      return row!
    },
  }
}

export type MessagesRepository = ReturnType<typeof createMessagesRepository>
