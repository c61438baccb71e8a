import { createHash } from 'node:crypto'
import type { Actor } from '../../core/access/actor.js'
import { newId } from '../../core/db/columns.js'
import { isUniqueViolation } from '../../core/db/pg-errors.js'
import { AppError } from '../../core/errors/app-error.js'
import { toShipmentView, type ShipmentView } from './cylinder.view.js'
import type { CylinderRow, LocationRow, ShipmentRow } from './db/schema.js'
import { ACTIONS, dayIn, MOVES, refuseMove, type Action, type ActionType, type Move, type MoveType, type Refusal } from './domain.js'
import type { CylinderEventName, CylinderNotifier } from './events.js'
import { CYLINDERS_MANAGE, CYLINDERS_MOVE, type CylinderAccess, type CylinderPermission } from './permissions.js'
import { canonicalQrCode } from './qr-codes.js'
import type { CylinderRepositories, CylinderStore } from './store.js'

/** Which cylinders a batch names: scanned codes, or ids (a list on screen). */
export interface CylinderRefs {
  qrCodes?: string[]
  cylinderIds?: string[]
}

export interface MoveInput extends CylinderRefs {
  locationId?: string
  sentTo?: string
  clientBatchId?: string
  /** When the worker scanned (ISO time); default now. */
  scannedAt?: string
  notes?: string
}

export interface ActionInput extends CylinderRefs {
  reason?: string
  /** release: the passed test. */
  lastTestOn?: string
  nextTestDue?: string
}

export interface MoveResult {
  shipment: ShipmentView
  /** True when the clientBatchId was seen before and nothing moved this time. */
  replayed: boolean
}

const MOVE_EVENTS: Record<MoveType, CylinderEventName> = {
  ship: 'cylinder.shipped',
  return: 'cylinder.returned',
  refill_send: 'cylinder.refill_sent',
  refill_receive: 'cylinder.refill_received',
}
const ACTION_EVENTS: Record<ActionType, CylinderEventName> = {
  quarantine: 'cylinder.quarantined',
  release: 'cylinder.released',
  lose: 'cylinder.lost',
  trash: 'cylinder.trashed',
}
/** Scanned offline up to a week ago is believable; from the future (beyond clock skew) is not. */
const MAX_SCAN_AGE_MS = 7 * 24 * 3600_000
const MAX_SCAN_SKEW_MS = 5 * 60_000

/** Workers scan moves and quarantines; the other actions are admins'. */
const ACTION_PERMISSION: Readonly<Record<ActionType, CylinderPermission>> = { quarantine: CYLINDERS_MOVE, release: CYLINDERS_MANAGE, lose: CYLINDERS_MANAGE, trash: CYLINDERS_MANAGE }

/**
 * Batch moves and actions, all or nothing: every named cylinder is locked and checked first; if any
 * cannot change, the request fails listing each one and nothing changes. Moves and quarantine need
 * cylinders:move; release, lose and trash cylinders:manage.
 */
export class BatchService {
  constructor(
    private readonly access: CylinderAccess,
    private readonly store: CylinderStore,
    private readonly notifier: CylinderNotifier,
    /** The depot's time zone: "today" for test dates. */
    private readonly timeZone = 'UTC',
    private readonly now: () => Date = () => new Date(),
  ) {}

