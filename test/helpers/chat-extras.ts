import { and, eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { expect } from 'vitest'
import { messages, pins, reactions, reports } from '../../src/modules/chat/db/schema.js'
import type { TestUser } from './auth.js'
import { connectSocket } from './chat-messages.js'
import type { TestSocket, WsMessage } from './ws-client.js'

const db = (app: FastifyInstance) => app.platform.database.db

/** Reactions, pins and reports as stored (reactions, message extras and moderation tests). */
export const storedReactions = (app: FastifyInstance, messageId: string) => db(app).select().from(reactions).where(eq(reactions.messageId, messageId))
export const storedPins = (app: FastifyInstance, chatId: string) => db(app).select().from(pins).where(eq(pins.chatId, chatId))
export const storedReports = (app: FastifyInstance, messageId: string) => db(app).select().from(reports).where(eq(reports.messageId, messageId))
export const storedReportBy = async (app: FastifyInstance, messageId: string, reporterId: string) =>
  (await db(app).select().from(reports).where(and(eq(reports.messageId, messageId), eq(reports.reporterId, reporterId))))[0]

/** Writes reactions directly (many kinds at once). */
export const insertReactions = async (app: FastifyInstance, rows: { messageId: string; userId: string; emoji: string }[]): Promise<void> => {
  await db(app).insert(reactions).values(rows)
}

/** A request with a body that is not JSON. */
export const asText = (app: FastifyInstance, as: TestUser, method: 'POST' | 'PUT' | 'DELETE', url: string) =>
  app.inject({ method, url, headers: { ...as.headers, 'content-type': 'text/plain' }, payload: 'x=1' })

/** A socket of `user` subscribed to `room`. */
export async function watchRoom(app: FastifyInstance, user: TestUser, room: string, sockets: TestSocket[]): Promise<TestSocket> {
  const socket = await connectSocket(app, user, sockets)
  expect(await socket.subscribe(room)).toMatchObject({ type: 'subscribed' })
  return socket
}

/** The next events of `room` whose name is one of `names`, in order. */
export async function nextEvents(socket: TestSocket, room: string, names: readonly string[], count: number): Promise<WsMessage[]> {
  const events: WsMessage[] = []
  for (let i = 0; i < count; i++) events.push(await socket.next((m) => m.type === 'event' && m.room === room && names.includes(m.event as string)))
  return events
}

/** Writes pins directly (filling a chat's pins fast). */
export const insertPins = async (app: FastifyInstance, chatId: string, messageIds: string[], pinnedBy: string): Promise<void> => {
  await db(app).insert(pins).values(messageIds.map((messageId) => ({ chatId, messageId, pinnedBy })))
}

/** Moves a message in time (statistics by day). */
export const setMessageCreatedAt = async (app: FastifyInstance, messageId: string, at: Date): Promise<void> => {
  await db(app).update(messages).set({ createdAt: at }).where(eq(messages.id, messageId))
}
