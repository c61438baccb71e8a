import type { Actor } from '../../core/access/actor.js'
import { newId } from '../../core/db/columns.js'
import { isUniqueViolation } from '../../core/db/pg-errors.js'
import { AppError, notFound } from '../../core/errors/app-error.js'
import { decodeRowCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import { toCylinderView, toEventView, type CylinderView } from './cylinder.view.js'
import type { CylinderFilters } from './cylinders.repository.js'
import type { CylinderRow, NewCylinderRow } from './db/schema.js'
import { isTerminal, type CylinderEventType, type CylinderStatus } from './domain.js'
import type { CylinderNotifier } from './events.js'
import { CYLINDERS_MANAGE, CYLINDERS_READ, type CylinderAccess } from './permissions.js'
import { canonicalQrCode, isQrCodeInAnyCase, newQrCode } from './qr-codes.js'
import type { CylinderStore } from './store.js'
import type { Page } from '../../core/http/resource/resource.service.js'

/** What an admin gives for a new cylinder (POST /cylinders/add, one CSV row). */
export interface NewCylinder {
  serialNumber: string
  gasType: string
  capacityLiters?: number | null
  owner?: string | null
  manufacturedOn?: string | null
  lastTestOn?: string | null
  nextTestDue?: string | null
  /** Where it starts: at the depot, full (`available`), empty (`returned`) or set aside (`quarantined`). */
  status?: Extract<CylinderStatus, 'available' | 'returned' | 'quarantined'>
  notes?: string | null
}

export type CylinderChanges = Partial<Omit<NewCylinder, 'status'>> & { version: number }

const EDITABLE = ['serialNumber', 'gasType', 'capacityLiters', 'owner', 'manufacturedOn', 'lastTestOn', 'nextTestDue', 'notes'] as const
const SORT = '-id'
/** History runs in the order things happened: by time (an offline batch's scan time), then id. */
const HISTORY_SORT = 'at'

/**
 * Cylinders one at a time: add, look up, edit, reprint, history. Batch moves are BatchService's.
 * Looking up needs cylinders:read; adding, editing, reprinting and label sheets cylinders:manage.
 */
export class CylindersService {
  constructor(
    private readonly access: CylinderAccess,
    private readonly store: CylinderStore,
    private readonly notifier: CylinderNotifier,
  ) {}

  /** Adds every cylinder or none: a serial number already in use (or twice in the request) refuses all. */
  async add(actor: Actor, input: readonly NewCylinder[], event: Extract<CylinderEventType, 'added' | 'imported'> = 'added'): Promise<CylinderRow[]> {
    this.access.require(actor, CYLINDERS_MANAGE)
    const serials = input.map((c) => c.serialNumber.trim())
    const repeated = repeatsIn(serials)
    const taken = (await this.store.repos.cylinders.bySerialNumbers(serials)).map((c) => c.serialNumber)
    if (repeated.length > 0 || taken.length > 0) {
      throw new AppError('CYLINDER_SERIAL_TAKEN', `${[...taken, ...repeated].length} serial numbers are already in use or repeated.`, { taken, repeated })
    }
    const rows: NewCylinderRow[] = input.map((c) => ({
      id: newId(),
      serialNumber: c.serialNumber.trim(),
      qrCode: newQrCode(),
      status: c.status ?? 'available',
      gasType: c.gasType.trim(),
      capacityLiters: c.capacityLiters ?? null,
      owner: c.owner ?? null,
      manufacturedOn: c.manufacturedOn ?? null,
      lastTestOn: c.lastTestOn ?? null,
      nextTestDue: c.nextTestDue ?? null,
      notes: c.notes ?? null,
    }))
    let added: CylinderRow[]
    try {
      added = await this.store.transaction(async (repos) => {
        const inserted = await repos.cylinders.insertMany(rows)
        await repos.cylinders.insertEvents(inserted.map((c) => ({ cylinderId: c.id, type: event, toStatus: c.status, actorId: actor.id })))
        return inserted
      })
    } catch (error) {
      // Another request took a serial number between the check and the insert.
      if (isUniqueViolation(error, 'cylinders_serial_number_key')) throw new AppError('CYLINDER_SERIAL_TAKEN', undefined, { taken: [], repeated: [] })
      throw error
    }
    this.notifier.changed({ event: 'cylinder.added', actorId: actor.id, cylinders: added })
    return added
  }

  async get(actor: Actor, id: string): Promise<CylinderRow> {
    this.access.require(actor, CYLINDERS_READ)
    const cylinder = await this.store.repos.cylinders.findById(id)
    if (!cylinder) throw notFound('Cylinder')
    return cylinder
  }

  /** What a scanner shows, in any letter case: 410 for a code a reprint replaced, 404 for one never issued. */
  async scan(actor: Actor, scanned: string): Promise<CylinderRow> {
    this.access.require(actor, CYLINDERS_READ)
    const { cylinders } = this.store.repos
    const qrCode = canonicalQrCode(scanned)
    const cylinder = await cylinders.findByCode(qrCode)
    if (cylinder) return cylinder
    if (await cylinders.isRetired(qrCode)) throw new AppError('CYLINDER_QR_RETIRED')
    throw notFound('Cylinder')
  }

  async list(actor: Actor, filters: CylinderFilters, page: { limit: number; cursor?: string }): Promise<Page<CylinderView>> {
    this.access.require(actor, CYLINDERS_READ)
    const after = page.cursor ? decodeRowCursor(page.cursor, SORT).id : undefined
    // `q` matches a code only whole and as stored: one typed in lower case is looked up in upper case
    // (only such text is changed, and its ASCII letters match the other fields' ILIKE just the same).
    const search = filters.q !== undefined && isQrCodeInAnyCase(filters.q) ? { ...filters, q: canonicalQrCode(filters.q) } : filters
    const rows = await this.store.repos.cylinders.list(search, page.limit + 1, after)
    return pageOf(rows, page.limit, (row) => encodeCursor({ sort: SORT, value: null, id: row.id }), toCylinderView)
  }

  async history(actor: Actor, id: string, page: { limit: number; cursor?: string }) {
    this.access.require(actor, CYLINDERS_READ)
    await this.get(actor, id)
    const after = page.cursor ? decodeRowCursor(page.cursor, HISTORY_SORT, 'timestamp') : undefined
    const rows = await this.store.repos.cylinders.history(id, page.limit + 1, after && { at: after.at!, id: after.id })
    return pageOf(rows, page.limit, (row) => encodeCursor({ sort: HISTORY_SORT, value: row.at.toISOString(), id: row.id }), toEventView)
  }

  /** Edits the record (not the status: that changes only by moves and actions), at `version`. */
  async edit(actor: Actor, id: string, changes: CylinderChanges): Promise<CylinderRow> {
    this.access.require(actor, CYLINDERS_MANAGE)
    const { version, ...fields } = changes
    const result = await this.store.transaction(async (repos) => {
      const current = await repos.cylinders.findById(id)
      if (!current) throw notFound('Cylinder')
      if (current.version !== version) throw new AppError('VERSION_CONFLICT', undefined, { current: toCylinderView(current) })
      if (isTerminal(current.status)) throw new AppError('CYLINDER_INVALID_TRANSITION', 'A trashed cylinder can no longer be edited.', { status: current.status })
      const diff: Record<string, [unknown, unknown]> = {}
      const set: Partial<NewCylinderRow> = {}
      for (const key of EDITABLE) {
        const value = fields[key]
        if (value === undefined) continue
        const next = typeof value === 'string' && (key === 'serialNumber' || key === 'gasType') ? value.trim() : value
        if (next !== current[key]) {
          diff[key] = [current[key], next]
          Object.assign(set, { [key]: next })
        }
      }
      if (Object.keys(diff).length === 0) return { row: current, changed: false }
      const row = await repos.cylinders.update(id, version, set)
      if (!row) throw new AppError('VERSION_CONFLICT', undefined, { current: toCylinderView((await repos.cylinders.findById(id))!) })
      await repos.cylinders.insertEvents([{ cylinderId: id, type: 'edited', actorId: actor.id, data: diff }])
      return { row, changed: true }
    }).catch((error: unknown) => {
      if (isUniqueViolation(error, 'cylinders_serial_number_key')) throw new AppError('CYLINDER_SERIAL_TAKEN', undefined, { taken: [changes.serialNumber], repeated: [] })
      throw error
    })
    if (result.changed) this.notifier.changed({ event: 'cylinder.updated', actorId: actor.id, cylinders: [result.row], before: new Map([[id, result.row.status]]) })
    return result.row
  }

  /** A new label: a new code; the old one is retired (scanning it answers 410). */
  async reprint(actor: Actor, id: string, reason?: string): Promise<CylinderRow> {
    this.access.require(actor, CYLINDERS_MANAGE)
    const row = await this.store.transaction(async (repos) => {
      const [current] = await repos.cylinders.lock('id', [id])
      if (!current) throw notFound('Cylinder')
      if (isTerminal(current.status)) throw new AppError('CYLINDER_INVALID_TRANSITION', 'A trashed cylinder gets no new label.', { status: current.status })
      await repos.cylinders.retireCode(current.qrCode, id)
      const updated = (await repos.cylinders.update(id, current.version, { qrCode: newQrCode() }))!
      await repos.cylinders.insertEvents([{ cylinderId: id, type: 'reprinted', actorId: actor.id, reason: reason?.trim() || null, data: { retiredCode: current.qrCode } }])
      return updated
    })
    this.notifier.changed({ event: 'cylinder.reprinted', actorId: actor.id, cylinders: [row], before: new Map([[id, row.status]]) })
    return row
  }

  /** Cylinders by id in the order asked, for a label sheet (cylinders:manage); unknown ids are listed in a 404. */
  async many(actor: Actor, ids: readonly string[]): Promise<CylinderRow[]> {
    this.access.require(actor, CYLINDERS_MANAGE)
    const byId = new Map((await this.store.repos.cylinders.findByIds(ids)).map((c) => [c.id, c]))
    const missing = ids.filter((id) => !byId.has(id))
    if (missing.length > 0) throw new AppError('NOT_FOUND', `${missing.length} cylinders were not found.`, { missing })
    return ids.map((id) => byId.get(id)!)
  }
}

function pageOf<R, V>(rows: R[], limit: number, cursorAfter: (row: R) => string, view: (row: R) => V): Page<V> {
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return { items: page.map(view), nextCursor: rows.length > limit && last !== undefined ? cursorAfter(last) : null }
}

/** Later copies of a serial number in one request (serial numbers are unique whatever their case). */
function repeatsIn(serials: readonly string[]): string[] {
  const seen = new Set<string>()
  const repeated: string[] = []
  for (const serial of serials) {
    const key = serial.toLowerCase()
    if (seen.has(key)) repeated.push(serial)
    else seen.add(key)
  }
  return repeated
}
