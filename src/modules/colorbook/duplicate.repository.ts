import { asc, eq } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { newId } from '../../core/db/columns.js'
import { characters, drawings, images, stories, stylePresets } from './db/schema.js'

/** What a copy created, for the sync log. */
export interface CopiedChildren {
  stories: { id: string }[]
  images: { id: string }[]
  drawings: { id: string }[]
  characters: { id: string }[]
  styles: { id: string }[]
}

/**
 * Copies every child of one project into another (new ids, version 1, same order), with an image's
 * story, style and characters pointing at their copies. Files are shared, not copied.
 */
export function createDuplicateRepository(db: Db) {
  const fresh = () => ({ id: newId(), version: 1, createdAt: new Date(), updatedAt: new Date() })
  const remap = (map: Map<string, string>, id: string | null) => (id === null ? null : (map.get(id) ?? null))

  return {
    async copyChildren(fromId: string, toId: string): Promise<CopiedChildren> {
      const [storyRows, styleRows, characterRows, imageRows, drawingRows] = await Promise.all([
        db.select().from(stories).where(eq(stories.projectId, fromId)).orderBy(asc(stories.position), asc(stories.id)),
        db.select().from(stylePresets).where(eq(stylePresets.projectId, fromId)),
        db.select().from(characters).where(eq(characters.projectId, fromId)),
        db.select().from(images).where(eq(images.projectId, fromId)).orderBy(asc(images.position), asc(images.id)),
        db.select().from(drawings).where(eq(drawings.projectId, fromId)).orderBy(asc(drawings.position), asc(drawings.id)),
      ])
      const storyIds = new Map<string, string>()
      const styleIds = new Map<string, string>()
      const characterIds = new Map<string, string>()
      const copy = <R extends { id: string }>(rows: R[], ids?: Map<string, string>) =>
        rows.map((row) => {
          const next = { ...row, ...fresh(), projectId: toId }
          ids?.set(row.id, next.id)
          return next
        })
      const newStories = copy(storyRows, storyIds)
      const newStyles = copy(styleRows, styleIds)
      const newCharacters = copy(characterRows, characterIds)
      const newImages = copy(imageRows).map((image) => ({
        ...image,
        storyId: remap(storyIds, image.storyId),
        styleId: remap(styleIds, image.styleId),
        characterIds: image.characterIds.flatMap((id) => (characterIds.has(id) ? [characterIds.get(id)!] : [])),
      }))
      const newDrawings = copy(drawingRows)
      // One statement per table, in dependency order (images refer to the copied stories, styles and characters).
      if (newStories.length > 0) await db.insert(stories).values(newStories)
      if (newStyles.length > 0) await db.insert(stylePresets).values(newStyles)
      if (newCharacters.length > 0) await db.insert(characters).values(newCharacters)
      if (newImages.length > 0) await db.insert(images).values(newImages)
      if (newDrawings.length > 0) await db.insert(drawings).values(newDrawings)
      return { stories: newStories, images: newImages, drawings: newDrawings, characters: newCharacters, styles: newStyles }
    },
  }
}
