import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, useTestApp } from '../../../test/helpers/app.js'
import { registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { blockUser, createChat, sendMessage, setChat, setParticipant, storedChatMessages } from '../../../test/helpers/chat.js'
import { storedMessageFiles } from '../../../test/helpers/chat-messages.js'
import { asText, watchRoom } from '../../../test/helpers/chat-extras.js'
import { uploadFile } from '../../../test/helpers/files.js'
import { expectError } from '../../../test/helpers/identity.js'
import type { TestSocket } from '../../../test/helpers/ws-client.js'
import type { MessageView } from './message.view.js'

const app = useTestApp({ setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined) })

let ada: TestUser
let bob: TestUser
let cy: TestUser
let dee: TestUser

beforeAll(async () => {
  ;[ada, bob, cy, dee] = await Promise.all([registerUser(app(), { name: 'Ada' }), registerUser(app(), { name: 'Bob' }), registerUser(app(), { name: 'Cy' }), registerUser(app(), { name: 'Dee' })])
})

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})

const forward = (as: TestUser, id: string, payload: unknown) =>
  app().inject({ method: 'POST', url: `/api/messages/${id}/forward`, headers: as.headers, payload: payload as Record<string, unknown> })
const texts = async (chatId: string) => (await storedChatMessages(app(), chatId)).filter((m) => m.type !== 'system').map((m) => m.text)
const fileContent = (as: TestUser, fileId: string) => app().inject({ url: `/api/files/${fileId}/content`, headers: as.headers })

