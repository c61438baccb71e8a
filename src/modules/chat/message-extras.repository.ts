import { and, countDistinct, desc, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { chats, messages, pins, reactions, type MessageRow } from './db/schema.js'

export interface PinRow {
  readonly chatId: string
  readonly messageId: string
  readonly pinnedBy: string | null
  readonly pinnedAt: Date
}

/** Reactions and pins: one row per (message, user, emoji) and per (chat, message). */
export function createMessageExtrasRepository(db: Db) {
  return {
    /** Adds the reaction; false when the user had already reacted so (nothing written). */
    async addReaction(messageId: string, userId: string, emoji: string, at: Date): Promise<boolean> {
      const rows = await db.insert(reactions).values({ messageId, userId, emoji, createdAt: at }).onConflictDoNothing().returning({ emoji: reactions.emoji })
      return rows.length > 0
    },

    /** Removes the reaction; false when there was none. */
    async removeReaction(messageId: string, userId: string, emoji: string): Promise<boolean> {
      const rows = await db
        .delete(reactions)
        .where(and(eq(reactions.messageId, messageId), eq(reactions.userId, userId), eq(reactions.emoji, emoji)))
        .returning({ emoji: reactions.emoji })
      return rows.length > 0
    },

    /** How many kinds of reaction the message has, and whether `emoji` is one of them. */
    async reactionKinds(messageId: string, emoji: string): Promise<{ kinds: number; present: boolean }> {
      const [row] = await db
        .select({ kinds: countDistinct(reactions.emoji), present: sql<boolean>`coalesce(bool_or(${reactions.emoji} = ${emoji}), false)` })
        .from(reactions)
        .where(eq(reactions.messageId, messageId))
      return { kinds: Number(row?.kinds ?? 0), present: row?.present === true }
    },

    /** The chat row locked until the transaction ends (pins of one chat queue here; sends hold it only briefly). */
    async lockChat(chatId: string): Promise<boolean> {
      const rows = await db.select({ id: chats.id }).from(chats).where(eq(chats.id, chatId)).for('update')
      return rows.length > 0
    },

    /** Pins of the chat on messages that are not deleted. */
    async countPins(chatId: string): Promise<number> {
      const [row] = await db
        .select({ count: sql<number>`count(*)::int` })
        .from(pins)
        .innerJoin(messages, and(eq(messages.id, pins.messageId), isNull(messages.deletedAt)))
        .where(eq(pins.chatId, chatId))
      return row?.count ?? 0
    },

    async findPin(chatId: string, messageId: string): Promise<PinRow | undefined> {
      const [row] = await db.select().from(pins).where(and(eq(pins.chatId, chatId), eq(pins.messageId, messageId))).limit(1)
      return row
    },

    /** Pins the message; undefined when it already was (the first pin stays). */
    async pin(chatId: string, messageId: string, userId: string, at: Date): Promise<PinRow | undefined> {
      const [row] = await db.insert(pins).values({ chatId, messageId, pinnedBy: userId, pinnedAt: at }).onConflictDoNothing().returning()
      return row
    },

    async unpin(chatId: string, messageId: string): Promise<boolean> {
      const rows = await db.delete(pins).where(and(eq(pins.chatId, chatId), eq(pins.messageId, messageId))).returning({ messageId: pins.messageId })
      return rows.length > 0
    },

    /** The chat's pins on messages that are not deleted, newest pin first, with their messages. */
    async pinned(chatId: string, limit: number): Promise<{ pin: PinRow; message: MessageRow }[]> {
      const rows = await db
        .select({ pin: pins, message: messages })
        .from(pins)
        .innerJoin(messages, and(eq(messages.id, pins.messageId), isNull(messages.deletedAt)))
        .where(eq(pins.chatId, chatId))
        .orderBy(desc(pins.pinnedAt), desc(pins.messageId))
        .limit(limit)
      return rows
    },
  }
}

export type MessageExtrasRepository = ReturnType<typeof createMessageExtrasRepository>
