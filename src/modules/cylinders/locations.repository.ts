import { eq } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { cylinderLocations, type LocationRow } from './db/schema.js'

export function createLocationsRepository(db: Db) {
  return {
    async findById(id: string): Promise<LocationRow | undefined> {
      const [row] = await db.select().from(cylinderLocations).where(eq(cylinderLocations.id, id))
      return row
    },
  }
}

export type LocationsRepository = ReturnType<typeof createLocationsRepository>
