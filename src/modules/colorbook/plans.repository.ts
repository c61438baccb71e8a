import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { plans, subscriptions, type PlanRow } from './db/schema.js'
import { PAID_STATUSES } from './domain.js'

/** Plans and which one a user is on. */
export function createPlansRepository(db: Db) {
  return {
    /**
     * The user's plan: their subscription's while its status gives it (active, trialing, past_due),
     * else `free` (also without a subscription row).
     */
    async planOf(userId: string): Promise<PlanRow> {
      const subscribed = db
        .select({ planId: subscriptions.planId })
        .from(subscriptions)
        .where(and(eq(subscriptions.userId, userId), inArray(subscriptions.status, [...PAID_STATUSES])))
      const [row] = await db
        .select()
        .from(plans)
        .where(eq(plans.id, sql`coalesce((${subscribed}), 'free')`))
        .limit(1)
      if (!row) throw new Error('colorbook_plans has no row for the user’s plan (the migration seeds free, pro and enterprise)')
      return row
    },
  }
}
