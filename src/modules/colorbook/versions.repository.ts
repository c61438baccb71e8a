import { and, asc, count, desc, eq, getTableColumns, inArray, isNull, notInArray, sql, type SQL } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import type { Db } from '../../core/db/client.js'
import { changes, characters, drawings, images, projects, projectVersions, stories, stylePresets } from './db/schema.js'

export type VersionRow = typeof projectVersions.$inferSelect
export type NewVersionRow = typeof projectVersions.$inferInsert
export type VersionKind = VersionRow['kind']
export type CharacterRow = typeof characters.$inferSelect
export type StyleRow = typeof stylePresets.$inferSelect

/** The tables a snapshot holds besides the project, in the order restores write them (referenced first). */
export const snapshotTables = { story: stories, stylePreset: stylePresets, character: characters, image: images, drawing: drawings } as const
export type SnapshotKind = keyof typeof snapshotTables
/** Rows of any snapshot table, by their common columns. */
export interface SnapshotRow {
  id: string
  projectId: string
  version: number
  createdAt: Date
  updatedAt: Date
  [column: string]: unknown
}

const CHUNK = 500
const asStories = (table: PgTable) => table as unknown as typeof stories

/** Versions (snapshots) of projects, and the bulk writes a restore makes. */
export function createVersionsRepository(db: Db) {
  return {
    async insert(values: NewVersionRow): Promise<VersionRow> {
      const [row] = await db.insert(projectVersions).values(values).returning()
      return row!
    },

    /** The project, locked until the transaction ends (the automatic versions' job, which acts for no user). */
    async lockProject(id: string): Promise<typeof projects.$inferSelect | undefined> {
      const [row] = await db.select().from(projects).where(eq(projects.id, id)).for('update').limit(1)
      return row
    },

    async find(projectId: string, id: string): Promise<VersionRow | undefined> {
      const [row] = await db
        .select()
        .from(projectVersions)
        .where(and(eq(projectVersions.projectId, projectId), eq(projectVersions.id, id)))
        .limit(1)
      return row
    },

    /** Newest first, after `after` (the last of the previous page); without the snapshots. */
    async list(projectId: string, limit: number, filter: { kind?: VersionKind }, after?: { at: Date; id: string }): Promise<Omit<VersionRow, 'snapshot'>[]> {
      const { snapshot: _snapshot, ...columns } = getTableColumns(projectVersions)
      const where: (SQL | undefined)[] = [eq(projectVersions.projectId, projectId)]
      if (filter.kind) where.push(eq(projectVersions.kind, filter.kind))
      if (after) where.push(sql`(${projectVersions.createdAt}, ${projectVersions.id}) < (${after.at.toISOString()}::timestamptz, ${after.id})`)
      return db
        .select(columns)
        .from(projectVersions)
        .where(and(...where))
        .orderBy(desc(projectVersions.createdAt), desc(projectVersions.id))
        .limit(limit)
    },

    async counts(projectId: string): Promise<{ named: number; other: number }> {
      const rows = await db
        .select({ named: sql<boolean>`${projectVersions.kind} = 'named'`, n: count() })
        .from(projectVersions)
        .where(eq(projectVersions.projectId, projectId))
        .groupBy(sql`1`)
      return { named: rows.find((r) => r.named)?.n ?? 0, other: rows.find((r) => !r.named)?.n ?? 0 }
    },

    /** Deletes the `n` oldest versions that are not named (automatic ones first, then system ones); returns their ids. */
    async pruneOldest(projectId: string, n: number): Promise<string[]> {
      if (n <= 0) return []
      const victims = await db
        .select({ id: projectVersions.id })
        .from(projectVersions)
        .where(and(eq(projectVersions.projectId, projectId), sql`${projectVersions.kind} <> 'named'`))
        .orderBy(sql`(${projectVersions.kind} = 'system')`, asc(projectVersions.createdAt), asc(projectVersions.id))
        .limit(n)
      const ids = victims.map((v) => v.id)
      if (ids.length > 0) await db.delete(projectVersions).where(inArray(projectVersions.id, ids))
      return ids
    },

    async delete(id: string): Promise<VersionRow | undefined> {
      const [row] = await db.delete(projectVersions).where(eq(projectVersions.id, id)).returning()
      return row
    },

    /** The project's rows of one snapshot table, in order. */
    async rowsOf(kind: SnapshotKind, projectId: string): Promise<SnapshotRow[]> {
      const table = asStories(snapshotTables[kind])
      const order = 'position' in snapshotTables[kind] ? [asc(table.position), asc(table.id)] : [asc(table.createdAt), asc(table.id)]
      return await db
        .select()
        .from(table)
        .where(eq(table.projectId, projectId))
        .orderBy(...order)
    },

    /** Deletes the project's rows of one table whose ids are not in `keep`; returns them. */
    async deleteExcept(kind: SnapshotKind, projectId: string, keep: readonly string[]): Promise<SnapshotRow[]> {
      const table = asStories(snapshotTables[kind])
      const where = keep.length > 0 ? and(eq(table.projectId, projectId), notInArray(table.id, [...keep])) : eq(table.projectId, projectId)
      return await db.delete(table).where(where).returning()
    },

    /** Writes the rows as given (insert, or overwrite every column of the row with that id). */
    async upsert(kind: SnapshotKind, rows: readonly SnapshotRow[]): Promise<void> {
      const table = snapshotTables[kind]
      const columns = getTableColumns(table as PgTable) as Record<string, PgColumn>
      const set = Object.fromEntries(Object.entries(columns).flatMap(([key, column]) => (key === 'id' ? [] : [[key, sql.raw(`excluded."${column.name}"`)]])))
      for (let i = 0; i < rows.length; i += CHUNK) {
        const chunk = rows.slice(i, i + CHUNK) as unknown as (typeof stories.$inferInsert)[]
        await db
          .insert(asStories(table))
          .values(chunk)
          .onConflictDoUpdate({ target: asStories(table).id, set })
      }
    },

    /** The newest version the sync log holds for each of these entities (a row deleted since has its tombstone's). */
    async lastLogged(projectId: string, entityIds: readonly string[]): Promise<Map<string, number>> {
      const found = new Map<string, number>()
      for (let i = 0; i < entityIds.length; i += CHUNK) {
        const rows = await db
          .select({ id: changes.entityId, version: sql<number>`max(${changes.version})` })
          .from(changes)
          // The project's index narrows it; entity ids alone are not indexed.
          .where(and(eq(changes.projectId, projectId), inArray(changes.entityId, entityIds.slice(i, i + CHUNK))))
          .groupBy(changes.entityId)
        for (const row of rows) found.set(row.id, Number(row.version))
      }
      return found
    },

    /** Projects outside the trash changed since their newest version (or since creation, without one): the automatic versions' due list. */
    async changedSinceLastVersion(limit: number, after?: string): Promise<string[]> {
      const latest = db
        .select({ at: sql`max(${projectVersions.createdAt})` })
        .from(projectVersions)
        .where(eq(projectVersions.projectId, projects.id))
      const rows = await db
        .select({ id: projects.id })
        .from(projects)
        .where(and(isNull(projects.trashedAt), sql`${projects.updatedAt} > coalesce((${latest}), ${projects.createdAt})`, after ? sql`${projects.id} > ${after}` : undefined))
        .orderBy(asc(projects.id))
        .limit(limit)
      return rows.map((row) => row.id)
    },
  }
}

export type VersionsRepository = ReturnType<typeof createVersionsRepository>