describe('POST /api/messages/:id/forward', () => {
  it('copies text and files into each chat as the forwarder\'s message, naming the origin; the files become readable there', async () => {
    const source = await createChat(app(), ada, { participantIds: [bob.id] })
    const upload = await uploadFile(app(), ada, { content: 'minutes of the meeting\n', filename: 'minutes.txt' })
    expect(upload.statusCode, upload.body).toBe(201)
    const file = upload.json<{ id: string }>()
    const original = await sendMessage(app(), ada, source.id, { text: 'The minutes', fileIds: [file.id] })
    const first = await createChat(app(), bob, { participantIds: [cy.id] })
    const second = await createChat(app(), bob, { participantIds: [dee.id] })
    expect((await fileContent(cy, file.id)).statusCode).toBe(404)
    const socket = await watchRoom(app(), cy, `chat:${first.id}`, sockets)

    const response = await forward(bob, original.id, { chatIds: [first.id, second.id] })
    expect(response.statusCode, response.body).toBe(201)
    const copies = response.json<{ items: MessageView[] }>().items
    expect(copies.map((c) => c.chatId)).toEqual([first.id, second.id])
    for (const copy of copies) {
      expect(copy).toMatchObject({
        seq: 1,
        type: 'text',
        text: 'The minutes',
        author: { id: bob.id },
        files: original.files,
        forwardedFrom: { messageId: original.id, chatId: source.id, authorId: ada.id },
        reactions: [],
      })
      expect((await storedMessageFiles(app(), copy.id)).map((f) => f.fileId)).toEqual([file.id])
    }
    // Sent like any message: the target's room hears it, its participants read the file.
    const sent = await socket.next((m) => m.type === 'event' && m.event === 'message.sent')
    expect(sent.data).toEqual(copies[0])
    expect((await fileContent(cy, file.id)).statusCode).toBe(200)
    expect((await fileContent(dee, file.id)).statusCode).toBe(200)
    expect(await texts(source.id)).toEqual(['The minutes'])
  })

  it('forwards a forward with the first origin, and a channel\'s message to anyone who may read it', async () => {
    const channel = await createChat(app(), ada, { type: 'channel' })
    const post = await sendMessage(app(), ada, channel.id, 'Release 2.0 is out')
    const mine = await createChat(app(), cy, { participantIds: [dee.id] })
    // cy never joined the channel: its messages are public, so cy may forward them.
    const copy = (await forward(cy, post.id, { chatIds: [mine.id] })).json<{ items: MessageView[] }>().items[0]!
    expect(copy.forwardedFrom).toEqual({ messageId: post.id, chatId: channel.id, authorId: ada.id })
    const theirs = await createChat(app(), dee, { participantIds: [bob.id] })
    const again = await forward(dee, copy.id, { chatIds: [theirs.id] })
    expect(again.statusCode, again.body).toBe(201)
    expect(again.json<{ items: MessageView[] }>().items[0]).toMatchObject({ text: 'Release 2.0 is out', author: { id: dee.id }, forwardedFrom: { messageId: post.id, chatId: channel.id, authorId: ada.id } })
  })

  it('carries a voice message\'s media; refuses (422) a message whose file was deleted since, sending nothing', async () => {
    const source = await createChat(app(), ada, { participantIds: [bob.id] })
    const target = await createChat(app(), bob, { participantIds: [cy.id] })
    const header = Buffer.alloc(44)
    header.write('RIFF', 0, 'latin1')
    header.writeUInt32LE(36 + 1600, 4)
    header.write('WAVEfmt ', 8, 'latin1')
    header.writeUInt32LE(16, 16)
    header.writeUInt16LE(1, 20)
    header.writeUInt16LE(1, 22)
    header.writeUInt32LE(8000, 24)
    header.writeUInt32LE(16000, 28)
    header.writeUInt16LE(2, 32)
    header.writeUInt16LE(16, 34)
    header.write('data', 36, 'latin1')
    header.writeUInt32LE(1600, 40)
    const upload = await uploadFile(app(), ada, { content: Buffer.concat([header, Buffer.alloc(1600)]), filename: 'memo.wav' })
    expect(upload.statusCode, upload.body).toBe(201)
    const voice = await sendMessage(app(), ada, source.id, { fileIds: [upload.json<{ id: string }>().id], media: { durationMs: 100, waveform: [0.2, 0.5] } })
    expect(voice.type).toBe('voice')
    const copy = (await forward(bob, voice.id, { chatIds: [target.id] })).json<{ items: MessageView[] }>().items[0]!
    expect(copy).toMatchObject({ type: 'voice', text: null, media: { durationMs: 100, waveform: [0.2, 0.5] }, files: voice.files, forwardedFrom: { messageId: voice.id } })

    const doc = (await uploadFile(app(), ada, { content: 'to be deleted\n', filename: 'gone.txt' })).json<{ id: string }>()
    const withFile = await sendMessage(app(), ada, source.id, { text: 'See attached', fileIds: [doc.id] })
    expect((await app().inject({ method: 'DELETE', url: `/api/files/${doc.id}`, headers: ada.headers })).statusCode).toBe(204)
    const error = expectError(await forward(bob, withFile.id, { chatIds: [target.id] }), 422, 'MESSAGE_FILE_INVALID')
    expect(error.details).toEqual({ fileIds: [doc.id] })
    expect(await texts(target.id)).toEqual([null])
  })

  it('refuses all when any target refuses (403 naming each with its reason), sending nothing', async () => {
    const source = await createChat(app(), ada, { participantIds: [bob.id] })
    const original = await sendMessage(app(), ada, source.id, 'Pass it on')
    const fine = await createChat(app(), bob, { participantIds: [cy.id] })
    const stranger = await createChat(app(), cy, { participantIds: [dee.id] })
    const archived = await createChat(app(), bob, { participantIds: [cy.id] })
    await setChat(app(), archived.id, { archived: true })
    const channel = await createChat(app(), cy, { type: 'channel' })
    await app().inject({ method: 'POST', url: `/api/chats/${channel.id}/join`, headers: bob.headers })
    const unjoined = await createChat(app(), cy, { type: 'channel' })
    const slow = await createChat(app(), cy, { participantIds: [bob.id] })
    await setChat(app(), slow.id, { slowModeSeconds: 600 })
    await setParticipant(app(), slow.id, bob.id, { lastPostedAt: new Date() })
    const blocked = await createChat(app(), bob, { type: 'private', participantIds: [dee.id] })
    await blockUser(app(), dee, bob)
    const missing = randomUUID()
    const targets = [fine.id, stranger.id, archived.id, channel.id, unjoined.id, slow.id, blocked.id, missing]

    const error = expectError(await forward(bob, original.id, { chatIds: targets }), 403, 'MESSAGE_FORWARD_REFUSED')
    expect(error.details).toEqual({
      chats: [
        { chatId: stranger.id, code: 'CHAT_NOT_FOUND' },
        { chatId: archived.id, code: 'CHAT_ARCHIVED' },
        { chatId: channel.id, code: 'CHAT_POST_FORBIDDEN' },
        { chatId: unjoined.id, code: 'CHAT_NOT_PARTICIPANT' },
        { chatId: slow.id, code: 'CHAT_SLOW_MODE' },
        { chatId: blocked.id, code: 'CHAT_BLOCKED' },
        { chatId: missing, code: 'CHAT_NOT_FOUND' },
      ],
    })
    for (const chat of [fine, stranger, archived, channel, slow, blocked]) expect(await texts(chat.id)).toEqual([])
  })

  it('refuses a source you cannot read (404), a deleted one (410), a system message (422)', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const secret = await sendMessage(app(), ada, group.id, 'Secret')
    const mine = await createChat(app(), cy, { participantIds: [dee.id] })
    expectError(await forward(cy, secret.id, { chatIds: [mine.id] }), 404, 'MESSAGE_NOT_FOUND')
    expectError(await forward(cy, randomUUID(), { chatIds: [mine.id] }), 404, 'MESSAGE_NOT_FOUND')
    await app().inject({ method: 'DELETE', url: `/api/messages/${secret.id}`, headers: ada.headers })
    const target = await createChat(app(), ada, { participantIds: [cy.id] })
    expectError(await forward(ada, secret.id, { chatIds: [target.id] }), 410, 'MESSAGE_DELETED')

    const channel = await createChat(app(), ada, { type: 'channel' })
    expect((await app().inject({ method: 'POST', url: `/api/chats/${channel.id}/join`, headers: cy.headers })).statusCode).toBe(200)
    const joined = (await storedChatMessages(app(), channel.id)).find((m) => m.type === 'system')!
    expectError(await forward(cy, joined.id, { chatIds: [mine.id] }), 422, 'MESSAGE_NOT_FORWARDABLE')
    expect(await texts(mine.id)).toEqual([])
    expect(await texts(target.id)).toEqual([])
  })

  it('with a clientId, a retry stores one copy per chat and answers the same copies (200); a partial first try is completed (201)', async () => {
    const source = await createChat(app(), ada, { participantIds: [bob.id] })
    const original = await sendMessage(app(), ada, source.id, 'Forward me once')
    const first = await createChat(app(), bob, { participantIds: [cy.id] })
    const second = await createChat(app(), bob, { participantIds: [dee.id] })
    const clientId = `fwd-${randomUUID()}`

    const once = await forward(bob, original.id, { chatIds: [first.id], clientId })
    expect(once.statusCode, once.body).toBe(201)
    const [copy] = once.json<{ items: MessageView[] }>().items
    const again = await forward(bob, original.id, { chatIds: [first.id], clientId })
    expect(again.statusCode, again.body).toBe(200)
    expect(again.json()).toEqual({ items: [copy] })
    // The first chat has its copy already; the second gets one now, in the order asked.
    const wider = await forward(bob, original.id, { chatIds: [second.id, first.id], clientId })
    expect(wider.statusCode, wider.body).toBe(201)
    const [secondCopy, firstCopy] = wider.json<{ items: MessageView[] }>().items
    expect(firstCopy).toEqual(copy)
    expect(secondCopy).toMatchObject({ chatId: second.id, text: 'Forward me once', forwardedFrom: { messageId: original.id } })
    expect(await texts(first.id)).toEqual(['Forward me once'])
    expect(await texts(second.id)).toEqual(['Forward me once'])
    // A retry answers its copies even after the target was archived or the source deleted.
    await setChat(app(), first.id, { archived: true })
    expect((await app().inject({ method: 'DELETE', url: `/api/messages/${original.id}`, headers: ada.headers })).statusCode).toBe(200)
    const late = await forward(bob, original.id, { chatIds: [first.id, second.id], clientId })
    expect(late.statusCode, late.body).toBe(200)
    expect(late.json<{ items: MessageView[] }>().items.map((m) => m.id)).toEqual([copy!.id, secondCopy!.id])
    // Without a clientId each forward is new.
    const other = await sendMessage(app(), ada, source.id, 'Twice without a key')
    for (let i = 0; i < 2; i++) expect((await forward(bob, other.id, { chatIds: [second.id] })).statusCode).toBe(201)
    expect(await texts(second.id)).toEqual(['Forward me once', 'Twice without a key', 'Twice without a key'])
  })

  it('two forwards with one clientId at once store one copy per chat; the same key for another message makes new copies', async () => {
    const source = await createChat(app(), ada, { participantIds: [bob.id] })
    const original = await sendMessage(app(), ada, source.id, 'Raced')
    const target = await createChat(app(), bob, { participantIds: [cy.id] })
    const clientId = `fwd-${randomUUID()}`
    const [a, b] = await Promise.all([forward(bob, original.id, { chatIds: [target.id], clientId }), forward(bob, original.id, { chatIds: [target.id], clientId })])
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 201])
    expect(a.json<{ items: MessageView[] }>().items[0]!.id).toBe(b.json<{ items: MessageView[] }>().items[0]!.id)
    expect(await texts(target.id)).toEqual(['Raced'])
    const next = await sendMessage(app(), ada, source.id, 'Next one')
    expect((await forward(bob, next.id, { chatIds: [target.id], clientId })).statusCode).toBe(201)
    expect(await texts(target.id)).toEqual(['Raced', 'Next one'])
  })

  it('refuses bad bodies (400), non-JSON (415) and anonymous callers (401)', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'Body checks')
    const target = await createChat(app(), ada, { participantIds: [cy.id] })
    const bodies = [
      {},
      { chatIds: [] },
      { chatIds: Array.from({ length: 11 }, () => randomUUID()) },
      { chatIds: [target.id, target.id] },
      { chatIds: ['not-an-id'] },
      { chatIds: target.id },
      { chatIds: [target.id], note: 'hi' },
      { chatIds: [target.id], clientId: '' },
      { chatIds: [target.id], clientId: 'x'.repeat(101) },
      { chatIds: [target.id], clientId: 7 },
    ]
    for (const payload of bodies) expectError(await forward(ada, message.id, payload), 400, 'VALIDATION_FAILED')
    expectError(await forward(ada, 'nope', { chatIds: [target.id] }), 400, 'VALIDATION_FAILED')
    expectError(await asText(app(), ada, 'POST', `/api/messages/${message.id}/forward`), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect((await app().inject({ method: 'POST', url: `/api/messages/${message.id}/forward`, payload: { chatIds: [target.id] } })).statusCode).toBe(401)
    expect(await texts(target.id)).toEqual([])
  })
})

describe('per-account forward limit (CHAT_SEND_RATE_LIMIT_PER_MINUTE forwards a minute)', () => {
  let limited: FastifyInstance
  beforeAll(async () => {
    limited = await buildTestApp({ env: { CHAT_SEND_RATE_LIMIT_PER_MINUTE: '1' } })
  })
  afterAll(async () => {
    // The database is the file's, shared with the other app: closed by useTestApp.
    await limited?.close()
  })

  it('answers 429 RATE_LIMITED with Retry-After past the limit and sends nothing', async () => {
    const a = await registerUser(limited)
    const b = await registerUser(limited)
    const source = await createChat(limited, a, { participantIds: [b.id] })
    const target = await createChat(limited, a, { participantIds: [b.id] })
    const message = await sendMessage(limited, b, source.id, 'Worth sharing')
    const post = () => limited.inject({ method: 'POST', url: `/api/messages/${message.id}/forward`, headers: a.headers, payload: { chatIds: [target.id] } })
    expect((await post()).statusCode).toBe(201)
    const refused = await post()
    expectError(refused, 429, 'RATE_LIMITED')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect((await storedChatMessages(limited, target.id)).filter((m) => m.type !== 'system')).toHaveLength(1)
  })
})
