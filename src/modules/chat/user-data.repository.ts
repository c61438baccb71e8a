import { and, asc, desc, eq, inArray, isNull, ne, or, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { blocks, chats, invitations, messages, notifications, participants, pins, pushSubscriptions, reactions, scheduledMessages, templates, userSettings } from './db/schema.js'

/** Most messages a data export lists (newest first); the export says when there were more. */
export const EXPORT_MESSAGES_LIMIT = 10_000
/** Most reactions a data export lists (newest first); the export says when there were more. */
export const EXPORT_REACTIONS_LIMIT = 10_000

/** What chat holds about one person: for their data export, and to erase it when the account is deleted. */
export function createUserDataRepository(db: Db) {
  return {
    chatsOf(userId: string) {
      return db
        .select({ id: chats.id, type: chats.type, title: chats.title, role: participants.role, joinedAt: participants.joinedAt })
        .from(participants)
        .innerJoin(chats, eq(chats.id, participants.chatId))
        .where(and(eq(participants.userId, userId), isNull(chats.deletedAt)))
        .orderBy(asc(participants.joinedAt))
    },

    messagesOf(userId: string, limit: number) {
      return db
        .select({ id: messages.id, chatId: messages.chatId, seq: messages.seq, type: messages.type, text: messages.text, createdAt: messages.createdAt, editedAt: messages.editedAt })
        .from(messages)
        .where(and(eq(messages.authorId, userId), isNull(messages.deletedAt)))
        .orderBy(desc(messages.createdAt), desc(messages.id))
        .limit(limit)
    },

    /** Their reactions, newest first (at most `limit`), with the message's chat (deleted messages' too: the reaction is theirs). */
    reactionsOf(userId: string, limit: number) {
      return db
        .select({ messageId: reactions.messageId, chatId: messages.chatId, emoji: reactions.emoji, createdAt: reactions.createdAt })
        .from(reactions)
        .innerJoin(messages, eq(messages.id, reactions.messageId))
        .where(eq(reactions.userId, userId))
        .orderBy(desc(reactions.createdAt), asc(reactions.messageId), asc(reactions.emoji))
        .limit(limit)
    },

    /**
     * Erases the person's own chat data: settings and status, push subscriptions, notifications,
     * invitations, scheduled messages, templates, blocks either way, their reactions (a message's
     * counts are read from the reactions, so they drop with them); takes them out of groups and
     * channels (an owner's chat passes to its oldest admin, else its oldest member). Their pins stay
     * (pins are the chat's), no longer naming who pinned them. Their messages stay, shown as from a
     * deleted user, and so does their side of a private chat, and the reports they filed (for
     * moderators; the reporter shows as a deleted user). Returns the chats they left.
     */
    async erase(userId: string): Promise<string[]> {
      await db.delete(reactions).where(eq(reactions.userId, userId))
      await db.update(pins).set({ pinnedBy: null }).where(eq(pins.pinnedBy, userId))
      await db.delete(userSettings).where(eq(userSettings.userId, userId))
      await db.delete(pushSubscriptions).where(eq(pushSubscriptions.userId, userId))
      await db.delete(notifications).where(eq(notifications.userId, userId))
      await db.delete(invitations).where(eq(invitations.userId, userId))
      await db.delete(scheduledMessages).where(eq(scheduledMessages.authorId, userId))
      await db.delete(templates).where(eq(templates.ownerId, userId))
      await db.delete(blocks).where(or(eq(blocks.blockerId, userId), eq(blocks.blockedId, userId)))
      const left = await db
        .delete(participants)
        .where(and(eq(participants.userId, userId), sql`${participants.chatId} in (select ${chats.id} from ${chats} where ${chats.type} <> 'private')`))
        .returning({ chatId: participants.chatId, role: participants.role })
      const owned = left.filter((row) => row.role === 'owner').map((row) => row.chatId)
      if (owned.length > 0) await handOver(db, owned)
      return left.map((row) => row.chatId)
    },
  }
}

/** Each chat without an owner gets one: its oldest admin, else its oldest member. */
async function handOver(db: Db, chatIds: string[]): Promise<void> {
  const heirs = await db
    .selectDistinctOn([participants.chatId], { chatId: participants.chatId, userId: participants.userId })
    .from(participants)
    .where(and(inArray(participants.chatId, chatIds), ne(participants.role, 'owner')))
    .orderBy(participants.chatId, sql`${participants.role} = 'admin' desc`, asc(participants.joinedAt), asc(participants.userId))
  for (const heir of heirs) {
    await db.update(participants).set({ role: 'owner' }).where(and(eq(participants.chatId, heir.chatId), eq(participants.userId, heir.userId)))
  }
}

export type UserDataRepository = ReturnType<typeof createUserDataRepository>
