import { asc, eq, sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { changes, stories, syncMutations } from '../../src/modules/colorbook/db/schema.js'

const db = (app: FastifyInstance) => app.platform.database.db

/**
 * Opens a transaction that changes a story and logs it (as the services do), and keeps it open
 * until `commit` is called: a change that commits late. Resolves once the change is written.
 */
export async function holdStoryChange(app: FastifyInstance, projectId: string, storyId: string, text: string): Promise<{ commit: () => Promise<void> }> {
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  let written!: () => void
  const open = new Promise<void>((resolve) => (written = resolve))
  const held = db(app).transaction(async (tx) => {
    await tx.update(stories).set({ text, version: sql`${stories.version} + 1` }).where(eq(stories.id, storyId))
    await tx.insert(changes).values({ projectId, entity: 'story', entityId: storyId, op: 'update', version: 2 })
    written()
    await gate
  })
  await Promise.race([open, held])
  return {
    commit: async () => {
      release()
      await held
    },
  }
}

/** The project's sync log in id order (the order rows were written, not committed). */
export const loggedEntities = async (app: FastifyInstance, projectId: string) =>
  (await db(app).select({ entity: changes.entity }).from(changes).where(eq(changes.projectId, projectId)).orderBy(asc(changes.id))).map((row) => row.entity)

/** Which accounts have a stored result for this mutation id. */
export const mutationOwners = async (app: FastifyInstance, mutationId: string) =>
  (await db(app).select({ userId: syncMutations.userId }).from(syncMutations).where(eq(syncMutations.mutationId, mutationId))).map((row) => row.userId)
