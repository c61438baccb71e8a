import { and, desc, eq, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { templates } from './db/schema.js'

export type TemplateRow = typeof templates.$inferSelect
type NewTemplate = typeof templates.$inferInsert

/** Chat templates: each person's own. */
export function createTemplatesRepository(db: Db) {
  return {
    async insert(values: NewTemplate): Promise<TemplateRow> {
      const [row] = await db.insert(templates).values(values).returning()
      return row!
    },

    listByOwner(ownerId: string, limit: number): Promise<TemplateRow[]> {
      return db.select().from(templates).where(eq(templates.ownerId, ownerId)).orderBy(desc(templates.createdAt), desc(templates.id)).limit(limit)
    },

    async countByOwner(ownerId: string): Promise<number> {
      const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(templates).where(eq(templates.ownerId, ownerId))
      return row?.count ?? 0
    },

    async findOwned(id: string, ownerId: string): Promise<TemplateRow | undefined> {
      const [row] = await db.select().from(templates).where(and(eq(templates.id, id), eq(templates.ownerId, ownerId))).limit(1)
      return row
    },

    async removeOwned(id: string, ownerId: string): Promise<boolean> {
      return (await db.delete(templates).where(and(eq(templates.id, id), eq(templates.ownerId, ownerId))).returning({ id: templates.id })).length > 0
    },

    async removeAllOf(ownerId: string): Promise<void> {
      await db.delete(templates).where(eq(templates.ownerId, ownerId))
    },
  }
}
