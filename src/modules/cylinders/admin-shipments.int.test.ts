import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addCylinders, createLocation, dayFromToday, moved, type TestCylinder, type TestShipment } from '../../../test/helpers/cylinders.js'

const app = useTestApp()
let admin: TestUser

beforeAll(async () => {
  admin = await loginAs(app(), 'admin')
})

interface AdminShipment {
  id: string
  type: string
  locationId: string | null
  sentTo: string | null
  workerId: string
  scannedAt: string
  count: number
  worker: { id: string; name: string; email: string }
  location: { id: string; name: string; kind: string } | null
  items?: unknown[]
}

const URL = '/api/admin/shipments'
/** As the admin by default; `null` sends no token. */
const get = (url: string, as: TestUser | null = admin) => app().inject({ url, ...(as ? { headers: as.headers } : {}) })
const list = async (query: string) => {
  const response = await get(`${URL}?${query}`)
  expect(response.statusCode, response.body).toBe(200)
  return response.json<{ items: AdminShipment[]; nextCursor: string | null }>()
}
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString()
const ids = (items: { id: string }[]) => items.map((s) => s.id)

/**
 * A fresh worker's three batches: a ship to a customer (3 h ago), a ship to a free-text place
 * (2 h ago) and the return of the first cylinder (1 h ago).
 */
async function threeBatches() {
  const worker = await loginAs(app(), 'worker')
  const customer = await createLocation(app(), 'customer')
  const [a, b] = (await addCylinders(app(), admin, 2)) as [TestCylinder, TestCylinder]
  const toCustomer = await moved(app(), worker, 'ship', { cylinderIds: [a.id], locationId: customer.id, scannedAt: ago(180) })
  const toPlace = await moved(app(), worker, 'ship', { cylinderIds: [b.id], sentTo: 'Fair booth 12', scannedAt: ago(120) })
  const back = await moved(app(), worker, 'return', { cylinderIds: [a.id], scannedAt: ago(60) })
  return { worker, customer, toCustomer, toPlace, back, cylinder: a }
}

