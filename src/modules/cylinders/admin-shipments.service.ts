import { AppError, notFound } from '../../core/errors/app-error.js'
import { decodeCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import { toShipmentView } from './cylinder.view.js'
import type { AdminShipmentFilters, AdminShipmentRow, AdminShipmentsRepository, ShipmentPosition } from './admin-shipments.repository.js'
import type { MoveType } from './domain.js'
import type { ShipmentsRepository } from './shipments.repository.js'

/** The list's query as the route receives it: `from`/`to` are ISO date-times or calendar days (UTC). */
export interface ShipmentQuery {
  workerId?: string
  type?: MoveType
  locationId?: string
  from?: string
  to?: string
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

const SORT = '-scannedAt'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The shipment as scanners see it, plus who scanned it and where it went. */
function toAdminShipmentView({ shipment, worker, location }: AdminShipmentRow) {
  const { items: _items, ...fields } = toShipmentView(shipment, [])
  return { ...fields, worker, location }
}

export type AdminShipmentView = ReturnType<typeof toAdminShipmentView>

/** Admins' view of every batch scanned: who moved what, where and when. */
export class AdminShipmentsService {
  constructor(
    private readonly repository: AdminShipmentsRepository,
    private readonly shipments: ShipmentsRepository,
  ) {}

  async list(query: ShipmentQuery, page: { limit: number; cursor?: string }): Promise<Page<AdminShipmentView>> {
    const filters = filtersOf(query)
    const after = page.cursor ? positionOf(page.cursor) : undefined
    const rows = await this.repository.list(filters, page.limit + 1, after)
    const items = rows.slice(0, page.limit)
    const last = items.at(-1)?.shipment
    const more = rows.length > page.limit && last
    return { items: items.map(toAdminShipmentView), nextCursor: more ? encodeCursor({ sort: SORT, value: last.scannedAt.toISOString(), id: last.id }) : null }
  }

  async get(id: string) {
    const row = await this.repository.findById(id)
    if (!row) throw notFound('Shipment')
    const items = await this.shipments.items(id)
    return { ...toAdminShipmentView(row), items: toShipmentView(row.shipment, items).items }
  }
}

/** A calendar day is its midnight UTC; the range is [from, to) and must not be empty. */
function filtersOf(query: ShipmentQuery): AdminShipmentFilters {
  const { from, to, ...rest } = query
  const range = { ...(from ? { from: new Date(from) } : {}), ...(to ? { to: new Date(to) } : {}) }
  if (range.from && range.to && range.from.getTime() >= range.to.getTime()) {
    throw new AppError('VALIDATION_FAILED', '`from` must be before `to` (`from` is inclusive, `to` exclusive).', { 'query.to': 'must be after from' })
  }
  return { ...rest, ...range }
}

/** The cursor's position; one not made by this list is refused as INVALID_CURSOR. */
function positionOf(cursor: string): ShipmentPosition {
  const { value, id } = decodeCursor(cursor, SORT)
  const scannedAt = typeof value === 'string' ? new Date(value) : undefined
  if (!scannedAt || Number.isNaN(scannedAt.getTime()) || !UUID.test(id)) throw new AppError('INVALID_CURSOR', undefined, { cursor: 'does not belong to this list' })
  return { scannedAt, id }
}
