import { and, desc, eq, lt, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { unitOfWork, type UnitOfWork } from '../db/unit-of-work.js'
import { files, fileUsage, type FileRow, type NewFileRow } from './db/schema.js'

export interface Usage {
  bytes: number
  files: number
}

export function createFilesRepository(db: Db) {
  return {
    /** Inserts the file and adds it to its owner's usage. Call inside a transaction. */
    async insert(row: NewFileRow & { size: number }): Promise<FileRow> {
      const [inserted] = await db.insert(files).values(row).returning()
      await db
        .insert(fileUsage)
        .values({ userId: row.ownerId, bytes: row.size, files: 1 })
        .onConflictDoUpdate({
          target: fileUsage.userId,
          set: { bytes: sql`${fileUsage.bytes} + ${row.size}`, files: sql`${fileUsage.files} + 1`, updatedAt: sql`now()` },
        })
      return inserted!
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
      const [row] = await db.select({ bytes: fileUsage.bytes, files: fileUsage.files }).from(fileUsage).where(eq(fileUsage.userId, userId))
      return row ?? { bytes: 0, files: 0 }
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
