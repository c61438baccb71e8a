import { describe, expect, it } from 'vitest'
import { PermissionRegistry } from '../../core/access/permissions.js'
import { MemoryCache } from '../../core/cache/cache.js'
import type { InventoryCountRow, InventoryRepository } from './inventory.repository.js'
import { newInventoryGeneration } from './events.js'
import { INVENTORY_ROW_LIMIT, InventoryService, summarize } from './inventory.service.js'
import { CylinderAccess, cylinderPermissions } from './permissions.js'

/** The module's permissions as at boot; the admin the service is called for. */
const registry = new PermissionRegistry()
registry.declare(...cylinderPermissions)
const access = new CylinderAccess(registry)
const admin = { id: 'admin-1', role: 'admin' } as const

const zero = { available: 0, sent: 0, returned: 0, in_refill: 0, quarantined: 0, lost: 0, trashed: 0 }
const row = (some: Partial<InventoryCountRow>): InventoryCountRow => ({
  gasType: 'CO2',
  status: 'available',
  locationId: null,
  locationName: null,
  locationKind: null,
  sentTo: null,
  cylinders: 1,
  ...some,
})
const acme = { locationId: 'loc-acme', locationName: 'Acme', locationKind: 'customer' as const }

describe('summarize', () => {
  it('puts a cylinder at the depot with neither a location nor a sentTo, unless it is trashed', () => {
    const result = summarize([
      row({ cylinders: 4 }),
      row({ status: 'quarantined', cylinders: 2 }),
      row({ status: 'trashed', cylinders: 3 }),
      row({ status: 'trashed', ...acme, cylinders: 5 }),
    ])
    expect(result.atDepot).toBe(6)
    expect(result.byLocation).toEqual([])
    expect(result.byStatus).toEqual({ ...zero, available: 4, quarantined: 2, trashed: 8 })
    expect(result.total).toBe(14)
  })

  it('groups places by location, free-text destinations by their text, most cylinders first', () => {
    const result = summarize([
      row({ status: 'sent', ...acme, cylinders: 2 }),
      row({ status: 'lost', gasType: 'O2', ...acme, cylinders: 1 }),
      row({ status: 'sent', sentTo: 'Site 9', cylinders: 5 }),
      row({ status: 'in_refill', locationId: 'loc-gasco', locationName: 'GasCo', locationKind: 'refill_station', cylinders: 1 }),
    ])
    expect(result.byLocation).toEqual([
      { locationId: null, name: null, sentTo: 'Site 9', kind: null, total: 5, byStatus: { ...zero, sent: 5 } },
      { locationId: 'loc-acme', name: 'Acme', sentTo: null, kind: 'customer', total: 3, byStatus: { ...zero, sent: 2, lost: 1 } },
      { locationId: 'loc-gasco', name: 'GasCo', sentTo: null, kind: 'refill_station', total: 1, byStatus: { ...zero, in_refill: 1 } },
    ])
    expect(result.byGasType).toEqual([
      { gasType: 'CO2', total: 8, byStatus: { ...zero, sent: 7, in_refill: 1 } },
      { gasType: 'O2', total: 1, byStatus: { ...zero, lost: 1 } },
    ])
    expect(result.atDepot).toBe(0)
  })

  it(`lists at most ${INVENTORY_ROW_LIMIT} gas types and the ${INVENTORY_ROW_LIMIT} places holding most, still counting every cylinder`, () => {
    const places = Array.from({ length: INVENTORY_ROW_LIMIT + 1 }, (_, i) =>
      row({ status: 'sent', gasType: `G${String(i).padStart(3, '0')}`, sentTo: `Site ${i}`, cylinders: i === INVENTORY_ROW_LIMIT ? 1 : 2 }),
    )
    const result = summarize(places)
    expect(result.byLocation).toHaveLength(INVENTORY_ROW_LIMIT)
    expect(result.byLocation.map((place) => place.sentTo)).not.toContain(`Site ${INVENTORY_ROW_LIMIT}`)
    expect(result.byGasType).toHaveLength(INVENTORY_ROW_LIMIT)
    expect(result.total).toBe(INVENTORY_ROW_LIMIT * 2 + 1)
  })

  it('answers every status with zeros when there are no cylinders', () => {
    expect(summarize([])).toEqual({ total: 0, byStatus: zero, byGasType: [], byLocation: [], atDepot: 0 })
  })
})

describe('InventoryService', () => {
  it('computes on a miss, answers from the cache until a change starts a new generation', async () => {
    let calls = 0
    const repository: InventoryRepository = { counts: async () => (calls++, [row({ cylinders: calls })]) }
    const cache = new MemoryCache()
    const service = new InventoryService(access, repository, cache, 60_000)
    const first = await service.get(admin)
    const second = await service.get(admin)
    expect([first.cache, second.cache, calls]).toEqual(['miss', 'hit', 1])
    expect(second.inventory).toEqual(first.inventory)
    await newInventoryGeneration(cache)
    const third = await service.get(admin)
    expect([third.cache, third.inventory.total]).toEqual(['miss', 2])
  })

  it('computes when the cache fails (Redis down), and still answers when storing the summary fails', async () => {
    let calls = 0
    const repository: InventoryRepository = { counts: async () => (calls++, [row({ cylinders: 3 })]) }
    const down = new Error('Command timed out')
    const failing = Object.assign(new MemoryCache(), { get: () => Promise.reject(down), set: () => Promise.reject(down) })
    const warnings: string[] = []
    const log = { warn: (_obj: object, message: string) => void warnings.push(message) }
    const service = new InventoryService(access, repository, failing, 60_000, log)
    const answer = await service.get(admin)
    expect([answer.cache, answer.inventory.total, calls]).toEqual(['miss', 3, 1])
    expect(warnings).toEqual(['inventory cache unavailable; computing the summary'])

    const storeFails = Object.assign(new MemoryCache(), { set: () => Promise.reject(down) })
    const second = await new InventoryService(access, repository, storeFails, 60_000, log).get(admin)
    expect([second.cache, second.inventory.total]).toEqual(['miss', 3])
  })

  it('computes every time when the cache is off (ttl 0)', async () => {
    let calls = 0
    const repository: InventoryRepository = { counts: async () => (calls++, []) }
    const service = new InventoryService(access, repository, new MemoryCache(), 0)
    expect([(await service.get(admin)).cache, (await service.get(admin)).cache, calls]).toEqual(['miss', 'miss', 2])
  })
})
