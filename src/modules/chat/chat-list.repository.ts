import { and, desc, eq, ilike, isNull, ne, or, sql, type SQL } from 'drizzle-orm'
import { containsPattern } from '../../core/db/columns.js'
import type { Db } from '../../core/db/client.js'
import { chats, messages, participants, type ChatRow, type MessageRow, type ParticipantRow } from './db/schema.js'
import type { ChatType } from './domain.js'

/** Where a page of the chat list starts: after this (activity, chat id), newest first. */
export interface ChatListPosition {
  readonly at: Date
  readonly id: string
}

export interface ChatListFilter {
  readonly userId: string
  readonly type?: ChatType
  /** The caller's own archive: true only archived, false only the others. */
  readonly archived?: boolean
  /** Titles containing this text (ignoring case), or, for private chats, the other person among `otherIds`. */
  readonly q?: { readonly text: string; readonly otherIds: readonly string[] }
  readonly after?: ChatListPosition
  readonly limit: number
}

export interface ChatListRow {
  readonly chat: ChatRow
  readonly participant: ParticipantRow
  /** The message at the chat's lastSeq (null: no messages yet). */
  readonly lastMessage: MessageRow | null
}

/** A chat's place in the list: its newest message, or its creation while it has none. */
export const activityOf = (chat: Pick<ChatRow, 'lastMessageAt' | 'createdAt'>): Date => chat.lastMessageAt ?? chat.createdAt

const activity = sql`coalesce(${chats.lastMessageAt}, ${chats.createdAt})`

/**
 * The caller's chat list in one query, whatever its length: their participant rows (not hidden),
 * the chats (not deleted) and each chat's newest message (by the (chat, seq) key), newest activity
 * first. The counts need no more: unread is chat.countedSeq − participant.readCount.
 */
export function createChatListRepository(db: Db) {
  return {
    async page(filter: ChatListFilter): Promise<ChatListRow[]> {
      const conditions: (SQL | undefined)[] = [eq(participants.userId, filter.userId), eq(participants.hidden, false), isNull(chats.deletedAt)]
      if (filter.type) conditions.push(eq(chats.type, filter.type))
      if (filter.archived !== undefined) conditions.push(eq(participants.archived, filter.archived))
      if (filter.q) conditions.push(matching(filter.userId, filter.q))
      if (filter.after) conditions.push(sql`(${activity}, ${chats.id}) < (${filter.after.at.toISOString()}::timestamptz, ${filter.after.id}::uuid)`)
      const rows = await db
        .select({ chat: chats, participant: participants, lastMessage: messages })
        .from(participants)
        .innerJoin(chats, eq(chats.id, participants.chatId))
        .leftJoin(messages, and(eq(messages.chatId, chats.id), eq(messages.seq, chats.lastSeq)))
        .where(and(...conditions))
        .orderBy(desc(activity), desc(chats.id))
        .limit(filter.limit)
      return rows
    },
  }
}

/** A group's or channel's title contains the text; a private chat's other person is one of `otherIds`. */
function matching(userId: string, q: NonNullable<ChatListFilter['q']>): SQL {
  const byTitle = and(ne(chats.type, 'private'), ilike(chats.title, containsPattern(q.text)))!
  if (q.otherIds.length === 0) return byTitle
  const people = sql.join(
    q.otherIds.map((id) => sql`${id}::uuid`),
    sql`, `,
  )
  const person = sql`exists (select 1 from ${participants} other where other.chat_id = ${chats.id} and other.user_id <> ${userId}::uuid and other.user_id in (${people}))`
  return or(byTitle, and(eq(chats.type, 'private'), person))!
}

export type ChatListRepository = ReturnType<typeof createChatListRepository>
