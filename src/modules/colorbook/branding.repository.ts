import { eq } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { branding } from './db/schema.js'

export type BrandingRow = typeof branding.$inferSelect
export type BrandingValues = Pick<BrandingRow, 'name' | 'logoFileId' | 'colors'>

/** An account's white-label branding (one row per user). */
export function createBrandingRepository(db: Db) {
  return {
    async of(userId: string): Promise<BrandingRow | undefined> {
      return (await db.select().from(branding).where(eq(branding.userId, userId)).limit(1))[0]
    },

    /** Sets every field (a new row or the user's one). */
    async put(userId: string, values: BrandingValues, at: Date): Promise<BrandingRow> {
      const [row] = await db
        .insert(branding)
        .values({ userId, ...values, createdAt: at, updatedAt: at })
        .onConflictDoUpdate({ target: branding.userId, set: { ...values, updatedAt: at } })
        .returning()
      return row!
    },
  }
}
