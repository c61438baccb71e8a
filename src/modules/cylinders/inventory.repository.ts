import { count, eq } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { cylinderLocations, cylinders } from './db/schema.js'
import type { CylinderStatus, LocationKind } from './domain.js'

/** Cylinders counted per gas type, status and place (a location, a free-text sentTo, or the depot). */
export interface InventoryCountRow {
  gasType: string
  status: CylinderStatus
  locationId: string | null
  locationName: string | null
  locationKind: LocationKind | null
  sentTo: string | null
  cylinders: number
}

export function createInventoryRepository(db: Db) {
  return {
    /**
     * One statement, so every figure of the inventory comes from the same snapshot: totals, gas
     * types and places always add up, even while batches commit. The result is small (gas types ×
     * statuses × places), so the service adds it up.
     */
    async counts(): Promise<InventoryCountRow[]> {
      return db
        .select({
          gasType: cylinders.gasType,
          status: cylinders.status,
          locationId: cylinders.locationId,
          locationName: cylinderLocations.name,
          locationKind: cylinderLocations.kind,
          sentTo: cylinders.sentTo,
          cylinders: count(),
        })
        .from(cylinders)
        .leftJoin(cylinderLocations, eq(cylinderLocations.id, cylinders.locationId))
        // The location's name and kind depend on its id (primary key), so grouping by it is enough.
        .groupBy(cylinders.gasType, cylinders.status, cylinders.locationId, cylinders.sentTo, cylinderLocations.id)
    },
  }
}

export type InventoryRepository = ReturnType<typeof createInventoryRepository>
