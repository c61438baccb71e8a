import { randomUUID } from 'node:crypto'
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { createChat, sendMessage, setChat, setParticipant } from '../../../test/helpers/chat.js'
import { addParticipant } from '../../../test/helpers/chat-messages.js'
import { asText, insertPins, nextEvents, storedPins, watchRoom } from '../../../test/helpers/chat-extras.js'
import { expectError } from '../../../test/helpers/identity.js'
import type { TestSocket } from '../../../test/helpers/ws-client.js'
import { MAX_PINS } from './message-extras.service.js'

const app = useTestApp({ setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined) })

let ada: TestUser
let bob: TestUser
let cy: TestUser

beforeAll(async () => {
  ;[ada, bob, cy] = await Promise.all([registerUser(app(), { name: 'Ada' }), registerUser(app(), { name: 'Bob' }), registerUser(app(), { name: 'Cy' })])
})

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})

const pin = (as: TestUser, id: string) => app().inject({ method: 'POST', url: `/api/messages/${id}/pin`, headers: as.headers })
const unpin = (as: TestUser, id: string) => app().inject({ method: 'DELETE', url: `/api/messages/${id}/pin`, headers: as.headers })
const pins = (as: TestUser, chatId: string) => app().inject({ url: `/api/chats/${chatId}/pins`, headers: as.headers })
const pinnedIds = async (chatId: string) => (await storedPins(app(), chatId)).map((p) => p.messageId).sort()

