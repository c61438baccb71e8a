import { and, desc, eq, gt, isNull, lt, or, type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import type { Db } from '../../core/db/client.js'
import { bans, chats, messageFiles, messages, participants, type ChatRow, type MessageRow, type ParticipantRow } from './db/schema.js'

/** The tsquery as SQL: always `to_tsquery('simple', $1)` with a text built by `toPrefixTsQuery` (search-query.ts). */
export const tsQuery = (query: string): SQL => sql`to_tsquery('simple', ${query})`

/** `vector @@ query`: the GIN indexes on the `search` columns serve it. */
export const tsMatches = (vector: AnyPgColumn, query: string): SQL => sql`${vector} @@ ${tsQuery(query)}`

/**
 * How well a row matches, rounded to 4 decimals as a numeric: `ts_rank` is a float4, and a cursor
 * that carries a float through JSON may not compare equal to what the database recomputes; a
 * rounded numeric does, so ranked pages neither skip nor repeat rows.
 */
export const tsRank = (vector: AnyPgColumn, query: string): SQL<string> => sql<string>`round(ts_rank(${vector}, ${tsQuery(query)})::numeric, 4)`

/** Where a ranked page continues: after this rank, then newest first by time and id. */
export interface RankedPosition {
  readonly rank: string
  readonly at: Date
  readonly id: string
}

export interface MessageSearch {
  readonly userId: string
  readonly query: string
  readonly chatId?: string
  readonly authorId?: string
  readonly before?: Date
  readonly after?: Date
  readonly hasFile?: boolean
  readonly limit: number
  readonly from?: RankedPosition
}

export interface ChatSearch {
  readonly userId: string
  readonly query: string
  /** Private chats of the searcher whose other person's name matched (the user directory's search). */
  readonly privateWith: readonly string[]
  readonly limit: number
  readonly from?: RankedPosition
}

/** After `from` in (rank desc, at desc, id desc) order. */
const afterPosition = (rank: SQL, at: AnyPgColumn, id: AnyPgColumn, from: RankedPosition): SQL =>
  sql`(${rank} < ${from.rank}::numeric or (${rank} = ${from.rank}::numeric and (${at}, ${id}) < (${from.at.toISOString()}::timestamptz, ${from.id}::uuid)))`

/**
 * Full-text search that respects who may read what: the searcher's participation is part of the
 * query (an inner join), so a chat they left or were removed from never matches, nor a deleted one.
 */
export function createSearchRepository(db: Db) {
  return {
    async messages(search: MessageSearch): Promise<{ row: MessageRow; rank: string; chat: { id: string; type: ChatRow['type']; title: string | null } }[]> {
      const rank = tsRank(messages.search, search.query)
      const conditions: (SQL | undefined)[] = [tsMatches(messages.search, search.query), isNull(messages.deletedAt), isNull(chats.deletedAt)]
      if (search.chatId) conditions.push(eq(messages.chatId, search.chatId))
      if (search.authorId) conditions.push(eq(messages.authorId, search.authorId))
      if (search.before) conditions.push(lt(messages.createdAt, search.before))
      if (search.after) conditions.push(gt(messages.createdAt, search.after))
      if (search.hasFile !== undefined) {
        const withFile = sql`exists (select 1 from ${messageFiles} where ${messageFiles.messageId} = ${messages.id})`
        conditions.push(search.hasFile ? withFile : sql`not ${withFile}`)
      }
      if (search.from) conditions.push(afterPosition(rank, messages.createdAt, messages.id, search.from))
      const rows = await db
        .select({ row: messages, rank, chat: { id: chats.id, type: chats.type, title: chats.title } })
        .from(messages)
        .innerJoin(participants, and(eq(participants.chatId, messages.chatId), eq(participants.userId, search.userId)))
        .innerJoin(chats, eq(chats.id, messages.chatId))
        .where(and(...conditions))
        .orderBy(desc(rank), desc(messages.createdAt), desc(messages.id))
        .limit(search.limit)
      return rows
    },

    /** The searcher's chats (not hidden) and every public channel, by title and description, or a private chat by the other person's name. */
    async chats(search: ChatSearch): Promise<{ chat: ChatRow; participant: ParticipantRow | null; rank: string }[]> {
      const rank = sql<string>`(case when ${tsMatches(chats.search, search.query)} then ${tsRank(chats.search, search.query)} else 0 end)`
      const activity = sql`coalesce(${chats.lastMessageAt}, ${chats.createdAt})`
      const named =
        search.privateWith.length > 0
          ? sql`(${chats.type} = 'private' and exists (select 1 from ${participants} other where other.chat_id = ${chats.id} and other.user_id = any(${`{${search.privateWith.join(',')}}`}::uuid[])))`
          : sql`false`
      const conditions: (SQL | undefined)[] = [
        isNull(chats.deletedAt),
        or(sql`${participants.userId} is not null and not ${participants.hidden}`, eq(chats.type, 'channel')),
        or(tsMatches(chats.search, search.query), and(sql`${participants.userId} is not null`, named)),
        // Never a channel the searcher is banned from.
        sql`not exists (select 1 from ${bans} where ${bans.chatId} = ${chats.id} and ${bans.userId} = ${search.userId} and (${bans.until} is null or ${bans.until} > now()))`,
      ]
      if (search.from) conditions.push(sql`(${rank} < ${search.from.rank}::numeric or (${rank} = ${search.from.rank}::numeric and (${activity}, ${chats.id}) < (${search.from.at.toISOString()}::timestamptz, ${search.from.id}::uuid)))`)
      const rows = await db
        .select({ chat: chats, participant: participants, rank })
        .from(chats)
        .leftJoin(participants, and(eq(participants.chatId, chats.id), eq(participants.userId, search.userId)))
        .where(and(...conditions))
        .orderBy(desc(rank), desc(activity), desc(chats.id))
        .limit(search.limit)
      return rows
    },
  }
}