  async move(actor: Actor, type: MoveType, input: MoveInput): Promise<MoveResult> {
    this.access.require(actor, CYLINDERS_MOVE)
    const move = MOVES[type]
    const refs = refsOf(input)
    const requestHash = hashRequest(type, refs, input)
    // A resend is answered before anything else is checked: it may come days later (offline scanners).
    if (input.clientBatchId) {
      const replay = await this.replay(actor, input.clientBatchId, requestHash)
      if (replay) return replay
    }
    const scannedAt = this.scanTime(input.scannedAt)
    checkDestination(move, input)
    const plan: Plan = { actor, move, input, scannedAt, requestHash }
    let outcome: Applied | { earlier: ShipmentRow }
    try {
      outcome = await this.store.transaction(async (repos) => {
        // Held until commit: an admin cannot archive it or change its kind under the batch.
        const location = input.locationId ? await checkLocation(repos, move, input.locationId) : undefined
        const locked = await repos.cylinders.lock(refs.by, refs.values)
        // Those locks may have been held by the same batch sent twice at once: it has committed by now.
        const earlier = input.clientBatchId ? await repos.shipments.findByBatch(actor.id, input.clientBatchId) : undefined
        if (earlier) return { earlier }
        await this.refuse(repos, refs, move, locked)
        return this.record(repos, plan, location, locked)
      })
    } catch (error) {
      // The same batch sent twice at once, naming no cylinder both could lock: the second insert loses.
      if (input.clientBatchId && isUniqueViolation(error, 'cylinder_shipments_batch_key')) {
        const replay = await this.replay(actor, input.clientBatchId, requestHash)
        if (replay) return replay
      }
      throw error
    }
    if ('earlier' in outcome) return this.replayOf(outcome.earlier, requestHash)
    this.notifier.changed({ event: MOVE_EVENTS[type], actorId: actor.id, cylinders: outcome.cylinders, before: outcome.before, shipmentId: outcome.shipment.id })
    return { shipment: outcome.shipment, replayed: false }
  }

  /** Moves the locked cylinders and writes the shipment, its items and one history event each. */
  private async record(repos: CylinderRepositories, plan: Plan, location: LocationRow | undefined, locked: CylinderRow[]): Promise<Applied> {
    const { actor, move, input, scannedAt, requestHash } = plan
    const shipmentId = newId()
    const sentTo = location ? null : (input.sentTo?.trim() ?? null)
    const destination = move.destination === 'depot' ? { locationId: null, sentTo: null } : { locationId: location?.id ?? null, sentTo }
    const moved = await repos.cylinders.place(
      locked.map((c) => c.id),
      { status: move.to, ...destination, locationSince: scannedAt },
    )
    const items = locked.map((c) => ({ shipmentId, cylinderId: c.id, fromStatus: c.status, toStatus: move.to, fromLocationId: c.locationId }))
    const shipment = await repos.shipments.insert(
      {
        id: shipmentId,
        type: move.type,
        locationId: location?.id ?? null,
        sentTo,
        workerId: actor.id,
        clientBatchId: input.clientBatchId ?? null,
        requestHash,
        scannedAt,
        notes: input.notes ?? null,
        itemCount: locked.length,
      },
      items,
    )
    await repos.cylinders.insertEvents(
      locked.map((c) => ({
        cylinderId: c.id,
        // A lost cylinder coming back is found: the event says so.
        type: c.status === 'lost' ? 'found' : move.event,
        fromStatus: c.status,
        toStatus: move.to,
        actorId: actor.id,
        at: scannedAt,
        shipmentId,
        locationId: location?.id ?? c.locationId,
        reason: c.status === 'lost' ? 'scanned again after being reported lost' : null,
      })),
    )
    const byId = new Map(moved.map((c) => [c.id, c]))
    const withCodes = items.map((item) => ({ ...item, serialNumber: byId.get(item.cylinderId)!.serialNumber, qrCode: byId.get(item.cylinderId)!.qrCode }))
    return { shipment: toShipmentView(shipment, withCodes), cylinders: moved, before: new Map(locked.map((c) => [c.id, c.status])) }
  }