describe('POST /api/messages/:id/pin', () => {
  it('lets the owner pin (201 with the pin, 200 again with the first), lists newest pin first, and announces pin and unpin', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const first = await sendMessage(app(), bob, chat.id, 'First')
    const second = await sendMessage(app(), ada, chat.id, 'Second')
    const room = `chat:${chat.id}`
    const socket = await watchRoom(app(), bob, room, sockets)

    const pinned = await pin(ada, first.id)
    expect(pinned.statusCode, pinned.body).toBe(201)
    expect(pinned.json()).toEqual({ chatId: chat.id, messageId: first.id, pinnedBy: ada.id, pinnedAt: expect.stringMatching(/Z$/), message: first })
    const again = await pin(ada, first.id)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual(pinned.json())
    expect((await pin(ada, second.id)).statusCode).toBe(201)

    const list = await pins(bob, chat.id)
    expect(list.statusCode, list.body).toBe(200)
    expect(list.json<{ items: { messageId: string }[] }>().items.map((p) => p.messageId)).toEqual([second.id, first.id])
    expect(list.json().items[1]).toEqual(pinned.json())

    const unpinned = await unpin(ada, first.id)
    expect(unpinned.statusCode).toBe(204)
    expect((await unpin(ada, first.id)).statusCode).toBe(204)
    expect(await pinnedIds(chat.id)).toEqual([second.id])

    const events = await nextEvents(socket, room, ['message.pinned', 'message.unpinned'], 3)
    expect(events.map((e) => e.event)).toEqual(['message.pinned', 'message.pinned', 'message.unpinned'])
    expect(events[0]!.data).toEqual(pinned.json())
    expect(events[2]!.data).toEqual({ chatId: chat.id, messageId: first.id, unpinnedBy: ada.id })
  })

  it('lets either person pin in a private chat, and admins (not members) in a group', async () => {
    const direct = await createChat(app(), ada, { type: 'private', participantIds: [bob.id] })
    const hello = await sendMessage(app(), ada, direct.id, 'Hello')
    expect((await pin(bob, hello.id)).statusCode).toBe(201)
    expect((await unpin(ada, hello.id)).statusCode).toBe(204)

    const group = await createChat(app(), ada, { participantIds: [bob.id, cy.id] })
    const note = await sendMessage(app(), cy, group.id, 'Note')
    expectError(await pin(cy, note.id), 403, 'CHAT_ROLE_FORBIDDEN')
    await setParticipant(app(), group.id, bob.id, { role: 'admin' })
    expect((await pin(bob, note.id)).statusCode).toBe(201)
    expectError(await unpin(cy, note.id), 403, 'CHAT_ROLE_FORBIDDEN')
    expect(await pinnedIds(group.id)).toEqual([note.id])
  })

  it('refuses strangers (404), channel non-participants (403), archived chats (409), deleted messages (410) and bad ids (400), pinning nothing', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, group.id, 'Ours')
    expectError(await pin(cy, message.id), 404, 'MESSAGE_NOT_FOUND')
    expectError(await unpin(cy, message.id), 404, 'MESSAGE_NOT_FOUND')
    expectError(await pin(ada, randomUUID()), 404, 'MESSAGE_NOT_FOUND')
    expectError(await pin(ada, 'nope'), 400, 'VALIDATION_FAILED')
    expectError(await pins(cy, group.id), 404, 'CHAT_NOT_FOUND')
    expectError(await pins(ada, 'nope'), 400, 'VALIDATION_FAILED')
    expect((await app().inject({ method: 'POST', url: `/api/messages/${message.id}/pin` })).statusCode).toBe(401)

    const channel = await createChat(app(), ada, { type: 'channel' })
    const post = await sendMessage(app(), ada, channel.id, 'News')
    expectError(await pin(cy, post.id), 403, 'CHAT_NOT_PARTICIPANT')
    // A channel's pins are public, like its messages.
    expect((await pin(ada, post.id)).statusCode).toBe(201)
    expect((await pins(cy, channel.id)).json<{ items: unknown[] }>().items).toHaveLength(1)
    await addParticipant(app(), channel.id, cy.id)
    expectError(await unpin(cy, post.id), 403, 'CHAT_ROLE_FORBIDDEN')

    const gone = await sendMessage(app(), ada, group.id, 'Gone')
    await app().inject({ method: 'DELETE', url: `/api/messages/${gone.id}`, headers: ada.headers })
    expectError(await pin(ada, gone.id), 410, 'MESSAGE_DELETED')

    await setChat(app(), group.id, { archived: true })
    expectError(await pin(ada, message.id), 409, 'CHAT_ARCHIVED')
    expectError(await unpin(ada, message.id), 409, 'CHAT_ARCHIVED')
    expect(await pinnedIds(group.id)).toEqual([])
    // The route takes no body: one that is not JSON is refused before anything.
    expectError(await asText(app(), ada, 'POST', `/api/messages/${post.id}/pin`), 415, 'UNSUPPORTED_MEDIA_TYPE')
  })

  it('drops a deleted message from the list', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const kept = await sendMessage(app(), ada, chat.id, 'Kept')
    const dropped = await sendMessage(app(), ada, chat.id, 'Dropped')
    await pin(ada, kept.id)
    await pin(ada, dropped.id)
    await app().inject({ method: 'DELETE', url: `/api/messages/${dropped.id}`, headers: ada.headers })
    expect((await pins(bob, chat.id)).json<{ items: { messageId: string }[] }>().items.map((p) => p.messageId)).toEqual([kept.id])
  })

  it(`holds at most ${MAX_PINS} pins a chat (409 beyond)`, async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const messages = await Promise.all(Array.from({ length: MAX_PINS + 1 }, (_, i) => sendMessage(app(), ada, chat.id, `m${i}`)))
    await insertPins(app(), chat.id, messages.slice(1, MAX_PINS).map((m) => m.id), ada.id)
    expect((await pin(ada, messages[0]!.id)).statusCode).toBe(201)
    expectError(await pin(ada, messages[MAX_PINS]!.id), 409, 'CHAT_PINS_FULL')
    expect((await pin(ada, messages[0]!.id)).statusCode).toBe(200)
    expect(await storedPins(app(), chat.id)).toHaveLength(MAX_PINS)
  })

  it.skipIf(inject('databaseServer') === 'embedded')('two pins at once past the limit: one lands', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const messages = await Promise.all(Array.from({ length: MAX_PINS + 1 }, (_, i) => sendMessage(app(), ada, chat.id, `m${i}`)))
    await insertPins(app(), chat.id, messages.slice(0, MAX_PINS - 1).map((m) => m.id), ada.id)
    const statuses = (await Promise.all([pin(ada, messages[MAX_PINS - 1]!.id), pin(ada, messages[MAX_PINS]!.id)])).map((r) => r.statusCode).sort()
    expect(statuses).toEqual([201, 409])
    expect(await storedPins(app(), chat.id)).toHaveLength(MAX_PINS)
  })
})
