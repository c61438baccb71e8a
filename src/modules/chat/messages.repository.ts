import { and, eq, inArray, lt, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import type { Attachment } from './attachments.js'
import { chats, messageFiles, messages, messageVersions, participants, type MessageRow } from './db/schema.js'

export type NewMessage = Omit<typeof messages.$inferInsert, 'id' | 'seq' | 'chatId'>

/** The unique index that makes a clientId name one message per chat and author. */
export const CLIENT_ID_CONSTRAINT = 'chat_messages_client_id_key'

/** A message with nothing that needs more than its own row: no files, thread, mentions or slow mode. */
export interface PlainMessage {
  readonly id: string
  readonly chatId: string
  readonly authorId: string
  readonly type: MessageRow['type']
  readonly text: string | null
  readonly media: MessageRow['media']
  readonly replyToId: string | null
  readonly clientId: string | null
  readonly forwardedFrom: MessageRow['forwardedFrom']
  readonly createdAt: Date
}

export function createMessagesRepository(db: Db) {
  // Built once per repository: every send with a clientId looks it up first.
  let byClientId: { execute(values: { chatId: string; authorId: string; clientId: string }): Promise<MessageRow[]> } | undefined
  return {
    async insert(values: typeof messages.$inferInsert): Promise<MessageRow> {
      const [row] = await db.insert(messages).values(values).returning()
      return row!
    },

    /**
     * Stores a plain message in ONE statement: the chat row's seq (its lock, until the statement
     * ends), the message, and the author's read mark, as the send transaction does in three; a
     * duplicate clientId fails the whole statement. Returns the message's seq, or undefined when the
     * chat is gone. The row is the caller's values with the table's defaults.
     */
    async appendPlain(m: PlainMessage): Promise<MessageRow | undefined> {
      const at = sql`${m.createdAt.toISOString()}::timestamptz`
      const json = (value: unknown) => (value === null ? sql`null::jsonb` : sql`${JSON.stringify(value)}::jsonb`)
      const result: unknown = await db.execute(sql`
        with s as (
          update ${chats} set last_seq = last_seq + 1, counted_seq = counted_seq + 1, last_message_at = ${at}
          where id = ${m.chatId} and deleted_at is null
          returning last_seq, counted_seq
        ), m as (
          insert into ${messages} (id, chat_id, seq, author_id, type, text, media, reply_to_id, client_id, forwarded_from, created_at)
          select ${m.id}, ${m.chatId}, s.last_seq, ${m.authorId}, ${m.type}, ${m.text}, ${json(m.media)}, ${m.replyToId}, ${m.clientId}, ${json(m.forwardedFrom)}, ${at} from s
          returning seq
        ), r as (
          update ${participants} set last_read_seq = s.last_seq, read_count = s.counted_seq, mention_count = 0, hidden = false, last_posted_at = ${at}
          from s where chat_id = ${m.chatId} and user_id = ${m.authorId}
        )
        select seq from m`)
      // postgres.js (the driver Plinth runs on) answers the rows as an array.
      const seq = (result as { seq: number }[])[0]?.seq
      if (seq === undefined) return undefined
      return {
        ...m,
        seq: Number(seq),
        system: null,
        threadRootId: null,
        replyCount: 0,
        lastReplyAt: null,
        mentions: [],
        version: 1,
        editedAt: null,
        deletedAt: null,
        search: null,
      }
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
     * attachments and earlier versions — so nothing of it stays readable anywhere. A reply no longer
     * counts on its thread's root, nor a mention for whoever had not read it yet, nor the message as
     * unread for them: their readCount goes up by one, so countedSeq − readCount stays "the messages
     * after their mark that count" (readTo leaves deleted ones out the same way). One UPDATE of the
     * participants who had not read it (the message row is locked by the caller).
     */
    async tombstone(current: MessageRow, at: Date): Promise<MessageRow> {
      await db.delete(messageFiles).where(eq(messageFiles.messageId, current.id))
      await db.delete(messageVersions).where(eq(messageVersions.messageId, current.id))
      if (current.threadRootId) {
        await db.update(messages).set({ replyCount: sql`greatest(${messages.replyCount} - 1, 0)` }).where(eq(messages.id, current.threadRootId))
      }
      if (current.mentions.length > 0) {
        await db
          .update(participants)
          .set({ mentionCount: sql`greatest(${participants.mentionCount} - 1, 0)` })
          .where(and(eq(participants.chatId, current.chatId), inArray(participants.userId, current.mentions), lt(participants.lastReadSeq, current.seq)))
      }
      if (current.type !== 'system') {
        await db
          .update(participants)
          .set({ readCount: sql`${participants.readCount} + 1` })
          .where(and(eq(participants.chatId, current.chatId), lt(participants.lastReadSeq, current.seq)))
      }
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
