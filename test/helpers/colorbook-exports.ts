import { asc, eq, sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { expect } from 'vitest'
import { fileUsage } from '../../src/core/files/db/schema.js'
import { branding, usageDaily, usageEvents } from '../../src/modules/colorbook/db/schema.js'
import { waitFor } from './identity.js'

/**
 * What the ColorBook export and analytics area stored, for its tests, and rows written directly
 * (branding is another area's routes; usage events on chosen days).
 */
const db = (app: FastifyInstance) => app.platform.database.db

export const storedUsageEvents = (app: FastifyInstance, userId: string) => db(app).select().from(usageEvents).where(eq(usageEvents.userId, userId)).orderBy(asc(usageEvents.id))
export const storedUsageDaily = (app: FastifyInstance, day: string) => db(app).select().from(usageDaily).where(eq(usageDaily.day, day))

export const insertUsageEvents = async (app: FastifyInstance, rows: (typeof usageEvents.$inferInsert)[]): Promise<void> => {
  await db(app).insert(usageEvents).values(rows)
}

export const setBranding = async (app: FastifyInstance, userId: string, values: Omit<typeof branding.$inferInsert, 'userId'>): Promise<void> => {
  await db(app).insert(branding).values({ userId, ...values })
}

/** Sends a job and waits until it has finished; expects it to have completed. */
export async function runJob(app: FastifyInstance, name: string, payload: Record<string, unknown>): Promise<void> {
  const id = await app.platform.jobs.send(name, payload)
  const job = await waitFor(async () => {
    const found = await app.platform.jobs.find(name, id!)
    return found && ['completed', 'failed'].includes(found.state) ? found : undefined
  }, 20_000)
  expect(job.state).toBe('completed')
}

/** Leaves the user no room for another file (their quota set to what they store now), as a plan's storage limit would. */
export const fillQuota = async (app: FastifyInstance, userId: string): Promise<void> => {
  await db(app).update(fileUsage).set({ quotaBytes: sql`greatest(${fileUsage.bytes}, 1)` }).where(eq(fileUsage.userId, userId))
}
