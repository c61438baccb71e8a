import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm'
import { sessions } from '../auth/db/schema.js'
import type { Db } from '../db/client.js'
import { platformSettings } from './db/schema.js'

export function createPlatformSettingsRepository(db: Db) {
  return {
    /**
     * Writes `value` unless the setting exists, then returns what is stored: of instances claiming
     * one name at once, all get the first one's value.
     */
    async claim(name: string, value: string): Promise<string> {
      await db.insert(platformSettings).values({ name, value }).onConflictDoNothing({ target: platformSettings.name })
      const [row] = await db.select({ value: platformSettings.value }).from(platformSettings).where(eq(platformSettings.name, name)).limit(1)
      return row!.value
    },

    async get(name: string): Promise<string | undefined> {
      const [row] = await db.select({ value: platformSettings.value }).from(platformSettings).where(eq(platformSettings.name, name)).limit(1)
      return row?.value
    },

    /** The newest live session's sealed refresh token: data ENCRYPTION_KEY must be able to read. */
    async sealedSample(): Promise<{ id: string; sealed: string } | undefined> {
      const [row] = await db
        .select({ id: sessions.id, sealed: sessions.currentTokenSealed })
        .from(sessions)
        .where(and(isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`)))
        .orderBy(desc(sessions.createdAt))
        .limit(1)
      return row
    },
  }
}

export type PlatformSettingsRepository = ReturnType<typeof createPlatformSettingsRepository>
