import { randomUUID } from 'node:crypto'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { createChat, sendMessage, setChat, setParticipant, storedParticipant, type TestChat } from '../../../test/helpers/chat.js'
import { addParticipant, connectSocket, storedMessage, storedMessageFiles, storedVersions } from '../../../test/helpers/chat-messages.js'
import { uploadFile } from '../../../test/helpers/files.js'
import { expectError } from '../../../test/helpers/identity.js'
import type { TestSocket } from '../../../test/helpers/ws-client.js'
import type { MessageView } from './message.view.js'

const app = useTestApp({ setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined) })

let ada: TestUser
let bob: TestUser
let cy: TestUser
const tag = Math.random().toString(36).slice(2, 8)

beforeAll(async () => {
  ada = await registerUser(app(), { name: 'Ada Lovelace', username: `ada_${tag}` })
  bob = await registerUser(app(), { name: 'Bob Byte', username: `bob_${tag}` })
  cy = await registerUser(app(), { name: 'Cy Cipher', username: `cy_${tag}` })
})

const list = (as: TestUser, chatId: string, query = '') => app().inject({ url: `/api/chats/${chatId}/messages${query}`, headers: as.headers })
const edit = (as: TestUser, id: string, payload: unknown) => app().inject({ method: 'PUT', url: `/api/messages/${id}`, headers: as.headers, payload: payload as Record<string, unknown> })
const remove = (as: TestUser, id: string) => app().inject({ method: 'DELETE', url: `/api/messages/${id}`, headers: as.headers })
const history = (as: TestUser, id: string, query = '') => app().inject({ url: `/api/messages/${id}/history${query}`, headers: as.headers })
const read = (as: TestUser, chatId: string, seq: number) => app().inject({ method: 'POST', url: `/api/chats/${chatId}/read`, headers: as.headers, payload: { seq } })
/** The caller's unread count of the chat in their chat list and in the chat itself. */
async function unread(as: TestUser, chatId: string): Promise<{ list: number; chat: number }> {
  const items = (await app().inject({ url: '/api/chats?limit=200', headers: as.headers })).json<{ items: { id: string; me: { unreadCount: number } }[] }>().items
  const chat = (await app().inject({ url: `/api/chats/${chatId}`, headers: as.headers })).json<{ me: { unreadCount: number } }>()
  return { list: items.find((c) => c.id === chatId)!.me.unreadCount, chat: chat.me.unreadCount }
}
const seqs = (response: { json: () => { items: MessageView[] } }) => response.json().items.map((m) => m.seq)

