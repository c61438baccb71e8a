import { and, desc, eq, gt, gte, like, lt, lte, or, sql, type SQL } from 'drizzle-orm'
import { createAuditRepository } from '../audit/audit.repository.js'
import type { Db } from '../db/client.js'
import { unitOfWork, type UnitOfWork } from '../db/unit-of-work.js'
import { users } from '../users/db/schema.js'
import { files, fileUsage, type FileRow } from './db/schema.js'
import { createFilesRepository } from './files.repository.js'

export type AdminFileSort = '-createdAt' | '-size'

export interface AdminFileQuery {
  ownerId?: string
  /** An exact type (`application/pdf`), or every subtype of one (`{ prefix: 'image/' }`). */
  contentType?: string | { prefix: string }
  minSize?: number
  maxSize?: number
  from?: Date
  to?: Date
  sort: AdminFileSort
  /** The last row of the previous page (its size for `-size`). */
  after?: { id: string; size?: number }
  limit: number
}

export interface OwnerRef {
  id: string
  email: string
  name: string
}

export type AdminFileRow = FileRow & { owner: OwnerRef }

export interface OwnerUsageRow {
  owner: OwnerRef
  bytes: number
  files: number
  /** The owner's own quota (0: none); null: the default applies. */
  quotaBytes: number | null
}

export interface OwnerUsageQuery {
  ownerId?: string
  after?: { bytes: number; userId: string }
  limit: number
}

const owner = { id: users.id, email: users.email, name: users.name }

/** The administrators' reads across every owner's files, and deletion with its audit entry. */
export function createFilesAdminRepository(db: Db) {
  return {
    /** Newest first (ids are UUIDv7) or largest first, keyset-paginated; every filter is optional. */
    async list(query: AdminFileQuery): Promise<AdminFileRow[]> {
      const conditions: (SQL | undefined)[] = []
      if (query.ownerId) conditions.push(eq(files.ownerId, query.ownerId))
      if (typeof query.contentType === 'string') conditions.push(eq(files.contentType, query.contentType))
      else if (query.contentType) conditions.push(like(files.contentType, `${query.contentType.prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`))
      if (query.minSize !== undefined) conditions.push(gte(files.size, query.minSize))
      if (query.maxSize !== undefined) conditions.push(lte(files.size, query.maxSize))
      if (query.from) conditions.push(gte(files.createdAt, query.from))
      if (query.to) conditions.push(lte(files.createdAt, query.to))
      const bySize = query.sort === '-size'
      if (query.after) {
        const { id, size } = query.after
        conditions.push(bySize && size !== undefined ? or(lt(files.size, size), and(eq(files.size, size), lt(files.id, id))) : lt(files.id, id))
      }
      const rows = await db
        .select({ file: files, owner })
        .from(files)
        .innerJoin(users, eq(users.id, files.ownerId))
        .where(and(...conditions))
        .orderBy(...(bySize ? [desc(files.size), desc(files.id)] : [desc(files.id)]))
        .limit(query.limit)
      return rows.map((row) => ({ ...row.file, owner: row.owner }))
    },

    /** Owners by bytes stored, largest first (then by id), those with no file left out. */
    async usageByOwner(query: OwnerUsageQuery): Promise<OwnerUsageRow[]> {
      const conditions: (SQL | undefined)[] = [gt(fileUsage.files, 0)]
      if (query.ownerId) conditions.push(eq(fileUsage.userId, query.ownerId))
      if (query.after) {
        const { bytes, userId } = query.after
        // A row comparison: the index's range (file_usage_bytes_idx), not a filter over every row before it.
        conditions.push(sql`(${fileUsage.bytes}, ${fileUsage.userId}) < (${bytes}, ${userId}::uuid)`)
      }
      return db
        .select({ owner, bytes: fileUsage.bytes, files: fileUsage.files, quotaBytes: fileUsage.quotaBytes })
        .from(fileUsage)
        .innerJoin(users, eq(users.id, fileUsage.userId))
        .where(and(...conditions))
        .orderBy(desc(fileUsage.bytes), desc(fileUsage.userId))
        .limit(query.limit)
    },

    /** For a deletion: the file's row and its owner's usage, and the audit entry saying who deleted it, in one transaction. */
    files: createFilesRepository(db),
    audit: createAuditRepository(db),
  }
}

export type FilesAdminRepos = ReturnType<typeof createFilesAdminRepository>

export function filesAdminStore(db: Db): UnitOfWork<FilesAdminRepos> {
  return unitOfWork(db, createFilesAdminRepository)
}
