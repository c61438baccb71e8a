import { and, asc, desc, eq } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { cylinders, cylinderShipmentItems, cylinderShipments, type ShipmentItemRow, type ShipmentRow } from './db/schema.js'

/** An item with the cylinder's identity as it is now (the serial never changes; the code may be reprinted). */
export type ShipmentItem = ShipmentItemRow & { serialNumber: string; qrCode: string }

export function createShipmentsRepository(db: Db) {
  return {
    async insert(shipment: typeof cylinderShipments.$inferInsert, items: readonly ShipmentItemRow[]): Promise<ShipmentRow> {
      const [row] = await db.insert(cylinderShipments).values(shipment).returning()
      // 5 parameters per item: PostgreSQL takes 65,535 per statement, batches stop at 1,000 items.
      if (items.length > 0) await db.insert(cylinderShipmentItems).values([...items])
      return row!
    },

    async findByBatch(workerId: string, clientBatchId: string): Promise<ShipmentRow | undefined> {
      const [row] = await db
        .select()
        .from(cylinderShipments)
        .where(and(eq(cylinderShipments.workerId, workerId), eq(cylinderShipments.clientBatchId, clientBatchId)))
      return row
    },

    async findById(id: string): Promise<ShipmentRow | undefined> {
      const [row] = await db.select().from(cylinderShipments).where(eq(cylinderShipments.id, id))
      return row
    },

    /** The batches a worker scanned, newest first (their data export). */
    async byWorker(workerId: string, limit: number): Promise<ShipmentRow[]> {
      return db.select().from(cylinderShipments).where(eq(cylinderShipments.workerId, workerId)).orderBy(desc(cylinderShipments.scannedAt)).limit(limit)
    },

    async items(shipmentId: string): Promise<ShipmentItem[]> {
      const rows = await db
        .select({ item: cylinderShipmentItems, serialNumber: cylinders.serialNumber, qrCode: cylinders.qrCode })
        .from(cylinderShipmentItems)
        .innerJoin(cylinders, eq(cylinders.id, cylinderShipmentItems.cylinderId))
        .where(eq(cylinderShipmentItems.shipmentId, shipmentId))
        .orderBy(asc(cylinders.serialNumber))
      return rows.map(({ item, serialNumber, qrCode }) => ({ ...item, serialNumber, qrCode }))
    },
  }
}

export type ShipmentsRepository = ReturnType<typeof createShipmentsRepository>