describe('GET /api/chats/:id/messages', () => {
  let chat: TestChat
  let root: MessageView
  beforeAll(async () => {
    chat = await createChat(app(), ada, { participantIds: [bob.id] })
    // seq 1..12; 3 starts a thread answered by 5 and 8; 10 is deleted.
    for (let i = 1; i <= 12; i++) {
      const body: Record<string, unknown> = { text: i === 6 ? 'the quarterly report is ready' : i === 9 ? 'Reporting from the field' : `message ${i}` }
      if (i === 5 || i === 8) body.threadRootId = root.id
      const message = await sendMessage(app(), i % 2 ? ada : bob, chat.id, body)
      if (i === 3) root = message
    }
    const tenth = (await list(ada, chat.id, '?limit=1&before=11')).json().items[0] as MessageView
    expect((await remove(bob, tenth.id)).statusCode).toBe(200)
  })

  it('lists newest first by seq, with deleted messages as tombstones', async () => {
    const response = await list(bob, chat.id)
    expect(response.statusCode, response.body).toBe(200)
    expect(seqs(response)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1])
    expect(response.json().nextCursor).toBeNull()
    const tombstone = response.json().items[2]
    expect(tombstone).toMatchObject({ seq: 10, text: null, files: [], mentions: [], deletedAt: expect.stringMatching(/Z$/), author: { id: bob.id } })
    expect(response.json().items[0]).toMatchObject({ seq: 12, text: 'message 12', author: { id: bob.id, name: 'Bob Byte' } })
    expect(response.json().items.find((m: MessageView) => m.seq === 3)).toMatchObject({ replyCount: 2 })
  })

  it('pages with limit and cursor without skipping or repeating', async () => {
    const first = await list(ada, chat.id, '?limit=5')
    expect(seqs(first)).toEqual([12, 11, 10, 9, 8])
    const second = await list(ada, chat.id, `?limit=5&cursor=${first.json().nextCursor}`)
    expect(seqs(second)).toEqual([7, 6, 5, 4, 3])
    const third = await list(ada, chat.id, `?limit=5&cursor=${second.json().nextCursor}`)
    expect(seqs(third)).toEqual([2, 1])
    expect(third.json().nextCursor).toBeNull()
  })

  it('before a seq: older ones, newest first; after a seq: newer ones, oldest first, with a cursor that continues', async () => {
    expect(seqs(await list(ada, chat.id, '?before=4'))).toEqual([3, 2, 1])
    const after = await list(ada, chat.id, '?after=7&limit=3')
    expect(seqs(after)).toEqual([8, 9, 10])
    expect(seqs(await list(ada, chat.id, `?limit=3&cursor=${after.json().nextCursor}`))).toEqual([11, 12])
    expect(seqs(await list(ada, chat.id, '?after=12'))).toEqual([])
  })

  it('around a seq: about half up to it (included) and half after, newest first; the cursor continues to older ones', async () => {
    const around = await list(ada, chat.id, '?around=6&limit=4')
    expect(seqs(around)).toEqual([8, 7, 6, 5])
    expect(seqs(await list(ada, chat.id, `?limit=4&cursor=${around.json().nextCursor}`))).toEqual([4, 3, 2, 1])
  })

  it('threadRootId: the thread\'s replies; one not in this chat is 422', async () => {
    expect(seqs(await list(bob, chat.id, `?threadRootId=${root.id}`))).toEqual([8, 5])
    const other = await createChat(app(), ada, { participantIds: [bob.id] })
    expectError(await list(ada, other.id, `?threadRootId=${root.id}`), 422, 'MESSAGE_REFERENCE_INVALID')
  })

  it('q searches within the chat: every word, the last one as a prefix; deleted messages never match', async () => {
    expect(seqs(await list(bob, chat.id, '?q=report'))).toEqual([9, 6])
    expect(seqs(await list(bob, chat.id, '?q=quarterly%20rep'))).toEqual([6])
    expect(seqs(await list(bob, chat.id, '?q=message%2010'))).toEqual([])
    expect(seqs(await list(bob, chat.id, '?q=nothing-like-this'))).toEqual([])
    // Another chat's messages never match.
    const other = await createChat(app(), ada, { participantIds: [bob.id] })
    await sendMessage(app(), ada, other.id, 'report elsewhere')
    expect(seqs(await list(bob, chat.id, '?q=elsewhere'))).toEqual([])
    expectError(await list(bob, chat.id, '?q=%21%21'), 400, 'VALIDATION_FAILED')
  })

  it('lets anyone read a channel (public) before joining', async () => {
    const channel = await createChat(app(), ada, { type: 'channel', title: 'Open channel' })
    const post = await sendMessage(app(), ada, channel.id, 'Welcome')
    const response = await list(cy, channel.id)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({ items: [post], nextCursor: null })
  })

  it('refuses non-participants of a group or private chat (404) and bad queries (400)', async () => {
    expectError(await list(cy, chat.id), 404, 'CHAT_NOT_FOUND')
    expectError(await list(cy, randomUUID()), 404, 'CHAT_NOT_FOUND')
    const pair = await createChat(app(), ada, { type: 'private', participantIds: [bob.id] })
    expectError(await list(cy, pair.id), 404, 'CHAT_NOT_FOUND')
    for (const query of ['?before=3&after=1', '?around=2&before=5', '?limit=0', '?limit=201', '?before=-1', '?after=x', '?colour=red', `?threadRootId=nope`]) {
      expectError(await list(ada, chat.id, query), 400, 'VALIDATION_FAILED')
    }
    expectError(await list(ada, chat.id, '?cursor=garbage'), 400, 'INVALID_CURSOR')
    const otherChat = await createChat(app(), ada, { participantIds: [bob.id] })
    const page = await list(ada, chat.id, '?limit=2')
    expectError(await list(ada, otherChat.id, `?cursor=${page.json().nextCursor}`), 400, 'INVALID_CURSOR')
  })
})

