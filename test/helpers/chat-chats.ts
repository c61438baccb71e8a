import { and, asc, eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { bans, messages, participants } from '../../src/modules/chat/db/schema.js'

export { queriesSoFar } from './database.js'

/** Direct table access for the chats endpoints' tests (what another area's routes would write). */
const db = (app: FastifyInstance) => app.platform.database.db

/** Every message row of a chat, by seq. */
export const chatMessages = (app: FastifyInstance, chatId: string) => db(app).select().from(messages).where(eq(messages.chatId, chatId)).orderBy(asc(messages.seq))

/** Changes one message of a chat (by seq), e.g. its mentions as the messages area stores them. */
export const setMessageAt = async (app: FastifyInstance, chatId: string, seq: number, values: Partial<typeof messages.$inferInsert>): Promise<void> => {
  await db(app).update(messages).set(values).where(and(eq(messages.chatId, chatId), eq(messages.seq, seq)))
}

/** Puts people in a chat directly, with their role and when they joined. */
export const insertParticipants = async (app: FastifyInstance, rows: (typeof participants.$inferInsert)[]): Promise<void> => {
  await db(app).insert(participants).values(rows)
}

/** Bans `userId` from the chat (until `until`, or for good). */
export const banFromChat = async (app: FastifyInstance, chatId: string, userId: string, bannedBy: string, until: Date | null = null): Promise<void> => {
  await db(app).insert(bans).values({ chatId, userId, bannedBy, until }).onConflictDoUpdate({ target: [bans.chatId, bans.userId], set: { until } })
}

