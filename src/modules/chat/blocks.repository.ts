import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { blocks } from './db/schema.js'

export type BlockRow = typeof blocks.$inferSelect

/** Where a page of the blocker's list starts: after this (createdAt, blockedId), newest first. */
export interface BlockCursor {
  readonly createdAt: Date
  readonly blockedId: string
}

/**
 * Who blocked whom. Other areas ask here before opening a private chat, adding or inviting people,
 * and delivering to a private chat; a block is one-directional in the table, and callers choose
 * whether one direction (`isBlocked`) or either (`blockedEither`) refuses.
 */
export function createBlocksRepository(db: Db) {
  return {
    /** Whether `blockerId` has blocked `blockedId`. */
    async isBlocked(blockerId: string, blockedId: string): Promise<boolean> {
      const [row] = await db
        .select({ one: sql<number>`1` })
        .from(blocks)
        .where(and(eq(blocks.blockerId, blockerId), eq(blocks.blockedId, blockedId)))
        .limit(1)
      return row !== undefined
    },

    /** Whether either of the two has blocked the other (a private chat between them is refused). */
    async blockedEither(a: string, b: string): Promise<boolean> {
      const [row] = await db
        .select({ one: sql<number>`1` })
        .from(blocks)
        .where(or(and(eq(blocks.blockerId, a), eq(blocks.blockedId, b)), and(eq(blocks.blockerId, b), eq(blocks.blockedId, a))))
        .limit(1)
      return row !== undefined
    },

    /** Which of `userIds` have blocked `byUserId` (they may not be added or invited by them). One query. */
    async blockersAmong(userIds: Iterable<string>, byUserId: string): Promise<Set<string>> {
      const ids = [...new Set(userIds)]
      if (ids.length === 0) return new Set()
      const rows = await db
        .select({ blockerId: blocks.blockerId })
        .from(blocks)
        .where(and(eq(blocks.blockedId, byUserId), inArray(blocks.blockerId, ids)))
      return new Set(rows.map((row) => row.blockerId))
    },

    /** Blocks `blockedId`; a repeat keeps the first block (and its date). True when it is new. */
    async insert(blockerId: string, blockedId: string, at: Date): Promise<boolean> {
      const rows = await db.insert(blocks).values({ blockerId, blockedId, createdAt: at }).onConflictDoNothing().returning({ blockedId: blocks.blockedId })
      return rows.length > 0
    },

    /** True when there was a block to remove. */
    async remove(blockerId: string, blockedId: string): Promise<boolean> {
      const rows = await db
        .delete(blocks)
        .where(and(eq(blocks.blockerId, blockerId), eq(blocks.blockedId, blockedId)))
        .returning({ blockedId: blocks.blockedId })
      return rows.length > 0
    },

    /** The blocker's blocks, newest first, `limit` of them after `cursor`. */
    listByBlocker(blockerId: string, limit: number, cursor?: BlockCursor): Promise<BlockRow[]> {
      const after = cursor
        ? or(lt(blocks.createdAt, cursor.createdAt), and(eq(blocks.createdAt, cursor.createdAt), lt(blocks.blockedId, cursor.blockedId)))
        : undefined
      return db
        .select()
        .from(blocks)
        .where(and(eq(blocks.blockerId, blockerId), after))
        .orderBy(desc(blocks.createdAt), desc(blocks.blockedId))
        .limit(limit)
    },

    /** Every block the user made (their data export). */
    listAllByBlocker(blockerId: string): Promise<BlockRow[]> {
      return db.select().from(blocks).where(eq(blocks.blockerId, blockerId)).orderBy(desc(blocks.createdAt), desc(blocks.blockedId))
    },

    /** An erased account: the blocks it made and the blocks on it both go. */
    async removeAllOf(userId: string): Promise<void> {
      await db.delete(blocks).where(or(eq(blocks.blockerId, userId), eq(blocks.blockedId, userId)))
    },
  }
}

export type BlocksRepository = ReturnType<typeof createBlocksRepository>