describe('GET /api/admin/shipments', () => {
  it("lists batches newest first with the worker and the location, without items", async () => {
    const { worker, customer, toCustomer, toPlace, back } = await threeBatches()
    const page = await list(`workerId=${worker.id}`)
    expect(ids(page.items)).toEqual([back.id, toPlace.id, toCustomer.id])
    expect(page.nextCursor).toBeNull()
    const workerView = { id: worker.id, name: 'Test User', email: worker.email }
    expect(page.items[2]).toEqual({
      id: toCustomer.id,
      type: 'ship',
      locationId: customer.id,
      sentTo: null,
      workerId: worker.id,
      clientBatchId: null,
      scannedAt: toCustomer.scannedAt,
      notes: null,
      count: 1,
      createdAt: expect.any(String),
      worker: workerView,
      location: { id: customer.id, name: customer.name, kind: 'customer' },
    })
    expect(page.items[1]).toMatchObject({ sentTo: 'Fair booth 12', location: null, worker: workerView })
    expect(page.items[0]).toMatchObject({ type: 'return', location: null })
  })

  it('filters by worker, type, location and scannedAt range [from, to)', async () => {
    const { worker, customer, toCustomer, toPlace, back } = await threeBatches()
    const other = await threeBatches()
    const of = async (query: string) => ids((await list(query)).items)
    expect(await of(`workerId=${worker.id}&type=ship`)).toEqual([toPlace.id, toCustomer.id])
    expect(await of(`workerId=${worker.id}&type=return`)).toEqual([back.id])
    expect(await of(`workerId=${worker.id}&type=refill_send`)).toEqual([])
    expect(await of(`locationId=${customer.id}`)).toEqual([toCustomer.id])
    expect(await of(`locationId=${other.customer.id}&workerId=${worker.id}`)).toEqual([])

    const mine = `workerId=${worker.id}`
    const at = (s: TestShipment) => encodeURIComponent(String(s.scannedAt))
    expect(await of(`${mine}&from=${at(toPlace)}`)).toEqual([back.id, toPlace.id])
    expect(await of(`${mine}&to=${at(toPlace)}`)).toEqual([toCustomer.id])
    expect(await of(`${mine}&from=${at(toCustomer)}&to=${at(back)}`)).toEqual([toPlace.id, toCustomer.id])
    expect(await of(`${mine}&from=${encodeURIComponent(ago(150).replace('Z', '+00:00'))}`)).toEqual([back.id, toPlace.id])
    expect(await of(`${mine}&from=${dayFromToday(-8)}&to=${dayFromToday(1)}`)).toEqual([back.id, toPlace.id, toCustomer.id])
    expect(await of(`${mine}&to=${dayFromToday(-8)}`)).toEqual([])
  })

  it('pages through every batch exactly once, ties on scannedAt broken by id', async () => {
    const worker = await loginAs(app(), 'worker')
    const customer = await createLocation(app(), 'customer')
    const cylinders = await addCylinders(app(), admin, 7)
    const same = ago(30)
    const times = [ago(50), same, ago(10), same, ago(40), same, ago(20)]
    const shipped: TestShipment[] = []
    for (const [i, cylinder] of cylinders.entries()) {
      shipped.push(await moved(app(), worker, 'ship', { cylinderIds: [cylinder.id], locationId: customer.id, scannedAt: times[i] }))
    }
    const expected = [...shipped].sort((x, y) => String(y.scannedAt).localeCompare(String(x.scannedAt)) || y.id.localeCompare(x.id))

    const seen: AdminShipment[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page = await list(`workerId=${worker.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.items.length).toBeLessThanOrEqual(2)
      seen.push(...page.items)
      cursor = page.nextCursor
      pages++
    } while (cursor)
    expect(pages).toBe(4)
    expect(ids(seen)).toEqual(ids(expected))
    expect(new Set(ids(seen)).size).toBe(7)
  })

  it('refuses bad cursors (400 INVALID_CURSOR)', async () => {
    const { worker } = await threeBatches()
    const { nextCursor } = await list(`workerId=${worker.id}&limit=1`)
    const locations = (await get('/api/cylinders/locations?limit=1')).json<{ nextCursor: string | null }>()
    const forged = (value: unknown, id: unknown) => Buffer.from(JSON.stringify(['-scannedAt', value, id])).toString('base64url')
    const bad = ['garbage', locations.nextCursor ?? 'x', forged('yesterday', randomUUID()), forged(new Date().toISOString(), 'not-a-uuid'), forged(42, randomUUID())]
    for (const cursor of bad) {
      const response = await get(`${URL}?cursor=${cursor}`)
      expect(response.statusCode, cursor).toBe(400)
      expect(response.json().error.code).toBe('INVALID_CURSOR')
    }
    expect((await list(`workerId=${worker.id}&limit=1&cursor=${nextCursor}`)).items).toHaveLength(1)
  })

  it('refuses an empty or malformed date range and out-of-range limits (400)', async () => {
    const day = dayFromToday(0)
    for (const query of [`from=${dayFromToday(1)}&to=${day}`, 'from=yesterday', 'to=2025-02-30', 'from=2025-01-01T10:00:00', 'limit=201', 'limit=0', 'type=teleport', 'workerId=me']) {
      const response = await get(`${URL}?${query}`)
      expect(response.statusCode, query).toBe(400)
      expect(response.json().error.code).toBe('VALIDATION_FAILED')
    }
    const empty = await get(`${URL}?from=${dayFromToday(1)}&to=${day}`)
    expect(empty.json().error.details).toEqual({ 'query.to': 'must be after from' })
    // A day as `to` includes that day: from and to the same day is that one day.
    expect((await get(`${URL}?from=${day}&to=${day}`)).statusCode).toBe(200)
  })

  it('is for admins only: worker and user 403, anonymous 401', async () => {
    for (const role of ['worker', 'user'] as const) {
      const response = await get(URL, await loginAs(app(), role))
      expect(response.statusCode).toBe(403)
      expect(response.json().error.code).toBe('FORBIDDEN')
    }
    const anonymous = await get(URL, null)
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.json().error.code).toBe('UNAUTHENTICATED')
  })
})

describe('GET /api/admin/shipments/:id', () => {
  it('returns the batch with its cylinders, worker and location', async () => {
    const { worker, customer, toCustomer, back, cylinder } = await threeBatches()
    const response = await get(`${URL}/${toCustomer.id}`)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toMatchObject({
      id: toCustomer.id,
      type: 'ship',
      count: 1,
      worker: { id: worker.id, email: worker.email },
      location: { id: customer.id, name: customer.name, kind: 'customer' },
      items: [{ cylinderId: cylinder.id, serialNumber: cylinder.serialNumber, qrCode: cylinder.qrCode, fromStatus: 'available', toStatus: 'sent' }],
    })
    expect((await get(`${URL}/${back.id}`)).json()).toMatchObject({ location: null, items: [{ fromStatus: 'sent', toStatus: 'returned' }] })
  })

  it('answers 404 for an unknown id, 400 for a malformed one, 403 for a worker', async () => {
    expect((await get(`${URL}/${randomUUID()}`)).json().error.code).toBe('NOT_FOUND')
    expect((await get(`${URL}/nope`)).statusCode).toBe(400)
    const { toCustomer, worker } = await threeBatches()
    expect((await get(`${URL}/${toCustomer.id}`, worker)).statusCode).toBe(403)
    expect((await get(`${URL}/${toCustomer.id}`, null)).statusCode).toBe(401)
  })
})
