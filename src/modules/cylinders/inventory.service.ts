import type { Actor } from '../../core/access/actor.js'
import type { Cache } from '../../core/cache/cache.js'
import { CYLINDER_STATUSES, type CylinderStatus, type LocationKind } from './domain.js'
import { INVENTORY_GENERATION_KEY, inventoryCacheKey, newInventoryGeneration } from './events.js'
import type { InventoryCountRow, InventoryRepository } from './inventory.repository.js'
import { CYLINDERS_REPORTS, type CylinderAccess } from './permissions.js'

export type StatusCounts = Record<CylinderStatus, number>

export interface PlaceInventory {
  locationId: string | null
  /** The location's name; null for a free-text destination, which is `sentTo` (as everywhere else). */
  name: string | null
  sentTo: string | null
  kind: LocationKind | null
  total: number
  byStatus: StatusCounts
}

export interface Inventory {
  total: number
  byStatus: StatusCounts
  byGasType: { gasType: string; total: number; byStatus: StatusCounts }[]
  byLocation: PlaceInventory[]
  atDepot: number
  generatedAt: string
}

export interface InventoryAnswer {
  inventory: Inventory
  /** Whether the answer came from the cache, for the `x-cache` header. */
  cache: 'hit' | 'miss'
}

/** byGasType and byLocation list at most this many rows (the places holding most): a bounded answer. */
export const INVENTORY_ROW_LIMIT = 500

/** This instance's retirements of the cached inventory (InventoryRetirement). */
interface Retirement {
  readonly pending: boolean
  settled(): Promise<void>
}

const zeros = (): StatusCounts => Object.fromEntries(CYLINDER_STATUSES.map((status) => [status, 0])) as StatusCounts

/** The inventory summary, for holders of cylinders:reports. */
export class InventoryService {
  private readonly now: () => Date
  private readonly retirement: Retirement | undefined

  /**
   * Every change starts a new cache generation after it commits (CylinderNotifier, in the
   * background), so an answer is never older than the last change; `ttlMs`
   * (CYLINDERS_INVENTORY_CACHE_SECONDS) bounds how long one is kept at all. 0 turns the cache off.
   * While the cache fails (Redis down), every answer is computed: slower, never wrong. A read
   * waits for this instance's `retirement` in flight, and while one failed its answers are
   * computed too (and not stored), so it never serves a summary older than its own changes.
   */
  constructor(
    private readonly access: CylinderAccess,
    private readonly repository: InventoryRepository,
    private readonly cache: Cache,
    private readonly ttlMs: number,
    private readonly log?: { warn(details: object, message: string): void },
    options: { now?: () => Date; retirement?: Retirement } = {},
  ) {
    this.now = options.now ?? (() => new Date())
    this.retirement = options.retirement
  }

  async get(actor: Actor): Promise<InventoryAnswer> {
    this.access.require(actor, CYLINDERS_REPORTS)
    // A retirement in flight is waited for (bounded by the Redis command timeout); one that failed is bypassed.
    if (this.retirement?.pending) await this.retirement.settled()
    if (this.ttlMs <= 0 || this.retirement?.pending) return { inventory: await this.compute(), cache: 'miss' }
    let key: string
    let cached: Inventory | undefined
    try {
      const generation = (await this.cache.get<string>(INVENTORY_GENERATION_KEY)) ?? (await newInventoryGeneration(this.cache))
      key = inventoryCacheKey(generation)
      cached = await this.cache.get<Inventory>(key)
    } catch (err) {
      this.log?.warn({ err }, 'inventory cache unavailable; computing the summary')
      return { inventory: await this.compute(), cache: 'miss' }
    }
    if (cached !== undefined) return { inventory: cached, cache: 'hit' }
    const inventory = await this.compute()
    await this.cache.set(key, inventory, this.ttlMs).catch((err: unknown) => this.log?.warn({ err }, 'could not cache the inventory summary'))
    return { inventory, cache: 'miss' }
  }

  private async compute(): Promise<Inventory> {
    const generatedAt = this.now().toISOString()
    return { ...summarize(await this.repository.counts()), generatedAt }
  }
}

/** Adds up the counts per gas type, status and place into the inventory's views. */
export function summarize(rows: readonly InventoryCountRow[]): Omit<Inventory, 'generatedAt'> {
  const byStatus = zeros()
  const gasTypes = new Map<string, { gasType: string; total: number; byStatus: StatusCounts }>()
  const places = new Map<string, PlaceInventory>()
  let atDepot = 0
  for (const row of rows) {
    byStatus[row.status] += row.cylinders
    const gas = gasTypes.get(row.gasType) ?? { gasType: row.gasType, total: 0, byStatus: zeros() }
    gasTypes.set(row.gasType, add(gas, row))
    // A trashed cylinder keeps its last known place, but nobody holds it any more.
    if (row.status === 'trashed') continue
    const key = placeKey(row)
    if (key === undefined) {
      atDepot += row.cylinders
      continue
    }
    places.set(key, add(places.get(key) ?? newPlace(row), row))
  }
  return {
    total: Object.values(byStatus).reduce((sum, n) => sum + n, 0),
    byStatus,
    byGasType: [...gasTypes.values()].sort((a, b) => compare(a.gasType, b.gasType)).slice(0, INVENTORY_ROW_LIMIT),
    byLocation: [...places.values()].sort((a, b) => b.total - a.total || compare(placeName(a), placeName(b))).slice(0, INVENTORY_ROW_LIMIT),
    atDepot,
  }
}

/** A location by id, a free-text destination by its text; undefined at the depot. */
function placeKey(row: InventoryCountRow): string | undefined {
  if (row.locationId !== null) return `location:${row.locationId}`
  if (row.sentTo !== null) return `sentTo:${row.sentTo}`
  return undefined
}

function newPlace(row: InventoryCountRow): PlaceInventory {
  return row.locationId !== null
    ? { locationId: row.locationId, name: row.locationName ?? '', sentTo: null, kind: row.locationKind, total: 0, byStatus: zeros() }
    : { locationId: null, name: null, sentTo: row.sentTo, kind: null, total: 0, byStatus: zeros() }
}

const placeName = (place: PlaceInventory): string => place.name ?? place.sentTo ?? ''

function add<T extends { total: number; byStatus: StatusCounts }>(entry: T, row: InventoryCountRow): T {
  entry.total += row.cylinders
  entry.byStatus[row.status] += row.cylinders
  return entry
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
