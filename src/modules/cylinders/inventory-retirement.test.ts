import { afterEach, describe, expect, it, vi } from 'vitest'
import { PermissionRegistry } from '../../core/access/permissions.js'
import { MemoryCache } from '../../core/cache/cache.js'
import { INVENTORY_GENERATION_KEY } from './events.js'
import type { InventoryRepository } from './inventory.repository.js'
import { InventoryRetirement } from './inventory-retirement.js'
import { InventoryService } from './inventory.service.js'
import { CylinderAccess, cylinderPermissions } from './permissions.js'

/** The module's permissions as at boot; the admin the service is called for. */
const registry = new PermissionRegistry()
registry.declare(...cylinderPermissions)
const access = new CylinderAccess(registry)
const admin = { id: 'admin-1', role: 'admin' } as const

const down = new Error('Command timed out')

/** A MemoryCache whose writes fail while `failing`, with a reconnect signal the test fires. */
function flakyCache() {
  const cache = new MemoryCache()
  const reconnects = new Set<() => void>()
  const state = { failing: false, sets: 0 }
  const set = cache.set.bind(cache)
  return Object.assign(cache, {
    state,
    set: async (key: string, value: unknown, ttlMs: number) => {
      state.sets++
      if (state.failing) throw down
      await set(key, value, ttlMs)
    },
    onReconnect: (listener: () => void) => (reconnects.add(listener), () => reconnects.delete(listener)),
    reconnected: () => reconnects.forEach((listener) => listener()),
  })
}

const logs = () => {
  const lines: string[] = []
  return { lines, log: { info: (_: object, m: string) => void lines.push(`info: ${m}`), warn: (_: object, m: string) => void lines.push(`warn: ${m}`) } }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('InventoryRetirement', () => {
  it('is pending from the call until a retirement succeeds; reads on this instance bypass the cache meanwhile', async () => {
    vi.useFakeTimers()
    let total = 1
    const repository: InventoryRepository = { counts: async () => [{ gasType: 'CO2', status: 'available', locationId: null, locationName: null, locationKind: null, sentTo: null, cylinders: total }] }
    const cache = flakyCache()
    const { log, lines } = logs()
    const retirement = new InventoryRetirement(cache, log, { first: 10, max: 20, attempts: 100 })
    const service = new InventoryService(access, repository, cache, 60_000, undefined, { retirement })
    await service.get(admin)
    expect((await service.get(admin)).cache).toBe('hit')

    // A change commits while Redis fails: its retirement fails, the cached summary (1) is stale.
    cache.state.failing = true
    total = 2
    const attempt = retirement.retire()
    expect(retirement.pending).toBe(true)
    await attempt
    expect(retirement.pending).toBe(true)
    const bypassed = await service.get(admin)
    expect([bypassed.cache, bypassed.inventory.total]).toEqual(['miss', 2])
    expect(lines).toEqual(['warn: could not retire the cached inventory; this instance bypasses the cache until it can, others may serve it until it expires'])

    // Retried with backoff in the background until Redis takes it; then the cache serves again, fresh.
    const before = cache.state.sets
    await vi.advanceTimersByTimeAsync(10)
    await vi.advanceTimersByTimeAsync(20)
    expect([cache.state.sets - before, retirement.pending]).toEqual([2, true])
    cache.state.failing = false
    await vi.advanceTimersByTimeAsync(20)
    expect(retirement.pending).toBe(false)
    expect(lines.at(-1)).toBe('info: cached inventory retired after Redis failures')
    const fresh = await service.get(admin)
    expect([fresh.cache, fresh.inventory.total]).toEqual(['miss', 2])
    expect((await service.get(admin)).cache).toBe('hit')
    retirement.stop()
  })

  it('after its bounded retries, tries again when Redis reconnects', async () => {
    vi.useFakeTimers()
    const cache = flakyCache()
    const retirement = new InventoryRetirement(cache, logs().log, { first: 1, max: 1, attempts: 2 })
    cache.state.failing = true
    await retirement.retire()
    await vi.runAllTimersAsync()
    // The first attempt and two retries; then no timer is left.
    expect([cache.state.sets, vi.getTimerCount(), retirement.pending]).toEqual([3, 0, true])

    cache.state.failing = false
    cache.reconnected()
    await retirement.settled()
    expect(retirement.pending).toBe(false)
    expect(await cache.get(INVENTORY_GENERATION_KEY)).toEqual(expect.any(String))
    retirement.stop()
  })

  it('a change during a retirement in flight gets a retirement of its own, after it', async () => {
    const cache = new MemoryCache()
    const generations: unknown[] = []
    let release: (() => void) | undefined
    const slow = Object.assign(cache, {
      set: async (key: string, value: unknown, ttlMs: number) => {
        if (key === INVENTORY_GENERATION_KEY) generations.push(value)
        if (generations.length === 1) await new Promise<void>((resolve) => (release = resolve))
        await MemoryCache.prototype.set.call(cache, key, value, ttlMs)
      },
    })
    const retirement = new InventoryRetirement(slow, logs().log)
    const first = retirement.retire()
    const second = retirement.retire()
    expect(generations).toHaveLength(1)
    release!()
    await Promise.all([first, second])
    await retirement.settled()
    expect(generations).toHaveLength(2)
    expect(retirement.pending).toBe(false)
    expect(await cache.get(INVENTORY_GENERATION_KEY)).toBe(generations[1])
  })
})