describe('PUT /api/messages/:id', () => {
  it('lets the author edit: new text, version and editedAt; the earlier text is kept in the history', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'Frist draft')
    const response = await edit(ada, message.id, { text: 'First draft', version: 1 })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toMatchObject({ id: message.id, seq: message.seq, text: 'First draft', version: 2, editedAt: expect.stringMatching(/Z$/), createdAt: message.createdAt })
    expect((await edit(ada, message.id, { text: 'Final' })).json()).toMatchObject({ text: 'Final', version: 3 })
    expect(await storedMessage(app(), message.id)).toMatchObject({ text: 'Final', version: 3 })
    const h = await history(bob, message.id)
    expect(h.statusCode, h.body).toBe(200)
    expect(h.json()).toEqual({
      items: [
        { version: 1, text: 'Frist draft', writtenAt: message.createdAt },
        { version: 2, text: 'First draft', writtenAt: response.json().editedAt },
      ],
      nextCursor: null,
    })
    const paged = await history(bob, message.id, '?limit=1')
    expect(paged.json().items).toHaveLength(1)
    expect((await history(bob, message.id, `?limit=1&cursor=${paged.json().nextCursor}`)).json().items).toEqual([{ version: 2, text: 'First draft', writtenAt: response.json().editedAt }])
  })

  it('resolves mentions again; a newly mentioned participant gains an unread mention', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id, cy.id] })
    const message = await sendMessage(app(), ada, chat.id, `hi @bob_${tag}`)
    expect(message.mentions).toEqual([bob.id])
    const edited = (await edit(ada, message.id, { text: `hi @cy_${tag} and @bob_${tag}` })).json()
    expect([...edited.mentions].sort()).toEqual([bob.id, cy.id].sort())
    expect((await storedParticipant(app(), chat.id, cy.id))!.mentionCount).toBe(1)
    expect((await storedParticipant(app(), chat.id, bob.id))!.mentionCount).toBe(1)
  })

  it('refuses anyone but the author (403 MESSAGE_NOT_AUTHOR), even the chat\'s owner, and changes nothing', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), bob, chat.id, 'Mine')
    expectError(await edit(ada, message.id, { text: 'Owner was here' }), 403, 'MESSAGE_NOT_AUTHOR')
    expectError(await edit(cy, message.id, { text: 'x' }), 404, 'MESSAGE_NOT_FOUND')
    expectError(await edit(bob, randomUUID(), { text: 'x' }), 404, 'MESSAGE_NOT_FOUND')
    expect(await storedMessage(app(), message.id)).toMatchObject({ text: 'Mine', version: 1 })
    expect(await storedVersions(app(), message.id)).toEqual([])
  })

  it('refuses a stale version (409 VERSION_CONFLICT with the current message) and changes nothing', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'v1')
    await edit(ada, message.id, { text: 'v2', version: 1 })
    const error = expectError(await edit(ada, message.id, { text: 'from a stale tab', version: 1 }), 409, 'VERSION_CONFLICT')
    expect(error.details).toMatchObject({ current: { id: message.id, text: 'v2', version: 2 } })
    expect(await storedMessage(app(), message.id)).toMatchObject({ text: 'v2', version: 2 })
    expect(await storedVersions(app(), message.id)).toHaveLength(1)
  })

  it('refuses editing a deleted message (410), in an archived chat (409), to empty text (400) and bad bodies (400, 415)', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const gone = await sendMessage(app(), ada, chat.id, 'soon gone')
    await remove(ada, gone.id)
    expectError(await edit(ada, gone.id, { text: 'back' }), 410, 'MESSAGE_DELETED')
    const message = await sendMessage(app(), ada, chat.id, 'stays')
    expectError(await edit(ada, message.id, { text: '   ' }), 400, 'MESSAGE_EMPTY')
    for (const payload of [{}, { text: 5 }, { text: 'x'.repeat(10_001) }, { text: 'ok', version: 0 }, { text: 'ok', version: '1' }, { text: 'ok', pinned: true }]) {
      expectError(await edit(ada, message.id, payload), 400, 'VALIDATION_FAILED')
    }
    const notJson = await app().inject({ method: 'PUT', url: `/api/messages/${message.id}`, headers: { ...ada.headers, 'content-type': 'text/plain' }, payload: 'text' })
    expect(notJson.statusCode).toBe(415)
    await setChat(app(), chat.id, { archived: true })
    expectError(await edit(ada, message.id, { text: 'archived' }), 409, 'CHAT_ARCHIVED')
    expect(await storedMessage(app(), message.id)).toMatchObject({ text: 'stays', version: 1 })
  })
})

