import type { AddressInfo } from 'node:net'
import { randomBytes, randomUUID } from 'node:crypto'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { availableModules } from '../../app.js'
import { Keyring } from '../../core/crypto/keyring.js'
import { createSignatures } from '../../core/crypto/signatures.js'
import type { ModuleDefinition } from '../../core/module.js'
import { TEST_SECRETS, useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { queriesSoFar } from '../../../test/helpers/chat-chats.js'
import { blockUser, chatsCreatedBy, createChat, sendMessage, setChat, setParticipant, storedChat, storedChatMessages, storedParticipants } from '../../../test/helpers/chat.js'
import { storedPins, storedReactions } from '../../../test/helpers/chat-extras.js'
import { storedMessageFiles } from '../../../test/helpers/chat-messages.js'
import { uploadFile } from '../../../test/helpers/files.js'
import { expectError, useExtraApp } from '../../../test/helpers/identity.js'
import { editUser, versionOf } from '../../../test/helpers/user-admin.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'
import type { ChatApi } from './api.js'
import { EXPORT_SIGNATURE_PURPOSE } from './chat-export.js'
import { signedExport } from './chat-import.service.js'
import { chatModule } from './index.js'
import type { ChatSettings } from './settings.js'

let api: ChatApi
const chat: ModuleDefinition<ChatApi, ChatSettings> = {
  ...chatModule,
  createApi: (ctx) => (api = chatModule.createApi(ctx)),
}
const app = useTestApp({
  modules: availableModules.map((m) => (m.name === 'chat' ? (chat as unknown as ModuleDefinition) : m)),
  setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined),
})

let admin: TestUser
beforeAll(async () => {
  admin = await loginAs(app(), 'admin')
})

interface ExportDoc {
  exportedBy: string
  chat: { id: string; type: string; title: string | null }
  participants: { userId: string; role: string }[]
  pins: { messageId: string; pinnedBy: string | null }[]
  messages: { id: string; seq: number; text: string | null; author: { id: string } | null; reactions: { emoji: string; count: number; userIds: string[] }[]; [key: string]: unknown }[]
  integrity: { alg: string; mac: string }
}

/** The export as downloaded: its raw bytes. */
async function exportBytes(as: TestUser, chatId: string): Promise<Buffer> {
  const response = await app().inject({ url: `/api/chats/${chatId}/export`, headers: as.headers })
  expect(response.statusCode, response.body).toBe(200)
  return response.rawPayload
}

const importChat = (as: TestUser | undefined, body: Buffer | string, contentType = 'application/json', target = app()) =>
  target.inject({ method: 'POST', url: '/api/chats/import', headers: { ...(as?.headers ?? {}), 'content-type': contentType }, payload: body })

/** The document re-serialized after `change`, its `integrity` member kept as it was (so the MAC no longer matches). */
function edited(raw: Buffer, change: (doc: ExportDoc) => void): string {
  const doc = JSON.parse(raw.toString('utf8')) as ExportDoc
  change(doc)
  return JSON.stringify(doc)
}

const react = (as: TestUser, id: string, emoji: string) => app().inject({ method: 'POST', url: `/api/messages/${id}/reactions`, headers: as.headers, payload: { emoji } })

