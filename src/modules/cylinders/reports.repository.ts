import { and, asc, count, desc, eq, gte, inArray, lt, lte, ne, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Db } from '../../core/db/client.js'
import { cylinderEvents, cylinderLocations, cylinders, cylinderShipments } from './db/schema.js'
import type { CylinderStatus, MoveType } from './domain.js'

export type Bucket = 'day' | 'week'

export interface Range {
  from: Date
  /** Exclusive. */
  to: Date
}

export interface ActivityCountRow {
  /** YYYY-MM-DD of the bucket's first day (UTC; weeks start on Monday). */
  bucketStart: string
  type: MoveType
  cylinders: number
}

export interface TurnaroundRow {
  measure: 'return' | 'refill'
  count: number
  averageSeconds: number
}

export interface HoldingRow {
  locationId: string | null
  name: string | null
  sentTo: string | null
  cylinders: number
}

export interface OverdueRow {
  cylinderId: string
  serialNumber: string
  qrCode: string
  locationId: string | null
  locationName: string | null
  sentTo: string | null
  since: Date
}

export interface TestDueRow {
  cylinderId: string
  serialNumber: string
  qrCode: string
  gasType: string
  status: CylinderStatus
  nextTestDue: string
}

const inRange = (column: typeof cylinderShipments.scannedAt | typeof cylinderEvents.at, range: Range) => and(gte(column, range.from), lt(column, range.to))

export function createReportsRepository(db: Db) {
  return {
    /**
     * Cylinders moved per bucket and move type. A batch's item_count is its number of items, so
     * no join with the items is needed; buckets are UTC days or ISO weeks whatever the server's zone.
     */
    async activity(range: Range, bucket: Bucket): Promise<ActivityCountRow[]> {
      // `bucket` is one of two literals: inlined, so SELECT and GROUP BY hold the same expression.
      const bucketStart = sql<string>`to_char(date_trunc('${sql.raw(bucket === 'week' ? 'week' : 'day')}', ${cylinderShipments.scannedAt} at time zone 'UTC'), 'YYYY-MM-DD')`
      return db
        .select({ bucketStart, type: cylinderShipments.type, cylinders: sql<number>`sum(${cylinderShipments.itemCount})::int`.mapWith(Number) })
        .from(cylinderShipments)
        .where(inRange(cylinderShipments.scannedAt, range))
        .groupBy(bucketStart, cylinderShipments.type)
    },

    /**
     * For each return (and found) or refill receipt in the range, the time since the same
     * cylinder's latest ship or refill send before it: a LATERAL lookup per event that walks the
     * (cylinder_id, at) index backwards. Plain PostgreSQL 15.
     */
    async turnaround(range: Range): Promise<TurnaroundRow[]> {
      const previous = alias(cylinderEvents, 'previous')
      const isRefill = sql`${cylinderEvents.type} = 'refill_received'`
      const measure = sql<TurnaroundRow['measure']>`case when ${isRefill} then 'refill' else 'return' end`
      const start = db
        .select({ at: previous.at })
        .from(previous)
        .where(
          and(
            eq(previous.cylinderId, cylinderEvents.cylinderId),
            sql`${previous.type} = case when ${isRefill} then 'refill_sent' else 'shipped' end`,
            lte(previous.at, cylinderEvents.at),
          ),
        )
        .orderBy(desc(previous.at), desc(previous.id))
        .limit(1)
        .as('started')
      return db
        .select({ measure, count: count(), averageSeconds: sql<number>`avg(extract(epoch from ${cylinderEvents.at} - ${start.at}))::float8`.mapWith(Number) })
        .from(cylinderEvents)
        .innerJoinLateral(start, sql`true`)
        .where(and(inArray(cylinderEvents.type, ['returned', 'found', 'refill_received']), inRange(cylinderEvents.at, range)))
        .groupBy(measure)
    },

    /** Cylinders now sent, per customer or free-text destination, most first. */
    async holdings(limit: number): Promise<HoldingRow[]> {
      return db
        .select({ locationId: cylinders.locationId, name: cylinderLocations.name, sentTo: cylinders.sentTo, cylinders: count() })
        .from(cylinders)
        .leftJoin(cylinderLocations, eq(cylinderLocations.id, cylinders.locationId))
        .where(eq(cylinders.status, 'sent'))
        .groupBy(cylinders.locationId, cylinderLocations.id, cylinders.sentTo)
        .orderBy(sql`count(*) desc`, sql`coalesce(${cylinderLocations.name}, ${cylinders.sentTo})`, asc(cylinders.locationId))
        .limit(limit)
    },

    /** Sent before `before` and not back yet, oldest first. */
    async overdueReturns(before: Date, limit: number): Promise<OverdueRow[]> {
      return db
        .select({
          cylinderId: cylinders.id,
          serialNumber: cylinders.serialNumber,
          qrCode: cylinders.qrCode,
          locationId: cylinders.locationId,
          locationName: cylinderLocations.name,
          sentTo: cylinders.sentTo,
          since: cylinders.locationSince,
        })
        .from(cylinders)
        .leftJoin(cylinderLocations, eq(cylinderLocations.id, cylinders.locationId))
        .where(and(eq(cylinders.status, 'sent'), lt(cylinders.locationSince, before)))
        .orderBy(asc(cylinders.locationSince), asc(cylinders.id))
        .limit(limit)
    },

    /** Next test due on or before `by` (YYYY-MM-DD), trashed ones left out, soonest first. */
    async testsDue(by: string, limit: number): Promise<TestDueRow[]> {
      const rows = await db
        .select({
          cylinderId: cylinders.id,
          serialNumber: cylinders.serialNumber,
          qrCode: cylinders.qrCode,
          gasType: cylinders.gasType,
          status: cylinders.status,
          nextTestDue: cylinders.nextTestDue,
        })
        .from(cylinders)
        .where(and(lte(cylinders.nextTestDue, by), ne(cylinders.status, 'trashed')))
        .orderBy(asc(cylinders.nextTestDue), asc(cylinders.serialNumber))
        .limit(limit)
      // `lte` leaves out null dates; the type does not know that.
      return rows.map((row) => ({ ...row, nextTestDue: row.nextTestDue! }))
    },
  }
}

export type ReportsRepository = ReturnType<typeof createReportsRepository>
