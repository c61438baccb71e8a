import { randomUUID } from 'node:crypto'
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { createChat, sendMessage, setChat } from '../../../test/helpers/chat.js'
import { asText, insertReactions, nextEvents, storedReactions, watchRoom } from '../../../test/helpers/chat-extras.js'
import { expectError } from '../../../test/helpers/identity.js'
import type { TestSocket } from '../../../test/helpers/ws-client.js'
import { MAX_REACTION_KINDS } from './domain.js'

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

const react = (as: TestUser, id: string, payload: unknown) =>
  app().inject({ method: 'POST', url: `/api/messages/${id}/reactions`, headers: as.headers, payload: payload as Record<string, unknown> })
const unreact = (as: TestUser, id: string, emoji: string) =>
  app().inject({ method: 'DELETE', url: `/api/messages/${id}/reactions/${encodeURIComponent(emoji)}`, headers: as.headers })
const emojis = async (messageId: string) => (await storedReactions(app(), messageId)).map((r) => `${r.userId}:${r.emoji}`).sort()

describe('POST /api/messages/:id/reactions', () => {
  it('adds one reaction per person and emoji (201, then 200 unchanged), shown in the message and announced once', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'React to me')
    const room = `chat:${chat.id}`
    const socket = await watchRoom(app(), ada, room, sockets)

    const first = await react(bob, message.id, { emoji: '👍' })
    expect(first.statusCode, first.body).toBe(201)
    expect(first.json()).toEqual({
      messageId: message.id,
      chatId: chat.id,
      emoji: '👍',
      userId: bob.id,
      message: { ...message, reactions: [{ emoji: '👍', count: 1, userIds: [bob.id] }] },
    })
    const again = await react(bob, message.id, { emoji: '👍' })
    expect(again.statusCode, again.body).toBe(200)
    expect(again.json()).toEqual(first.json())
    expect((await react(ada, message.id, { emoji: '👍' })).statusCode).toBe(201)
    expect((await react(ada, message.id, { emoji: ':party_parrot:' })).statusCode).toBe(201)
    expect(await emojis(message.id)).toEqual([`${ada.id}::party_parrot:`, `${ada.id}:👍`, `${bob.id}:👍`].sort())

    // The message's views show the summary, by emoji in the order first used.
    const listed = (await app().inject({ url: `/api/chats/${chat.id}/messages`, headers: bob.headers })).json<{ items: { reactions: unknown }[] }>()
    expect(listed.items[0]!.reactions).toEqual([
      { emoji: '👍', count: 2, userIds: [bob.id, ada.id] },
      { emoji: ':party_parrot:', count: 1, userIds: [ada.id] },
    ])

    // Three events (the repeat published none), each the object the API answered.
    const events = await nextEvents(socket, room, ['reaction.added', 'reaction.removed'], 3)
    expect(events.map((e) => [e.event, (e.data as { userId: string; emoji: string }).userId, (e.data as { emoji: string }).emoji])).toEqual([
      ['reaction.added', bob.id, '👍'],
      ['reaction.added', ada.id, '👍'],
      ['reaction.added', ada.id, ':party_parrot:'],
    ])
    expect(events[0]!.data).toEqual(first.json())
    // Next is the removal: nothing was published for the repeat in between.
    expect((await unreact(bob, message.id, '👍')).statusCode).toBe(200)
    const [removed] = await nextEvents(socket, room, ['reaction.added', 'reaction.removed'], 1)
    expect(removed).toMatchObject({ event: 'reaction.removed', data: { userId: bob.id, emoji: '👍', message: { reactions: [{ emoji: '👍', count: 1, userIds: [ada.id] }, { emoji: ':party_parrot:', count: 1 }] } } })
  })

  it('accepts one emoji with modifiers, ZWJ sequences, flags and keycaps, and :short_names:', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'Many kinds')
    for (const emoji of ['👍🏽', '👨‍👩‍👧', '🇫🇷', '1️⃣', '❤️', ':+1:', ':thumbs-up_2:']) {
      const response = await react(bob, message.id, { emoji })
      expect(response.statusCode, `${emoji}: ${response.body}`).toBe(201)
    }
    expect(await storedReactions(app(), message.id)).toHaveLength(7)
  })

  it('refuses what is not one emoji or a :short_name: (400), storing nothing', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'Strict')
    for (const emoji of ['a', 'ok', '👍👍', '👍 ', ' 👍', ':Thumbs:', '::', ':a b:', 'thumbsup:', `:${'a'.repeat(61)}A:`, '<script>']) {
      expectError(await react(bob, message.id, { emoji }), 400, 'REACTION_EMOJI_INVALID')
    }
    for (const payload of [{}, { emoji: '' }, { emoji: 7 }, { emoji: ['👍'] }, { emoji: '👍', extra: true }, { emoji: 'x'.repeat(65) }]) {
      expectError(await react(bob, message.id, payload), 400, 'VALIDATION_FAILED')
    }
    expectError(await asText(app(), bob, 'POST', `/api/messages/${message.id}/reactions`), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(await storedReactions(app(), message.id)).toEqual([])
  })

  it('refuses a message you cannot read (404), a channel you did not join (403), an archived chat (409), a deleted message (410)', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, group.id, 'Ours')
    expectError(await react(cy, message.id, { emoji: '👍' }), 404, 'MESSAGE_NOT_FOUND')
    expectError(await react(cy, randomUUID(), { emoji: '👍' }), 404, 'MESSAGE_NOT_FOUND')
    expectError(await react(cy, 'not-an-id', { emoji: '👍' }), 400, 'VALIDATION_FAILED')
    expect((await app().inject({ method: 'POST', url: `/api/messages/${message.id}/reactions`, payload: { emoji: '👍' } })).statusCode).toBe(401)

    const channel = await createChat(app(), ada, { type: 'channel' })
    const post = await sendMessage(app(), ada, channel.id, 'Announcement')
    expectError(await react(cy, post.id, { emoji: '👍' }), 403, 'CHAT_NOT_PARTICIPANT')

    const archived = await createChat(app(), ada, { participantIds: [bob.id] })
    const old = await sendMessage(app(), ada, archived.id, 'Old')
    await setChat(app(), archived.id, { archived: true })
    expectError(await react(bob, old.id, { emoji: '👍' }), 409, 'CHAT_ARCHIVED')

    const gone = await sendMessage(app(), ada, group.id, 'Gone soon')
    expect((await app().inject({ method: 'DELETE', url: `/api/messages/${gone.id}`, headers: ada.headers })).statusCode).toBe(200)
    expectError(await react(bob, gone.id, { emoji: '👍' }), 410, 'MESSAGE_DELETED')
    for (const id of [message.id, post.id, old.id, gone.id]) expect(await storedReactions(app(), id)).toEqual([])
  })

  it(`refuses a new kind beyond ${MAX_REACTION_KINDS} (409) but still counts one already there`, async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'Popular')
    await insertReactions(app(), Array.from({ length: MAX_REACTION_KINDS }, (_, i) => ({ messageId: message.id, userId: ada.id, emoji: `:k${i}:` })))
    expectError(await react(bob, message.id, { emoji: ':one_more:' }), 409, 'REACTION_KINDS_FULL')
    expect((await react(bob, message.id, { emoji: ':k7:' })).statusCode).toBe(201)
    expect(await storedReactions(app(), message.id)).toHaveLength(MAX_REACTION_KINDS + 1)
  })
})

