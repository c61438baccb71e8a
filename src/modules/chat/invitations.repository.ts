import { and, desc, eq, inArray, isNull, lt } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { chats, invitations, type ChatRow, type InvitationRow } from './db/schema.js'

type NewInvitation = typeof invitations.$inferInsert

/** Invitations to groups and channels: at most one pending per chat and user (a partial unique index). */
export function createInvitationsRepository(db: Db) {
  return {
    /** Stores the invitations; a user who already has a pending one is skipped. Returns those stored. */
    async insertMany(rows: NewInvitation[]): Promise<InvitationRow[]> {
      if (rows.length === 0) return []
      return db.insert(invitations).values(rows).onConflictDoNothing().returning()
    },

    /** The invitation with its chat (undefined when either is gone, or the chat was deleted). */
    async findWithChat(id: string): Promise<{ invitation: InvitationRow; chat: ChatRow } | undefined> {
      const [row] = await db
        .select({ invitation: invitations, chat: chats })
        .from(invitations)
        .innerJoin(chats, eq(chats.id, invitations.chatId))
        .where(and(eq(invitations.id, id), isNull(chats.deletedAt)))
        .limit(1)
      return row
    },

    /** The user's pending invitations to chats that still exist, newest first, after the id `before`. */
    pendingOf(userId: string, limit: number, before?: string): Promise<{ invitation: InvitationRow; chat: ChatRow }[]> {
      return db
        .select({ invitation: invitations, chat: chats })
        .from(invitations)
        .innerJoin(chats, eq(chats.id, invitations.chatId))
        .where(and(eq(invitations.userId, userId), eq(invitations.status, 'pending'), isNull(chats.deletedAt), before ? lt(invitations.id, before) : undefined))
        .orderBy(desc(invitations.id))
        .limit(limit)
    },

    /** Which of `userIds` have a pending invitation to the chat. */
    async pendingAmong(chatId: string, userIds: readonly string[]): Promise<Set<string>> {
      if (userIds.length === 0) return new Set()
      const rows = await db
        .select({ userId: invitations.userId })
        .from(invitations)
        .where(and(eq(invitations.chatId, chatId), eq(invitations.status, 'pending'), inArray(invitations.userId, [...userIds])))
      return new Set(rows.map((row) => row.userId))
    },

    /** Answers a pending invitation; undefined when it was answered meanwhile. */
    async answer(id: string, status: 'accepted' | 'declined', at: Date): Promise<InvitationRow | undefined> {
      const [row] = await db
        .update(invitations)
        .set({ status, respondedAt: at })
        .where(and(eq(invitations.id, id), eq(invitations.status, 'pending')))
        .returning()
      return row
    },
  }
}

export type InvitationsRepository = ReturnType<typeof createInvitationsRepository>
