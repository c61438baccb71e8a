import { and, asc, count, eq, getTableColumns, inArray, max, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { StrokesJson } from './child.view.js'
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

    /** What the sync log needs of the deleted row (a drawing's strokes are not read back). */
    async delete(id: string): Promise<Pick<Row, 'id' | 'projectId' | 'version'> | undefined> {
      const [row] = await db.delete(table).where(eq(table.id, id)).returning({ id: table.id, projectId: table.projectId, version: table.version })
      return row
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

/** A drawing without its strokes (a write reads no more than that: strokes reach 5 MiB). */
export type DrawingFieldsRow = Omit<ChildRow<'drawing'>, 'strokes'>
/** A drawing whose strokes are the JSON text PostgreSQL holds, never parsed here. */
export type DrawingJsonRow = DrawingFieldsRow & { strokes: StrokesJson }
/** Drawing column values with the strokes as JSON text (stored as they are, cast to json). */
export type DrawingJsonValues = Omit<NewChildRow<'drawing'>, 'strokes'> & { strokes?: StrokesJson }

const { strokes: _strokes, ...drawingFields } = getTableColumns(drawings)
const strokesText = sql<string>`${drawings.strokes}::text`.as('strokes_text')
const strokesValue = (strokes: StrokesJson) => sql`${strokes.json}::json`
const withStrokes = ({ strokesText: json, ...row }: DrawingFieldsRow & { strokesText: string }): DrawingJsonRow => ({ ...row, strokes: new StrokesJson(json) })

/**
 * The drawings' repository: the children's, plus reads and writes that keep the strokes as JSON
 * text. A 1 MB drawing parsed is ~70,000 arrays; these pass the text through instead (GET answers
 * splice it in, writes send the body's JSON once and read nothing back).
 */
export function createDrawingRepository(db: Db) {
  return {
    ...createChildRepository(db, 'drawing'),

    async fieldsById(id: string): Promise<DrawingFieldsRow | undefined> {
      const [row] = await db.select(drawingFields).from(drawings).where(eq(drawings.id, id)).limit(1)
      return row
    },

    async jsonById(id: string): Promise<DrawingJsonRow | undefined> {
      const [row] = await db.select({ ...drawingFields, strokesText }).from(drawings).where(eq(drawings.id, id)).limit(1)
      return row && withStrokes(row)
    },

    /** The project's drawings, in order. */
    async jsonListOf(projectId: string): Promise<DrawingJsonRow[]> {
      const rows = await db.select({ ...drawingFields, strokesText }).from(drawings).where(eq(drawings.projectId, projectId)).orderBy(asc(drawings.position), asc(drawings.id))
      return rows.map(withStrokes)
    },

    async insertJson(values: DrawingJsonValues & { strokes: StrokesJson }): Promise<DrawingJsonRow> {
      const [row] = await db.insert(drawings).values({ ...values, strokes: strokesValue(values.strokes) }).returning(drawingFields)
      return { ...row!, strokes: values.strokes }
    },

    /** As `update`; the strokes come back as the text given, or (not changed) as PostgreSQL holds them. */
    async updateJson(id: string, version: number, changes: Partial<DrawingJsonValues>, at: Date): Promise<DrawingJsonRow | undefined> {
      const { strokes, ...rest } = changes
      const set = { ...rest, ...(strokes ? { strokes: strokesValue(strokes) } : {}), version: sql`${drawings.version} + 1`, updatedAt: at }
      const where = and(eq(drawings.id, id), eq(drawings.version, version))
      if (strokes) {
        const [row] = await db.update(drawings).set(set).where(where).returning(drawingFields)
        return row && { ...row, strokes }
      }
      const [row] = await db.update(drawings).set(set).where(where).returning({ ...drawingFields, strokesText })
      return row && withStrokes(row)
    },
  }
}

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

    /**
     * Whether a drawing (a preview) or an image still names the file. A drawing's preview is
     * shared by the copies made of it (duplicates, templates), and its owner may have used it as an image.
     */
    async fileInUse(fileId: string): Promise<boolean> {
      const [preview] = await db.select({ id: drawings.id }).from(drawings).where(eq(drawings.previewFileId, fileId)).limit(1)
      if (preview) return true
      const [image] = await db.select({ id: images.id }).from(images).where(eq(images.fileId, fileId)).limit(1)
      return image !== undefined
    },
  }
}
