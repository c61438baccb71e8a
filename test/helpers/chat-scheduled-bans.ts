import { and, eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { users } from '../../src/core/users/db/schema.js'
import { bans, participants, scheduledMessages } from '../../src/modules/chat/db/schema.js'

/** What the chat scheduled-messages and bans areas stored, and the few rows their tests set directly. */
const db = (app: FastifyInstance) => app.platform.database.db

export const storedScheduled = (app: FastifyInstance, chatId: string) => db(app).select().from(scheduledMessages).where(eq(scheduledMessages.chatId, chatId))

/** `count` pending scheduled messages of `authorId` in the chat, written directly (to reach the limit). */
export async function fillScheduled(app: FastifyInstance, chatId: string, authorId: string, count: number, at: Date): Promise<void> {
  await db(app).insert(scheduledMessages).values(Array.from({ length: count }, () => ({ chatId, authorId, payload: { text: 'filler' }, scheduledFor: at })))
}

/** Marks a scheduled message not sent again (as if the run crashed before marking it). */
export async function unmarkScheduled(app: FastifyInstance, id: string): Promise<void> {
  await db(app).update(scheduledMessages).set({ sentMessageId: null }).where(eq(scheduledMessages.id, id))
}

/** Marks a scheduled message taken by a run that never sent it (as if that run crashed after taking it). */
export async function takeScheduled(app: FastifyInstance, id: string): Promise<void> {
  await db(app).update(scheduledMessages).set({ sentMessageId: id }).where(eq(scheduledMessages.id, id))
}

/** Marks an account deleted without the platform's cleanup jobs (so a module's own check is what is tested). */
export async function markUserDeleted(app: FastifyInstance, userId: string): Promise<void> {
  await db(app).update(users).set({ deletedAt: new Date() }).where(eq(users.id, userId))
}

/** Removes a participant behind the services' back (no hooks run). */
export async function dropParticipant(app: FastifyInstance, chatId: string, userId: string): Promise<void> {
  await db(app).delete(participants).where(and(eq(participants.chatId, chatId), eq(participants.userId, userId)))
}

export const storedBans = (app: FastifyInstance, chatId: string) => db(app).select().from(bans).where(eq(bans.chatId, chatId))

/** Moves the end of the bans of the chat (or of one user there) to `until`. */
export async function setBanUntil(app: FastifyInstance, chatId: string, until: Date, userId?: string): Promise<void> {
  await db(app).update(bans).set({ until }).where(and(eq(bans.chatId, chatId), userId ? eq(bans.userId, userId) : undefined))
}

/** Sends a job for now on the app's queue (the workers run it at their next poll). */
export const sendJobNow = (app: FastifyInstance, name: string, payload: Record<string, unknown>) => app.platform.jobs.send(name, payload)
