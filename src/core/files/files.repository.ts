import { and, desc, eq, lt, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { unitOfWork, type UnitOfWork } from '../db/unit-of-work.js'
import { files, fileUsage, type FileRow, type NewFileRow } from './db/schema.js'

export interface Usage {
  bytes: number
  files: number
  /** The user's own quota, set by a module (0: none); `null`: the default applies. */
  quotaBytes: number | null
}

export function createFilesRepository(db: Db) {
  return {
    /**
     * Adds the file to its owner's usage, if it fits their quota (the user's own, else
     * `defaultQuotaBytes`; 0 is none), and inserts it; `null` when it does not fit. Call inside a
     * transaction. The usage row is locked first, so concurrent uploads of one user are checked one
     * after another, each against the usage the others committed.
     */
    async insert(row: NewFileRow & { size: number }, defaultQuotaBytes: number): Promise<FileRow | null> {
      const quota = sql`coalesce(${fileUsage.quotaBytes}, ${defaultQuotaBytes}::bigint)`
      const counted = await db
        .insert(fileUsage)
        .values({ userId: row.ownerId, bytes: row.size, files: 1 })
        .onConflictDoUpdate({
          target: fileUsage.userId,
          set: { bytes: sql`${fileUsage.bytes} + ${row.size}`, files: sql`${fileUsage.files} + 1`, updatedAt: sql`now()` },
          setWhere: sql`${quota} = 0 or ${fileUsage.bytes} + ${row.size}::bigint <= ${quota}`,
        })
        .returning({ userId: fileUsage.userId })
      if (counted.length === 0) return null
      const [inserted] = await db.insert(files).values(row).returning()
      return inserted!
    },

    /** Sets the user's own quota (0: none), or `null` to fall back to the default. */
    async setQuota(userId: string, quotaBytes: number | null): Promise<void> {
      await db
        .insert(fileUsage)
        .values({ userId, quotaBytes })
        .onConflictDoUpdate({ target: fileUsage.userId, set: { quotaBytes, updatedAt: sql`now()` } })
    },

    async findById(id: string): Promise<FileRow | null> {
      const [row] = await db.select().from(files).where(eq(files.id, id))
      return row ?? null
    },

    /** Records the finished thumbnail (`key`), or that none could be made (`null`); `null` when the file is gone. */
    async setThumbnail(id: string, key: string | null): Promise<FileRow | null> {
      const [row] = await db
        .update(files)
        .set({ thumbnailKey: key, thumbnailStatus: key ? 'ready' : 'failed' })
        .where(eq(files.id, id))
        .returning()
      return row ?? null
    },

    /** Deletes the file and takes it off its owner's usage; `null` when it was already gone. Call inside a transaction. */
    async delete(id: string): Promise<FileRow | null> {
      const [row] = await db.delete(files).where(eq(files.id, id)).returning()
      if (!row) return null
      await db
        .update(fileUsage)
        .set({ bytes: sql`${fileUsage.bytes} - ${row.size}`, files: sql`${fileUsage.files} - 1`, updatedAt: sql`now()` })
        .where(eq(fileUsage.userId, row.ownerId))
      return row
    },

    async usage(userId: string): Promise<Usage> {
      const [row] = await db.select({ bytes: fileUsage.bytes, files: fileUsage.files, quotaBytes: fileUsage.quotaBytes }).from(fileUsage).where(eq(fileUsage.userId, userId))
      return row ?? { bytes: 0, files: 0, quotaBytes: null }
    },

    /** A page of the owner's files, newest first (UUIDv7 ids are time-ordered), after `beforeId`. */
    listByOwner(ownerId: string, limit: number, beforeId?: string): Promise<FileRow[]> {
      const conditions = [eq(files.ownerId, ownerId), ...(beforeId ? [lt(files.id, beforeId)] : [])]
      return db.select().from(files).where(and(...conditions)).orderBy(desc(files.id)).limit(limit)
    },
  }
}

export type FilesRepository = ReturnType<typeof createFilesRepository>

export function filesStore(db: Db): UnitOfWork<FilesRepository> {
  return unitOfWork(db, createFilesRepository)
}
