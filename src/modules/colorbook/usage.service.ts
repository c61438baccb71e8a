import type { preHandlerAsyncHookHandler } from 'fastify'
import { Compile } from 'typebox/compile'
import type { Actor } from '../../core/access/actor.js'
import { AppError } from '../../core/errors/app-error.js'
import type { ColorbookPermissions } from './permissions.js'
import { COLORBOOK_ANALYTICS } from './permissions.js'
import type { ColorbookStore } from './store.js'
import type { DailyRow, DayRange, UsageRepository } from './usage.repository.js'
import { ACTIVE_TYPES, CLIENT_USAGE_TYPES, type ClientUsageType, type ServerUsageType, type UsageEntityType } from './usage-types.js'

export interface ClientEvent {
  type: ClientUsageType
  at?: string
  entityType?: UsageEntityType
  entityId?: string
  metadata?: Record<string, unknown>
}

export interface ServerEvent {
  type: ServerUsageType
  userId: string | null
  entityType?: UsageEntityType
  entityId?: string
  metadata?: Record<string, unknown>
}

/** A device may report events this late (offline use), and its clock this far ahead. */
const MAX_AGE_MS = 30 * 86_400_000
const MAX_SKEW_MS = 5 * 60_000
const DAY_MS = 86_400_000
export const MAX_RANGE_DAYS = 366

const metadataCheckers = Object.fromEntries(Object.entries(CLIENT_USAGE_TYPES).map(([type, schema]) => [type, Compile(schema)])) as Record<ClientUsageType, ReturnType<typeof Compile>>

const isoDay = (date: Date) => date.toISOString().slice(0, 10)

/**
 * Usage analytics: events the services record (in their own transaction) and clients report,
 * rolled up per day by `colorbook.usage-rollup`; a user's own numbers and the admins' dashboard.
 */
export class UsageService {
  constructor(
    private readonly permissions: ColorbookPermissions,
    private readonly store: ColorbookStore,
    /** The preHandler limiting POST /api/analytics/events per account (ctx.rateLimit). */
    readonly eventsLimit: preHandlerAsyncHookHandler,
  ) {}

  /**
   * What the services call, with the repositories of the transaction that made the change (so the
   * event exists if and only if it commits), or without to write on its own.
   */
  async record(event: ServerEvent, repos: { usage: UsageRepository } = this.store.repos): Promise<void> {
    await repos.usage.insert([{ userId: event.userId, type: event.type, entityType: event.entityType ?? null, entityId: event.entityId ?? null, metadata: event.metadata ?? {} }])
  }

  /** A client's batch: every event valid, or none stored (400 naming each bad one). */
  async track(actor: Actor, events: readonly ClientEvent[], now = new Date()): Promise<number> {
    this.permissions.require(actor)
    const details: Record<string, string> = {}
    const rows = events.map((event, i) => {
      const checker = metadataCheckers[event.type]
      const metadata = event.metadata ?? {}
      if (!checker.Check(metadata)) details[`/events/${i}/metadata`] = [...checker.Errors(metadata)].map((e) => `${e.instancePath || '(metadata)'} ${e.message}`).join('; ')
      const at = event.at === undefined ? now : new Date(event.at)
      if (at.getTime() > now.getTime() + MAX_SKEW_MS || at.getTime() < now.getTime() - MAX_AGE_MS) details[`/events/${i}/at`] = 'must be within the last 30 days and not in the future'
      if ((event.entityType === undefined) !== (event.entityId === undefined)) details[`/events/${i}/entityId`] = 'entityType and entityId go together'
      return { userId: actor.id, type: event.type, entityType: event.entityType ?? null, entityId: event.entityId ?? null, metadata, at }
    })
    if (Object.keys(details).length > 0) throw new AppError('VALIDATION_FAILED', 'Some events are not valid; none was stored.', details)
    await this.store.repos.usage.insert(rows)
    return rows.length
  }

