import type { Actor } from '../access/actor.js'
import { isUuid } from '../db/columns.js'
import type { PermissionRegistry } from '../access/permissions.js'
import { AppError } from '../errors/app-error.js'
import { decodeCursor, encodeCursor } from '../http/resource/cursor.js'
import type { AuditRepository } from './audit.repository.js'
import { toAuditEntryView, type AuditEntryView } from './audit.view.js'
import type { Page } from '../http/resource/resource.service.js'

export interface AuditListQuery {
  limit: number
  cursor?: string
  actorId?: string
  action?: string
  from?: string
  to?: string
}

export type AuditPage = Page<AuditEntryView>

const PERMISSION = 'audit:read'
const SORT = '-at'

/** The audit log as administrators read it: newest first, filtered, keyset-paginated. */
export class AuditService {
  constructor(
    private readonly audit: AuditRepository,
    private readonly access: PermissionRegistry,
  ) {
    access.assertKnown(PERMISSION)
  }

  async list(actor: Actor, query: AuditListQuery): Promise<AuditPage> {
    if (!this.access.roleHas(actor.role, PERMISSION)) throw new AppError('FORBIDDEN', `This requires the ${PERMISSION} permission.`)
    const from = query.from ? new Date(query.from) : undefined
    const to = query.to ? new Date(query.to) : undefined
    if (from && to && from > to) throw new AppError('VALIDATION_FAILED', 'query.from must not be after query.to.', { 'query.from': 'must not be after query.to' })
    const rows = await this.audit.list({
      ...(query.actorId ? { actorId: query.actorId } : {}),
      ...(query.action ? { action: query.action } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(query.cursor ? { after: decodeAuditCursor(query.cursor) } : {}),
      limit: query.limit + 1,
    })
    const page = rows.slice(0, query.limit)
    const last = page.at(-1)
    const nextCursor = rows.length > query.limit && last ? encodeCursor({ sort: SORT, value: last.at.toISOString(), id: last.id }) : null
    return { items: page.map(toAuditEntryView), nextCursor }
  }
}

function decodeAuditCursor(cursor: string): { at: Date; id: string } {
  const { value, id } = decodeCursor(cursor, SORT)
  const at = typeof value === 'string' ? new Date(value) : undefined
  if (!at || Number.isNaN(at.getTime()) || !isUuid(id)) throw new AppError('INVALID_CURSOR', undefined, { cursor: 'does not belong to this list' })
  return { at, id }
}
