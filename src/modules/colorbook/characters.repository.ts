import { and, asc, count, eq, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { characters, images, stylePresets, type ImageRow } from './db/schema.js'

export type CharacterRow = typeof characters.$inferSelect
export type StylePresetRow = typeof stylePresets.$inferSelect
export type CharacterChanges = Partial<Pick<CharacterRow, 'name' | 'description' | 'referenceFileIds'>>
export type StylePresetChanges = Partial<Pick<StylePresetRow, 'name' | 'promptFragment' | 'palette' | 'lineWeight'>>

/** A project's characters and style presets (what its images record using), and the images that name them. */
export function createCharactersRepository(db: Db) {
  return {
    async findCharacter(id: string, options: { lock?: boolean } = {}): Promise<CharacterRow | undefined> {
      const query = db.select().from(characters).where(eq(characters.id, id)).limit(1)
      return (await (options.lock ? query.for('update') : query))[0]
    },
    async findStyle(id: string, options: { lock?: boolean } = {}): Promise<StylePresetRow | undefined> {
      const query = db.select().from(stylePresets).where(eq(stylePresets.id, id)).limit(1)
      return (await (options.lock ? query.for('update') : query))[0]
    },
    /** In creation order. */
    characterList: (projectId: string): Promise<CharacterRow[]> => db.select().from(characters).where(eq(characters.projectId, projectId)).orderBy(asc(characters.createdAt), asc(characters.id)),
    styleList: (projectId: string): Promise<StylePresetRow[]> => db.select().from(stylePresets).where(eq(stylePresets.projectId, projectId)).orderBy(asc(stylePresets.createdAt), asc(stylePresets.id)),

    async countOf(kind: 'character' | 'style', projectId: string): Promise<number> {
      const table = kind === 'character' ? characters : stylePresets
      const [row] = await db.select({ n: count() }).from(table).where(eq(table.projectId, projectId))
      return row?.n ?? 0
    },

    async insertCharacter(values: typeof characters.$inferInsert): Promise<CharacterRow> {
      return (await db.insert(characters).values(values).returning())[0]!
    },
    async insertStyle(values: typeof stylePresets.$inferInsert): Promise<StylePresetRow> {
      return (await db.insert(stylePresets).values(values).returning())[0]!
    },

    /** The changes at `version` (the version goes up by one); undefined when stale. */
    async updateCharacter(id: string, version: number, changes: CharacterChanges, at: Date): Promise<CharacterRow | undefined> {
      return (
        await db
          .update(characters)
          .set({ ...changes, version: sql`${characters.version} + 1`, updatedAt: at })
          .where(and(eq(characters.id, id), eq(characters.version, version)))
          .returning()
      )[0]
    },
    async updateStyle(id: string, version: number, changes: StylePresetChanges, at: Date): Promise<StylePresetRow | undefined> {
      return (
        await db
          .update(stylePresets)
          .set({ ...changes, version: sql`${stylePresets.version} + 1`, updatedAt: at })
          .where(and(eq(stylePresets.id, id), eq(stylePresets.version, version)))
          .returning()
      )[0]
    },

    async deleteCharacter(id: string): Promise<CharacterRow | undefined> {
      return (await db.delete(characters).where(eq(characters.id, id)).returning())[0]
    },
    async deleteStyle(id: string): Promise<StylePresetRow | undefined> {
      return (await db.delete(stylePresets).where(eq(stylePresets.id, id)).returning())[0]
    },

    /** Images of the project that show the character no longer do (each gets a new version); returns them. */
    async dropCharacterFromImages(projectId: string, characterId: string, at: Date): Promise<ImageRow[]> {
      return db
        .update(images)
        .set({ characterIds: sql`array_remove(${images.characterIds}, ${characterId}::uuid)`, version: sql`${images.version} + 1`, updatedAt: at })
        .where(and(eq(images.projectId, projectId), sql`${characterId}::uuid = any(${images.characterIds})`))
        .returning()
    },
    /** Images of the project that used the style no longer name one (each gets a new version); returns them. */
    async dropStyleFromImages(projectId: string, styleId: string, at: Date): Promise<ImageRow[]> {
      return db
        .update(images)
        .set({ styleId: null, version: sql`${images.version} + 1`, updatedAt: at })
        .where(and(eq(images.projectId, projectId), eq(images.styleId, styleId)))
        .returning()
    },

    /** Whether `userId` may read a project that has the file among a character's reference images. */
    async referenceFileVisibleTo(fileId: string, userId: string): Promise<boolean> {
      const result = await db.execute(sql`
        select 1 from ${characters} c join colorbook_projects p on p.id = c.project_id
        where ${fileId}::uuid = any(c.reference_file_ids)
          and (p.owner_id = ${userId}::uuid or exists (select 1 from colorbook_collaborators k where k.project_id = p.id and k.user_id = ${userId}::uuid))
          and (p.trashed_at is null or p.owner_id = ${userId}::uuid)
        limit 1`)
      return (result as unknown[]).length > 0
    },
  }
}

export type CharactersRepository = ReturnType<typeof createCharactersRepository>
