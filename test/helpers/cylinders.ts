import { randomUUID } from 'node:crypto'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { and, count, eq } from 'drizzle-orm'
import jsqr from 'jsqr'
import sharp from 'sharp'
import { expect } from 'vitest'
import { newId } from '../../src/core/db/columns.js'
import { cylinderLocations, cylinderShipments } from '../../src/modules/cylinders/db/schema.js'
import type { TestUser } from './auth.js'

export interface TestCylinder {
  id: string
  serialNumber: string
  qrCode: string
  status: string
  gasType: string
  locationId: string | null
  sentTo: string | null
  nextTestDue: string | null
  version: number
  [key: string]: unknown
}

export interface TestShipment {
  id: string
  type: string
  count: number
  clientBatchId: string | null
  items: { cylinderId: string; serialNumber: string; qrCode: string; fromStatus: string; toStatus: string }[]
  [key: string]: unknown
}

/** A serial number no other test uses. */
export const uniqueSerial = (prefix = 'SN'): string => `${prefix}-${randomUUID().slice(0, 13)}`

/** `YYYY-MM-DD`, `days` from today (UTC). */
export const dayFromToday = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10)

/** Adds `count` cylinders through the API (as an admin); overrides apply to every one. */
export async function addCylinders(app: FastifyInstance, admin: TestUser, count = 1, overrides: Record<string, unknown> = {}): Promise<TestCylinder[]> {
  const cylinders = Array.from({ length: count }, () => ({ serialNumber: uniqueSerial(), gasType: 'CO2', capacityLiters: 50, nextTestDue: dayFromToday(365), ...overrides }))
  const response = await app.inject({ method: 'POST', url: '/api/cylinders/add', headers: admin.headers, payload: { cylinders } })
  expect(response.statusCode, response.body).toBe(201)
  return response.json<{ items: TestCylinder[] }>().items
}

export type MovePath = 'ship' | 'return' | 'refill/send' | 'refill/receive' | 'trash' | 'quarantine' | 'release' | 'lost'

export const post = (app: FastifyInstance, user: TestUser, path: string, payload: unknown): Promise<LightMyRequestResponse> =>
  app.inject({ method: 'POST', url: `/api/cylinders/${path}`, headers: user.headers, payload: payload as Record<string, unknown> })

/** Runs a move that must succeed (201) and returns the shipment. */
export async function moved(app: FastifyInstance, user: TestUser, path: MovePath, payload: Record<string, unknown>): Promise<TestShipment> {
  const response = await post(app, user, path, payload)
  expect(response.statusCode, response.body).toBe(201)
  return response.json<TestShipment>()
}

/** A location inserted directly (the admin API is tested on its own). */
export async function createLocation(app: FastifyInstance, kind: 'customer' | 'refill_station', name = `${kind} ${randomUUID().slice(0, 8)}`): Promise<{ id: string; name: string }> {
  const [row] = await app.platform.database.db.insert(cylinderLocations).values({ id: newId(), name, kind }).returning()
  return { id: row!.id, name: row!.name }
}

export async function getCylinder(app: FastifyInstance, user: TestUser, id: string): Promise<TestCylinder> {
  const response = await app.inject({ url: `/api/cylinders/${id}`, headers: user.headers })
  expect(response.statusCode, response.body).toBe(200)
  return response.json<TestCylinder>()
}

/** Walks a cylinder through the cycle to `status` (as an admin), from available. */
export async function bringTo(app: FastifyInstance, admin: TestUser, cylinder: TestCylinder, status: 'sent' | 'returned' | 'in_refill' | 'lost' | 'quarantined' | 'trashed'): Promise<void> {
  const ids = { cylinderIds: [cylinder.id] }
  const customer = await createLocation(app, 'customer')
  const station = await createLocation(app, 'refill_station')
  if (status === 'quarantined') return void (await expectOk(post(app, admin, 'quarantine', { ...ids, reason: 'dented' })))
  if (status === 'trashed') return void (await expectOk(post(app, admin, 'trash', { ...ids, reason: 'scrapped' })))
  await moved(app, admin, 'ship', { ...ids, locationId: customer.id })
  if (status === 'sent') return
  if (status === 'lost') return void (await expectOk(post(app, admin, 'lost', ids)))
  await moved(app, admin, 'return', ids)
  if (status === 'returned') return
  await moved(app, admin, 'refill/send', { ...ids, locationId: station.id })
}

async function expectOk(response: Promise<LightMyRequestResponse>): Promise<void> {
  const r = await response
  expect(r.statusCode, r.body).toBe(200)
}

export async function archiveLocation(app: FastifyInstance, id: string): Promise<void> {
  await app.platform.database.db.update(cylinderLocations).set({ active: false }).where(eq(cylinderLocations.id, id))
}

/** Shipments stored under a clientBatchId (any worker). */
export async function shipmentCount(app: FastifyInstance, clientBatchId: string): Promise<number> {
  const [row] = await app.platform.database.db.select({ n: count() }).from(cylinderShipments).where(and(eq(cylinderShipments.clientBatchId, clientBatchId)))
  return row!.n
}

export interface TestLocation {
  id: string
  name: string
  kind: 'customer' | 'refill_station'
  contactName: string | null
  phone: string | null
  email: string | null
  address: string | null
  notes: string | null
  active: boolean
  version: number
  createdAt: string
  updatedAt: string
}

/** Creates a location through POST /api/cylinders/locations (as an admin); must answer 201. */
export async function createLocationViaApi(app: FastifyInstance, admin: TestUser, body: Record<string, unknown> = {}): Promise<TestLocation> {
  const payload = { name: `Location ${randomUUID().slice(0, 8)}`, kind: 'customer', ...body }
  const response = await app.inject({ method: 'POST', url: '/api/cylinders/locations', headers: admin.headers, payload })
  expect(response.statusCode, response.body).toBe(201)
  return response.json<TestLocation>()
}

/** What a QR image (PNG, SVG or any format sharp reads) encodes, read as a phone would; undefined when unreadable. */
export async function decodeQr(image: Buffer): Promise<string | undefined> {
  const { data, info } = await sharp(image).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  // jsqr is CommonJS with an ES-style default: `.default` is what its types describe.
  return jsqr.default(new Uint8ClampedArray(data), info.width, info.height)?.data
}
