import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { changes, pendingShares, subscriptions, templateRatings, templates, usageEvents } from '../../src/modules/colorbook/db/schema.js'
import type { TestUser } from './auth.js'

/** What the ColorBook user-data and sync-audience tests read and write directly (templates and billing are other areas' routes). */
const db = (app: FastifyInstance) => app.platform.database.db

/** A template by `author`, rated by the given users (sum and count kept as the templates area does). */
export async function insertTemplate(app: FastifyInstance, author: TestUser, title: string, ratings: [TestUser, number][] = []): Promise<string> {
  const [row] = await db(app)
    .insert(templates)
    .values({ authorId: author.id, title, snapshot: {}, ratingSum: ratings.reduce((sum, [, r]) => sum + r, 0), ratingCount: ratings.length })
    .returning()
  if (ratings.length > 0) await db(app).insert(templateRatings).values(ratings.map(([user, rating]) => ({ templateId: row!.id, userId: user.id, rating })))
  return row!.id
}

export const storedSubscription = async (app: FastifyInstance, userId: string) => (await db(app).select().from(subscriptions).where(eq(subscriptions.userId, userId)))[0]
export const setStripeCustomer = async (app: FastifyInstance, userId: string, customerId: string): Promise<void> => {
  await db(app).update(subscriptions).set({ stripeCustomerId: customerId }).where(eq(subscriptions.userId, userId))
}
/** Pending shares of a project, accepted ones included. */
export const pendingSharesOf = (app: FastifyInstance, projectId: string) => db(app).select().from(pendingShares).where(eq(pendingShares.projectId, projectId))
export const storedUsageEvent = async (app: FastifyInstance, id: number) => (await db(app).select().from(usageEvents).where(eq(usageEvents.id, id)))[0]
/** A project's sync-log rows, audience included. */
export const loggedRows = (app: FastifyInstance, projectId: string) => db(app).select().from(changes).where(eq(changes.projectId, projectId))
