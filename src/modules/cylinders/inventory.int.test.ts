import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { addCylinders, createLocation, createLocationViaApi, moved, post } from '../../../test/helpers/cylinders.js'
import { expectError } from '../../../test/helpers/identity.js'
import type { Inventory, StatusCounts } from './inventory.service.js'

const app = useTestApp()

const STATUSES = ['available', 'sent', 'returned', 'in_refill', 'quarantined', 'lost', 'trashed']
const counts = (some: Partial<StatusCounts>): StatusCounts => ({ available: 0, sent: 0, returned: 0, in_refill: 0, quarantined: 0, lost: 0, trashed: 0, ...some })
/** Tests share the database: each counts cylinders of a gas type only it uses. */
const uniqueGas = (): string => `GAS-${randomUUID().slice(0, 8)}`
const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0)

async function inventory(user: TestUser): Promise<{ body: Inventory; cache: unknown }> {
  const response = await app().inject({ url: '/api/admin/inventory', headers: user.headers })
  expect(response.statusCode, response.body).toBe(200)
  return { body: response.json<Inventory>(), cache: response.headers['x-cache'] }
}

const gasEntry = (body: Inventory, gasType: string) => body.byGasType.find((entry) => entry.gasType === gasType)

describe('GET /api/admin/inventory', () => {
  it('counts per status, gas type and place, every status present, adding up', async () => {
    const admin = await loginAs(app(), 'admin')
    const gasType = uniqueGas()
    // The sixth stays available at the depot.
    const [a, b, c, d, e] = await addCylinders(app(), admin, 6, { gasType })
    const customer = await createLocation(app(), 'customer')
    const station = await createLocation(app(), 'refill_station')
    const sentTo = `Building site ${randomUUID().slice(0, 8)}`
    await moved(app(), admin, 'ship', { cylinderIds: [a!.id, b!.id, d!.id], locationId: customer.id })
    await moved(app(), admin, 'ship', { cylinderIds: [c!.id], sentTo })
    await moved(app(), admin, 'return', { cylinderIds: [d!.id] })
    await moved(app(), admin, 'refill/send', { cylinderIds: [d!.id], locationId: station.id })
    expect((await post(app(), admin, 'trash', { cylinderIds: [e!.id], reason: 'scrapped' })).statusCode).toBe(200)

    const { body } = await inventory(admin)
    expect(Object.keys(body.byStatus).sort()).toEqual([...STATUSES].sort())
    expect(gasEntry(body, gasType)).toEqual({ gasType, total: 6, byStatus: counts({ available: 1, sent: 3, in_refill: 1, trashed: 1 }) })
    const atLocation = (id: string) => body.byLocation.find((p) => p.locationId === id)
    expect(atLocation(customer.id)).toEqual({ locationId: customer.id, name: customer.name, sentTo: null, kind: 'customer', total: 2, byStatus: counts({ sent: 2 }) })
    expect(atLocation(station.id)).toEqual({ locationId: station.id, name: station.name, sentTo: null, kind: 'refill_station', total: 1, byStatus: counts({ in_refill: 1 }) })
    // A free-text destination is `sentTo`, as in the holdings and overdue reports and on the cylinder.
    expect(body.byLocation.find((p) => p.sentTo === sentTo)).toEqual({ locationId: null, name: null, sentTo, kind: null, total: 1, byStatus: counts({ sent: 1 }) })
    expect(Date.parse(body.generatedAt)).not.toBeNaN()

    // One snapshot: every view adds up to the same total, the depot and the places never overlap.
    expect(body.total).toBe(sum(Object.values(body.byStatus)))
    expect(sum(body.byGasType.map((g) => g.total))).toBe(body.total)
    expect(sum(body.byLocation.map((p) => p.total)) + body.atDepot + body.byStatus.trashed).toBe(body.total)
    expect(body.byLocation.every((p) => p.byStatus.trashed === 0)).toBe(true)
    const totals = body.byLocation.map((p) => p.total)
    expect(totals).toEqual([...totals].sort((x, y) => y - x))
  })

  it('is cached until a cylinder changes (x-cache: miss, then hit, then miss after a move)', async () => {
    const admin = await loginAs(app(), 'admin')
    const gasType = uniqueGas()
    const customer = await createLocation(app(), 'customer')
    const [cylinder] = await addCylinders(app(), admin, 1, { gasType })

    // Adding a cylinder dropped the cached answer: the next call computes it.
    const first = await inventory(admin)
    expect(first.cache).toBe('miss')
    expect(gasEntry(first.body, gasType)?.byStatus).toEqual(counts({ available: 1 }))
    const { fresh, cached } = await cachedPair(admin)
    expect(cached.body).toEqual(fresh.body)

    await moved(app(), admin, 'ship', { cylinderIds: [cylinder!.id], locationId: customer.id })
    const afterMove = await inventory(admin)
    expect(afterMove.cache).toBe('miss')
    expect(gasEntry(afterMove.body, gasType)?.byStatus).toEqual(counts({ sent: 1 }))
    expect(Date.parse(afterMove.body.generatedAt)).toBeGreaterThanOrEqual(Date.parse(first.body.generatedAt))
    expect((await cachedPair(admin)).cached.body).toEqual(afterMove.body)
  })

  it('shows an edited gas type and a renamed location at once, cache or not', async () => {
    const admin = await loginAs(app(), 'admin')
    const customer = await createLocationViaApi(app(), admin)
    const [cylinder] = await addCylinders(app(), admin, 1, { gasType: uniqueGas() })
    await moved(app(), admin, 'ship', { cylinderIds: [cylinder!.id], locationId: customer.id })
    await cachedPair(admin)

    const renamed = `Renamed ${randomUUID().slice(0, 8)}`
    const patch = await app().inject({ method: 'PATCH', url: `/api/cylinders/locations/${customer.id}`, headers: admin.headers, payload: { version: customer.version, name: renamed } })
    expect(patch.statusCode, patch.body).toBe(200)
    expect((await inventory(admin)).body.byLocation.find((p) => p.locationId === customer.id)?.name).toBe(renamed)

    const gasType = uniqueGas()
    const edit = await app().inject({ method: 'PATCH', url: `/api/cylinders/${cylinder!.id}`, headers: admin.headers, payload: { version: 2, gasType } })
    expect(edit.statusCode, edit.body).toBe(200)
    expect(gasEntry((await inventory(admin)).body, gasType)?.byStatus).toEqual(counts({ sent: 1 }))
  })

  it('is for admins only', async () => {
    const worker = await loginAs(app(), 'worker')
    expectError(await app().inject({ url: '/api/admin/inventory' }), 401, 'UNAUTHENTICATED')
    expectError(await app().inject({ url: '/api/admin/inventory', headers: worker.headers }), 403, 'FORBIDDEN')
  })
})

/**
 * Two calls in a row, the second served from the cache. With REDIS_URL, parallel test files share
 * the cache key and their moves may drop it between the two calls: up to three tries, so a cache
 * that never answers still fails.
 */
async function cachedPair(user: TestUser): Promise<{ fresh: { body: Inventory }; cached: { body: Inventory } }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const fresh = await inventory(user)
    const cached = await inventory(user)
    if (cached.cache === 'hit') return { fresh, cached }
  }
  throw new Error('The inventory never came from the cache')
}
