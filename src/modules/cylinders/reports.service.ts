import type { Actor } from '../../core/access/actor.js'
import { AppError } from '../../core/errors/app-error.js'
import { dayIn, isoDay } from './domain.js'
import { CYLINDERS_REPORTS, type CylinderAccess } from './permissions.js'
import type { Bucket, HoldingRow, OverdueRow, Range, ReportsRepository, TestDueRow, TurnaroundRow } from './reports.repository.js'
import type { ReportName } from './reports.schemas.js'

const DAY_MS = 86_400_000
/** A year of day buckets at most, leap years included: bounded work and a bounded answer. */
export const MAX_SPAN_DAYS = 366
/** Lists stop here: a screen or a spreadsheet, not an export of the whole table. */
export const REPORT_ROW_LIMIT = 500
const DEFAULT_RANGE_DAYS = 30
const DEFAULT_OVERDUE_DAYS = 30
const DEFAULT_DUE_WITHIN_DAYS = 30

export interface ReportsQuery {
  from?: string
  to?: string
  bucket?: Bucket
  days?: number
  dueWithinDays?: number
}

export interface ReportParams {
  range: Range
  bucket: Bucket
  overdueDays: number
  dueWithinDays: number
  now: Date
}

export interface ActivityBucket {
  bucketStart: string
  ship: number
  return: number
  refill_send: number
  refill_receive: number
}

export interface Turnaround {
  averageHours: number | null
  count: number
}

export interface TurnaroundReport {
  sentToReturned: Turnaround
  refillSendToReceive: Turnaround
}

export type OverdueReturn = Omit<OverdueRow, 'since'> & { since: string; days: number }

export interface Reports {
  from: string
  to: string
  bucket: Bucket
  activity: ActivityBucket[]
  turnaround: TurnaroundReport
  holdings: HoldingRow[]
  overdueReturns: OverdueReturn[]
  testsDue: TestDueRow[]
}

/** One report, named as in `?report=`, for a CSV download. */
export type ReportSection =
  | { name: 'activity'; rows: ActivityBucket[] }
  | { name: 'turnaround'; rows: TurnaroundReport }
  | { name: 'holdings'; rows: HoldingRow[] }
  | { name: 'overdue-returns'; rows: OverdueReturn[] }
  | { name: 'tests-due'; rows: TestDueRow[] }

/**
 * The admin reports: movement over a range, and the state of things now (holdings, overdue, tests),
 * for holders of cylinders:reports. `params` only reads the query, so it takes no actor.
 */
