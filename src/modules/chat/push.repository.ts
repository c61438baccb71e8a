import { and, eq, getTableColumns, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { pushSubscriptions } from './db/schema.js'

export type PushSubscriptionRow = typeof pushSubscriptions.$inferSelect

export function createPushRepository(db: Db) {
  return {
    /**
     * Stores the browser's subscription for the user. An endpoint belongs to one browser profile, so
     * one already stored (for this user or another who signed in there before) moves to this user
     * with the new keys. `created`: whether the endpoint was new.
     */
    async upsert(values: { userId: string; endpoint: string; p256dh: string; auth: string }): Promise<{ row: PushSubscriptionRow; created: boolean }> {
      const [row] = await db
        .insert(pushSubscriptions)
        .values(values)
        .onConflictDoUpdate({ target: pushSubscriptions.endpoint, set: { userId: values.userId, p256dh: values.p256dh, auth: values.auth } })
        // xmax is 0 on a freshly inserted row version, the updater's transaction id otherwise.
        .returning({ ...getTableColumns(pushSubscriptions), created: sql<boolean>`(xmax = 0)` })
      const { created, ...stored } = row!
      return { row: stored, created }
    },

    /** Deletes the user's subscription for this endpoint; false when they have none. */
    async removeForUser(userId: string, endpoint: string): Promise<boolean> {
      const rows = await db.delete(pushSubscriptions).where(and(eq(pushSubscriptions.userId, userId), eq(pushSubscriptions.endpoint, endpoint))).returning({ id: pushSubscriptions.id })
      return rows.length > 0
    },

    /** A subscription the push service says is gone (404/410). */
    async remove(id: string): Promise<void> {
      await db.delete(pushSubscriptions).where(eq(pushSubscriptions.id, id))
    },

    async findById(id: string): Promise<PushSubscriptionRow | undefined> {
      const [row] = await db.select().from(pushSubscriptions).where(eq(pushSubscriptions.id, id)).limit(1)
      return row
    },

    /** The subscriptions of these users, in one query. */
    listFor(userIds: readonly string[]): Promise<PushSubscriptionRow[]> {
      if (userIds.length === 0) return Promise.resolve([])
      return db.select().from(pushSubscriptions).where(inArray(pushSubscriptions.userId, [...userIds]))
    },
  }
}

export type PushRepository = ReturnType<typeof createPushRepository>
