import { and, asc, eq, inArray } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { sqlExecutor, type SqlExecutor } from '../../core/db/sql-executor.js'
import { branding, characters, exports, stylePresets } from './db/schema.js'

export type ExportRow = typeof exports.$inferSelect
export type NewExportRow = typeof exports.$inferInsert
export type StyleRow = typeof stylePresets.$inferSelect
export type CharacterRow = typeof characters.$inferSelect
export type BrandingRow = typeof branding.$inferSelect

/** Export jobs, the project parts only the export reads (styles, characters), and branding. */
export function createExportsRepository(db: Db) {
  return {
    async insert(values: NewExportRow): Promise<ExportRow> {
      const [row] = await db.insert(exports).values(values).returning()
      return row!
    },

    async findById(id: string): Promise<ExportRow | undefined> {
      const [row] = await db.select().from(exports).where(eq(exports.id, id)).limit(1)
      return row
    },

    /** Queued (or an attempt that died while running) → running; undefined once it is done or failed. */
    async start(id: string): Promise<ExportRow | undefined> {
      const [row] = await db
        .update(exports)
        .set({ status: 'running' })
        .where(and(eq(exports.id, id), inArray(exports.status, ['queued', 'running'])))
        .returning()
      return row
    },

    /** Done with its file; undefined when another run finished it first. */
    async finish(id: string, fileId: string, at: Date): Promise<ExportRow | undefined> {
      const [row] = await db
        .update(exports)
        .set({ status: 'done', fileId, finishedAt: at, error: null })
        .where(and(eq(exports.id, id), eq(exports.status, 'running')))
        .returning()
      return row
    },

    /** Failed with the reason; undefined when it had already finished (or is gone with its project). */
    async fail(id: string, error: string, at: Date): Promise<ExportRow | undefined> {
      const [row] = await db
        .update(exports)
        .set({ status: 'failed', error, finishedAt: at })
        .where(and(eq(exports.id, id), inArray(exports.status, ['queued', 'running'])))
        .returning()
      return row
    },

    async stylesOf(projectId: string): Promise<StyleRow[]> {
      return db.select().from(stylePresets).where(eq(stylePresets.projectId, projectId)).orderBy(asc(stylePresets.createdAt), asc(stylePresets.id))
    },

    async charactersOf(projectId: string): Promise<CharacterRow[]> {
      return db.select().from(characters).where(eq(characters.projectId, projectId)).orderBy(asc(characters.createdAt), asc(characters.id))
    },

    async insertStyles(rows: (typeof stylePresets.$inferInsert)[]): Promise<void> {
      if (rows.length > 0) await db.insert(stylePresets).values(rows)
    },

    async insertCharacters(rows: (typeof characters.$inferInsert)[]): Promise<void> {
      if (rows.length > 0) await db.insert(characters).values(rows)
    },

    async brandingOf(userId: string): Promise<BrandingRow | undefined> {
      const [row] = await db.select().from(branding).where(eq(branding.userId, userId)).limit(1)
      return row
    },

    /** Sends jobs on this handle's connection: inside a transaction, the job exists if and only if it commits. */
    executor(): SqlExecutor {
      return sqlExecutor(db)
    },
  }
}

export type ExportsRepository = ReturnType<typeof createExportsRepository>
