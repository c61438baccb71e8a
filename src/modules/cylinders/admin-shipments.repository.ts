import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { users } from '../../core/users/db/schema.js'
import { cylinderLocations, cylinderShipments, type ShipmentRow } from './db/schema.js'
import type { LocationKind, MoveType } from './domain.js'

export interface AdminShipmentFilters {
  workerId?: string
  type?: MoveType
  locationId?: string
  /** Scanned at or after. */
  from?: Date
  /** Scanned before. */
  to?: Date
}

/** A shipment with who scanned it and where it went (as the location is named now). */
export interface AdminShipmentRow {
  shipment: ShipmentRow
  worker: { id: string; name: string; email: string }
  location: { id: string; name: string; kind: LocationKind } | null
}

/** The position after a page's last row, in the order scannedAt desc, id desc. */
export interface ShipmentPosition {
  scannedAt: Date
  id: string
}

/**
 * Shipments for admins, with the worker (the core users table, read-only) and the location.
 * Newest first on (scanned_at, id): cylinder_shipments_scanned_idx serves the order and the cursor.
 */
export function createAdminShipmentsRepository(db: Db) {
  const select = () =>
    db
      .select({
        shipment: cylinderShipments,
        worker: { id: users.id, name: users.name, email: users.email },
        location: { id: cylinderLocations.id, name: cylinderLocations.name, kind: cylinderLocations.kind },
      })
      .from(cylinderShipments)
      .innerJoin(users, eq(users.id, cylinderShipments.workerId))
      .leftJoin(cylinderLocations, eq(cylinderLocations.id, cylinderShipments.locationId))

  return {
    async list(filters: AdminShipmentFilters, limit: number, after?: ShipmentPosition): Promise<AdminShipmentRow[]> {
      const conditions: (SQL | undefined)[] = [
        filters.workerId ? eq(cylinderShipments.workerId, filters.workerId) : undefined,
        filters.type ? eq(cylinderShipments.type, filters.type) : undefined,
        filters.locationId ? eq(cylinderShipments.locationId, filters.locationId) : undefined,
        filters.from ? gte(cylinderShipments.scannedAt, filters.from) : undefined,
        filters.to ? lt(cylinderShipments.scannedAt, filters.to) : undefined,
        after ? sql`(${cylinderShipments.scannedAt}, ${cylinderShipments.id}) < (${after.scannedAt.toISOString()}::timestamptz, ${after.id}::uuid)` : undefined,
      ]
      return select()
        .where(and(...conditions))
        .orderBy(desc(cylinderShipments.scannedAt), desc(cylinderShipments.id))
        .limit(limit)
    },

    async findById(id: string): Promise<AdminShipmentRow | undefined> {
      const [row] = await select().where(eq(cylinderShipments.id, id))
      return row
    },
  }
}

export type AdminShipmentsRepository = ReturnType<typeof createAdminShipmentsRepository>
