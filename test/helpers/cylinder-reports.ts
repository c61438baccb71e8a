import { randomInt } from 'node:crypto'
import { eq } from 'drizzle-orm'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { newId } from '../../src/core/db/columns.js'
import { cylinderEvents, cylinders, cylinderShipmentItems, cylinderShipments } from '../../src/modules/cylinders/db/schema.js'
import type { CylinderEventType, MoveType } from '../../src/modules/cylinders/domain.js'
import type { TestUser } from './auth.js'
import type { TestCylinder } from './cylinders.js'

export const DAY_MS = 86_400_000

export const reportsRequest = (app: FastifyInstance, user: TestUser | undefined, query: Record<string, string | number> = {}): Promise<LightMyRequestResponse> =>
  app.inject({ url: '/api/admin/reports', query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])), ...(user ? { headers: user.headers } : {}) })

export interface PastWindow {
  /** YYYY-MM-DD, `n` days after the window's Monday. */
  day: (n: number) => string
  /** ISO time, `n` days (and `hours`) after the window's Monday, midnight UTC. */
  at: (n: number, hours?: number) => string
}

/**
 * Days from a random Monday between the years 1000 and 1958, where no other test (nor an earlier
 * run on the same database) has batches or history: reports over it can assert exact numbers.
 * 1000-01-06 was a Monday in the proleptic Gregorian calendar PostgreSQL and JavaScript both use.
 */
export function pastWindow(): PastWindow {
  const monday = Date.UTC(1000, 0, 6) + randomInt(0, 50_000) * 7 * DAY_MS
  return {
    day: (n) => new Date(monday + n * DAY_MS).toISOString().slice(0, 10),
    at: (n, hours = 0) => new Date(monday + n * DAY_MS + hours * 3_600_000).toISOString(),
  }
}

/**
 * A batch stored directly, at any time (the API takes scans from the last 7 days only).
 */
export async function insertShipment(app: FastifyInstance, worker: TestUser, type: MoveType, at: string, items: readonly TestCylinder[]): Promise<void> {
  const db = app.platform.database.db
  const id = newId()
  await db.insert(cylinderShipments).values({ id, type, workerId: worker.id, requestHash: `test-${id}`, scannedAt: new Date(at), itemCount: items.length })
  await db.insert(cylinderShipmentItems).values(items.map((c) => ({ shipmentId: id, cylinderId: c.id, fromStatus: 'available' as const, toStatus: 'sent' as const })))
}

/** A history event at an exact time. */
export async function insertEvent(app: FastifyInstance, cylinder: TestCylinder, type: CylinderEventType, at: string): Promise<void> {
  await app.platform.database.db.insert(cylinderEvents).values({ id: newId(), cylinderId: cylinder.id, type, at: new Date(at) })
}

/** Moves a cylinder's arrival time back, as if it had been where it is for that long. */
export async function setLocationSince(app: FastifyInstance, cylinder: TestCylinder, since: Date): Promise<void> {
  await app.platform.database.db.update(cylinders).set({ locationSince: since }).where(eq(cylinders.id, cylinder.id))
}
