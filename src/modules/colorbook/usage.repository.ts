import { and, asc, count, eq, gte, inArray, lt, not, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { subscriptions, usageDaily, usageEvents } from './db/schema.js'
import { PAID_STATUSES } from './domain.js'
import { ACTIVE_TYPES } from './usage-types.js'

export interface UsageEventValues {
  userId: string | null
  type: string
  entityType?: string | null
  entityId?: string | null
  metadata?: Record<string, unknown>
  at?: Date
}

export interface DailyRow {
  day: string
  type: string
  count: number
  users: number
}

/** A half-open range of UTC days, as `YYYY-MM-DD` (from inclusive, to exclusive). */
export interface DayRange {
  from: string
  to: string
}

const utc = (day: string) => `${day}T00:00:00.000Z`

/** Usage events (append-only) and their daily roll-up. */
export function createUsageRepository(db: Db) {
  return {
    async insert(rows: readonly UsageEventValues[]): Promise<void> {
      if (rows.length === 0) return
      await db.insert(usageEvents).values(rows.map((row) => ({ ...row, metadata: row.metadata ?? {} })))
    },

    /** One user's events in the range, counted per day and type (read live: the user's index on (user_id, at)). */
    async perDayOfUser(userId: string, range: DayRange): Promise<DailyRow[]> {
      const day = sql<string>`to_char(${usageEvents.at} at time zone 'UTC', 'YYYY-MM-DD')`
      const rows = await db
        .select({ day, type: usageEvents.type, count: count() })
        .from(usageEvents)
        .where(and(eq(usageEvents.userId, userId), gte(usageEvents.at, new Date(utc(range.from))), lt(usageEvents.at, new Date(utc(range.to)))))
        .groupBy(day, usageEvents.type)
        .orderBy(asc(day), asc(usageEvents.type))
      return rows.map((row) => ({ ...row, users: 1 }))
    },

    /**
     * Rolls one UTC day up, replacing what an earlier run stored for it (so it is idempotent): a row
     * per event type, the day's active users, and the active users of its ISO week and its month
     * (recounted over the whole week and month so far).
     */
    async rollUp(day: string): Promise<void> {
      const start = sql`${utc(day)}::timestamptz`
      const next = sql`(${utc(day)}::timestamptz + interval '1 day')`
      const weekStart = sql`date_trunc('week', ${day}::date)::date`
      const monthStart = sql`date_trunc('month', ${day}::date)::date`
      await db.delete(usageDaily).where(and(eq(usageDaily.day, day), not(inArray(usageDaily.type, [ACTIVE_TYPES.week, ACTIVE_TYPES.month]))))
      await db.execute(sql`
        insert into ${usageDaily} (day, type, count, users)
        select ${day}::date, type, count(*)::int, count(distinct user_id)::int from ${usageEvents}
        where at >= ${start} and at < ${next} group by type
        union all
        select ${day}::date, ${ACTIVE_TYPES.day}, count(*)::int, count(distinct user_id)::int from ${usageEvents}
        where at >= ${start} and at < ${next} and user_id is not null having count(*) > 0`)
      for (const [type, periodStart, length] of [
        [ACTIVE_TYPES.week, weekStart, sql`interval '7 days'`],
        [ACTIVE_TYPES.month, monthStart, sql`interval '1 month'`],
      ] as const) {
        await db.execute(sql`
          insert into ${usageDaily} (day, type, count, users)
          select ${periodStart}, ${type}, count(*)::int, count(distinct user_id)::int from ${usageEvents}
          where at >= (${periodStart})::timestamp at time zone 'UTC' and at < ((${periodStart})::timestamp + ${length}) at time zone 'UTC' and user_id is not null
          on conflict (day, type) do update set count = excluded.count, users = excluded.users`)
      }
    },

    /** The rolled-up rows in the range (week and month rows by the day their period starts). */
    async daily(range: DayRange): Promise<DailyRow[]> {
      return db
        .select({ day: sql<string>`to_char(${usageDaily.day}, 'YYYY-MM-DD')`, type: usageDaily.type, count: usageDaily.count, users: usageDaily.users })
        .from(usageDaily)
        .where(and(gte(usageDaily.day, range.from), lt(usageDaily.day, range.to)))
        .orderBy(asc(usageDaily.day), asc(usageDaily.type))
    },

    /** The last day rolled up, or null. */
    async lastRolledUp(): Promise<string | null> {
      const [row] = await db
        .select({ day: sql<string | null>`to_char(max(${usageDaily.day}), 'YYYY-MM-DD')` })
        .from(usageDaily)
        .where(eq(usageDaily.type, ACTIVE_TYPES.day))
      return row?.day ?? null
    },

    /** Accounts on each paid plan now (subscriptions whose status gives their plan). */
    async paidPlanMix(): Promise<{ plan: string; users: number }[]> {
      return db
        .select({ plan: subscriptions.planId, users: count() })
        .from(subscriptions)
        .where(inArray(subscriptions.status, [...PAID_STATUSES]))
        .groupBy(subscriptions.planId)
        .orderBy(asc(subscriptions.planId))
    },

    /** Accounts active in the range (any event) by the plan they are on now; no paid subscription: free. */
    async activePlanMix(range: DayRange): Promise<{ plan: string; users: number }[]> {
      const rows = await db.execute(sql`
        select coalesce(s.plan_id, 'free') as plan, count(*)::int as users
        from (select distinct user_id from ${usageEvents} where user_id is not null and at >= ${utc(range.from)}::timestamptz and at < ${utc(range.to)}::timestamptz) active
        left join ${subscriptions} s on s.user_id = active.user_id and s.status in (${sql.join(PAID_STATUSES.map((s) => sql`${s}`), sql`, `)})
        group by 1 order by 1`)
      return (rows as { plan: string; users: number }[]).map((row) => ({ plan: row.plan, users: Number(row.users) }))
    },
  }
}

export type UsageRepository = ReturnType<typeof createUsageRepository>
