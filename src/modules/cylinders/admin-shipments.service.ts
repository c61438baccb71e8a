import type { Actor } from '../../core/access/actor.js'
import { AppError, notFound } from '../../core/errors/app-error.js'
import { decodeRowCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import { toShipmentView } from './cylinder.view.js'
import type { AdminShipmentFilters, AdminShipmentRow, AdminShipmentsRepository, ShipmentPosition } from './admin-shipments.repository.js'
import type { MoveType } from './domain.js'
import { CYLINDERS_REPORTS, type CylinderAccess } from './permissions.js'
import type { ShipmentsRepository } from './shipments.repository.js'
import type { Page } from '../../core/http/resource/resource.service.js'

/** The list's query as the route receives it: `from`/`to` are ISO date-times or calendar days (UTC). */
export interface ShipmentQuery {
  workerId?: string
  type?: MoveType
  locationId?: string
  from?: string
  to?: string
}


const SORT = '-scannedAt'

/** The shipment as scanners see it, plus who scanned it and where it went. */
function toAdminShipmentView({ shipment, worker, location }: AdminShipmentRow) {
  const { items: _items, ...fields } = toShipmentView(shipment, [])
  return { ...fields, worker, location }
}

export type AdminShipmentView = ReturnType<typeof toAdminShipmentView>

/** Admins' view of every batch scanned: who moved what, where and when (cylinders:reports). */
export class AdminShipmentsService {
  constructor(
    private readonly access: CylinderAccess,
    private readonly repository: AdminShipmentsRepository,
    private readonly shipments: ShipmentsRepository,
  ) {}

  async list(actor: Actor, query: ShipmentQuery, page: { limit: number; cursor?: string }): Promise<Page<AdminShipmentView>> {
    this.access.require(actor, CYLINDERS_REPORTS)
    const filters = filtersOf(query)
    const after = page.cursor ? positionOf(page.cursor) : undefined
    const rows = await this.repository.list(filters, page.limit + 1, after)
    const items = rows.slice(0, page.limit)
    const last = items.at(-1)?.shipment
    const more = rows.length > page.limit && last
    return { items: items.map(toAdminShipmentView), nextCursor: more ? encodeCursor({ sort: SORT, value: last.scannedAt.toISOString(), id: last.id }) : null }
  }

  async get(actor: Actor, id: string) {
    this.access.require(actor, CYLINDERS_REPORTS)
    const row = await this.repository.findById(id)
    if (!row) throw notFound('Shipment')
    const items = await this.shipments.items(id)
    return { ...toAdminShipmentView(row), items: toShipmentView(row.shipment, items).items }
  }
}

/**
 * A calendar day is its midnight UTC, and a day as `to` includes that whole day (as in the reports):
 * `from=2026-05-01&to=2026-05-01` is that one day. A date-time `to` is exclusive.
 */
function filtersOf(query: ShipmentQuery): AdminShipmentFilters {
  const { from, to, ...rest } = query
  const end = to && (DAY.test(to) ? new Date(new Date(to).getTime() + DAY_MS) : new Date(to))
  const range = { ...(from ? { from: new Date(from) } : {}), ...(end ? { to: end } : {}) }
  if (range.from && range.to && range.from.getTime() >= range.to.getTime()) {
    throw new AppError('VALIDATION_FAILED', '`from` must be before `to` (`from` is inclusive, `to` exclusive).', { 'query.to': 'must be after from' })
  }
  return { ...rest, ...range }
}

/** The cursor's position; one not made by this list is refused as INVALID_CURSOR. */
function positionOf(cursor: string): ShipmentPosition {
  const { at, id } = decodeRowCursor(cursor, SORT, 'timestamp')
  return { scannedAt: at!, id }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/
const DAY_MS = 86_400_000