describe('DELETE /api/messages/:id', () => {
  it('lets the author delete: a tombstone stays with its seq; deleting again answers the same tombstone', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const file = await uploadFile(app(), ada, { content: 'attached\n', filename: 'a.txt' })
    const message = await sendMessage(app(), ada, chat.id, { text: `secret @bob_${tag}`, fileIds: [file.json().id] })
    await edit(ada, message.id, { text: 'secret, edited' })
    expect((await app().inject({ url: `/api/files/${file.json().id}`, headers: bob.headers })).statusCode).toBe(200)
    const response = await remove(ada, message.id)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toMatchObject({ id: message.id, seq: message.seq, text: null, files: [], mentions: [], deletedAt: expect.stringMatching(/Z$/) })
    expect(await storedMessage(app(), message.id)).toMatchObject({ text: null, mentions: [], deletedAt: expect.any(Date) })
    expect(await storedMessageFiles(app(), message.id)).toEqual([])
    expect(await storedVersions(app(), message.id)).toEqual([])
    expect((await history(ada, message.id)).json()).toEqual({ items: [], nextCursor: null })
    // The attachment is no longer readable through the chat.
    expectError(await app().inject({ url: `/api/files/${file.json().id}`, headers: bob.headers }), 404, 'NOT_FOUND')
    const again = await remove(ada, message.id)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual(response.json())
    expect(seqs(await list(bob, chat.id))).toEqual([message.seq])
  })

  it("a deleted reply no longer counts on its thread's root, nor a deleted mention for whoever had not read it", async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id, cy.id] })
    const root = await sendMessage(app(), bob, chat.id, 'root')
    const reply = await sendMessage(app(), ada, chat.id, { text: `thoughts, @cy_${tag} and @bob_${tag}?`, threadRootId: root.id })
    expect(await storedMessage(app(), root.id)).toMatchObject({ replyCount: 1 })
    // Bob read the reply; Cy did not.
    expect((await app().inject({ method: 'POST', url: `/api/chats/${chat.id}/read`, headers: bob.headers, payload: { seq: reply.seq } })).statusCode).toBe(200)
    expect(await storedParticipant(app(), chat.id, cy.id)).toMatchObject({ mentionCount: 1 })
    expect(await storedParticipant(app(), chat.id, bob.id)).toMatchObject({ mentionCount: 0 })

    expect((await remove(ada, reply.id)).statusCode).toBe(200)
    expect(await storedMessage(app(), root.id)).toMatchObject({ replyCount: 0 })
    expect(await storedParticipant(app(), chat.id, cy.id)).toMatchObject({ mentionCount: 0 })
    expect(await storedParticipant(app(), chat.id, bob.id)).toMatchObject({ mentionCount: 0 })
    expect((await app().inject({ url: `/api/chats/${chat.id}`, headers: cy.headers })).json()).toMatchObject({ me: { mentionCount: 0 } })
  })

  it('a message deleted before someone read it no longer counts as unread for them (chat list and chat), nor for those who read it', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id, cy.id] })
    const [m1, m2, m3] = [await sendMessage(app(), bob, chat.id, 'one'), await sendMessage(app(), bob, chat.id, 'two'), await sendMessage(app(), bob, chat.id, 'three')]
    expect((await read(ada, chat.id, m1.seq)).statusCode).toBe(200)
    expect(await unread(cy, chat.id)).toEqual({ list: 3, chat: 3 })
    expect(await unread(ada, chat.id)).toEqual({ list: 2, chat: 2 })

    expect((await remove(bob, m2.id)).statusCode).toBe(200)
    expect(await unread(cy, chat.id)).toEqual({ list: 2, chat: 2 })
    expect(await unread(ada, chat.id)).toEqual({ list: 1, chat: 1 })
    expect(await unread(bob, chat.id)).toEqual({ list: 0, chat: 0 })
    // Reading past the tombstone recounts without it; deleting what was read changes nothing.
    expect((await read(cy, chat.id, m2.seq)).json()).toMatchObject({ unreadCount: 1 })
    expect((await remove(bob, m1.id)).statusCode).toBe(200)
    expect(await unread(cy, chat.id)).toEqual({ list: 1, chat: 1 })
    expect((await remove(bob, m3.id)).statusCode).toBe(200)
    expect(await unread(cy, chat.id)).toEqual({ list: 0, chat: 0 })
    expect(await unread(ada, chat.id)).toEqual({ list: 0, chat: 0 })
    expect((await read(ada, chat.id, m3.seq)).json()).toMatchObject({ unreadCount: 0 })
  })

  it('a read and deletes at the same moment leave the unread count exact', async () => {
    for (let round = 0; round < 6; round++) {
      const chat = await createChat(app(), ada, { participantIds: [bob.id, cy.id] })
      const sent: MessageView[] = []
      for (let i = 0; i < 6; i++) sent.push(await sendMessage(app(), bob, chat.id, `m${i}`))
      // Cy reads up to m2 while m1 (before the new mark) and m4 (after it) are deleted.
      const [marked, before, after] = await Promise.all([read(cy, chat.id, sent[2]!.seq), remove(bob, sent[1]!.id), remove(bob, sent[4]!.id)])
      expect([marked.statusCode, before.statusCode, after.statusCode]).toEqual([200, 200, 200])
      // After the mark: m3 and m5 count; m4 is deleted.
      expect(await unread(cy, chat.id)).toEqual({ list: 2, chat: 2 })
      expect(await unread(ada, chat.id)).toEqual({ list: 4, chat: 4 })
    }
  })

  it('lets the chat\'s owner and admins delete others\' messages; a plain member 403 and a non-participant 404', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id, cy.id] })
    const bobs = await sendMessage(app(), bob, chat.id, 'by bob')
    const adas = await sendMessage(app(), ada, chat.id, 'by ada')
    const outsider = await loginAs(app())
    expectError(await remove(cy, bobs.id), 403, 'CHAT_ROLE_FORBIDDEN')
    expectError(await remove(outsider, bobs.id), 404, 'MESSAGE_NOT_FOUND')
    expect(await storedMessage(app(), bobs.id)).toMatchObject({ text: 'by bob', deletedAt: null })
    expect((await remove(ada, bobs.id)).statusCode).toBe(200)
    await setParticipant(app(), chat.id, cy.id, { role: 'admin' })
    expect((await remove(cy, adas.id)).json()).toMatchObject({ id: adas.id, text: null })
    expectError(await remove(ada, 'nope'), 400, 'VALIDATION_FAILED')
    expectError(await remove(ada, randomUUID()), 404, 'MESSAGE_NOT_FOUND')
  })

  it('lets a platform moderator (admin) delete any message, even in a chat they are not in or an archived one', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), bob, chat.id, 'reported')
    await setChat(app(), chat.id, { archived: true })
    const admin = await loginAs(app(), 'admin')
    const response = await remove(admin, message.id)
    expect(response.statusCode, response.body).toBe(200)
    expect(await storedMessage(app(), message.id)).toMatchObject({ text: null, deletedAt: expect.any(Date) })
    // Moderating is not editing.
    expectError(await edit(admin, message.id, { text: 'x' }), 404, 'MESSAGE_NOT_FOUND')
  })

  it('refuses deleting in an archived chat (409 CHAT_ARCHIVED) and changes nothing', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'kept')
    await setChat(app(), chat.id, { archived: true })
    expectError(await remove(ada, message.id), 409, 'CHAT_ARCHIVED')
    expect(await storedMessage(app(), message.id)).toMatchObject({ text: 'kept', deletedAt: null })
  })
})