  /** The caller's own events per day and type, with totals. */
  async mine(actor: Actor, query: { from?: string; to?: string }, now = new Date()) {
    this.permissions.require(actor)
    const range = dayRange(query, now)
    const days = await this.store.repos.usage.perDayOfUser(actor.id, range)
    const totals = new Map<string, number>()
    for (const row of days) totals.set(row.type, (totals.get(row.type) ?? 0) + row.count)
    return { ...rangeView(range), totals: [...totals].map(([type, count]) => ({ type, count })), days: days.map(({ day, type, count }) => ({ day, type, count })) }
  }

  /** The admins' dashboard over a range of days, from the roll-up (plus the plan mix now). */
  async dashboard(actor: Actor, query: { from?: string; to?: string }, now = new Date()) {
    this.permissions.require(actor, COLORBOOK_ANALYTICS)
    const range = dayRange(query, now)
    const { usage } = this.store.repos
    // Week and month rows sit on the day their period starts, which may be before `from`.
    const rows = await usage.daily({ from: isoDay(new Date(Date.parse(range.from) - 31 * DAY_MS)), to: range.to })
    const inRange = rows.filter((row) => row.day >= range.from)
    const active = (type: string, list: DailyRow[]) => list.filter((row) => row.type === type).map((row) => ({ day: row.day, users: row.users }))
    const perDay = (type: string) => inRange.filter((row) => row.type === type).map((row) => ({ day: row.day, count: row.count }))
    const lastDay = isoDay(new Date(Date.parse(range.to) - DAY_MS))
    const [paid, activeMix, rolledUpThrough] = await Promise.all([usage.paidPlanMix(), usage.activePlanMix(range), usage.lastRolledUp()])
    return {
      ...rangeView(range),
      rolledUpThrough,
      activeUsers: {
        daily: active(ACTIVE_TYPES.day, inRange),
        weekly: active(ACTIVE_TYPES.week, rows).filter((row) => Date.parse(row.day) + 7 * DAY_MS > Date.parse(range.from) && row.day <= lastDay),
        monthly: active(ACTIVE_TYPES.month, rows).filter((row) => row.day.slice(0, 7) >= range.from.slice(0, 7) && row.day <= lastDay),
      },
      events: inRange.filter((row) => !row.type.startsWith('active:')),
      projectsCreated: perDay('project.created'),
      templateUsage: perDay('template.used'),
      conversions: perDay('plan.upgraded'),
      planMix: { paidSubscriptions: paid, activeUsers: activeMix },
    }
  }

  /** The job's step: rolls up each day from `from` to `to` (inclusive), replacing earlier results. */
  async rollUp(from: string, to: string = from): Promise<number> {
    let days = 0
    for (let day = Date.parse(from); day <= Date.parse(to); day += DAY_MS) {
      await this.store.transaction((repos) => repos.usage.rollUp(isoDay(new Date(day))))
      days++
    }
    return days
  }
}

export type Dashboard = Awaited<ReturnType<UsageService['dashboard']>>

/** `from` and `to` are inclusive days; default the last 30 days (today included); at most 366 days. */
function dayRange(query: { from?: string; to?: string }, now: Date): DayRange {
  const to = query.to ?? isoDay(now)
  const from = query.from ?? isoDay(new Date(Date.parse(to) - 29 * DAY_MS))
  if (Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) throw new AppError('VALIDATION_FAILED', 'from and to are days (YYYY-MM-DD).', { from, to })
  if (from > to) throw new AppError('VALIDATION_FAILED', 'The range ends before it starts.', { 'query.to': 'must not be before from' })
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > MAX_RANGE_DAYS) throw new AppError('VALIDATION_FAILED', `A range spans at most ${MAX_RANGE_DAYS} days.`, { 'query.from': `at most ${MAX_RANGE_DAYS} days before to` })
  return { from, to: isoDay(new Date(Date.parse(to) + DAY_MS)) }
}

const rangeView = (range: DayRange) => ({ from: range.from, to: isoDay(new Date(Date.parse(range.to) - DAY_MS)) })

/** Batches per minute per account on POST /api/analytics/events (each up to 100 events). */
export const ANALYTICS_EVENTS_PER_MINUTE = 60
