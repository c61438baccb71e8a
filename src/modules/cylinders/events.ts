import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Cache } from '../../core/cache/cache.js'
import type { RealtimePublisher } from '../../core/realtime/index.js'
import type { CylinderStatus } from './domain.js'
import type { CylinderRow } from './db/schema.js'
import type { InventoryRetirement } from './inventory-retirement.js'

/** The room staff follow (`cylinders:read`). */
export const CYLINDERS_ROOM = 'cylinders'
/**
 * The inventory summary is cached under `cylinders:inventory:v2:<generation>`, and every change sets a
 * new generation after it commits. Deleting one key instead would race: a summary computed from
 * data read just before a commit could be stored just after the delete and outlive the change.
 * With generations, such a late write lands under a key nobody reads any more. `v2` is the summary's
 * shape (free-text places as `sentTo`): during a rolling deploy, builds never read each other's summaries.
 */
export const INVENTORY_GENERATION_KEY = 'cylinders:inventory-generation'
export const inventoryCacheKey = (generation: string): string => `cylinders:inventory:v2:${generation}`
/** Long enough never to expire while summaries are cached; a lost generation just starts a new one. */
export const GENERATION_TTL_MS = 7 * 24 * 3600_000

export async function newInventoryGeneration(cache: Cache): Promise<string> {
  const generation = randomUUID()
  await cache.set(INVENTORY_GENERATION_KEY, generation, GENERATION_TTL_MS)
  return generation
}

/** Beyond this many cylinders an event lists the first ones and says `truncated` (each entry is ~150 bytes). */
export const MAX_CYLINDERS_PER_EVENT = 500

export type CylinderEventName =
  | 'cylinder.added'
  | 'cylinder.updated'
  | 'cylinder.shipped'
  | 'cylinder.returned'
  | 'cylinder.refill_sent'
  | 'cylinder.refill_received'
  | 'cylinder.quarantined'
  | 'cylinder.released'
  | 'cylinder.lost'
  | 'cylinder.trashed'
  | 'cylinder.reprinted'

export interface Change {
  event: CylinderEventName
  actorId: string
  /** The cylinders as they are after the change. */
  cylinders: readonly CylinderRow[]
  /** Status each changed cylinder had before (moves, actions). */
  before?: ReadonlyMap<string, CylinderStatus>
  shipmentId?: string
}

/**
 * Called after a change commits: retires the cached inventory (on every instance, with Redis) and
 * tells the `cylinders` room what changed, then `inventory.changed` with the count per status
 * that changed. Both run in the background, never holding the response (a hanging Redis costs the
 * request nothing), one change after another so the room hears them in commit order, each
 * announcement after its retirement was tried (a client refetching on it gets the new summary).
 * A failure is logged: the change itself stands.
 */
export class CylinderNotifier {
  private queue: Promise<void> = Promise.resolve()

  constructor(
    private readonly realtime: RealtimePublisher,
    private readonly retirement: InventoryRetirement,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Retires every cached inventory summary (also for changes that are not to cylinders, like a renamed location), in the background. */
  inventoryChanged(): void {
    void this.retirement.retire()
  }

  /** Schedules the change's after-commit work; returns at once. */
  changed(change: Change): void {
    // Asked for now, so this instance bypasses the cache from the moment the response leaves.
    const retired = this.retirement.retire()
    this.queue = this.queue
      .then(() => retired)
      .then(() => this.announce(change))
      .catch((err: unknown) => this.log.error({ err, event: change.event }, 'could not announce a cylinder change'))
  }

  /** Resolves once every change scheduled so far has been announced (or failed to be): for shutdown and tests. */
  idle(): Promise<void> {
    return this.queue
  }

  private async announce(change: Change): Promise<void> {
    const { cylinders } = change
    await this.realtime.publish(CYLINDERS_ROOM, change.event, {
      actorId: change.actorId,
      shipmentId: change.shipmentId ?? null,
      count: cylinders.length,
      // A big batch or import is announced by its count: clients refetch rather than receive a huge frame.
      truncated: cylinders.length > MAX_CYLINDERS_PER_EVENT,
      cylinders: cylinders.slice(0, MAX_CYLINDERS_PER_EVENT).map((c) => ({ id: c.id, serialNumber: c.serialNumber, qrCode: c.qrCode, status: c.status, locationId: c.locationId, version: c.version })),
    })
    const delta = statusDelta(change)
    if (Object.keys(delta).length > 0 || change.event === 'cylinder.updated') {
      await this.realtime.publish(CYLINDERS_ROOM, 'inventory.changed', { cause: change.event, byStatus: delta })
    }
  }
}

/** +n / −n per status, leaving out statuses that did not change. */
function statusDelta(change: Change): Partial<Record<CylinderStatus, number>> {
  const delta: Partial<Record<CylinderStatus, number>> = {}
  for (const cylinder of change.cylinders) {
    const from = change.before ? change.before.get(cylinder.id) : undefined
    if (from === cylinder.status) continue
    if (from) delta[from] = (delta[from] ?? 0) - 1
    delta[cylinder.status] = (delta[cylinder.status] ?? 0) + 1
  }
  for (const [status, n] of Object.entries(delta)) if (n === 0) delete delta[status as CylinderStatus]
  return delta
}