describe('GET /api/messages/:id/history', () => {
  it('answers participants, and anyone for a channel\'s message; 404 for others', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'hello')
    expect((await history(bob, message.id)).json()).toEqual({ items: [], nextCursor: null })
    expectError(await history(cy, message.id), 404, 'MESSAGE_NOT_FOUND')
    const channel = await createChat(app(), ada, { type: 'channel', title: 'History channel' })
    const post = await sendMessage(app(), ada, channel.id, 'news')
    await edit(ada, post.id, { text: 'news, edited' })
    expect((await history(cy, post.id)).json()).toEqual({ items: [{ version: 1, text: 'news', writtenAt: post.createdAt }], nextCursor: null })
    // Editing and deleting need a participant.
    expectError(await remove(cy, post.id), 403, 'CHAT_NOT_PARTICIPANT')
    await addParticipant(app(), channel.id, cy.id)
    expectError(await remove(cy, post.id), 403, 'CHAT_ROLE_FORBIDDEN')
    expectError(await history(cy, post.id, '?cursor=garbage'), 400, 'INVALID_CURSOR')
  })
})

describe('realtime', () => {
  const sockets: TestSocket[] = []
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close()
  })

  it('publishes message.updated and message.deleted with the message view to chat:<id>, and nothing for refusals', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'to change')
    const bobs = await connectSocket(app(), bob, sockets)
    const room = `chat:${chat.id}`
    expect(await bobs.subscribe(room)).toMatchObject({ type: 'subscribed' })
    expectError(await edit(bob, message.id, { text: 'not mine' }), 403, 'MESSAGE_NOT_AUTHOR')
    const edited = (await edit(ada, message.id, { text: 'changed' })).json()
    const deleted = (await remove(ada, message.id)).json()
    const [updatedEvent, deletedEvent] = await bobs.events(room, 2)
    expect(updatedEvent).toMatchObject({ type: 'event', event: 'message.updated', data: edited })
    expect(deletedEvent).toMatchObject({ type: 'event', event: 'message.deleted', data: deleted })
    expect(deletedEvent!.seq).toBe((updatedEvent!.seq as number) + 1)
  })
})
