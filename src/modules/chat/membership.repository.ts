import { and, asc, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { bans, chats, participants, type ParticipantRow } from './db/schema.js'
import type { ParticipantRole } from './domain.js'

/** Where a page of a chat's participants starts: after this (joinedAt, userId). */
export interface ParticipantPosition {
  readonly joinedAt: Date
  readonly userId: string
}

type NewParticipant = typeof participants.$inferInsert

/**
 * The SQL of managing who is in a chat (the participants area): pages of participants, role changes,
 * removals, and the ban check made before adding or inviting people (blocks are `repos.blocks`').
 */
export function createMembershipRepository(db: Db) {
  return {
    /** Longest in the chat first (the owner usually leads), `limit` of them after `after`. */
    page(chatId: string, limit: number, after?: ParticipantPosition): Promise<ParticipantRow[]> {
      const position = after
        ? or(gt(participants.joinedAt, after.joinedAt), and(eq(participants.joinedAt, after.joinedAt), gt(participants.userId, after.userId)))
        : undefined
      return db
        .select()
        .from(participants)
        .where(and(eq(participants.chatId, chatId), position))
        .orderBy(asc(participants.joinedAt), asc(participants.userId))
        .limit(limit)
    },

    /**
     * Holds the chat row until the transaction ends, so membership changes of one chat (and its
     * messages' seqs) happen one after another; its seq counters as they are now.
     */
    async lockChat(chatId: string): Promise<{ lastSeq: number; countedSeq: number } | undefined> {
      const [row] = await db
        .select({ lastSeq: chats.lastSeq, countedSeq: chats.countedSeq })
        .from(chats)
        .where(and(eq(chats.id, chatId), isNull(chats.deletedAt)))
        .for('update')
      return row
    },

    /** Adds people; those already in are left as they are. Returns the rows added. */
    async insertMany(rows: NewParticipant[]): Promise<ParticipantRow[]> {
      if (rows.length === 0) return []
      return db.insert(participants).values(rows).onConflictDoNothing().returning()
    },

    /** Which of `userIds` are in the chat. */
    async present(chatId: string, userIds: readonly string[]): Promise<Set<string>> {
      if (userIds.length === 0) return new Set()
      const rows = await db
        .select({ userId: participants.userId })
        .from(participants)
        .where(and(eq(participants.chatId, chatId), inArray(participants.userId, [...userIds])))
      return new Set(rows.map((row) => row.userId))
    },

    /** Sets the role if it is still `from` (a concurrent change makes this undefined). */
    async setRole(chatId: string, userId: string, from: ParticipantRole, to: ParticipantRole): Promise<ParticipantRow | undefined> {
      const [row] = await db
        .update(participants)
        .set({ role: to, version: sql`${participants.version} + 1` })
        .where(and(eq(participants.chatId, chatId), eq(participants.userId, userId), eq(participants.role, from)))
        .returning()
      return row
    },

    /** Removes one participant if their role is still `role`; the removed row, or undefined. */
    async removeOne(chatId: string, userId: string, role: ParticipantRole): Promise<ParticipantRow | undefined> {
      const [row] = await db
        .delete(participants)
        .where(and(eq(participants.chatId, chatId), eq(participants.userId, userId), eq(participants.role, role)))
        .returning()
      return row
    },

    /** Who takes over from a leaving owner: the oldest admin, else the oldest member; undefined when nobody is left. */
    async successor(chatId: string): Promise<ParticipantRow | undefined> {
      const [row] = await db
        .select()
        .from(participants)
        .where(and(eq(participants.chatId, chatId), inArray(participants.role, ['admin', 'member'])))
        .orderBy(sql`${participants.role} = 'admin' desc`, asc(participants.joinedAt), asc(participants.userId))
        .limit(1)
      return row
    },

    /** Which of `userIds` are banned from the chat at `now` (a ban without `until` lasts for good). */
    async bannedAmong(chatId: string, userIds: readonly string[], now: Date): Promise<Set<string>> {
      if (userIds.length === 0) return new Set()
      const rows = await db
        .select({ userId: bans.userId })
        .from(bans)
        .where(and(eq(bans.chatId, chatId), inArray(bans.userId, [...userIds]), or(isNull(bans.until), gt(bans.until, now))))
      return new Set(rows.map((row) => row.userId))
    },
  }
}

export type MembershipRepository = ReturnType<typeof createMembershipRepository>
