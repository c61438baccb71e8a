import { asc, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { messageFiles, messages, participants, pins, reactions, type ParticipantRow } from './db/schema.js'

/** Rows per INSERT when a backup is restored: well under PostgreSQL's 65,535 parameters a statement. */
export const RESTORE_BATCH = 500

export interface FullReactions {
  readonly messageId: string
  readonly emoji: string
  /** Everyone who reacted so, oldest first (a view shows the first 25; a backup keeps them all). */
  readonly userIds: string[]
}

export interface PinRow {
  readonly messageId: string
  readonly pinnedBy: string | null
  readonly pinnedAt: Date
}

/** The export's extra reads and the import's batched writes (GET /chats/:id/export, POST /chats/import). */
export function createChatBackupRepository(db: Db) {
  /** `rows` in INSERTs of RESTORE_BATCH, one after another (inside the caller's transaction). */
  async function inBatches<T>(rows: readonly T[], insert: (batch: T[]) => Promise<unknown>): Promise<void> {
    for (let i = 0; i < rows.length; i += RESTORE_BATCH) await insert(rows.slice(i, i + RESTORE_BATCH))
  }
  return {
    /** Each message's reactions by emoji, with every reactor: kinds in the order they first appeared. */
    async reactions(messageIds: readonly string[]): Promise<FullReactions[]> {
      if (messageIds.length === 0) return []
      return db
        .select({
          messageId: reactions.messageId,
          emoji: reactions.emoji,
          userIds: sql<string[]>`array_agg(${reactions.userId} order by ${reactions.createdAt}, ${reactions.userId})`,
        })
        .from(reactions)
        .where(inArray(reactions.messageId, [...messageIds]))
        .groupBy(reactions.messageId, reactions.emoji)
        .orderBy(asc(reactions.messageId), sql`min(${reactions.createdAt})`, asc(reactions.emoji))
    },

    /** The chat's pins, oldest first (a chat holds few: CHAT_PINS_FULL). */
    pins(chatId: string): Promise<PinRow[]> {
      return db.select({ messageId: pins.messageId, pinnedBy: pins.pinnedBy, pinnedAt: pins.pinnedAt }).from(pins).where(eq(pins.chatId, chatId)).orderBy(asc(pins.pinnedAt), asc(pins.messageId))
    },

    insertParticipants: (rows: readonly (typeof participants.$inferInsert)[]): Promise<ParticipantRow[]> =>
      rows.length === 0 ? Promise.resolve([]) : db.insert(participants).values([...rows]).returning(),

    /** In seq order: a reply or thread link names a message of an earlier batch, or of the same statement. */
    insertMessages: (rows: readonly (typeof messages.$inferInsert)[]): Promise<void> => inBatches(rows, (batch) => db.insert(messages).values(batch)),
    insertFiles: (rows: readonly (typeof messageFiles.$inferInsert)[]): Promise<void> => inBatches(rows, (batch) => db.insert(messageFiles).values(batch)),
    insertReactions: (rows: readonly (typeof reactions.$inferInsert)[]): Promise<void> => inBatches(rows, (batch) => db.insert(reactions).values(batch)),
    insertPins: (rows: readonly (typeof pins.$inferInsert)[]): Promise<void> => inBatches(rows, (batch) => db.insert(pins).values(batch)),
  }
}

export type ChatBackupRepository = ReturnType<typeof createChatBackupRepository>
