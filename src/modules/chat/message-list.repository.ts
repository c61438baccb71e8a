import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, lte, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { blocks, chats, messageFiles, messages, messageVersions, participants, reactions, type MessageRow } from './db/schema.js'

/** Which messages of one chat a page takes, and in which order. */
export interface MessageRange {
  readonly chatId: string
  /** `desc`: newest first (seq < before); `asc`: oldest first (seq > after). */
  readonly order: 'asc' | 'desc'
  readonly before?: number
  readonly after?: number
  /** Inclusive bound on the far side (around: the page's other half). */
  readonly from?: number
  readonly threadRootId?: string
  /** A tsquery text made by search-query.ts's `toPrefixTsQuery` (never the user's raw text). */
  readonly query?: string
  readonly limit: number
}

export interface AttachmentRow {
  readonly messageId: string
  readonly fileId: string
  readonly name: string
  readonly contentType: string
  readonly size: number
}

export interface ReactionRow {
  readonly messageId: string
  readonly emoji: string
  readonly count: number
  readonly userIds: string[]
}

/** How many reactors a summary names (the view's `userIds`). */
const REACTORS_SHOWN = 25

/** Reads for message pages: the page, then what its views need, one query per kind whatever the size. */
export function createMessageListRepository(db: Db) {
  return {
    page(range: MessageRange): Promise<MessageRow[]> {
      const conditions: (SQL | undefined)[] = [eq(messages.chatId, range.chatId)]
      if (range.before !== undefined) conditions.push(lt(messages.seq, range.before))
      if (range.after !== undefined) conditions.push(gt(messages.seq, range.after))
      if (range.from !== undefined) conditions.push(range.order === 'desc' ? gte(messages.seq, range.from) : lte(messages.seq, range.from))
      if (range.threadRootId) conditions.push(eq(messages.threadRootId, range.threadRootId))
      if (range.query) conditions.push(sql`${messages.search} @@ to_tsquery('simple', ${range.query})`, isNull(messages.deletedAt))
      return db
        .select()
        .from(messages)
        .where(and(...conditions))
        .orderBy(range.order === 'desc' ? desc(messages.seq) : asc(messages.seq))
        .limit(range.limit)
    },

    /** Messages of one chat by id (references a send or a list names). */
    inChat(chatId: string, ids: readonly string[]): Promise<MessageRow[]> {
      if (ids.length === 0) return Promise.resolve([])
      return db.select().from(messages).where(and(eq(messages.chatId, chatId), inArray(messages.id, [...ids])))
    },

    attachments(messageIds: readonly string[]): Promise<AttachmentRow[]> {
      if (messageIds.length === 0) return Promise.resolve([])
      return db
        .select({ messageId: messageFiles.messageId, fileId: messageFiles.fileId, name: messageFiles.name, contentType: messageFiles.contentType, size: messageFiles.size })
        .from(messageFiles)
        .where(inArray(messageFiles.messageId, [...messageIds]))
        .orderBy(asc(messageFiles.messageId), asc(messageFiles.position))
    },

    /** Each message's reactions by emoji: how many, and the first reactors, oldest first. */
    async reactions(messageIds: readonly string[]): Promise<ReactionRow[]> {
      if (messageIds.length === 0) return []
      const rows = await db
        .select({
          messageId: reactions.messageId,
          emoji: reactions.emoji,
          count: sql<number>`count(*)::int`,
          userIds: sql<string[]>`(array_agg(${reactions.userId} order by ${reactions.createdAt}, ${reactions.userId}))[1:${sql.raw(String(REACTORS_SHOWN))}]`,
        })
        .from(reactions)
        .where(inArray(reactions.messageId, [...messageIds]))
        .groupBy(reactions.messageId, reactions.emoji)
        .orderBy(asc(reactions.messageId), sql`min(${reactions.createdAt})`, asc(reactions.emoji))
      return rows
    },

    /** Whether `blockerId` blocked `blockedId` (chat_blocks). */
    async blocked(blockerId: string, blockedId: string): Promise<boolean> {
      const [row] = await db
        .select({ one: sql`1` })
        .from(blocks)
        .where(and(eq(blocks.blockerId, blockerId), eq(blocks.blockedId, blockedId)))
        .limit(1)
      return row !== undefined
    },

    /**
     * The files read rule: `userId` is in a chat (not deleted) where the file is on a message that
     * is not deleted. One indexed lookup (message files by file id).
     */
    async fileReadable(fileId: string, userId: string): Promise<boolean> {
      const [row] = await db
        .select({ one: sql`1` })
        .from(messageFiles)
        .innerJoin(messages, and(eq(messages.id, messageFiles.messageId), isNull(messages.deletedAt)))
        .innerJoin(participants, and(eq(participants.chatId, messages.chatId), eq(participants.userId, userId)))
        .innerJoin(chats, and(eq(chats.id, messages.chatId), isNull(chats.deletedAt)))
        .where(eq(messageFiles.fileId, fileId))
        .limit(1)
      return row !== undefined
    },

    /** A message's earlier texts, oldest first, from the version after `afterVersion`. */
    versions(messageId: string, afterVersion: number, limit: number) {
      return db
        .select({ version: messageVersions.version, text: messageVersions.text, writtenAt: messageVersions.writtenAt })
        .from(messageVersions)
        .where(and(eq(messageVersions.messageId, messageId), gt(messageVersions.version, afterVersion)))
        .orderBy(asc(messageVersions.version))
        .limit(limit)
    },
  }
}

export type MessageListRepository = ReturnType<typeof createMessageListRepository>
