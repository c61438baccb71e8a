import { and, asc, eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { expect } from 'vitest'
import type { ChatView } from '../../src/modules/chat/chat.view.js'
import { bans, blocks, chats, invitations, messages, participants, userSettings } from '../../src/modules/chat/db/schema.js'
import type { MessageView } from '../../src/modules/chat/message.view.js'
import type { TestUser } from './auth.js'

export type TestChat = ChatView

export interface ChatInput {
  type?: 'private' | 'group' | 'channel'
  participantIds?: string[]
  title?: string
  description?: string
}

let counter = 0

/** Creates a chat through the API as `owner` (a group titled uniquely unless told otherwise). */
export async function createChat(app: FastifyInstance, owner: TestUser, input: ChatInput = {}): Promise<TestChat> {
  const type = input.type ?? 'group'
  const payload: Record<string, unknown> = { type, participantIds: input.participantIds ?? [] }
  if (input.title !== undefined) payload.title = input.title
  else if (type !== 'private') payload.title = `Chat ${++counter} ${Math.random().toString(36).slice(2, 8)}`
  if (input.description !== undefined) payload.description = input.description
  const response = await app.inject({ method: 'POST', url: '/api/chats', headers: owner.headers, payload })
  expect([200, 201], response.body).toContain(response.statusCode)
  return response.json<TestChat>()
}

/** Sends a message through the API (`POST /api/chats/:id/messages`). */
export async function sendMessage(app: FastifyInstance, user: TestUser, chatId: string, body: Record<string, unknown> | string): Promise<MessageView> {
  const payload = typeof body === 'string' ? { text: body } : body
  const response = await app.inject({ method: 'POST', url: `/api/chats/${chatId}/messages`, headers: user.headers, payload })
  expect([200, 201], response.body).toContain(response.statusCode)
  return response.json<MessageView>()
}

/** What the tables hold, for assertions on what was (not) stored. */
const db = (app: FastifyInstance) => app.platform.database.db

export const storedChat = async (app: FastifyInstance, id: string) => (await db(app).select().from(chats).where(eq(chats.id, id)))[0]
export const chatsCreatedBy = (app: FastifyInstance, userId: string) => db(app).select().from(chats).where(eq(chats.createdBy, userId))
export const storedParticipants = (app: FastifyInstance, chatId: string) => db(app).select().from(participants).where(eq(participants.chatId, chatId))
export const storedParticipant = async (app: FastifyInstance, chatId: string, userId: string) =>
  (await db(app).select().from(participants).where(and(eq(participants.chatId, chatId), eq(participants.userId, userId))))[0]

/** `blocker` blocks `blocked`, written directly (the blocks routes are another area's). */
export const blockUser = async (app: FastifyInstance, blocker: TestUser, blocked: TestUser): Promise<void> => {
  await db(app).insert(blocks).values({ blockerId: blocker.id, blockedId: blocked.id })
}

export const setParticipant = async (app: FastifyInstance, chatId: string, userId: string, values: Partial<typeof participants.$inferInsert>): Promise<void> => {
  await db(app).update(participants).set(values).where(and(eq(participants.chatId, chatId), eq(participants.userId, userId)))
}

export const setChat = async (app: FastifyInstance, chatId: string, values: Partial<typeof chats.$inferInsert>): Promise<void> => {
  await db(app).update(chats).set(values).where(eq(chats.id, chatId))
}

/** `userId` is banned from the chat (for good unless `until`), written directly (bans are the moderation area's). */
export const banFromChat = async (app: FastifyInstance, chatId: string, userId: string, until: Date | null = null): Promise<void> => {
  await db(app).insert(bans).values({ chatId, userId, until })
}

/** The chat's invitations, as stored. */
export const storedInvitations = (app: FastifyInstance, chatId: string) => db(app).select().from(invitations).where(eq(invitations.chatId, chatId))

/** The chat's messages, system ones included, in seq order. */
export const storedChatMessages = (app: FastifyInstance, chatId: string) => db(app).select().from(messages).where(eq(messages.chatId, chatId)).orderBy(asc(messages.seq))

export const storedUserSettings = async (app: FastifyInstance, userId: string) => (await db(app).select().from(userSettings).where(eq(userSettings.userId, userId)))[0]