export class ReportsService {
  constructor(
    private readonly access: CylinderAccess,
    private readonly repository: ReportsRepository,
    /** The depot's time zone: "today" for tests due. */
    private readonly timeZone = 'UTC',
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Resolves defaults and checks the range: bad input is 400 VALIDATION_FAILED naming the field. */
  params(query: ReportsQuery): ReportParams {
    const now = this.now()
    const to = query.to === undefined ? now : parseBound(query.to, 'to')
    // By default the 30 UTC days up to and including to's day, so every day bucket is whole.
    const from = query.from === undefined ? new Date(startOfDay(new Date(to.getTime() - 1)).getTime() - (DEFAULT_RANGE_DAYS - 1) * DAY_MS) : parseBound(query.from, 'from')
    if (from.getTime() >= to.getTime()) throw invalid('from must be before to.', { 'query.from': 'must be before to' })
    if (to.getTime() - from.getTime() > MAX_SPAN_DAYS * DAY_MS) {
      throw invalid(`The range may span at most ${MAX_SPAN_DAYS} days.`, { 'query.to': `must be at most ${MAX_SPAN_DAYS} days after from` })
    }
    return {
      range: { from, to },
      bucket: query.bucket ?? 'day',
      overdueDays: query.days ?? DEFAULT_OVERDUE_DAYS,
      dueWithinDays: query.dueWithinDays ?? DEFAULT_DUE_WITHIN_DAYS,
      now,
    }
  }

  async all(actor: Actor, query: ReportsQuery): Promise<Reports> {
    this.access.require(actor, CYLINDERS_REPORTS)
    const params = this.params(query)
    const [activity, turnaround, holdings, overdueReturns, testsDue] = await Promise.all([
      this.activity(params),
      this.turnaround(params),
      this.repository.holdings(REPORT_ROW_LIMIT),
      this.overdueReturns(params),
      this.testsDue(params),
    ])
    const { from, to } = params.range
    return { from: from.toISOString(), to: to.toISOString(), bucket: params.bucket, activity, turnaround, holdings, overdueReturns, testsDue }
  }

  async section(actor: Actor, name: ReportName, params: ReportParams): Promise<ReportSection> {
    this.access.require(actor, CYLINDERS_REPORTS)
    switch (name) {
      case 'activity':
        return { name, rows: await this.activity(params) }
      case 'turnaround':
        return { name, rows: await this.turnaround(params) }
      case 'holdings':
        return { name, rows: await this.repository.holdings(REPORT_ROW_LIMIT) }
      case 'overdue-returns':
        return { name, rows: await this.overdueReturns(params) }
      case 'tests-due':
        return { name, rows: await this.testsDue(params) }
    }
  }

  /** Every bucket of the range, zeros included, so a chart needs no gap filling. */
  private async activity({ range, bucket }: ReportParams): Promise<ActivityBucket[]> {
    const counts = new Map<string, ActivityBucket>()
    for (const bucketStart of bucketStarts(range, bucket)) counts.set(bucketStart, { bucketStart, ship: 0, return: 0, refill_send: 0, refill_receive: 0 })
    for (const row of await this.repository.activity(range, bucket)) {
      const entry = counts.get(row.bucketStart)
      if (entry) entry[row.type] += row.cylinders
    }
    return [...counts.values()]
  }

  private async turnaround({ range }: ReportParams): Promise<TurnaroundReport> {
    const rows = await this.repository.turnaround(range)
    const of = (measure: TurnaroundRow['measure']): Turnaround => {
      const row = rows.find((r) => r.measure === measure)
      return row && row.count > 0 ? { averageHours: Math.round((row.averageSeconds / 3600) * 100) / 100, count: row.count } : { averageHours: null, count: 0 }
    }
    return { sentToReturned: of('return'), refillSendToReceive: of('refill') }
  }

  private async overdueReturns({ now, overdueDays }: ReportParams): Promise<OverdueReturn[]> {
    const rows = await this.repository.overdueReturns(new Date(now.getTime() - overdueDays * DAY_MS), REPORT_ROW_LIMIT)
    return rows.map((row) => ({ ...row, since: row.since.toISOString(), days: Math.floor((now.getTime() - row.since.getTime()) / DAY_MS) }))
  }

  private async testsDue({ now, dueWithinDays }: ReportParams): Promise<TestDueRow[]> {
    return this.repository.testsDue(dayIn(new Date(now.getTime() + dueWithinDays * DAY_MS), this.timeZone), REPORT_ROW_LIMIT)
  }
}

/** `<report>-<first day>-<last day>.csv`: the days the range covers, `to` being exclusive. */
export const csvFileName = (name: ReportName, { from, to }: Range): string => `${name}-${isoDay(from)}-${isoDay(new Date(to.getTime() - 1))}.csv`

/**
 * A day is its UTC midnight; as `to` it includes that whole day. The schema has checked the shape;
 * the calendar is checked here (JavaScript would roll 2024-02-30 over to March).
 */
function parseBound(text: string, field: 'from' | 'to'): Date {
  const day = text.slice(0, 10)
  const midnight = new Date(`${day}T00:00:00.000Z`)
  const at = text.length === 10 ? midnight : new Date(text)
  if (Number.isNaN(at.getTime()) || Number.isNaN(midnight.getTime()) || isoDay(midnight) !== day) {
    throw invalid(`${field} is not a valid date.`, { [`query.${field}`]: 'is not a valid date' })
  }
  return text.length === 10 && field === 'to' ? new Date(at.getTime() + DAY_MS) : at
}

function bucketStarts(range: Range, bucket: Bucket): string[] {
  const step = bucket === 'week' ? 7 * DAY_MS : DAY_MS
  const starts: string[] = []
  for (let t = (bucket === 'week' ? startOfWeek : startOfDay)(range.from).getTime(); t < range.to.getTime(); t += step) starts.push(isoDay(new Date(t)))
  return starts
}

const startOfDay = (at: Date): Date => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()))

/** Monday of the ISO week, as PostgreSQL's date_trunc('week') has it. */
const startOfWeek = (at: Date): Date => new Date(startOfDay(at).getTime() - ((at.getUTCDay() + 6) % 7) * DAY_MS)

const invalid = (message: string, details: Record<string, string>): AppError => new AppError('VALIDATION_FAILED', message, details)
