import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import type { UserDirectory } from '../../core/users/directory.js'
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
 * Shipments for admins, with the location and the worker: the worker's name and address come from
 * the platform (`ctx.users.contacts`, one query per page), never from a join with its users table.
 * Newest first on (scanned_at, id): cylinder_shipments_scanned_idx serves the order and the cursor.
 */
export function createAdminShipmentsRepository(db: Db, users: Pick<UserDirectory, 'contacts'>) {
  const select = () =>
    db
      .select({
        shipment: cylinderShipments,
        location: { id: cylinderLocations.id, name: cylinderLocations.name, kind: cylinderLocations.kind },
      })
      .from(cylinderShipments)
      .leftJoin(cylinderLocations, eq(cylinderLocations.id, cylinderShipments.locationId))

  /** Every shipment has a worker (a foreign key to an account id that is never deleted). */
  const withWorkers = async (rows: Omit<AdminShipmentRow, 'worker'>[]): Promise<AdminShipmentRow[]> => {
    const contacts = await users.contacts(rows.map((row) => row.shipment.workerId))
    return rows.map((row) => {
      const id = row.shipment.workerId
      const contact = contacts.get(id)
      return { ...row, worker: contact ? { id, name: contact.name, email: contact.email } : { id, name: 'Unknown user', email: `unknown-${id}@deleted.invalid` } }
    })
  }

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
      return withWorkers(
        await select()
          .where(and(...conditions))
          .orderBy(desc(cylinderShipments.scannedAt), desc(cylinderShipments.id))
          .limit(limit),
      )
    },

    async findById(id: string): Promise<AdminShipmentRow | undefined> {
      const [row] = await withWorkers(await select().where(eq(cylinderShipments.id, id)))
      return row
    },
  }
}

export type AdminShipmentsRepository = ReturnType<typeof createAdminShipmentsRepository>
