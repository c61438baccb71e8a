import type { AddressInfo } from 'node:net'
import { asc, eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { afterEach, expect } from 'vitest'
import type { ChatApi } from '../../src/modules/chat/api.js'
import { messageFiles, messages, messageVersions, participants } from '../../src/modules/chat/db/schema.js'
import type { SentMessage } from '../../src/modules/chat/hooks.js'
import { chatModule } from '../../src/modules/chat/index.js'
import type { TestUser } from './auth.js'
import { TestSocket } from './ws-client.js'

/**
 * The chat module as the app loads it, plus a handle on its api and a record of every
 * `messageSent` hook call, with whether the message was already committed when the hook ran.
 */
export function observedChatModule() {
  const seen: { api: ChatApi | undefined; sent: (SentMessage & { committed: boolean })[] } = { api: undefined, sent: [] }
  const definition: typeof chatModule = {
    ...chatModule,
    createApi: (ctx) => {
      const api = chatModule.createApi(ctx)
      api.deps.hooks.onMessageSent(async (sent) => {
        const committed = (await api.deps.store.repos.messages.findById(sent.message.id)) !== undefined
        seen.sent.push({ ...sent, committed })
      })
      seen.api = api
      return api
    },
  }
  return { definition, seen }
}

const db = (app: FastifyInstance) => app.platform.database.db

/** Every message row of a chat, by seq. */
export const storedMessages = (app: FastifyInstance, chatId: string) => db(app).select().from(messages).where(eq(messages.chatId, chatId)).orderBy(asc(messages.seq))
export const storedMessage = async (app: FastifyInstance, id: string) => (await db(app).select().from(messages).where(eq(messages.id, id)))[0]
export const storedMessageFiles = (app: FastifyInstance, messageId: string) => db(app).select().from(messageFiles).where(eq(messageFiles.messageId, messageId))
export const storedVersions = (app: FastifyInstance, messageId: string) => db(app).select().from(messageVersions).where(eq(messageVersions.messageId, messageId))

/** A socket of `user` on the app (which must listen), once the server said ready. */
export async function connectSocket(app: FastifyInstance, user: TestUser, sockets: TestSocket[]): Promise<TestSocket> {
  const { port } = app.server.address() as AddressInfo
  const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
  sockets.push(socket)
  await socket.ofType('ready')
  return socket
}

/**
 * A test file's sockets: `listen(user, ...rooms)` connects one (ready) and subscribes it to each room;
 * every socket is closed after each test.
 */
export function useChatSockets(app: () => FastifyInstance): (user: TestUser, ...rooms: string[]) => Promise<TestSocket> {
  const sockets: TestSocket[] = []
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close()
  })
  return async (user, ...rooms) => {
    const socket = await connectSocket(app(), user, sockets)
    for (const room of rooms) expect(await socket.subscribe(room)).toMatchObject({ type: 'subscribed' })
    return socket
  }
}

/** Puts `userId` in the chat directly (as a channel join would), with `role`. */
export async function addParticipant(app: FastifyInstance, chatId: string, userId: string, role: 'admin' | 'member' = 'member'): Promise<void> {
  await db(app).insert(participants).values({ chatId, userId, role })
}
