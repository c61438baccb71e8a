import { and, asc, desc, eq, getTableColumns, ilike, isNull, or, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { containsPattern, newId } from '../../core/db/columns.js'
import { characters, drawings, images, stories, stylePresets, templateRatings, templates, type ProjectRow } from './db/schema.js'

type TemplateTableRow = typeof templates.$inferSelect
/** What a template shows: its row without the snapshot, and the snapshot's summary (computed in SQL, so lists never load snapshots). */
export type TemplateRow = Omit<TemplateTableRow, 'snapshot'> & { summary: TemplateSummary }
export interface TemplateSummary {
  pageSize: ProjectRow['pageSize']
  pageOrientation: ProjectRow['pageOrientation']
  coverFileId: string | null
  stories: number
  images: number
  drawings: number
  characters: number
  stylePresets: number
  /** The first 20 images' files, in order. */
  previewFileIds: string[]
}
export type NewTemplateRow = typeof templates.$inferInsert
export type TemplateChanges = Partial<Pick<NewTemplateRow, 'title' | 'description' | 'category' | 'tags' | 'premium' | 'public' | 'hiddenAt'>>

/** A project and all its children when it was published: what `use` copies into a new project. Ids are the originals', for the links between them. */
export interface TemplateSnapshot {
  format: 1
  project: Pick<ProjectRow, 'title' | 'description' | 'tags' | 'pageSize' | 'pageOrientation' | 'settings' | 'coverFileId'>
  stories: { id: string; position: number; title: string | null; text: string }[]
  stylePresets: { id: string; name: string; promptFragment: string | null; palette: string[]; lineWeight: number | null }[]
  characters: { id: string; name: string; description: string | null; referenceFileIds: string[] }[]
  images: {
    id: string
    position: number
    storyId: string | null
    fileId: string
    kind: 'generated' | 'uploaded'
    prompt: string | null
    provider: string | null
    model: string | null
    width: number | null
    height: number | null
    styleId: string | null
    characterIds: string[]
  }[]
  drawings: { id: string; position: number; title: string | null; strokes: (typeof drawings.$inferSelect)['strokes']; previewFileId: string | null; byteSize: number }[]
}

export interface TemplateFilters {
  category?: string
  tag?: string
  premium?: boolean
  q?: string
  /** The caller's own templates (private and hidden ones too) instead of the marketplace. */
  authorId?: string
}

export const TEMPLATE_SORTS = ['newest', 'rating', 'usage'] as const
export type TemplateSort = (typeof TEMPLATE_SORTS)[number]

const { snapshot: _snapshot, ...plainColumns } = getTableColumns(templates)
const part = (key: string) => sql`coalesce(jsonb_array_length(${templates.snapshot} -> ${key}), 0)`
const summary = sql<TemplateSummary>`jsonb_build_object(
  'pageSize', ${templates.snapshot} -> 'project' -> 'pageSize',
  'pageOrientation', ${templates.snapshot} -> 'project' -> 'pageOrientation',
  'coverFileId', ${templates.snapshot} -> 'project' -> 'coverFileId',
  'stories', ${part('stories')}, 'images', ${part('images')}, 'drawings', ${part('drawings')},
  'characters', ${part('characters')}, 'stylePresets', ${part('stylePresets')},
  'previewFileIds', coalesce((select jsonb_agg(e.image -> 'fileId' order by e.n) from jsonb_array_elements(${templates.snapshot} -> 'images') with ordinality as e(image, n) where e.n <= 20), '[]'::jsonb))`
/** The columns every read and write returns. */
const columns = { ...plainColumns, summary: summary.mapWith((value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as TemplateSummary) }

/** Average rating as the lists sort it: 0 without ratings. */
const ratingKey = sql<number>`coalesce(${templates.ratingSum}::float8 / nullif(${templates.ratingCount}, 0), 0)`
const sortKeys = { newest: templates.createdAt, rating: ratingKey, usage: templates.usageCount } as const

/** Templates (published snapshots), their ratings, and making a project from one. */
export function createTemplatesRepository(db: Db) {
  return {
    /** The project's fields and every child, in order, as JSON to keep. */
    async snapshotOf(project: ProjectRow): Promise<TemplateSnapshot> {
      const id = project.id
      const [storyRows, styleRows, characterRows, imageRows, drawingRows] = await Promise.all([
        db.select().from(stories).where(eq(stories.projectId, id)).orderBy(asc(stories.position), asc(stories.id)),
        db.select().from(stylePresets).where(eq(stylePresets.projectId, id)).orderBy(asc(stylePresets.createdAt), asc(stylePresets.id)),
        db.select().from(characters).where(eq(characters.projectId, id)).orderBy(asc(characters.createdAt), asc(characters.id)),
        db.select().from(images).where(eq(images.projectId, id)).orderBy(asc(images.position), asc(images.id)),
        db.select().from(drawings).where(eq(drawings.projectId, id)).orderBy(asc(drawings.position), asc(drawings.id)),
      ])
      return {
        format: 1,
        project: { title: project.title, description: project.description, tags: project.tags, pageSize: project.pageSize, pageOrientation: project.pageOrientation, settings: project.settings, coverFileId: project.coverFileId },
        stories: storyRows.map((s) => ({ id: s.id, position: s.position, title: s.title, text: s.text })),
        stylePresets: styleRows.map((s) => ({ id: s.id, name: s.name, promptFragment: s.promptFragment, palette: s.palette, lineWeight: s.lineWeight })),
        characters: characterRows.map((c) => ({ id: c.id, name: c.name, description: c.description, referenceFileIds: c.referenceFileIds })),
        images: imageRows.map((i) => ({
          id: i.id,
          position: i.position,
          storyId: i.storyId,
          fileId: i.fileId,
          kind: i.kind,
          prompt: i.prompt,
          provider: i.provider,
          model: i.model,
          width: i.width,
          height: i.height,
          styleId: i.styleId,
          characterIds: i.characterIds,
        })),
        drawings: drawingRows.map((d) => ({ id: d.id, position: d.position, title: d.title, strokes: d.strokes, previewFileId: d.previewFileId, byteSize: d.byteSize })),
      }
    },

    /**
     * Writes the snapshot's children into a new project (new ids, version 1, the same order; an
     * image's story, style and characters point at their copies). Returns the ids created, for the sync log.
     */
    async instantiate(snapshot: TemplateSnapshot, projectId: string): Promise<{ stories: string[]; images: string[]; drawings: string[]; characters: string[]; styles: string[] }> {
      const ids = new Map<string, string>()
      const fresh = (oldId: string) => {
        const id = newId()
        ids.set(oldId, id)
        return id
      }
      const mapped = (oldId: string | null) => (oldId === null ? null : (ids.get(oldId) ?? null))
      const newStories = snapshot.stories.map((s) => ({ id: fresh(s.id), projectId, position: s.position, title: s.title, text: s.text }))
      const newStyles = snapshot.stylePresets.map((s) => ({ id: fresh(s.id), projectId, name: s.name, promptFragment: s.promptFragment, palette: s.palette, lineWeight: s.lineWeight }))
      const newCharacters = snapshot.characters.map((c) => ({ id: fresh(c.id), projectId, name: c.name, description: c.description, referenceFileIds: c.referenceFileIds }))
      const newImages = snapshot.images.map((i) => ({
        ...i,
        id: newId(),
        projectId,
        storyId: mapped(i.storyId),
        styleId: mapped(i.styleId),
        characterIds: i.characterIds.flatMap((c) => (ids.has(c) ? [ids.get(c)!] : [])),
      }))
      const newDrawings = snapshot.drawings.map((d) => ({ ...d, id: newId(), projectId }))
      // Dependency order: images name the stories, styles and characters.
      if (newStories.length > 0) await db.insert(stories).values(newStories)
      if (newStyles.length > 0) await db.insert(stylePresets).values(newStyles)
      if (newCharacters.length > 0) await db.insert(characters).values(newCharacters)
      if (newImages.length > 0) await db.insert(images).values(newImages)
      if (newDrawings.length > 0) await db.insert(drawings).values(newDrawings)
      const idsOf = (rows: { id: string }[]) => rows.map((row) => row.id)
      return { stories: idsOf(newStories), images: idsOf(newImages), drawings: idsOf(newDrawings), characters: idsOf(newCharacters), styles: idsOf(newStyles) }
    },

    async insert(values: NewTemplateRow): Promise<TemplateRow> {
      return (await db.insert(templates).values(values).returning(columns))[0]!
    },

    async snapshot(id: string): Promise<TemplateSnapshot | undefined> {
      const [row] = await db.select({ snapshot: templates.snapshot }).from(templates).where(eq(templates.id, id))
      return row?.snapshot as unknown as TemplateSnapshot | undefined
    },

    /** With `lock`, the row stays locked until the transaction ends (ratings of one template take turns). */
    async findById(id: string, options: { lock?: boolean } = {}): Promise<TemplateRow | undefined> {
      const query = db.select(columns).from(templates).where(eq(templates.id, id)).limit(1)
      return (await (options.lock ? query.for('update') : query))[0]
    },

    /** The changes at `version` (the version goes up by one); undefined when stale or gone. */
    async update(id: string, version: number, changes: TemplateChanges, at: Date): Promise<TemplateRow | undefined> {
      return (
        await db
          .update(templates)
          .set({ ...changes, version: sql`${templates.version} + 1`, updatedAt: at })
          .where(and(eq(templates.id, id), eq(templates.version, version)))
          .returning(columns)
      )[0]
    },

    async delete(id: string): Promise<TemplateRow | undefined> {
      return (await db.delete(templates).where(eq(templates.id, id)).returning(columns))[0]
    },

    /** One more use, counted in the database (parallel uses all count); undefined when the template is gone. Locks the row until commit. */
    async countUse(id: string): Promise<TemplateRow | undefined> {
      return (
        await db
          .update(templates)
          .set({ usageCount: sql`${templates.usageCount} + 1` })
          .where(eq(templates.id, id))
          .returning(columns)
      )[0]
    },

    /** One page of the marketplace (public, not hidden) or of an author's own, in `sort` order (highest first) after `after`. */
    async list(filters: TemplateFilters, sort: TemplateSort, limit: number, after?: { value: Date | number; id: string }): Promise<TemplateRow[]> {
      const where: (SQL | undefined)[] = [filters.authorId !== undefined ? eq(templates.authorId, filters.authorId) : and(eq(templates.public, true), isNull(templates.hiddenAt))]
      if (filters.category !== undefined) where.push(eq(templates.category, filters.category))
      if (filters.tag !== undefined) where.push(sql`${templates.tags} @> array[${filters.tag}]::text[]`)
      if (filters.premium !== undefined) where.push(eq(templates.premium, filters.premium))
      if (filters.q !== undefined) where.push(or(ilike(templates.title, containsPattern(filters.q)), ilike(templates.description, containsPattern(filters.q))))
      const key = sortKeys[sort]
      if (after) {
        const value = after.value instanceof Date ? sql`${after.value.toISOString()}::timestamptz` : sort === 'rating' ? sql`${after.value}::float8` : sql`${after.value}::int`
        where.push(sql`(${key}, ${templates.id}) < (${value}, ${after.id}::uuid)`)
      }
      return db
        .select(columns)
        .from(templates)
        .where(and(...where))
        .orderBy(desc(key), desc(templates.id))
        .limit(limit)
    },

    async ratingOf(templateId: string, userId: string): Promise<number | undefined> {
      const [row] = await db
        .select({ rating: templateRatings.rating })
        .from(templateRatings)
        .where(and(eq(templateRatings.templateId, templateId), eq(templateRatings.userId, userId)))
      return row?.rating
    },

    /** The user's rating, new or replacing theirs; returns the one it replaced. Call with the template locked. */
    async putRating(templateId: string, userId: string, rating: number, at: Date): Promise<number | undefined> {
      const previous = await this.ratingOf(templateId, userId)
      await db
        .insert(templateRatings)
        .values({ templateId, userId, rating, createdAt: at, updatedAt: at })
        .onConflictDoUpdate({ target: [templateRatings.templateId, templateRatings.userId], set: { rating, updatedAt: at } })
      return previous
    },

    /** The rating removed, if there was one. */
    async deleteRating(templateId: string, userId: string): Promise<number | undefined> {
      const [row] = await db
        .delete(templateRatings)
        .where(and(eq(templateRatings.templateId, templateId), eq(templateRatings.userId, userId)))
        .returning({ rating: templateRatings.rating })
      return row?.rating
    },

    /** Moves the kept sum and count by these amounts, in one statement. */
    async adjustRatings(templateId: string, sumDelta: number, countDelta: number): Promise<TemplateRow> {
      return (
        await db
          .update(templates)
          .set({ ratingSum: sql`${templates.ratingSum} + ${sumDelta}::int`, ratingCount: sql`${templates.ratingCount} + ${countDelta}::int` })
          .where(eq(templates.id, templateId))
          .returning(columns)
      )[0]!
    },

    /** Whether the file appears in a template the user may see (the marketplace's, or their own). */
    async fileVisibleTo(fileId: string, userId: string): Promise<boolean> {
      const [row] = await db
        .select({ id: templates.id })
        .from(templates)
        .where(
          and(
            or(and(eq(templates.public, true), isNull(templates.hiddenAt)), eq(templates.authorId, userId)),
            sql`jsonb_path_exists(${templates.snapshot}, '$.** ? (@ == $file)', jsonb_build_object('file', ${fileId}::text))`,
          ),
        )
        .limit(1)
      return row !== undefined
    },
  }
}

export type TemplatesRepository = ReturnType<typeof createTemplatesRepository>
