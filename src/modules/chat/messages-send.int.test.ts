import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { buildTestApp, useTestApp } from '../../../test/helpers/app.js'
import { registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { blockUser, createChat, sendMessage, setChat, setParticipant, storedChat, storedParticipant } from '../../../test/helpers/chat.js'
import { addParticipant, connectSocket, observedChatModule, storedMessageFiles, storedMessages } from '../../../test/helpers/chat-messages.js'
import { uploadFile } from '../../../test/helpers/files.js'
import { expectError } from '../../../test/helpers/identity.js'
import type { TestSocket, WsMessage } from '../../../test/helpers/ws-client.js'
import type { MessageView } from './message.view.js'
import { appendSystemMessage } from './system-messages.js'

const observed = observedChatModule()
const app = useTestApp({ env: { LOG_LEVEL: 'error' }, modules: [observed.definition], setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined) })

let ada: TestUser
let bob: TestUser
let cy: TestUser
const tag = Math.random().toString(36).slice(2, 8)

beforeAll(async () => {
  ada = await registerUser(app(), { name: 'Ada Lovelace', username: `ada_${tag}` })
  bob = await registerUser(app(), { name: 'Bob Byte', username: `bob_${tag}` })
  cy = await registerUser(app(), { name: 'Cy Cipher', username: `cy_${tag}` })
})

const send = (as: TestUser, chatId: string, payload: unknown, headers: Record<string, string> = {}) =>
  app().inject({ method: 'POST', url: `/api/chats/${chatId}/messages`, headers: { ...as.headers, ...headers }, payload: payload as Record<string, unknown> })

/** A short PCM WAV file: a RIFF header and silence. */
function wav(samples = 800): Buffer {
  const header = Buffer.alloc(44)
  header.write('RIFF', 0, 'latin1')
  header.writeUInt32LE(36 + samples * 2, 4)
  header.write('WAVEfmt ', 8, 'latin1')
  header.writeUInt32LE(16, 16)
  header.writeUInt16LE(1, 20) // PCM
  header.writeUInt16LE(1, 22) // mono
  header.writeUInt32LE(8000, 24)
  header.writeUInt32LE(16000, 28)
  header.writeUInt16LE(2, 32)
  header.writeUInt16LE(16, 34)
  header.write('data', 36, 'latin1')
  header.writeUInt32LE(samples * 2, 40)
  return Buffer.concat([header, Buffer.alloc(samples * 2)])
}

async function upload(user: TestUser, name = 'notes.txt', content: string | Buffer = 'some notes\n') {
  const response = await uploadFile(app(), user, { content, filename: name })
  expect(response.statusCode, response.body).toBe(201)
  return response.json<{ id: string; name: string; contentType: string; size: number }>()
}

