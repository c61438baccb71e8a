import { and, asc, eq, gt, inArray, notInArray, or, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { plans, stripeEvents, subscriptions, type PlanRow } from './db/schema.js'
import { PAID_STATUSES, PLAN_IDS, type PlanId } from './domain.js'

export type SubscriptionRow = typeof subscriptions.$inferSelect
/** A plan's name and limits, as an admin replaces them. */
export type PlanValues = Omit<PlanRow, 'id' | 'updatedAt'>
export type PlanLimits = Omit<PlanValues, 'name'>

/** What one Stripe event says of a subscription (only the fields it carries). */
export interface StripeChanges {
  planId?: PlanId
  status?: string
  stripeCustomerId?: string
  stripeSubscriptionId?: string
  currentPeriodEnd?: Date | null
  cancelAtPeriodEnd?: boolean
}

/** Plans, subscription mirrors and the Stripe events applied. */
export function createBillingRepository(db: Db) {
  return {
    /** Every plan, free → pro → enterprise. */
    listPlans(): Promise<PlanRow[]> {
      return db
        .select()
        .from(plans)
        .orderBy(sql`array_position(array[${sql.raw(PLAN_IDS.map((id) => `'${id}'`).join(', '))}]::text[], ${plans.id})`)
    },

    async findPlan(id: PlanId): Promise<PlanRow | undefined> {
      const [row] = await db.select().from(plans).where(eq(plans.id, id))
      return row
    },

    async updatePlan(id: PlanId, limits: PlanValues): Promise<PlanRow | undefined> {
      const [row] = await db.update(plans).set({ ...limits, updatedAt: new Date() }).where(eq(plans.id, id)).returning()
      return row
    },

    async subscriptionOf(userId: string): Promise<SubscriptionRow | undefined> {
      const [row] = await db.select().from(subscriptions).where(eq(subscriptions.userId, userId))
      return row
    },

    /** The user a Stripe customer or subscription belongs to, from an earlier event or checkout. */
    async userOfStripe(ids: { customerId?: string | undefined; subscriptionId?: string | undefined }): Promise<string | undefined> {
      const conditions = [ids.subscriptionId ? eq(subscriptions.stripeSubscriptionId, ids.subscriptionId) : undefined, ids.customerId ? eq(subscriptions.stripeCustomerId, ids.customerId) : undefined].filter((c) => c !== undefined)
      if (conditions.length === 0) return undefined
      const [row] = await db.select({ userId: subscriptions.userId }).from(subscriptions).where(or(...conditions)).limit(1)
      return row?.userId
    },

    /** Records a Stripe event as applied; false when it already was (a redelivery, or one in flight). */
    async claimEvent(eventId: string, type: string, created: number): Promise<boolean> {
      const rows = await db.insert(stripeEvents).values({ eventId, type, created }).onConflictDoNothing().returning({ eventId: stripeEvents.eventId })
      return rows.length === 1
    },

    /**
     * Applies an event's changes unless the row has seen a newer event (`last_event_created` >
     * `created`): returns the row as it is after, or undefined when the event was older and nothing changed.
     */
    async applyStripe(userId: string, changes: StripeChanges, created: number): Promise<SubscriptionRow | undefined> {
      const now = new Date()
      const [row] = await db
        .insert(subscriptions)
        .values({ userId, planId: changes.planId ?? 'free', status: changes.status ?? 'incomplete', ...withoutPlanAndStatus(changes), lastEventCreated: created, updatedAt: now })
        .onConflictDoUpdate({
          target: subscriptions.userId,
          set: { ...changes, lastEventCreated: created, updatedAt: now },
          setWhere: sql`coalesce(${subscriptions.lastEventCreated}, 0) <= ${created}`,
        })
        .returning()
      return row
    },

    /** An admin's choice: the plan, active (Stripe's next newer event may change it again). */
    async setPlan(userId: string, planId: PlanId): Promise<SubscriptionRow> {
      const now = new Date()
      const [row] = await db
        .insert(subscriptions)
        .values({ userId, planId, status: 'active', updatedAt: now })
        .onConflictDoUpdate({ target: subscriptions.userId, set: { planId, status: 'active', updatedAt: now } })
        .returning()
      return row!
    },

    /** A page of the users (by id, after `after`) whose plan is `planId`, as planOf decides: for `free`, those whose subscription gives no paid plan. */
    async usersOnPlan(planId: PlanId, after: string | undefined, limit: number): Promise<string[]> {
      const paid = inArray(subscriptions.status, [...PAID_STATUSES])
      const onPlan = planId === 'free' ? or(eq(subscriptions.planId, 'free'), notInArray(subscriptions.status, [...PAID_STATUSES])) : and(eq(subscriptions.planId, planId), paid)
      const rows = await db
        .select({ userId: subscriptions.userId })
        .from(subscriptions)
        .where(and(onPlan, after ? gt(subscriptions.userId, after) : undefined))
        .orderBy(asc(subscriptions.userId))
        .limit(limit)
      return rows.map((row) => row.userId)
    },
  }
}

function withoutPlanAndStatus(changes: StripeChanges): Omit<StripeChanges, 'planId' | 'status'> {
  const { planId: _plan, status: _status, ...rest } = changes
  return rest
}
