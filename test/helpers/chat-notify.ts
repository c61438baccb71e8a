import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import type { JobRecord } from '../../src/core/jobs/index.js'
import { notifications, pushSubscriptions, userSettings } from '../../src/modules/chat/db/schema.js'

/**
 * What the chat notify area (notifications, Web Push, the e-mail digest) stored, for its tests; and
 * the user_settings row written directly (the preferences routes are another area's).
 */
const db = (app: FastifyInstance) => app.platform.database.db

export const storedNotifications = (app: FastifyInstance, userId: string) => db(app).select().from(notifications).where(eq(notifications.userId, userId))
export const storedNotification = async (app: FastifyInstance, id: string) => (await db(app).select().from(notifications).where(eq(notifications.id, id)))[0]
export const setNotificationRead = async (app: FastifyInstance, id: string, at: Date): Promise<void> => {
  await db(app).update(notifications).set({ readAt: at }).where(eq(notifications.id, id))
}

export const storedPushSubscriptions = (app: FastifyInstance, endpoint: string) => db(app).select().from(pushSubscriptions).where(eq(pushSubscriptions.endpoint, endpoint))
export const insertPushSubscription = async (app: FastifyInstance, values: typeof pushSubscriptions.$inferInsert): Promise<void> => {
  await db(app).insert(pushSubscriptions).values(values)
}

/** Upserts the user's chat settings row (default level, e-mail digests, quiet hours). */
export const setUserSettings = async (app: FastifyInstance, userId: string, values: Partial<typeof userSettings.$inferInsert>): Promise<void> => {
  await db(app).insert(userSettings).values({ userId, ...values }).onConflictDoUpdate({ target: userSettings.userId, set: values })
}

/** Jobs of one name whose payload matches, newest first, whatever their state. */
export async function jobsWhere(app: FastifyInstance, name: string, match: (payload: Record<string, unknown>) => boolean): Promise<JobRecord[]> {
  return (await app.platform.jobs.list(name, { limit: 1000 })).filter((job) => match(job.payload as Record<string, unknown>))
}