  /** Quarantine, release, lose, trash: the same all-or-nothing check, recorded in each cylinder's history. */
  async act(actor: Actor, type: ActionType, input: ActionInput): Promise<CylinderRow[]> {
    this.access.require(actor, ACTION_PERMISSION[type])
    const action = ACTIONS[type]
    const refs = refsOf(input)
    const reason = input.reason?.trim() || null
    if (action.needsReason && !reason) throw new AppError('VALIDATION_FAILED', 'Say why.', { reason: 'is required' })
    const testDates = type === 'release' ? this.releaseTestDates(input) : undefined
    const { changed, before } = await this.store.transaction(async (repos) => {
      const locked = await repos.cylinders.lock(refs.by, refs.values)
      await this.refuse(repos, refs, action, locked)
      const before = new Map(locked.map((c) => [c.id, c.status]))
      const ids = locked.map((c) => c.id)
      // Trashed and lost cylinders keep their last known place; a released one is back at the depot.
      const changed = await repos.cylinders.place(ids, {
        status: action.to,
        ...(testDates ? { locationId: null, sentTo: null, locationSince: this.now(), ...testDates } : {}),
      })
      await repos.cylinders.insertEvents(
        locked.map((c) => ({
          cylinderId: c.id,
          type: action.event,
          fromStatus: c.status,
          toStatus: action.to,
          actorId: actor.id,
          reason,
          locationId: c.locationId,
          data: testDates ? { ...testDates } : null,
        })),
      )
      return { changed, before }
    })
    this.notifier.changed({ event: ACTION_EVENTS[type], actorId: actor.id, cylinders: changed, before })
    return changed
  }

  private async replay(actor: Actor, clientBatchId: string, requestHash: string): Promise<MoveResult | undefined> {
    const existing = await this.store.repos.shipments.findByBatch(actor.id, clientBatchId)
    return existing ? this.replayOf(existing, requestHash) : undefined
  }

  /** The stored answer to a batch sent again; another batch under the same id is refused. */
  private async replayOf(existing: ShipmentRow, requestHash: string): Promise<MoveResult> {
    if (existing.requestHash !== requestHash) {
      throw new AppError('CYLINDER_BATCH_ID_REUSED', undefined, { clientBatchId: existing.clientBatchId, shipmentId: existing.id })
    }
    return { shipment: toShipmentView(existing, await this.store.repos.shipments.items(existing.id)), replayed: true }
  }

  /** Refuses the batch, listing each one, if any named cylinder is missing or cannot change. */
  private async refuse(repos: CylinderRepositories, refs: Refs, change: Move | Action, locked: readonly CylinderRow[]): Promise<void> {
    const found = new Map(locked.map((c) => [refs.by === 'id' ? c.id : c.qrCode, c]))
    const missing = refs.values.filter((ref) => !found.has(ref))
    const retired = refs.by === 'qrCode' ? await repos.cylinders.retiredCodes(missing) : new Set<string>()
    const today = dayIn(this.now(), this.timeZone)
    const refusals: Refusal[] = missing.map((ref) =>
      retired.has(ref)
        ? { ref, cylinderId: null, serialNumber: null, status: null, reason: 'RETIRED_CODE', message: 'This label was replaced by a reprint.' }
        : { ref, cylinderId: null, serialNumber: null, status: null, reason: 'UNKNOWN_CODE', message: `No cylinder has this ${refs.by === 'id' ? 'id' : 'code'}.` },
    )
    for (const ref of refs.values) {
      const cylinder = found.get(ref)
      const refused = cylinder && refuseMove(change, cylinder, today)
      if (cylinder && refused) refusals.push({ ref, cylinderId: cylinder.id, serialNumber: cylinder.serialNumber, status: cylinder.status, ...refused })
    }
    if (refusals.length > 0) {
      const code = refusals.every((r) => r.reason === 'TEST_OVERDUE') ? 'CYLINDER_TEST_OVERDUE' : 'CYLINDER_INVALID_TRANSITION'
      throw new AppError(code, `${refusals.length} of ${refs.values.length} cylinders cannot ${change.type.replace('_', ' ')}; nothing was changed.`, { failures: refusals })
    }
  }

  private scanTime(scannedAt: string | undefined): Date {
    const now = this.now()
    if (scannedAt === undefined) return now
    const at = new Date(scannedAt)
    if (at.getTime() > now.getTime() + MAX_SCAN_SKEW_MS || at.getTime() < now.getTime() - MAX_SCAN_AGE_MS) {
      throw new AppError('VALIDATION_FAILED', 'scannedAt must be within the last 7 days and not in the future.', { scannedAt: 'out of range' })
    }
    return at
  }