/** A group with an admin and a member, and a bit of everything: replies, a thread, an edit, a deletion, a system message, reactions, a pin, a file. */
async function busyChat() {
  const owner = await registerUser(app(), { name: 'Olga Owner' })
  const second = await registerUser(app(), { name: 'Adam Admin' })
  const member = await registerUser(app(), { name: 'Mia Member' })
  const group = await createChat(app(), owner, { participantIds: [second.id, member.id], title: 'Backed up', description: 'All of it' })
  await setParticipant(app(), group.id, second.id, { role: 'admin' })
  const put = await app().inject({ method: 'PUT', url: `/api/chats/${group.id}`, headers: owner.headers, payload: { version: 1, title: 'Backed up 2' } })
  expect(put.statusCode, put.body).toBe(200)
  const first = await sendMessage(app(), owner, group.id, 'first')
  const reply = await sendMessage(app(), member, group.id, { text: 'a reply', replyToId: first.id })
  const inThread = await sendMessage(app(), second, group.id, { text: 'in the thread', threadRootId: first.id })
  const upload = await uploadFile(app(), member, { content: 'the notes\n', filename: 'notes.txt' })
  expect(upload.statusCode, upload.body).toBe(201)
  const withFile = await sendMessage(app(), member, group.id, { text: 'see file', fileIds: [upload.json<{ id: string }>().id] })
  const toEdit = await sendMessage(app(), second, group.id, 'typo')
  expect((await app().inject({ method: 'PUT', url: `/api/messages/${toEdit.id}`, headers: second.headers, payload: { text: 'fixed' } })).statusCode).toBe(200)
  const toDelete = await sendMessage(app(), member, group.id, 'oops')
  expect((await app().inject({ method: 'DELETE', url: `/api/messages/${toDelete.id}`, headers: member.headers })).statusCode).toBe(200)
  for (const [user, emoji] of [[member, '👍'], [second, '👍'], [owner, '🎉']] as const) expect((await react(user, first.id, emoji)).statusCode).toBe(201)
  expect((await app().inject({ method: 'POST', url: `/api/messages/${reply.id}/pin`, headers: owner.headers })).statusCode).toBe(201)
  // Last: with slow mode on, the members could not have posted one after another.
  const slow = await app().inject({ method: 'PUT', url: `/api/chats/${group.id}`, headers: owner.headers, payload: { version: 2, settings: { slowModeSeconds: 5, membersCanPost: false } } })
  expect(slow.statusCode, slow.body).toBe(200)
  return { owner, second, member, group, first, reply, inThread, withFile, toEdit, toDelete, fileId: upload.json<{ id: string }>().id }
}

describe('GET /api/chats/:id/export, signed', () => {
  it('names who exported it, lists pins and every reactor, and ends with an HMAC-SHA256 of the bytes before it', async () => {
    const { owner, second, member, group, first, reply } = await busyChat()
    const raw = await exportBytes(second, group.id)
    const doc = JSON.parse(raw.toString('utf8')) as ExportDoc
    expect(doc.exportedBy).toBe(second.id)
    expect(doc.pins).toEqual([{ messageId: reply.id, pinnedBy: owner.id, pinnedAt: expect.any(String) }])
    expect(doc.messages.find((m) => m.id === first.id)!.reactions).toEqual([
      { emoji: '👍', count: 2, userIds: [member.id, second.id] },
      { emoji: '🎉', count: 1, userIds: [owner.id] },
    ])
    const text = raw.toString('utf8')
    const at = text.lastIndexOf(',"integrity":')
    expect(text.slice(at)).toBe(`,"integrity":{"alg":"HMAC-SHA256","keyId":"k1","mac":"${doc.integrity.mac}"}}`)
    expect(api.deps.ctx.signatures.verify(EXPORT_SIGNATURE_PURPOSE, raw.subarray(0, Buffer.byteLength(text.slice(0, at))), doc.integrity.mac, 'k1')).toBe(true)
    expect(signedExport(api.deps.ctx.signatures, raw)).toBe(true)
    expect(signedExport(api.deps.ctx.signatures, Buffer.concat([raw, Buffer.from('\n')]))).toBe(false)
  })

  it('still checks after ENCRYPTION_KEY is rotated (the old key in ENCRYPTION_KEYS_PREVIOUS), and no longer once that key is removed', async () => {
    const owner = await loginAs(app())
    const group = await createChat(app(), owner, { participantIds: [] })
    await sendMessage(app(), owner, group.id, 'kept through a rotation')
    const raw = await exportBytes(owner, group.id)
    const oldKey = { id: 'k1', key: Buffer.from(TEST_SECRETS.ENCRYPTION_KEY, 'hex') }
    const next = { id: 'k2', key: randomBytes(32) }

    expect(signedExport(createSignatures(new Keyring({ current: next, previous: [oldKey] }), 'chat'), raw)).toBe(true)
    expect(signedExport(createSignatures(new Keyring({ current: next, previous: [] }), 'chat'), raw)).toBe(false)
    // Written before exports named their key: checked under every configured key.
    const unnamed = Buffer.from(raw.toString('utf8').replace(',"keyId":"k1"', ''))
    expect(signedExport(createSignatures(new Keyring({ current: next, previous: [oldKey] }), 'chat'), unnamed)).toBe(true)
    expect(signedExport(createSignatures(new Keyring({ current: next, previous: [] }), 'chat'), unnamed)).toBe(false)
  })
})

