import { and, count, eq, gt, inArray, isNull, lt, ne, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { blocks, chats, messages, participants, type ChatRow, type ParticipantRow } from './db/schema.js'

type NewChat = typeof chats.$inferInsert

/** What PUT /api/chats/:id may change. */
export type ChatChanges = Partial<Pick<ChatRow, 'title' | 'description' | 'avatarFileId' | 'slowModeSeconds' | 'membersCanPost' | 'archived'>>

/** What a participant sets for themselves (PUT /api/chats/:id/preferences). */
export type ChatPreferences = Partial<Pick<ParticipantRow, 'notificationLevel' | 'mutedUntil' | 'archived'>>

/** One row per chat; `allocateSeq` is the chat's serialization point for messages. */
export function createChatsRepository(db: Db) {
  // The hot reads are built once per repository (every chat request reads its chat); see participants.repository.ts.
  let byId: { execute(values: { id: string }): Promise<ChatRow[]> } | undefined
  return {
    async insert(values: NewChat): Promise<ChatRow> {
      const [row] = await db.insert(chats).values(values).returning()
      return row!
    },

    /** A chat that is not deleted; `undefined` otherwise. */
    async findById(id: string): Promise<ChatRow | undefined> {
      byId ??= db.select().from(chats).where(and(eq(chats.id, sql.placeholder('id')), isNull(chats.deletedAt))).limit(1).prepare('chat_chats_by_id')
      const [row] = await byId.execute({ id })
      return row
    },

    async findByPairKey(key: string): Promise<ChatRow | undefined> {
      const [row] = await db.select().from(chats).where(and(eq(chats.pairKey, key), isNull(chats.deletedAt))).limit(1)
      return row
    },

    /** Those among `blockerIds` who blocked `blockedId` (they cannot be reached by them). */
    async blockersOf(blockedId: string, blockerIds: readonly string[]): Promise<Set<string>> {
      if (blockerIds.length === 0) return new Set()
      const rows = await db
        .select({ id: blocks.blockerId })
        .from(blocks)
        .where(and(eq(blocks.blockedId, blockedId), inArray(blocks.blockerId, [...blockerIds])))
      return new Set(rows.map((row) => row.id))
    },

    /** How many people are in each chat, in one query. */
    async participantCounts(chatIds: readonly string[]): Promise<Map<string, number>> {
      if (chatIds.length === 0) return new Map()
      const rows = await db
        .select({ chatId: participants.chatId, n: count() })
        .from(participants)
        .where(inArray(participants.chatId, [...chatIds]))
        .groupBy(participants.chatId)
      return new Map(rows.map((row) => [row.chatId, row.n]))
    },

    /**
     * The changes, if the chat is still at `version` (optimistic concurrency): the version goes up by
     * one. Undefined when the version is stale or the chat is gone.
     */
    async update(id: string, version: number, changes: ChatChanges, at: Date): Promise<ChatRow | undefined> {
      const [row] = await db
        .update(chats)
        .set({ ...changes, version: sql`${chats.version} + 1`, updatedAt: at })
        .where(and(eq(chats.id, id), eq(chats.version, version), isNull(chats.deletedAt)))
        .returning()
      return row
    },

    /**
     * Deleted for everyone: gone from every lookup and list at once (its rows stay until purged). A
     * private chat gives up its pair key (kept unique and non-null as `deleted:<id>`), so the two
     * people can open a new one. Undefined when it was already deleted.
     */
    async softDelete(id: string, at: Date): Promise<ChatRow | undefined> {
      const [row] = await db
        .update(chats)
        .set({
          deletedAt: at,
          updatedAt: at,
          version: sql`${chats.version} + 1`,
          pairKey: sql`case when ${chats.pairKey} is null then null else 'deleted:' || ${chats.id}::text end`,
        })
        .where(and(eq(chats.id, id), isNull(chats.deletedAt)))
        .returning()
      return row
    },

    /**
     * Moves the user's read mark forward to `seq` (clamped to the chat's lastSeq), never backwards,
     * in one statement: the read count is the chat's countedSeq less the messages after the mark that
     * count as unread (not system ones, not deleted ones), the mention count the mentions of the user
     * by others after it. Both are counted over the seq index from the mark to the end, so a read near
     * the newest message is cheap, and take no lock on the chat (a send is never held up by reads): a
     * send that commits meanwhile is past the mark, and its mention, added to the row while this
     * statement waited for it, is kept. Run it after `participants.lock` in one transaction: a delete
     * (which raises readCount for those who had not read the message) then either commits before
     * this statement's snapshot or sees the new mark. Undefined when the mark was already there or
     * further (nothing changes).
     */
    async readTo(chatId: string, userId: string, seq: number): Promise<ParticipantRow | undefined> {
      const target = sql`least(${seq}, (select ${chats.lastSeq} from ${chats} where ${chats.id} = ${chatId}))`
      const after = and(eq(messages.chatId, chatId), gt(messages.seq, target))
      const [row] = await db
        .update(participants)
        .set({
          lastReadSeq: target,
          readCount: sql`greatest(0, (select ${chats.countedSeq} from ${chats} where ${chats.id} = ${chatId}) - (select count(*)::int from ${messages} where ${and(after, ne(messages.type, 'system'), isNull(messages.deletedAt))}))`,
          // The recount, plus whatever a send that committed while this waited for the row added
          // (the subqueries see the statement's snapshot; the column, the row as it is now).
          mentionCount: sql`(select count(*)::int from ${messages} where ${and(after, isNull(messages.deletedAt), sql`${userId}::uuid = any(${messages.mentions})`, sql`${messages.authorId} is distinct from ${userId}::uuid`)})
            + greatest(0, ${participants.mentionCount} - (select mine.mention_count from ${participants} mine where mine.chat_id = ${chatId}::uuid and mine.user_id = ${userId}::uuid))`,
        })
        .where(and(eq(participants.chatId, chatId), eq(participants.userId, userId), lt(participants.lastReadSeq, target)))
        .returning()
      return row
    },

    /** The participant's own settings for the chat; the row's version goes up. */
    async setPreferences(chatId: string, userId: string, preferences: ChatPreferences): Promise<ParticipantRow | undefined> {
      const [row] = await db
        .update(participants)
        .set({ ...preferences, version: sql`${participants.version} + 1` })
        .where(and(eq(participants.chatId, chatId), eq(participants.userId, userId)))
        .returning()
      return row
    },

    /**
     * The avatar read rule: the file is the avatar of a chat (not deleted) that `userId` may see, a
     * channel or one they are in. One lookup (chats are few per file; participants by key).
     */
    async avatarReadable(fileId: string, userId: string): Promise<boolean> {
      const [row] = await db
        .select({ one: sql`1` })
        .from(chats)
        .leftJoin(participants, and(eq(participants.chatId, chats.id), eq(participants.userId, userId)))
        .where(and(eq(chats.avatarFileId, fileId), isNull(chats.deletedAt), sql`(${chats.type} = 'channel' or ${participants.userId} is not null)`))
        .limit(1)
      return row !== undefined
    },

    /** How many people are in the chat now (inside a transaction holding the chat's lock: exact). */
    async participantCount(chatId: string): Promise<number> {
      const [row] = await db.select({ n: count() }).from(participants).where(eq(participants.chatId, chatId))
      return row?.n ?? 0
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
