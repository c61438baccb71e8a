import { and, asc, eq, ilike, ne, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { cylinderLocations, cylinders, cylinderShipments, type LocationRow } from './db/schema.js'
import type { LocationKind } from './domain.js'
import { containsPattern } from '../../core/db/columns.js'

export interface LocationFilters {
  kind?: LocationKind
  active?: boolean
  /** The name contains this (case-insensitive). */
  q?: string
}

/** The position after a page's last row: its name (compared lower-cased, as the unique key) and id. */
export interface LocationPosition {
  name: string
  id: string
}

export type NewLocationRow = typeof cylinderLocations.$inferInsert
export type LocationChanges = Partial<Pick<NewLocationRow, 'name' | 'kind' | 'contactName' | 'phone' | 'email' | 'address' | 'notes' | 'active'>>

const sortKey = sql`lower(${cylinderLocations.name})`

export function createLocationsRepository(db: Db) {
  return {
    async findById(id: string): Promise<LocationRow | undefined> {
      const [row] = await db.select().from(cylinderLocations).where(eq(cylinderLocations.id, id))
      return row
    },

    /** Locks the row for an edit. Call inside a transaction. */
    async lock(id: string): Promise<LocationRow | undefined> {
      const [row] = await db.select().from(cylinderLocations).where(eq(cylinderLocations.id, id)).for('update')
      return row
    },

    /** Holds the row as it is (a shipment reads its kind and `active`) until the transaction ends. */
    async lockShared(id: string): Promise<LocationRow | undefined> {
      const [row] = await db.select().from(cylinderLocations).where(eq(cylinderLocations.id, id)).for('share')
      return row
    },

    /** By name A–Z (as the unique index sorts it), so a picker pages through a stable order. */
    async list(filters: LocationFilters, limit: number, after?: LocationPosition): Promise<LocationRow[]> {
      const conditions: (SQL | undefined)[] = [
        filters.kind ? eq(cylinderLocations.kind, filters.kind) : undefined,
        filters.active === undefined ? undefined : eq(cylinderLocations.active, filters.active),
        filters.q ? ilike(cylinderLocations.name, containsPattern(filters.q)) : undefined,
        after ? sql`(${sortKey}, ${cylinderLocations.id}) > (lower(${after.name}), ${after.id}::uuid)` : undefined,
      ]
      return db
        .select()
        .from(cylinderLocations)
        .where(and(...conditions))
        .orderBy(asc(sortKey), asc(cylinderLocations.id))
        .limit(limit)
    },

    async insert(values: NewLocationRow): Promise<LocationRow> {
      const [row] = await db.insert(cylinderLocations).values(values).returning()
      return row!
    },

    /** Applies `changes` when the row is still at `version`; undefined when it is not (or is gone). */
    async update(id: string, version: number, changes: LocationChanges): Promise<LocationRow | undefined> {
      const [row] = await db
        .update(cylinderLocations)
        .set({ ...changes, version: sql`${cylinderLocations.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(cylinderLocations.id, id), eq(cylinderLocations.version, version)))
        .returning()
      return row
    },

    /** False when there was no such row. References make it throw a foreign-key violation. */
    async delete(id: string): Promise<boolean> {
      const rows = await db.delete(cylinderLocations).where(eq(cylinderLocations.id, id)).returning({ id: cylinderLocations.id })
      return rows.length > 0
    },

    /** Cylinders there now (trashed ones aside) and shipments to it: both counts use indexes. */
    async usage(id: string): Promise<{ cylinders: number; shipments: number }> {
      const [there] = await db
        .select({ count: sql<number>`count(*)::int` })
        .from(cylinders)
        .where(and(eq(cylinders.locationId, id), ne(cylinders.status, 'trashed')))
      const [shipped] = await db.select({ count: sql<number>`count(*)::int` }).from(cylinderShipments).where(eq(cylinderShipments.locationId, id))
      return { cylinders: there?.count ?? 0, shipments: shipped?.count ?? 0 }
    },
  }
}

export type LocationsRepository = ReturnType<typeof createLocationsRepository>