describe('concurrency', () => {
  it.skipIf(inject('databaseServer') === 'embedded')('the same reaction twice at once stores one (201 and 200)', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'Race')
    const statuses = (await Promise.all([react(bob, message.id, { emoji: '🎉' }), react(bob, message.id, { emoji: '🎉' })])).map((r) => r.statusCode).sort()
    expect(statuses).toEqual([200, 201])
    expect(await emojis(message.id)).toEqual([`${bob.id}:🎉`])
  })
})

describe('DELETE /api/messages/:id/reactions/:emoji', () => {
  it('takes back your own reaction only; idempotent (200 again)', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'Hmm')
    await react(ada, message.id, { emoji: '👨‍👩‍👧' })
    await react(bob, message.id, { emoji: '👨‍👩‍👧' })
    const response = await unreact(bob, message.id, '👨‍👩‍👧')
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toMatchObject({ messageId: message.id, emoji: '👨‍👩‍👧', userId: bob.id, message: { reactions: [{ emoji: '👨‍👩‍👧', count: 1, userIds: [ada.id] }] } })
    expect(await emojis(message.id)).toEqual([`${ada.id}:👨‍👩‍👧`])
    const again = await unreact(bob, message.id, '👨‍👩‍👧')
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual(response.json())
    expect((await unreact(ada, message.id, ':never_used:')).statusCode).toBe(200)
    expect(await emojis(message.id)).toEqual([`${ada.id}:👨‍👩‍👧`])
  })

  it('refuses as adding does (404, 403, 409, 410, 400), removing nothing', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'Keep')
    await react(ada, message.id, { emoji: '👍' })
    expectError(await unreact(cy, message.id, '👍'), 404, 'MESSAGE_NOT_FOUND')
    expectError(await unreact(ada, message.id, 'nope'), 400, 'REACTION_EMOJI_INVALID')
    expectError(await unreact(ada, message.id, 'x'.repeat(65)), 400, 'VALIDATION_FAILED')
    expectError(await unreact(ada, 'bad-id', '👍'), 400, 'VALIDATION_FAILED')
    const channel = await createChat(app(), ada, { type: 'channel' })
    const post = await sendMessage(app(), ada, channel.id, 'Post')
    expectError(await unreact(cy, post.id, '👍'), 403, 'CHAT_NOT_PARTICIPANT')
    await setChat(app(), chat.id, { archived: true })
    expectError(await unreact(ada, message.id, '👍'), 409, 'CHAT_ARCHIVED')
    await setChat(app(), chat.id, { archived: false })
    const gone = await sendMessage(app(), ada, chat.id, 'Gone')
    await app().inject({ method: 'DELETE', url: `/api/messages/${gone.id}`, headers: ada.headers })
    expectError(await unreact(ada, gone.id, '👍'), 410, 'MESSAGE_DELETED')
    expect(await emojis(message.id)).toEqual([`${ada.id}:👍`])
  })
})
