import type { Actor } from '../access/actor.js'
import type { PermissionRegistry } from '../access/permissions.js'
import type { RequestMeta } from '../auth/request-meta.js'
import { isUuid } from '../db/columns.js'
import type { UnitOfWork } from '../db/unit-of-work.js'
import { AppError, notFound } from '../errors/app-error.js'
import { decodeCursor, encodeCursor } from '../http/resource/cursor.js'
import type { Page } from '../http/resource/resource.service.js'
import { toFileView, type FileView } from './file.view.js'
import type { AdminFileQuery, AdminFileSort, FilesAdminRepos, OwnerRef } from './files-admin.repository.js'
import type { FilesService } from './files.service.js'
import { FILES_MANAGE } from './permissions.js'

export interface AdminFileListQuery {
  limit: number
  cursor?: string
  sort?: AdminFileSort
  ownerId?: string
  /** `type/subtype`, or `type/*` for every subtype. */
  contentType?: string
  minSize?: number
  maxSize?: number
  from?: string
  to?: string
}

export type AdminFileView = FileView & { owner: OwnerRef }

export interface OwnerUsageView {
  owner: OwnerRef
  bytesUsed: number
  files: number
  /** The quota that applies to the owner; null: none. */
  quotaBytes: number | null
}

const USAGE_SORT = '-bytes'

/** Every owner's files for administrators (files:manage): list, usage per owner, and audited deletion. */
export class FilesAdminService {
  constructor(
    private readonly store: UnitOfWork<FilesAdminRepos>,
    private readonly files: Pick<FilesService, 'removeObjects'>,
    private readonly access: PermissionRegistry,
    /** STORAGE_QUOTA_BYTES: what applies to an owner without a quota of their own (0: none). */
    private readonly defaultQuotaBytes: number,
  ) {
    access.assertKnown(FILES_MANAGE)
  }

  async list(actor: Actor, query: AdminFileListQuery): Promise<Page<AdminFileView>> {
    this.access.require(actor, FILES_MANAGE)
    const sort = query.sort ?? '-createdAt'
    const rows = await this.store.repos.list({ ...filters(query), sort, limit: query.limit + 1, ...(query.cursor ? { after: decodeFileCursor(query.cursor, sort) } : {}) })
    const page = rows.slice(0, query.limit)
    const last = page.at(-1)
    const nextCursor = rows.length > query.limit && last ? encodeCursor({ sort, value: sort === '-size' ? last.size : null, id: last.id }) : null
    return { items: page.map((row) => ({ ...toFileView(row), owner: row.owner })), nextCursor }
  }

  async usage(actor: Actor, query: { limit: number; cursor?: string; ownerId?: string }): Promise<Page<OwnerUsageView>> {
    this.access.require(actor, FILES_MANAGE)
    const rows = await this.store.repos.usageByOwner({
      limit: query.limit + 1,
      ...(query.ownerId ? { ownerId: query.ownerId } : {}),
      ...(query.cursor ? { after: decodeUsageCursor(query.cursor) } : {}),
    })
    const page = rows.slice(0, query.limit)
    const last = page.at(-1)
    const nextCursor = rows.length > query.limit && last ? encodeCursor({ sort: USAGE_SORT, value: last.bytes, id: last.owner.id }) : null
    return {
      items: page.map((row) => {
        const quota = row.quotaBytes ?? this.defaultQuotaBytes
        return { owner: row.owner, bytesUsed: row.bytes, files: row.files, quotaBytes: quota === 0 ? null : quota }
      }),
      nextCursor,
    }
  }

  /** The row, the owner's usage and the audit entry in one transaction; the stored objects after it commits. */
  async remove(actor: Actor, id: string, meta: RequestMeta): Promise<void> {
    this.access.require(actor, FILES_MANAGE)
    const row = await this.store.transaction(async (repos) => {
      const deleted = await repos.files.delete(id)
      if (!deleted) throw notFound('File')
      // Not the name: it is the owner's data, and the audit log outlives the file.
      const details = { ownerId: deleted.ownerId, size: deleted.size, contentType: deleted.contentType }
      await repos.audit.append({ action: 'file.deleted', actorId: actor.id, targetId: id, ...meta, details })
      return deleted
    })
    await this.files.removeObjects(row)
  }
}

function filters(query: AdminFileListQuery): Omit<AdminFileQuery, 'sort' | 'limit' | 'after'> {
  const from = query.from ? new Date(query.from) : undefined
  const to = query.to ? new Date(query.to) : undefined
  if (from && to && from > to) throw new AppError('VALIDATION_FAILED', 'query.from must not be after query.to.', { 'query.from': 'must not be after query.to' })
  if (query.minSize !== undefined && query.maxSize !== undefined && query.minSize > query.maxSize) {
    throw new AppError('VALIDATION_FAILED', 'query.minSize must not be above query.maxSize.', { 'query.minSize': 'must not be above query.maxSize' })
  }
  const type = query.contentType
  return {
    ...(query.ownerId ? { ownerId: query.ownerId } : {}),
    ...(type ? { contentType: type.endsWith('/*') ? { prefix: type.slice(0, -1) } : type } : {}),
    ...(query.minSize !== undefined ? { minSize: query.minSize } : {}),
    ...(query.maxSize !== undefined ? { maxSize: query.maxSize } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  }
}

const invalidCursor = () => new AppError('INVALID_CURSOR', undefined, { cursor: 'does not belong to this list and sort order' })

function decodeFileCursor(cursor: string, sort: AdminFileSort): { id: string; size?: number } {
  const { value, id } = decodeCursor(cursor, sort)
  if (!isUuid(id)) throw invalidCursor()
  if (sort !== '-size') return { id }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalidCursor()
  return { id, size: value }
}

function decodeUsageCursor(cursor: string): { bytes: number; userId: string } {
  const { value, id } = decodeCursor(cursor, USAGE_SORT)
  if (!isUuid(id) || typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalidCursor()
  return { bytes: value, userId: id }
}