describe('POST /api/chats/:id/messages', () => {
  it('stores the message and answers 201 with its view; seq counts 1, 2, 3 in the chat', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const response = await send(ada, chat.id, { text: 'Hello' })
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json()).toEqual({
      id: expect.any(String),
      chatId: chat.id,
      seq: 1,
      type: 'text',
      text: 'Hello',
      author: { id: ada.id, username: `ada_${tag}`, name: 'Ada Lovelace', avatarUrl: null, deleted: false },
      files: [],
      replyToId: null,
      threadRootId: null,
      replyCount: 0,
      lastReplyAt: null,
      forwardedFrom: null,
      mentions: [],
      media: null,
      system: null,
      reactions: [],
      clientId: null,
      version: 1,
      createdAt: expect.stringMatching(/Z$/),
      editedAt: null,
      deletedAt: null,
    })
    expect((await sendMessage(app(), bob, chat.id, 'Hi')).seq).toBe(2)
    expect((await sendMessage(app(), ada, chat.id, 'How are you?')).seq).toBe(3)
    expect((await storedMessages(app(), chat.id)).map((m) => [m.seq, m.text, m.authorId])).toEqual([
      [1, 'Hello', ada.id],
      [2, 'Hi', bob.id],
      [3, 'How are you?', ada.id],
    ])
    expect(await storedChat(app(), chat.id)).toMatchObject({ lastSeq: 3, countedSeq: 3 })
    // The author has read their own message; the other has two unread.
    expect(await storedParticipant(app(), chat.id, ada.id)).toMatchObject({ lastReadSeq: 3, readCount: 3 })
    expect(await storedParticipant(app(), chat.id, bob.id)).toMatchObject({ lastReadSeq: 2, readCount: 2 })
  })

  it('keeps seq gapless under concurrent sends', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => send(i % 2 ? bob : ada, chat.id, { text: `m${i}` })))
    expect(responses.map((r) => r.statusCode)).toEqual(Array(8).fill(201))
    expect(responses.map((r) => r.json<MessageView>().seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect((await storedMessages(app(), chat.id)).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('answers a resend with the same clientId with the first message (200), even after other messages, and stores one', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const first = await send(ada, chat.id, { text: 'Once', clientId: 'c-1' })
    expect(first.statusCode).toBe(201)
    await sendMessage(app(), bob, chat.id, 'In between')
    const again = await send(ada, chat.id, { text: 'Once (retry, other text)', clientId: 'c-1' })
    expect(again.statusCode, again.body).toBe(200)
    expect(again.json()).toEqual(first.json())
    // Another author may use the same clientId: it names their own message.
    expect((await send(bob, chat.id, { text: 'Mine', clientId: 'c-1' })).statusCode).toBe(201)
    expect((await storedMessages(app(), chat.id)).map((m) => m.text)).toEqual(['Once', 'In between', 'Mine'])
    // Still so once posting is refused: the retry learns its message was stored.
    await setChat(app(), chat.id, { archived: true })
    const late = await send(ada, chat.id, { text: 'Once', clientId: 'c-1' })
    expect(late.statusCode).toBe(200)
    expect(late.json()).toEqual(first.json())
    expectError(await send(ada, chat.id, { text: 'New', clientId: 'c-2' }), 409, 'CHAT_ARCHIVED')
  })

  it.skipIf(inject('databaseServer') === 'embedded')('stores one message when two sends with one clientId race', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const responses = await Promise.all(Array.from({ length: 4 }, () => send(ada, chat.id, { text: 'Race', clientId: 'race-1' })))
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 201])
    expect(new Set(responses.map((r) => r.json<MessageView>().id)).size).toBe(1)
    expect(await storedMessages(app(), chat.id)).toHaveLength(1)
    expect(await storedChat(app(), chat.id)).toMatchObject({ lastSeq: 1 })
  })

  it('resolves @username mentions of participants, stores them and counts an unread mention for each', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const outsider = await registerUser(app(), { username: `out_${tag}` })
    const text = `@BOB_${tag} look, and @out_${tag} and @ada_${tag} and @nobody_${tag}; mail ada@bob_${tag}.test`
    const message = await sendMessage(app(), ada, chat.id, text)
    expect(message.mentions).toEqual([bob.id])
    expect(message.text).toBe(text)
    expect((await storedMessages(app(), chat.id))[0]!.mentions).toEqual([bob.id])
    expect((await storedParticipant(app(), chat.id, bob.id))!.mentionCount).toBe(1)
    expect((await storedParticipant(app(), chat.id, ada.id))!.mentionCount).toBe(0)
    await sendMessage(app(), ada, chat.id, `again @bob_${tag}.`)
    expect((await storedParticipant(app(), chat.id, bob.id))!.mentionCount).toBe(2)
    // Posting reads the chat: the poster's mentions are reset.
    await sendMessage(app(), bob, chat.id, 'seen')
    expect((await storedParticipant(app(), chat.id, bob.id))!.mentionCount).toBe(0)
    expect(outsider.id).not.toBe(bob.id)
  })

  it('brings a private chat back to the list of the one who had hidden it', async () => {
    const a = await registerUser(app())
    const b = await registerUser(app())
    const chat = await createChat(app(), a, { type: 'private', participantIds: [b.id] })
    await setParticipant(app(), chat.id, b.id, { hidden: true })
    await sendMessage(app(), a, chat.id, 'still there?')
    expect((await storedParticipant(app(), chat.id, b.id))!.hidden).toBe(false)
  })

  it('lets system messages take a seq without counting as unread', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    await sendMessage(app(), ada, chat.id, 'one')
    const system = await observed.seen.api!.deps.store.transaction((repos) => appendSystemMessage(repos, chat, { event: 'title.changed', title: 'New' }))
    expect(system).toMatchObject({ seq: 2, type: 'system', authorId: null, mentions: [] })
    expect(await storedChat(app(), chat.id)).toMatchObject({ lastSeq: 2, countedSeq: 1 })
    const next = await sendMessage(app(), ada, chat.id, 'two')
    expect(next.seq).toBe(3)
    expect(await storedChat(app(), chat.id)).toMatchObject({ lastSeq: 3, countedSeq: 2 })
  })

  describe('replies and threads', () => {
    it('stores replyToId for a message of the same chat; refuses one of another chat or unknown (422) and stores nothing', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      const other = await createChat(app(), ada, { participantIds: [bob.id] })
      const original = await sendMessage(app(), ada, chat.id, 'Question?')
      const foreign = await sendMessage(app(), ada, other.id, 'Elsewhere')
      const reply = await sendMessage(app(), bob, chat.id, { text: 'Answer', replyToId: original.id })
      expect(reply).toMatchObject({ replyToId: original.id, threadRootId: null, seq: 2 })
      for (const replyToId of [foreign.id, randomUUID()]) {
        const error = expectError(await send(bob, chat.id, { text: 'x', replyToId }), 422, 'MESSAGE_REFERENCE_INVALID')
        expect(error.details).toEqual({ replyToId: expect.any(String) })
      }
      expect(await storedMessages(app(), chat.id)).toHaveLength(2)
    })

    it('counts thread replies and the last reply on the root; a reply cannot start a thread of its own', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      const root = await sendMessage(app(), ada, chat.id, 'Thread start')
      const first = await sendMessage(app(), bob, chat.id, { text: 'r1', threadRootId: root.id })
      const second = await sendMessage(app(), ada, chat.id, { text: 'r2', threadRootId: root.id })
      expect(first).toMatchObject({ threadRootId: root.id, seq: 2 })
      const [stored] = (await storedMessages(app(), chat.id)).filter((m) => m.id === root.id)
      expect(stored).toMatchObject({ replyCount: 2, lastReplyAt: new Date(second.createdAt) })
      expectError(await send(ada, chat.id, { text: 'nested', threadRootId: first.id }), 422, 'MESSAGE_REFERENCE_INVALID')
      expect(await storedMessages(app(), chat.id)).toHaveLength(3)
    })
  })

  describe('attachments', () => {
    it('attaches the sender\'s own files with their name, type and size; a file-only message is of type file', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      const a = await upload(ada, 'plan.txt', 'the plan\n')
      const b = await upload(ada, 'more.txt', 'and more\n')
      const message = await sendMessage(app(), ada, chat.id, { fileIds: [b.id, a.id] })
      expect(message).toMatchObject({
        type: 'file',
        text: null,
        files: [
          { id: b.id, name: 'more.txt', contentType: b.contentType, size: b.size },
          { id: a.id, name: 'plan.txt', contentType: a.contentType, size: a.size },
        ],
      })
      expect((await sendMessage(app(), ada, chat.id, { text: 'With text', fileIds: [a.id] })).type).toBe('text')
      expect(await storedMessageFiles(app(), message.id)).toHaveLength(2)
    })

    it('makes an attachment readable by the chat\'s participants only', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      const file = await upload(ada, 'secret.txt', 'for bob\n')
      expectError(await app().inject({ url: `/api/files/${file.id}`, headers: bob.headers }), 404, 'NOT_FOUND')
      await sendMessage(app(), ada, chat.id, { fileIds: [file.id] })
      const seen = await app().inject({ url: `/api/files/${file.id}`, headers: bob.headers })
      expect(seen.statusCode, seen.body).toBe(200)
      expect(seen.json()).toMatchObject({ id: file.id, name: 'secret.txt' })
      expectError(await app().inject({ url: `/api/files/${file.id}`, headers: cy.headers }), 404, 'NOT_FOUND')
    })

    it('refuses files that are not the sender\'s or do not exist (422 MESSAGE_FILE_INVALID) and stores nothing', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      const bobs = await upload(bob)
      const missing = randomUUID()
      const error = expectError(await send(ada, chat.id, { text: 'look', fileIds: [bobs.id, missing] }), 422, 'MESSAGE_FILE_INVALID')
      expect(error.details).toEqual({ fileIds: [bobs.id, missing] })
      expect(await storedMessages(app(), chat.id)).toEqual([])
      expectError(await app().inject({ url: `/api/files/${bobs.id}`, headers: ada.headers }), 404, 'NOT_FOUND')
    })

    it('makes one audio file with media a voice message, keeping its duration and waveform', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      const voice = await upload(ada, 'note.wav', wav())
      expect(voice.contentType).toMatch(/^audio\//)
      const message = await sendMessage(app(), ada, chat.id, { fileIds: [voice.id], media: { durationMs: 1200, waveform: [0, 0.5, 1] } })
      expect(message).toMatchObject({ type: 'voice', text: null, media: { durationMs: 1200, waveform: [0, 0.5, 1] }, files: [{ id: voice.id, name: 'note.wav' }] })
      const text = await upload(ada)
      expectError(await send(ada, chat.id, { fileIds: [voice.id, text.id], media: { durationMs: 5 } }), 422, 'MESSAGE_MEDIA_INVALID')
    })

    it('refuses media on a message without one audio or video file (422 MESSAGE_MEDIA_INVALID)', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      const file = await upload(ada)
      expectError(await send(ada, chat.id, { fileIds: [file.id], media: { durationMs: 1000 } }), 422, 'MESSAGE_MEDIA_INVALID')
      expectError(await send(ada, chat.id, { text: 'hi', media: { durationMs: 1000 } }), 422, 'MESSAGE_MEDIA_INVALID')
      expect(await storedMessages(app(), chat.id)).toEqual([])
    })
  })

  describe('refusals (each stores nothing)', () => {
    async function expectNothingStored(chatId: string, lastSeq = 0) {
      expect(await storedMessages(app(), chatId)).toHaveLength(lastSeq)
      expect((await storedChat(app(), chatId))!.lastSeq).toBe(lastSeq)
    }

    it('answers 404 to a non-participant of a group or private chat, and for unknown chats', async () => {
      const group = await createChat(app(), ada, { participantIds: [bob.id] })
      const pair = await createChat(app(), ada, { type: 'private', participantIds: [bob.id] })
      for (const chat of [group, pair]) {
        expectError(await send(cy, chat.id, { text: 'let me in' }), 404, 'CHAT_NOT_FOUND')
        await expectNothingStored(chat.id)
      }
      expectError(await send(cy, randomUUID(), { text: 'x' }), 404, 'CHAT_NOT_FOUND')
      expectError(await send(cy, 'not-a-uuid', { text: 'x' }), 400, 'VALIDATION_FAILED')
      expectError(await app().inject({ method: 'POST', url: `/api/chats/${group.id}/messages`, payload: { text: 'x' } }), 401, 'UNAUTHENTICATED')
    })

    it('in a channel: non-members 403 CHAT_NOT_PARTICIPANT, members 403 CHAT_POST_FORBIDDEN unless membersCanPost; owner and admins post', async () => {
      const channel = await createChat(app(), ada, { type: 'channel', title: 'Announcements' })
      expectError(await send(cy, channel.id, { text: 'hello?' }), 403, 'CHAT_NOT_PARTICIPANT')
      await addParticipant(app(), channel.id, bob.id)
      const before = (await storedChat(app(), channel.id))!.lastSeq
      expectError(await send(bob, channel.id, { text: 'me too' }), 403, 'CHAT_POST_FORBIDDEN')
      await expectNothingStored(channel.id, before)
      expect((await send(ada, channel.id, { text: 'From the owner' })).statusCode).toBe(201)
      await setParticipant(app(), channel.id, bob.id, { role: 'admin' })
      expect((await send(bob, channel.id, { text: 'From an admin' })).statusCode).toBe(201)
      await setParticipant(app(), channel.id, bob.id, { role: 'member' })
      await setChat(app(), channel.id, { membersCanPost: true })
      expect((await send(bob, channel.id, { text: 'Members may now' })).statusCode).toBe(201)
    })

    it('refuses posting to an archived chat (409 CHAT_ARCHIVED)', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      await setChat(app(), chat.id, { archived: true })
      expectError(await send(ada, chat.id, { text: 'anyone?' }), 409, 'CHAT_ARCHIVED')
      await expectNothingStored(chat.id)
    })

    it('refuses a private message to someone who blocked the sender (403 CHAT_BLOCKED); the blocker may still write', async () => {
      const a = await registerUser(app())
      const b = await registerUser(app())
      const chat = await createChat(app(), a, { type: 'private', participantIds: [b.id] })
      await blockUser(app(), b, a)
      expectError(await send(a, chat.id, { text: 'hey' }), 403, 'CHAT_BLOCKED')
      await expectNothingStored(chat.id)
      expect((await send(b, chat.id, { text: 'I blocked you' })).statusCode).toBe(201)
    })

    it('enforces slow mode: 429 CHAT_SLOW_MODE with Retry-After for members, not for owners and admins', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      await setChat(app(), chat.id, { slowModeSeconds: 60 })
      expect((await send(bob, chat.id, { text: 'first' })).statusCode).toBe(201)
      const refused = await send(bob, chat.id, { text: 'second' })
      const error = expectError(refused, 429, 'CHAT_SLOW_MODE')
      const retryAfter = Number(refused.headers['retry-after'])
      expect(retryAfter).toBeGreaterThan(55)
      expect(retryAfter).toBeLessThanOrEqual(60)
      expect(error.details).toMatchObject({ retryAfterSeconds: retryAfter, slowModeSeconds: 60 })
      await expectNothingStored(chat.id, 1)
      expect((await send(ada, chat.id, { text: 'owner 1' })).statusCode).toBe(201)
      expect((await send(ada, chat.id, { text: 'owner 2' })).statusCode).toBe(201)
      // Once the wait is over, the member posts again.
      await setParticipant(app(), chat.id, bob.id, { lastPostedAt: new Date(Date.now() - 61_000) })
      expect((await send(bob, chat.id, { text: 'later' })).statusCode).toBe(201)
    })

    it.skipIf(inject('databaseServer') === 'embedded')('lets one of two sends at once through in slow mode', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      await setChat(app(), chat.id, { slowModeSeconds: 30 })
      const responses = await Promise.all(Array.from({ length: 4 }, (_, i) => send(bob, chat.id, { text: `burst ${i}` })))
      expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 429, 429, 429])
      await expectNothingStored(chat.id, 1)
    })

    it('refuses an empty message (400 MESSAGE_EMPTY)', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      for (const payload of [{}, { text: '' }, { text: '  \n ' }, { fileIds: [] }, { clientId: 'c' }]) expectError(await send(ada, chat.id, payload), 400, 'MESSAGE_EMPTY')
      await expectNothingStored(chat.id)
    })

    it('refuses bad bodies with 400 VALIDATION_FAILED: too long, unknown fields, wrong types', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      expect((await send(ada, chat.id, { text: 'x'.repeat(10_000) })).statusCode).toBe(201)
      const bodies = [
        { text: 'x'.repeat(10_001) },
        { text: 'hi', colour: 'red' },
        { text: 42 },
        { text: ['hi'] },
        { text: 'hi', fileIds: randomUUID() },
        { text: 'hi', fileIds: ['nope'] },
        { text: 'hi', replyToId: 'nope' },
        { text: 'hi', threadRootId: 7 },
        { text: 'hi', clientId: '' },
        { text: 'hi', clientId: 5 },
        { text: 'hi', clientId: 'x'.repeat(101) },
        { text: 'hi', fileIds: Array.from({ length: 11 }, () => randomUUID()) },
        { text: 'hi', media: { durationMs: -1 } },
        { text: 'hi', media: { durationMs: 10, waveform: [2] } },
        // scheduledAt must be a date-time (scheduling itself is tested in scheduled.int.test.ts).
        { text: 'later', scheduledAt: 'tomorrow' },
      ]
      for (const payload of bodies) expectError(await send(ada, chat.id, payload), 400, 'VALIDATION_FAILED')
      expectError(await app().inject({ method: 'POST', url: `/api/chats/${chat.id}/messages`, headers: { ...ada.headers, 'content-type': 'application/json' }, payload: '[1' }), 400, 'MALFORMED_JSON')
      await expectNothingStored(chat.id, 1)
    })

    it('refuses a body that is not JSON (415)', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      const response = await app().inject({ method: 'POST', url: `/api/chats/${chat.id}/messages`, headers: { ...ada.headers, 'content-type': 'text/plain' }, payload: 'hello' })
      expect(response.statusCode).toBe(415)
      expect(response.json().error.code).toEqual(expect.any(String))
      await expectNothingStored(chat.id)
    })
  })

  describe('per-account send rate limit (CHAT_SEND_RATE_LIMIT_PER_MINUTE)', () => {
    let limited: FastifyInstance
    beforeAll(async () => {
      limited = await buildTestApp({ env: { CHAT_SEND_RATE_LIMIT_PER_MINUTE: '2' }, modules: [observedChatModule().definition] })
    })
    afterAll(async () => {
      // The database is the file's, shared with the other app: closed by useTestApp.
      await limited?.close()
    })

    it('answers 429 RATE_LIMITED with Retry-After past the limit and stores nothing; other accounts are not affected', async () => {
      const a = await registerUser(limited)
      const b = await registerUser(limited)
      const chat = await createChat(limited, a, { participantIds: [b.id] })
      const post = (as: TestUser, text: string) => limited.inject({ method: 'POST', url: `/api/chats/${chat.id}/messages`, headers: as.headers, payload: { text } })
      expect((await post(a, '1')).statusCode).toBe(201)
      expect((await post(a, '2')).statusCode).toBe(201)
      const refused = await post(a, '3')
      expectError(refused, 429, 'RATE_LIMITED')
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
      expect((await post(b, 'mine')).statusCode).toBe(201)
      expect((await storedMessages(limited, chat.id)).map((m) => m.text)).toEqual(['1', '2', 'mine'])
    })
  })

  describe('after the commit', () => {
    const sockets: TestSocket[] = []
    afterEach(() => {
      for (const socket of sockets.splice(0)) socket.close()
    })

    it('publishes message.sent with the view to chat:<id>, and a summary to each participant\'s user:<id>', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      const bobs = await connectSocket(app(), bob, sockets)
      const adas = await connectSocket(app(), ada, sockets)
      expect(await bobs.subscribe(`chat:${chat.id}`)).toMatchObject({ type: 'subscribed' })
      expect(await bobs.subscribe(`user:${bob.id}`)).toMatchObject({ type: 'subscribed' })
      expect(await adas.subscribe(`user:${ada.id}`)).toMatchObject({ type: 'subscribed' })
      const message = await sendMessage(app(), ada, chat.id, 'Realtime!')
      const [event] = await bobs.events(`chat:${chat.id}`, 1)
      expect(event).toMatchObject({ type: 'event', event: 'message.sent', data: message })
      const summary = { chatId: chat.id, seq: 1, lastMessage: { id: message.id, seq: 1, type: 'text', authorId: ada.id, authorName: 'Ada Lovelace', preview: 'Realtime!', fileCount: 0 } }
      // The user rooms are shared with earlier tests, whose events may still be arriving: this chat's summary.
      const activity = (m: WsMessage) => m.type === 'event' && m.event === 'chat.activity' && (m.data as { chatId?: string }).chatId === chat.id
      expect(await bobs.next(activity)).toMatchObject({ room: `user:${bob.id}`, data: summary })
      expect(await adas.next(activity)).toMatchObject({ room: `user:${ada.id}`, data: summary })
    })

    it('publishes nothing for a refused send', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id] })
      const bobs = await connectSocket(app(), bob, sockets)
      await bobs.subscribe(`chat:${chat.id}`)
      expectError(await send(ada, chat.id, { text: '' }), 400, 'MESSAGE_EMPTY')
      await sendMessage(app(), ada, chat.id, 'the only one')
      const [event] = await bobs.events(`chat:${chat.id}`, 1)
      expect(event).toMatchObject({ seq: 1, data: { text: 'the only one' } })
    })

    it('calls hooks.messageSent after the commit, with the recipients, the mentioned and the replied-to author', async () => {
      const chat = await createChat(app(), ada, { participantIds: [bob.id, cy.id] })
      const root = await sendMessage(app(), bob, chat.id, 'root')
      const message = await sendMessage(app(), ada, chat.id, { text: `hey @cy_${tag}`, replyToId: root.id })
      await expect.poll(() => observed.seen.sent.find((s) => s.message.id === message.id)).toBeDefined()
      const sent = observed.seen.sent.find((s) => s.message.id === message.id)!
      expect(sent).toMatchObject({ committed: true, view: message, mentionedIds: [cy.id], repliedToAuthorId: bob.id })
      expect([...sent.recipientIds].sort()).toEqual([bob.id, cy.id].sort())
      // A resend with a known clientId is no new message: no second call.
      const first = await sendMessage(app(), ada, chat.id, { text: 'once', clientId: 'hook-1' })
      await sendMessage(app(), ada, chat.id, { text: 'once', clientId: 'hook-1' })
      await sendMessage(app(), ada, chat.id, 'marker')
      await expect.poll(() => observed.seen.sent.some((s) => s.view.text === 'marker' && s.chat.id === chat.id)).toBe(true)
      expect(observed.seen.sent.filter((s) => s.message.id === first.id)).toHaveLength(1)
    })
  })
})