describe('POST /api/chats/import', () => {
  const sockets: TestSocket[] = []
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close()
  })

  it('restores the export as a new chat: messages in order with their authors, threads, edits, tombstones, files, reactions and pins; nothing unread', async () => {
    const { owner, second, member, group, first, reply, inThread, withFile, toEdit, toDelete, fileId } = await busyChat()
    const raw = await exportBytes(owner, group.id)
    const { port } = app().server.address() as AddressInfo
    const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, member.headers)
    sockets.push(socket)
    await socket.ofType('ready')
    expect(await socket.subscribe(`user:${member.id}`)).toMatchObject({ type: 'subscribed' })

    const response = await importChat(owner, raw)
    expect(response.statusCode, response.body).toBe(201)
    const body = response.json<{ chat: { id: string; lastSeq: number }; summary: unknown }>()
    const id = body.chat.id
    expect(id).not.toBe(group.id)
    const original = (await app().inject({ url: `/api/chats/${group.id}`, headers: owner.headers })).json<{ lastSeq: number }>()
    expect(body.chat).toEqual((await app().inject({ url: `/api/chats/${id}`, headers: owner.headers })).json())
    expect(body.chat).toMatchObject({
      type: 'group',
      title: 'Backed up 2',
      description: 'All of it',
      settings: { slowModeSeconds: 5, membersCanPost: false },
      lastSeq: original.lastSeq,
      participantCount: 3,
      me: { role: 'owner', lastReadSeq: original.lastSeq, unreadCount: 0, mentionCount: 0 },
    })
    expect(body.summary).toEqual({ messages: original.lastSeq, participants: 3, skippedParticipants: [], skippedFiles: 0, pins: 1 })
    const event = await socket.next((m) => m.type === 'event' && m.event === 'chat.created' && (m.data as { id: string }).id === id)
    expect(event.data).toMatchObject({ id, title: 'Backed up 2', me: { role: 'member', unreadCount: 0 }, participantCount: 3 })

    const before = await storedChatMessages(app(), group.id)
    const after = await storedChatMessages(app(), id)
    const strip = (m: (typeof before)[number]) => ({ seq: m.seq, authorId: m.authorId, type: m.type, text: m.text, system: m.system, createdAt: m.createdAt, editedAt: m.editedAt, deletedAt: m.deletedAt, version: m.version, replyCount: m.replyCount, clientId: m.clientId })
    expect(after.map(strip)).toEqual(before.map(strip))
    expect(after.every((m) => !before.some((b) => b.id === m.id))).toBe(true)
    const newId = (oldId: string) => after[before.findIndex((m) => m.id === oldId)]!.id
    const bySeq = (oldId: string) => after.find((m) => m.id === newId(oldId))!
    expect(bySeq(reply.id).replyToId).toBe(newId(first.id))
    expect(bySeq(inThread.id).threadRootId).toBe(newId(first.id))
    expect(bySeq(toEdit.id)).toMatchObject({ text: 'fixed', editedAt: expect.any(Date) })
    expect(bySeq(toDelete.id)).toMatchObject({ text: null, deletedAt: expect.any(Date) })
    expect(await storedMessageFiles(app(), newId(withFile.id))).toMatchObject([{ fileId, name: 'notes.txt', position: 0 }])
    expect((await storedReactions(app(), newId(first.id))).map((r) => [r.userId, r.emoji]).sort()).toEqual([[member.id, '👍'], [second.id, '👍'], [owner.id, '🎉']].sort())
    expect(await storedPins(app(), id)).toMatchObject([{ messageId: newId(reply.id), pinnedBy: owner.id }])
    const people = await storedParticipants(app(), id)
    expect(people.map((p) => [p.userId, p.role, p.lastReadSeq]).sort()).toEqual([[owner.id, 'owner', original.lastSeq], [second.id, 'admin', original.lastSeq], [member.id, 'member', original.lastSeq]].sort())
    expect(await storedChat(app(), id)).toMatchObject({ createdBy: owner.id, lastSeq: original.lastSeq, countedSeq: (await storedChat(app(), group.id))!.countedSeq, pairKey: null })

    // The members read it as any chat: history through the API, the file through the chat's read rule.
    const page = await app().inject({ url: `/api/chats/${id}/messages?limit=50`, headers: member.headers })
    expect(page.statusCode, page.body).toBe(200)
    expect(page.json<{ items: { seq: number; text: string | null; author: { id: string } | null }[] }>().items.map((m) => m.seq)).toEqual(after.map((m) => m.seq).reverse())
    expect((await app().inject({ url: `/api/chats/${id}`, headers: member.headers })).json()).toMatchObject({ me: { unreadCount: 0 } })
    // The restored chat takes new messages after the restored ones.
    expect((await sendMessage(app(), member, id, 'after the restore')).seq).toBe(original.lastSeq + 1)
  })

  it('restores a long chat in batched INSERTs, links across batches included', async () => {
    const owner = await loginAs(app())
    const group = await createChat(app(), owner)
    const total = 1_234
    const start = Date.now() - total * 1000
    const ids = Array.from({ length: total }, () => randomUUID())
    // Seeded through the module's own repository (the API would take minutes): message n replies to n − 1000.
    await api.deps.store.repos.backup.insertMessages(
      ids.map((id, i) => ({ id, chatId: group.id, seq: i + 1, authorId: owner.id, type: 'text' as const, text: `m${i + 1}`, replyToId: i >= 1000 ? ids[i - 1000]! : null, createdAt: new Date(start + i * 1000) })),
    )
    await setChat(app(), group.id, { lastSeq: total, countedSeq: total })
    const raw = await exportBytes(owner, group.id)
    const queries = queriesSoFar(app())
    const response = await importChat(owner, raw)
    expect(response.statusCode, response.body).toBe(201)
    // Three INSERTs of messages (500 rows each at most), not one per message.
    expect(queriesSoFar(app()) - queries).toBeLessThan(30)
    const restored = await storedChatMessages(app(), response.json<{ chat: { id: string } }>().chat.id)
    expect(restored.map((m) => m.text)).toEqual(ids.map((_, i) => `m${i + 1}`))
    expect(restored[1_100]!.replyToId).toBe(restored[100]!.id)
    expect(response.json()).toMatchObject({ chat: { lastSeq: total, me: { unreadCount: 0 } }, summary: { messages: total } })
  })

  it('leaves out deleted and disabled accounts and people who block the owner, keeping their messages', async () => {
    const owner = await registerUser(app(), { name: 'Restorer' })
    const [gone, off, blocker, stays] = await Promise.all([1, 2, 3, 4].map(() => loginAs(app())))
    const group = await createChat(app(), owner, { participantIds: [gone!.id, off!.id, blocker!.id, stays!.id] })
    const goneMessage = await sendMessage(app(), gone!, group.id, 'from someone who leaves')
    expect((await react(off!, goneMessage.id, '👍')).statusCode).toBe(201)
    expect((await react(stays!, goneMessage.id, '👍')).statusCode).toBe(201)
    const raw = await exportBytes(owner, group.id)
    expect((await app().inject({ method: 'DELETE', url: `/api/users/${gone!.id}`, headers: gone!.headers })).statusCode).toBe(204)
    expect((await editUser(app(), admin, off!.id, { disabled: true, version: await versionOf(app(), admin, off!.id) })).statusCode).toBe(200)
    await blockUser(app(), blocker!, owner)

    const response = await importChat(owner, raw)
    expect(response.statusCode, response.body).toBe(201)
    const { chat: imported, summary } = response.json<{ chat: { id: string }; summary: { participants: number; skippedParticipants: { userId: string; reason: string }[] } }>()
    expect(summary.participants).toBe(2)
    expect(summary.skippedParticipants).toEqual(
      expect.arrayContaining([{ userId: gone!.id, reason: 'deleted' }, { userId: off!.id, reason: 'disabled' }, { userId: blocker!.id, reason: 'blocked' }]),
    )
    expect(summary.skippedParticipants).toHaveLength(3)
    expect((await storedParticipants(app(), imported.id)).map((p) => p.userId).sort()).toEqual([owner.id, stays!.id].sort())
    const [message] = await storedChatMessages(app(), imported.id)
    expect(message).toMatchObject({ authorId: gone!.id, text: 'from someone who leaves' })
    expect((await storedReactions(app(), message!.id)).map((r) => r.userId)).toEqual([stays!.id])
  })

  it('leaves out an attachment whose file was deleted, and counts it', async () => {
    const owner = await loginAs(app())
    const group = await createChat(app(), owner)
    const upload = await uploadFile(app(), owner, { content: 'soon gone\n', filename: 'gone.txt' })
    const fileId = upload.json<{ id: string }>().id
    await sendMessage(app(), owner, group.id, { text: 'with a file', fileIds: [fileId] })
    const raw = await exportBytes(owner, group.id)
    expect((await app().inject({ method: 'DELETE', url: `/api/files/${fileId}`, headers: owner.headers })).statusCode).toBe(204)
    const response = await importChat(owner, raw)
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json()).toMatchObject({ summary: { messages: 1, skippedFiles: 1 } })
    const [message] = await storedChatMessages(app(), response.json<{ chat: { id: string } }>().chat.id)
    expect(message).toMatchObject({ text: 'with a file' })
    expect(await storedMessageFiles(app(), message!.id)).toEqual([])
  })

  it('refuses an export changed in any way (400 CHAT_IMPORT_INVALID) and stores nothing', async () => {
    const owner = await loginAs(app())
    const other = await loginAs(app())
    const group = await createChat(app(), owner, { participantIds: [other.id] })
    await sendMessage(app(), owner, group.id, 'I said yes')
    const raw = await exportBytes(owner, group.id)
    const text = raw.toString('utf8')
    const mac = (JSON.parse(text) as ExportDoc).integrity.mac
    const forgedKey = createSignatures(new Keyring({ current: { id: 'k1', key: randomBytes(32) }, previous: [] }), 'chat')
    const resigned = (body: string) => `${body.slice(0, body.lastIndexOf(',"integrity":'))},"integrity":{"alg":"HMAC-SHA256","keyId":"k1","mac":"${forgedKey.start(EXPORT_SIGNATURE_PURPOSE).update(body.slice(0, body.lastIndexOf(',"integrity":'))).digest()}"}}`
    const forgedAuthor = edited(raw, (doc) => (doc.messages[0]!.author = { ...doc.messages[0]!.author!, id: other.id }))
    const bodies = {
      'a changed byte': text.replace('I said yes', 'I said no!'),
      'a forged author, MAC kept': forgedAuthor,
      'a forged author, MAC made with another key': resigned(forgedAuthor),
      'no integrity member': edited(raw, (doc) => delete (doc as Partial<ExportDoc>).integrity),
      'a MAC from another document': edited(raw, (doc) => (doc.integrity.mac = `${mac.slice(0, -2)}AA`)),
      'a key id the server does not have': text.replace('"keyId":"k1"', '"keyId":"k9"'),
      're-formatted': JSON.stringify(JSON.parse(text), null, 2),
      'bytes after the document': `${text}\n`,
    }
    for (const [what, body] of Object.entries(bodies)) {
      const error = expectError(await importChat(owner, body), 400, 'CHAT_IMPORT_INVALID')
      expect(error.details, what).toEqual({ integrity: 'missing, or not the MAC of this document' })
    }
    expect((await chatsCreatedBy(app(), owner.id)).map((c) => c.id)).toEqual([group.id])
  })

  it('lets only the owner the export lists import it (403 CHAT_IMPORT_FORBIDDEN)', async () => {
    const owner = await loginAs(app())
    const exporter = await loginAs(app())
    const stranger = await loginAs(app())
    const group = await createChat(app(), owner, { participantIds: [exporter.id] })
    await setParticipant(app(), group.id, exporter.id, { role: 'admin' })
    const raw = await exportBytes(exporter, group.id)
    for (const user of [exporter, stranger]) {
      expectError(await importChat(user, raw), 403, 'CHAT_IMPORT_FORBIDDEN')
      expect(await chatsCreatedBy(app(), user.id)).toEqual([])
    }
    expect((await importChat(owner, raw)).statusCode).toBe(201)
  })

  it('refuses a private chat (409 CHAT_IMPORT_PRIVATE): a pair has at most one', async () => {
    const owner = await loginAs(app())
    const other = await loginAs(app())
    const pair = await createChat(app(), owner, { type: 'private', participantIds: [other.id] })
    await sendMessage(app(), owner, pair.id, 'hi')
    expectError(await importChat(owner, await exportBytes(owner, pair.id)), 409, 'CHAT_IMPORT_PRIVATE')
    expect((await chatsCreatedBy(app(), owner.id)).map((c) => c.id)).toEqual([pair.id])
  })

  it('refuses unknown fields and wrong types (400), bodies that are not JSON (415) or not well-formed (400), and callers without an account (401)', async () => {
    const owner = await loginAs(app())
    const group = await createChat(app(), owner)
    await sendMessage(app(), owner, group.id, 'hello')
    const raw = await exportBytes(owner, group.id)
    const invalid = [
      edited(raw, (doc) => ((doc as unknown as Record<string, unknown>).extra = 1)),
      edited(raw, (doc) => (doc.messages[0]!.sneaky = true)),
      edited(raw, (doc) => ((doc.chat as Record<string, unknown>).owner = owner.id)),
      edited(raw, (doc) => (doc.messages[0]!.seq = '1' as unknown as number)),
      edited(raw, (doc) => (doc.participants = {} as unknown as ExportDoc['participants'])),
      JSON.stringify({ messages: [] }),
    ]
    for (const body of invalid) expectError(await importChat(owner, body), 400, 'VALIDATION_FAILED')
    expectError(await importChat(owner, raw, 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expectError(await importChat(owner, raw, 'application/x-www-form-urlencoded'), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expectError(await importChat(owner, raw.subarray(0, raw.length - 1)), 400, 'MALFORMED_JSON')
    expectError(await importChat(owner, '{"__proto__":{"x":1}}'), 400, 'MALFORMED_JSON')
    expectError(await importChat(undefined, raw), 401, 'UNAUTHENTICATED')
    expect((await chatsCreatedBy(app(), owner.id)).map((c) => c.id)).toEqual([group.id])
  })
})

describe('POST /api/chats/import with CHAT_IMPORT_MAX_BYTES', () => {
  const small = useExtraApp({ env: { BODY_LIMIT_BYTES: '2048', CHAT_IMPORT_MAX_BYTES: '8192' } })

  it('answers 413 for a body over its limit, and takes one under it even when over the general BODY_LIMIT_BYTES', async () => {
    const owner = await loginAs(small())
    const exportOf = async (messages: number) => {
      const group = await createChat(small(), owner)
      for (let i = 0; i < messages; i++) await sendMessage(small(), owner, group.id, 'x'.repeat(1500))
      return (await small().inject({ url: `/api/chats/${group.id}/export`, headers: owner.headers })).rawPayload
    }
    const fits = await exportOf(2)
    const big = await exportOf(6)
    expect(fits.length).toBeGreaterThan(2048)
    expect(big.length).toBeGreaterThan(8192)
    const before = (await chatsCreatedBy(small(), owner.id)).length
    expectError(await importChat(owner, big, 'application/json', small()), 413, 'PAYLOAD_TOO_LARGE')
    expect(await chatsCreatedBy(small(), owner.id)).toHaveLength(before)
    expect((await importChat(owner, fits, 'application/json', small())).statusCode).toBe(201)
    // Other routes keep the general limit.
    const post = await small().inject({ method: 'POST', url: '/api/chats', headers: owner.headers, payload: { type: 'group', title: 'x', description: 'y'.repeat(3000), participantIds: [] } })
    expectError(post, 413, 'PAYLOAD_TOO_LARGE')
  })
})
