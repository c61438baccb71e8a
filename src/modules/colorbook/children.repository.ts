import { and, asc, count, eq, inArray, max, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { characters, drawings, images, stories, stylePresets } from './db/schema.js'

/** The tables of a project's ordered children; they share id, projectId, position, version and times. */
export const childTables = { story: stories, image: images, drawing: drawings } as const
export type ChildTables = typeof childTables
export type ChildKindOf = keyof ChildTables
export type ChildRow<K extends ChildKindOf> = ChildTables[K]['$inferSelect']
export type NewChildRow<K extends ChildKindOf> = ChildTables[K]['$inferInsert']

/**
 * One repository for stories, images and drawings. Their common columns are reached through the
 * stories table's (same names, same types), so the SQL is written once.
 */
export function createChildRepository<K extends ChildKindOf>(db: Db, kind: K) {
  type Row = ChildRow<K>
  type New = NewChildRow<K>
  const table = childTables[kind] as unknown as typeof stories
  const rows = (value: unknown) => value as Row[]

  return {
    async findById(id: string): Promise<Row | undefined> {
      return rows(await db.select().from(table).where(eq(table.id, id)).limit(1))[0]
    },

    /** The project's children of this kind, in order. */
    async listOf(projectId: string): Promise<Row[]> {
      return rows(await db.select().from(table).where(eq(table.projectId, projectId)).orderBy(asc(table.position), asc(table.id)))
    },

    async stats(projectId: string): Promise<{ count: number; maxPosition: number | null }> {
      const [row] = await db.select({ n: count(), top: max(table.position) }).from(table).where(eq(table.projectId, projectId))
      return { count: row?.n ?? 0, maxPosition: row?.top ?? null }
    },

    async insert(values: New): Promise<Row> {
      return rows(await db.insert(table).values(values as unknown as typeof stories.$inferInsert).returning())[0]!
    },

    async insertMany(values: readonly New[]): Promise<Row[]> {
      if (values.length === 0) return []
      return rows(await db.insert(table).values(values as unknown as (typeof stories.$inferInsert)[]).returning())
    },

    /** The changes at `version`: the version goes up by one. Undefined when stale or gone. */
    async update(id: string, version: number, changes: Partial<New>, at: Date): Promise<Row | undefined> {
      const set = { ...(changes as Partial<typeof stories.$inferInsert>), version: sql`${table.version} + 1`, updatedAt: at }
      return rows(await db.update(table).set(set).where(and(eq(table.id, id), eq(table.version, version))).returning())[0]
    },

    async delete(id: string): Promise<Row | undefined> {
      return rows(await db.delete(table).where(eq(table.id, id)).returning())[0]
    },

    /** Positions 0, 1, 2… in the order of `ids`; rows whose position changes get a new version. Returns those. */
    async reorder(projectId: string, ids: readonly string[], at: Date): Promise<Row[]> {
      if (ids.length === 0) return []
      const positions = sql.join(
        ids.map((id, i) => sql`(${id}::uuid, ${i}::int)`),
        sql`, `,
      )
      const result = await db.execute(sql`
        update ${table} set position = o.position, version = ${table.version} + 1, updated_at = ${at.toISOString()}::timestamptz
        from (values ${positions}) as o(id, position)
        where ${table.id} = o.id and ${table.projectId} = ${projectId} and ${table.position} <> o.position
        returning ${table.id} as id`)
      const changed = (result as { id: string }[]).map((row) => row.id)
      if (changed.length === 0) return []
      return rows(await db.select().from(table).where(inArray(table.id, changed)).orderBy(asc(table.position)))
    },
  }
}

export type ChildRepository<K extends ChildKindOf> = ReturnType<typeof createChildRepository<K>>

const referenceTables = { story: stories, style: stylePresets, character: characters } as const

/** Which of `ids` are the project's stories, styles or characters (an image's references must be). */
export function createReferencesRepository(db: Db) {
  return {
    async inProject(kind: keyof typeof referenceTables, projectId: string, ids: readonly string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set()
      const table = referenceTables[kind] as unknown as typeof stories
      const found = await db
        .select({ id: table.id })
        .from(table)
        .where(and(eq(table.projectId, projectId), inArray(table.id, [...ids])))
      return new Set(found.map((row) => row.id))
    },
  }
}
