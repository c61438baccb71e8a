import { and, asc, desc, eq, ilike, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { containsPattern, newId } from '../../core/db/columns.js'
import type { CylinderStatus } from './domain.js'
import { cylinderEvents, cylinderRetiredCodes, cylinders, type CylinderEventRow, type CylinderRow, type NewCylinderRow } from './db/schema.js'

export interface CylinderFilters {
  status?: CylinderStatus
  locationId?: string
  gasType?: string
  /** Next test due on or before this day (YYYY-MM-DD). */
  testDueBefore?: string
  /** Serial number, QR code, gas type, owner or notes contain this (case-insensitive). */
  q?: string
}

export type NewEvent = Omit<CylinderEventRow, 'id' | 'at' | 'reason' | 'shipmentId' | 'locationId' | 'data' | 'fromStatus' | 'toStatus' | 'actorId'> &
  Partial<Pick<CylinderEventRow, 'at' | 'reason' | 'shipmentId' | 'locationId' | 'data' | 'fromStatus' | 'toStatus' | 'actorId'>>

/** What a move or action sets on every cylinder it changes. */
export type Placement = Pick<NewCylinderRow, 'status'> & Partial<Pick<NewCylinderRow, 'locationId' | 'sentTo' | 'locationSince' | 'lastTestOn' | 'nextTestDue'>>

/** Rows per INSERT: ~12 parameters each, far below PostgreSQL's 65,535. */
const CHUNK = 1000


export function createCylindersRepository(db: Db) {
  // GET /api/cylinders/:id (and every edit's read) runs this: its SQL is built once per repository,
  // not per request; Drizzle building it again was ~15% of that route's CPU profile.
  let byId: { execute(values: { id: string }): Promise<CylinderRow[]> } | undefined
  const findByIdPrepared = () => (byId ??= db.select().from(cylinders).where(eq(cylinders.id, sql.placeholder('id'))).limit(1).prepare('cylinders_find_by_id'))

  return {
    /** In statements of CHUNK rows: PostgreSQL takes at most 65,535 parameters per statement. */
    async insertMany(rows: NewCylinderRow[]): Promise<CylinderRow[]> {
      const inserted: CylinderRow[] = []
      for (let i = 0; i < rows.length; i += CHUNK) inserted.push(...(await db.insert(cylinders).values(rows.slice(i, i + CHUNK)).returning()))
      return inserted
    },

    async findById(id: string): Promise<CylinderRow | undefined> {
      const [row] = await findByIdPrepared().execute({ id })
      return row
    },

    async findByIds(ids: readonly string[]): Promise<CylinderRow[]> {
      return ids.length === 0 ? [] : db.select().from(cylinders).where(inArray(cylinders.id, [...ids]))
    },

    async findByCode(qrCode: string): Promise<CylinderRow | undefined> {
      const [row] = await db.select().from(cylinders).where(eq(cylinders.qrCode, qrCode))
      return row
    },

    /** Locks the cylinders (in id order, so concurrent batches cannot deadlock). Call inside a transaction. */
    async lock(by: 'qrCode' | 'id', refs: readonly string[]): Promise<CylinderRow[]> {
      if (refs.length === 0) return []
      const column = by === 'id' ? cylinders.id : cylinders.qrCode
      return db.select().from(cylinders).where(inArray(column, [...refs])).orderBy(asc(cylinders.id)).for('update')
    },

    /** The subset of `codes` that reprints retired. */
    async retiredCodes(codes: readonly string[]): Promise<Set<string>> {
      if (codes.length === 0) return new Set()
      const rows = await db.select({ qrCode: cylinderRetiredCodes.qrCode }).from(cylinderRetiredCodes).where(inArray(cylinderRetiredCodes.qrCode, [...codes]))
      return new Set(rows.map((row) => row.qrCode))
    },

    async isRetired(code: string): Promise<boolean> {
      return (await this.retiredCodes([code])).size > 0
    },

    /** Moves every cylinder in `ids` to one placement; returns them as they are afterwards. */
    async place(ids: readonly string[], placement: Placement): Promise<CylinderRow[]> {
      if (ids.length === 0) return []
      return db
        .update(cylinders)
        .set({ ...placement, version: sql`${cylinders.version} + 1`, updatedAt: sql`now()` })
        .where(inArray(cylinders.id, [...ids]))
        .returning()
    },

    /** Applies `changes` when the row is still at `version`; undefined when it is not (or is gone). */
    async update(id: string, version: number, changes: Partial<NewCylinderRow>): Promise<CylinderRow | undefined> {
      const [row] = await db
        .update(cylinders)
        .set({ ...changes, version: sql`${cylinders.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(cylinders.id, id), eq(cylinders.version, version)))
        .returning()
      return row
    },

    async retireCode(qrCode: string, cylinderId: string): Promise<void> {
      await db.insert(cylinderRetiredCodes).values({ qrCode, cylinderId })
    },

    async insertEvents(events: readonly NewEvent[]): Promise<void> {
      for (let i = 0; i < events.length; i += CHUNK) {
        await db.insert(cylinderEvents).values(events.slice(i, i + CHUNK).map((event) => ({ id: newId(), ...event })))
      }
    },

    /** Newest first by id (time-ordered), `after` the last id of the previous page. */
    async list(filters: CylinderFilters, limit: number, after?: string): Promise<CylinderRow[]> {
      const conditions: (SQL | undefined)[] = [
        filters.status ? eq(cylinders.status, filters.status) : undefined,
        filters.locationId ? eq(cylinders.locationId, filters.locationId) : undefined,
        filters.gasType ? sql`lower(${cylinders.gasType}) = lower(${filters.gasType})` : undefined,
        filters.testDueBefore ? lte(cylinders.nextTestDue, filters.testDueBefore) : undefined,
        after ? lt(cylinders.id, after) : undefined,
      ]
      if (filters.q) {
        const pattern = containsPattern(filters.q)
        // A QR code matches only whole: a substring search would let anyone with read access try codes in bulk.
        conditions.push(or(ilike(cylinders.serialNumber, pattern), eq(cylinders.qrCode, filters.q), ilike(cylinders.gasType, pattern), ilike(cylinders.owner, pattern), ilike(cylinders.notes, pattern)))
      }
      return db
        .select()
        .from(cylinders)
        .where(and(...conditions))
        .orderBy(desc(cylinders.id))
        .limit(limit)
    },

    /** Oldest first, by (at, id): the order things happened, offline scans at their scan time. */
    async history(cylinderId: string, limit: number, after?: { at: Date; id: string }): Promise<CylinderEventRow[]> {
      return db
        .select()
        .from(cylinderEvents)
        .where(and(eq(cylinderEvents.cylinderId, cylinderId), after ? sql`(${cylinderEvents.at}, ${cylinderEvents.id}) > (${after.at.toISOString()}::timestamptz, ${after.id}::uuid)` : undefined))
        .orderBy(asc(cylinderEvents.at), asc(cylinderEvents.id))
        .limit(limit)
    },

    async bySerialNumbers(serials: readonly string[]): Promise<CylinderRow[]> {
      if (serials.length === 0) return []
      return db
        .select()
        .from(cylinders)
        .where(inArray(sql`lower(${cylinders.serialNumber})`, serials.map((s) => s.toLowerCase())))
    },
  }
}

export type CylindersRepository = ReturnType<typeof createCylindersRepository>