  private releaseTestDates(input: ActionInput): { lastTestOn: string; nextTestDue: string } {
    const today = dayIn(this.now(), this.timeZone)
    const details: Record<string, string> = {}
    if (!input.lastTestOn) details.lastTestOn = 'is required: the date of the passed test'
    else if (input.lastTestOn > today) details.lastTestOn = 'cannot be in the future'
    if (!input.nextTestDue) details.nextTestDue = 'is required'
    else if (input.nextTestDue <= today) details.nextTestDue = 'must be after today'
    if (Object.keys(details).length > 0) throw new AppError('VALIDATION_FAILED', 'A release records the passed test.', details)
    return { lastTestOn: input.lastTestOn!, nextTestDue: input.nextTestDue! }
  }
}

/** What a move needs once its cylinders are locked. */
interface Plan {
  actor: Actor
  move: Move
  input: MoveInput
  scannedAt: Date
  requestHash: string
}

/**
 * Ship and refill send need a destination (a location or the seed's free-text `sentTo`); return and
 * refill receive end at the depot and take none (where each cylinder was is kept on its item).
 */
function checkDestination(move: Move, input: MoveInput): void {
  const named = input.locationId !== undefined || input.sentTo !== undefined
  if (move.destination === 'depot' && named) {
    throw new AppError('VALIDATION_FAILED', `${move.type} brings cylinders back to the depot: send no locationId or sentTo.`, { locationId: 'not allowed for this move' })
  }
  if (move.destination !== 'depot' && !input.locationId && !input.sentTo?.trim()) {
    throw new AppError('VALIDATION_FAILED', 'Say where the cylinders go: locationId or sentTo.', { locationId: 'locationId or sentTo is required' })
  }
}

/** The destination, locked for share, if it exists, is active and of the kind the move goes to. */
async function checkLocation(repos: CylinderRepositories, move: Move, locationId: string): Promise<LocationRow> {
  const location = await repos.locations.lockShared(locationId)
  if (!location) throw new AppError('CYLINDER_LOCATION_INVALID', 'There is no such location.', { locationId: 'not found' })
  if (!location.active) throw new AppError('CYLINDER_LOCATION_INVALID', `${location.name} is archived.`, { locationId: 'archived' })
  if (move.destination !== 'depot' && location.kind !== move.destination) {
    const wanted = move.destination.replace('_', ' ')
    throw new AppError('CYLINDER_LOCATION_INVALID', `${move.type} goes to a ${wanted}; ${location.name} is a ${location.kind.replace('_', ' ')}.`, {
      locationId: `must be a ${move.destination}`,
    })
  }
  return location
}

interface Applied {
  shipment: ShipmentView
  cylinders: CylinderRow[]
  before: Map<string, CylinderRow['status']>
}

interface Refs {
  by: 'qrCode' | 'id'
  /** Deduplicated (codes in any letter case, as stored): a double scan is one cylinder. */
  values: string[]
}

function refsOf(input: CylinderRefs): Refs {
  const codes = input.qrCodes ?? []
  const ids = input.cylinderIds ?? []
  if ((codes.length > 0) === (ids.length > 0)) {
    throw new AppError('VALIDATION_FAILED', 'Send qrCodes or cylinderIds (one of them, not empty).', { qrCodes: 'qrCodes or cylinderIds is required' })
  }
  return codes.length > 0 ? { by: 'qrCode', values: [...new Set(codes.map((c) => canonicalQrCode(c.trim())))] } : { by: 'id', values: [...new Set(ids.map((id) => id.toLowerCase()))] }
}

/** What makes two sends the same batch: the move, the cylinders (in any order) and the destination. */
function hashRequest(type: MoveType, refs: Refs, input: MoveInput): string {
  const canonical = JSON.stringify([type, refs.by, [...refs.values].sort(), input.locationId ?? null, input.sentTo?.trim() ?? null])
  return createHash('sha256').update(canonical).digest('base64url')
}
