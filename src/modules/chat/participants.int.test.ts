import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { registerUser, type TestUser } from '../../../test/helpers/auth.js'
import {
  banFromChat,
  blockUser,
  createChat,
  sendMessage,
  setChat,
  setParticipant,
  storedChat,
  storedChatMessages,
  storedParticipant,
  storedParticipants,
  type TestChat,
} from '../../../test/helpers/chat.js'
import { expectError } from '../../../test/helpers/identity.js'
import { useChatSockets } from '../../../test/helpers/chat-messages.js'
import type { TestSocket, WsMessage } from '../../../test/helpers/ws-client.js'
import { createChatApi } from './api.js'
import { MAX_USERS_PER_REQUEST } from './domain.js'
import { chatModule } from './index.js'

/** Every `participantsLeft` the app's hooks were told of, in order. */
const left: { chatId: string; userIds: readonly string[] }[] = []
const withHookProbe = {
  ...chatModule,
  createApi: (ctx: Parameters<typeof createChatApi>[0]) => {
    const api = createChatApi(ctx)
    api.deps.hooks.onParticipantsLeft((value) => void left.push(value))
    return api
  },
}

const app = useTestApp({ modules: [withHookProbe], setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined) })

let owner: TestUser
let admin: TestUser
let member: TestUser
let outsider: TestUser

beforeAll(async () => {
  owner = await registerUser(app(), { name: 'Olga Owner' })
  admin = await registerUser(app(), { name: 'Adam Admin' })
  member = await registerUser(app(), { name: 'Mia Member' })
  outsider = await registerUser(app(), { name: 'Otto Outsider' })
})

/** Sockets of this file's users, subscribed to the rooms named; closed after each test. */
const listen = useChatSockets(app)
const eventOf = (socket: TestSocket, event: string, match: (data: Record<string, unknown>) => boolean = () => true): Promise<WsMessage> =>
  socket.next((m) => m.type === 'event' && m.event === event && match(m.data as Record<string, unknown>))

/** A group of the owner, with the admin as admin and the member as member (plus `others` as members). */
async function team(...others: TestUser[]): Promise<TestChat> {
  const chat = await createChat(app(), owner, { participantIds: [admin.id, member.id, ...others.map((user) => user.id)] })
  await setParticipant(app(), chat.id, admin.id, { role: 'admin' })
  return chat
}

const url = (chatId: string, userId?: string) => `/api/chats/${chatId}/participants${userId ? `/${userId}` : ''}`
const list = (as: TestUser | undefined, chatId: string, query = '') => app().inject({ url: `${url(chatId)}${query}`, headers: as?.headers ?? {} })
const add = (as: TestUser | undefined, chatId: string, payload: unknown) =>
  app().inject({ method: 'POST', url: url(chatId), headers: as?.headers ?? {}, payload: payload as Record<string, unknown> })
const setRole = (as: TestUser | undefined, chatId: string, userId: string, payload: unknown) =>
  app().inject({ method: 'PUT', url: url(chatId, userId), headers: as?.headers ?? {}, payload: payload as Record<string, unknown> })
const remove = (as: TestUser | undefined, chatId: string, userId: string) => app().inject({ method: 'DELETE', url: url(chatId, userId), headers: as?.headers ?? {} })
const roles = async (chatId: string) => Object.fromEntries((await storedParticipants(app(), chatId)).map((row) => [row.userId, row.role]))
const profile = (user: TestUser, name: string) => ({ id: user.id, username: null, name, avatarUrl: null, deleted: false })

describe('GET /api/chats/:id/participants', () => {
  it('lists everyone in the chat, longest in it first, with profiles, roles and read marks', async () => {
    const chat = await team()
    const response = await list(member, chat.id)
    expect(response.statusCode, response.body).toBe(200)
    const { items, nextCursor } = response.json()
    expect(nextCursor).toBeNull()
    expect(items).toHaveLength(3)
    expect(items.find((item: { userId: string }) => item.userId === admin.id)).toEqual({
      chatId: chat.id,
      userId: admin.id,
      user: profile(admin, 'Adam Admin'),
      role: 'admin',
      joinedAt: expect.stringMatching(/Z$/),
      lastReadSeq: 0,
    })
    expect(Object.fromEntries(items.map((item: { userId: string; role: string }) => [item.userId, item.role]))).toEqual({ [owner.id]: 'owner', [admin.id]: 'admin', [member.id]: 'member' })
  })

  it('pages with a cursor: every participant once, in order', async () => {
    const extra = await Promise.all([registerUser(app()), registerUser(app())])
    const chat = await team(...extra)
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const response = await list(owner, chat.id, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      expect(response.statusCode, response.body).toBe(200)
      const page: { items: { userId: string; joinedAt: string }[]; nextCursor: string | null } = response.json()
      expect(page.items.length).toBeLessThanOrEqual(2)
      seen.push(...page.items.map((item) => item.userId))
      cursor = page.nextCursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen.sort()).toEqual([owner.id, admin.id, member.id, ...extra.map((user) => user.id)].sort())
  })

  it('shows a channel\'s participants to anyone, and answers 404 for a group or private chat the caller is not in', async () => {
    const channel = await createChat(app(), owner, { type: 'channel', title: 'Public' })
    const response = await list(outsider, channel.id)
    expect(response.statusCode).toBe(200)
    expect(response.json().items.map((item: { userId: string }) => item.userId)).toEqual([owner.id])
    const group = await team()
    const pair = await createChat(app(), owner, { type: 'private', participantIds: [member.id] })
    for (const id of [group.id, pair.id, randomUUID()]) expectError(await list(outsider, id), 404, 'CHAT_NOT_FOUND')
  })

  it('refuses bad queries (400), a foreign cursor (400) and anonymous callers (401)', async () => {
    const chat = await team()
    for (const query of ['?limit=0', '?limit=201', '?limit=x', '?colour=red']) expectError(await list(owner, chat.id, query), 400, 'VALIDATION_FAILED')
    expect((await list(owner, chat.id, '?cursor=nonsense')).statusCode).toBe(400)
    expectError(await list(owner, 'not-a-uuid'), 400, 'VALIDATION_FAILED')
    expectError(await list(undefined, chat.id), 401, 'UNAUTHENTICATED')
  })
})

describe('POST /api/chats/:id/participants', () => {
  it('adds people at once as members: 201 with their views, a member.joined system message each that counts as unread for nobody, and participant.added', async () => {
    const chat = await team()
    await sendMessage(app(), owner, chat.id, 'before they came')
    const [ned, nia] = [await registerUser(app(), { name: 'Ned New' }), await registerUser(app(), { name: 'Nia New' })]
    const watcher = await listen(member, `chat:${chat.id}`)
    const neds = await listen(ned, `user:${ned.id}`)

    const response = await add(admin, chat.id, { userIds: [ned.id, nia.id, ned.id] })
    expect(response.statusCode, response.body).toBe(201)
    const { items } = response.json()
    expect(items).toHaveLength(2)
    expect(items.find((item: { userId: string }) => item.userId === ned.id)).toEqual({
      chatId: chat.id,
      userId: ned.id,
      user: profile(ned, 'Ned New'),
      role: 'member',
      joinedAt: expect.stringMatching(/Z$/),
      lastReadSeq: 1,
    })
    expect(await roles(chat.id)).toMatchObject({ [ned.id]: 'member', [nia.id]: 'member' })

    // Two system messages took seqs 2 and 3; neither counts as unread (countedSeq stays 1).
    const messages = await storedChatMessages(app(), chat.id)
    expect(messages.map((m) => [m.seq, m.type, m.authorId])).toEqual([
      [1, 'text', owner.id],
      [2, 'system', null],
      [3, 'system', null],
    ])
    expect(messages.slice(1).map((m) => m.system)).toEqual(
      expect.arrayContaining([
        { event: 'member.joined', userId: ned.id, by: admin.id },
        { event: 'member.joined', userId: nia.id, by: admin.id },
      ]),
    )
    expect(messages.slice(1).every((m) => m.mentions.length === 0)).toBe(true)
    expect(await storedChat(app(), chat.id)).toMatchObject({ lastSeq: 3, countedSeq: 1 })
    const seenByMember = (await app().inject({ url: `/api/chats/${chat.id}`, headers: member.headers })).json()
    expect(seenByMember.me).toMatchObject({ unreadCount: 1, mentionCount: 0 })
    const seenByNed = (await app().inject({ url: `/api/chats/${chat.id}`, headers: ned.headers })).json()
    expect(seenByNed).toMatchObject({ participantCount: 5, me: { role: 'member', unreadCount: 0, mentionCount: 0 } })

    const added = await eventOf(watcher, 'participant.added', (data) => data.userId === ned.id)
    expect(added).toMatchObject({ room: `chat:${chat.id}`, data: items.find((item: { userId: string }) => item.userId === ned.id) })
    await eventOf(watcher, 'participant.added', (data) => data.userId === nia.id)
    const system = await eventOf(watcher, 'message.sent', (data) => data.type === 'system')
    expect(system.data).toMatchObject({ chatId: chat.id, type: 'system', author: null, system: { event: 'member.joined' } })
    expect(await eventOf(neds, 'participant.added')).toMatchObject({ room: `user:${ned.id}`, data: { chatId: chat.id, userId: ned.id } })
  })

  it('lets the owner add admins; an admin adding admins, or a plain member adding anyone, is 403 and adds nobody', async () => {
    const chat = await team()
    const [a, b] = [await registerUser(app()), await registerUser(app())]
    expectError(await add(admin, chat.id, { userIds: [a.id], role: 'admin' }), 403, 'CHAT_ROLE_FORBIDDEN')
    expectError(await add(member, chat.id, { userIds: [a.id] }), 403, 'CHAT_ROLE_FORBIDDEN')
    expect(await roles(chat.id)).toEqual({ [owner.id]: 'owner', [admin.id]: 'admin', [member.id]: 'member' })
    expect(await storedChat(app(), chat.id)).toMatchObject({ lastSeq: 0 })

    const response = await add(owner, chat.id, { userIds: [a.id, b.id], role: 'admin' })
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json().items.map((item: { role: string }) => item.role)).toEqual(['admin', 'admin'])
    expect(await roles(chat.id)).toMatchObject({ [a.id]: 'admin', [b.id]: 'admin' })
  })

  it('leaves people already in as they are: 200 with nobody when everyone is in, only the newcomers otherwise', async () => {
    const chat = await team()
    const again = await add(owner, chat.id, { userIds: [member.id, admin.id, owner.id] })
    expect(again.statusCode, again.body).toBe(200)
    expect(again.json()).toEqual({ items: [] })
    expect(await roles(chat.id)).toEqual({ [owner.id]: 'owner', [admin.id]: 'admin', [member.id]: 'member' })
    expect(await storedChat(app(), chat.id)).toMatchObject({ lastSeq: 0 })

    const fresh = await registerUser(app())
    const mixed = await add(owner, chat.id, { userIds: [member.id, fresh.id], role: 'admin' })
    expect(mixed.statusCode).toBe(201)
    expect(mixed.json().items.map((item: { userId: string }) => item.userId)).toEqual([fresh.id])
    expect(await roles(chat.id)).toMatchObject({ [member.id]: 'member', [fresh.id]: 'admin' })
    expect(await storedChat(app(), chat.id)).toMatchObject({ lastSeq: 1 })
  })

  it('refuses, adding nobody: unknown accounts (422), people who blocked the adder or are banned (403), a private chat (422), an archived chat (409)', async () => {
    const chat = await team()
    const fine = await registerUser(app())
    const blocker = await registerUser(app())
    const banned = await registerUser(app())
    await blockUser(app(), blocker, admin)
    await banFromChat(app(), chat.id, banned.id)
    const nobody = randomUUID()

    expect(expectError(await add(admin, chat.id, { userIds: [fine.id, nobody] }), 422, 'CHAT_USER_UNKNOWN').details).toEqual({ userIds: [nobody] })
    expect(expectError(await add(admin, chat.id, { userIds: [fine.id, blocker.id] }), 403, 'CHAT_BLOCKED').details).toEqual({ userIds: [blocker.id] })
    expect(expectError(await add(admin, chat.id, { userIds: [fine.id, banned.id] }), 403, 'CHAT_BANNED').details).toEqual({ userIds: [banned.id] })
    await setChat(app(), chat.id, { archived: true })
    expectError(await add(admin, chat.id, { userIds: [fine.id] }), 409, 'CHAT_ARCHIVED')
    expect(await roles(chat.id)).toEqual({ [owner.id]: 'owner', [admin.id]: 'admin', [member.id]: 'member' })
    expect(await storedChat(app(), chat.id)).toMatchObject({ lastSeq: 0 })

    // The block is one way: the one who blocked may still be added by someone else.
    await setChat(app(), chat.id, { archived: false })
    expect((await add(owner, chat.id, { userIds: [blocker.id] })).statusCode).toBe(201)

    const pair = await createChat(app(), owner, { type: 'private', participantIds: [member.id] })
    expectError(await add(owner, pair.id, { userIds: [fine.id] }), 422, 'CHAT_PRIVATE_MEMBERS')
    expect((await storedParticipants(app(), pair.id)).map((row) => row.userId).sort()).toEqual([owner.id, member.id].sort())
  })

  it('answers 404 for a group the caller is not in and 403 for a channel they have not joined', async () => {
    const group = await team()
    const channel = await createChat(app(), owner, { type: 'channel', title: 'Ch' })
    expectError(await add(outsider, group.id, { userIds: [outsider.id] }), 404, 'CHAT_NOT_FOUND')
    expectError(await add(outsider, randomUUID(), { userIds: [outsider.id] }), 404, 'CHAT_NOT_FOUND')
    expectError(await add(outsider, channel.id, { userIds: [outsider.id] }), 403, 'CHAT_NOT_PARTICIPANT')
    expect(await storedParticipants(app(), group.id)).toHaveLength(3)
    expect(await storedParticipants(app(), channel.id)).toHaveLength(1)
  })

  it('refuses bad bodies (400), non-JSON (415) and anonymous callers (401), adding nobody', async () => {
    const chat = await team()
    const fresh = await registerUser(app())
    const bodies = [
      {},
      { userIds: fresh.id },
      { userIds: [] },
      { userIds: ['not-a-uuid'] },
      { userIds: [7] },
      { userIds: [fresh.id], role: 'owner' },
      { userIds: [fresh.id], role: 'boss' },
      { userIds: [fresh.id], colour: 'red' },
      { userIds: Array.from({ length: MAX_USERS_PER_REQUEST + 1 }, () => randomUUID()) },
    ]
    for (const payload of bodies) expectError(await add(owner, chat.id, payload), 400, 'VALIDATION_FAILED')
    const text = await app().inject({ method: 'POST', url: url(chat.id), headers: { ...owner.headers, 'content-type': 'text/plain' }, payload: fresh.id })
    expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE')
    expectError(await add(undefined, chat.id, { userIds: [fresh.id] }), 401, 'UNAUTHENTICATED')
    expect(await storedParticipants(app(), chat.id)).toHaveLength(3)
  })

  it.skipIf(inject('databaseServer') === 'embedded')('two adds of the same person at once add them once, with one system message', async () => {
    const chat = await team()
    const fresh = await registerUser(app())
    const [one, two] = await Promise.all([add(owner, chat.id, { userIds: [fresh.id] }), add(admin, chat.id, { userIds: [fresh.id] })])
    expect([one.statusCode, two.statusCode].sort()).toEqual([200, 201])
    expect(await storedParticipants(app(), chat.id)).toHaveLength(4)
    expect((await storedChatMessages(app(), chat.id)).map((m) => m.seq)).toEqual([1])
  })
})

describe('PUT /api/chats/:id/participants/:userId', () => {
  it('lets the owner make a member an admin and back, announcing participant.updated', async () => {
    const chat = await team()
    const watcher = await listen(member, `chat:${chat.id}`)
    const promoted = await setRole(owner, chat.id, member.id, { role: 'admin' })
    expect(promoted.statusCode, promoted.body).toBe(200)
    expect(promoted.json()).toEqual({ items: [expect.objectContaining({ chatId: chat.id, userId: member.id, role: 'admin', user: profile(member, 'Mia Member') })] })
    expect((await storedParticipant(app(), chat.id, member.id))!.role).toBe('admin')
    expect((await eventOf(watcher, 'participant.updated')).data).toMatchObject({ userId: member.id, role: 'admin' })

    const demoted = await setRole(owner, chat.id, member.id, { role: 'member' })
    expect(demoted.json().items[0]).toMatchObject({ userId: member.id, role: 'member' })
    expect((await storedParticipant(app(), chat.id, member.id))!.role).toBe('member')
  })

  it('hands the ownership over: the new owner and the former one (now an admin) are both in the answer', async () => {
    const chat = await team()
    const response = await setRole(owner, chat.id, member.id, { role: 'owner' })
    expect(response.statusCode, response.body).toBe(200)
    expect(Object.fromEntries(response.json().items.map((item: { userId: string; role: string }) => [item.userId, item.role]))).toEqual({ [member.id]: 'owner', [owner.id]: 'admin' })
    expect(await roles(chat.id)).toEqual({ [owner.id]: 'admin', [admin.id]: 'admin', [member.id]: 'owner' })
  })

  it('refuses (403) admins granting admin or touching admins and the owner, members changing roles, anyone changing their own role, and an admin handing ownership; nothing changes', async () => {
    const chat = await team()
    const other = await registerUser(app())
    await add(owner, chat.id, { userIds: [other.id], role: 'admin' })
    const before = await roles(chat.id)
    const refused: [TestUser, TestUser, string][] = [
      [admin, member, 'admin'],
      [admin, member, 'owner'],
      [admin, other, 'member'],
      [admin, owner, 'member'],
      [member, admin, 'member'],
      [member, member, 'admin'],
      [owner, owner, 'admin'],
      [admin, admin, 'member'],
    ]
    for (const [as, target, role] of refused) expectError(await setRole(as, chat.id, target.id, { role }), 403, 'CHAT_ROLE_FORBIDDEN')
    expect(await roles(chat.id)).toEqual(before)
  })

  it('lets an admin keep a member a member (200, nothing changes)', async () => {
    const chat = await team()
    const version = (await storedParticipant(app(), chat.id, member.id))!.version
    const response = await setRole(admin, chat.id, member.id, { role: 'member' })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json().items).toEqual([expect.objectContaining({ userId: member.id, role: 'member' })])
    expect((await storedParticipant(app(), chat.id, member.id))!.version).toBe(version)
  })

  it('answers 404 CHAT_PARTICIPANT_NOT_FOUND for someone not in the chat, 404 CHAT_NOT_FOUND to an outsider, 400 for bad input, 415 for non-JSON', async () => {
    const chat = await team()
    expectError(await setRole(owner, chat.id, outsider.id, { role: 'admin' }), 404, 'CHAT_PARTICIPANT_NOT_FOUND')
    expectError(await setRole(owner, chat.id, randomUUID(), { role: 'admin' }), 404, 'CHAT_PARTICIPANT_NOT_FOUND')
    expectError(await setRole(outsider, chat.id, member.id, { role: 'admin' }), 404, 'CHAT_NOT_FOUND')
    for (const payload of [{}, { role: 'boss' }, { role: 1 }, { role: 'admin', colour: 'red' }, { role: ['admin'] }]) {
      expectError(await setRole(owner, chat.id, member.id, payload), 400, 'VALIDATION_FAILED')
    }
    expectError(await setRole(owner, chat.id, 'not-a-uuid', { role: 'admin' }), 400, 'VALIDATION_FAILED')
    const text = await app().inject({ method: 'PUT', url: url(chat.id, member.id), headers: { ...owner.headers, 'content-type': 'text/plain' }, payload: 'admin' })
    expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE')
    expectError(await setRole(undefined, chat.id, member.id, { role: 'admin' }), 401, 'UNAUTHENTICATED')
    expect(await roles(chat.id)).toEqual({ [owner.id]: 'owner', [admin.id]: 'admin', [member.id]: 'member' })
  })
})

describe('DELETE /api/chats/:id/participants/:userId', () => {
  it('lets an admin remove a member: 204, a member.removed system message, participant.removed, the hook; the person then gets 404', async () => {
    const gone = await registerUser(app(), { name: 'Gus Gone' })
    const chat = await team(gone)
    const watcher = await listen(member, `chat:${chat.id}`)
    const theirs = await listen(gone, `user:${gone.id}`)
    left.length = 0

    const response = await remove(admin, chat.id, gone.id)
    expect(response.statusCode, response.body).toBe(204)
    expect(response.body).toBe('')
    expect(await storedParticipant(app(), chat.id, gone.id)).toBeUndefined()
    const [message] = await storedChatMessages(app(), chat.id)
    expect(message).toMatchObject({ seq: 1, type: 'system', authorId: null, system: { event: 'member.removed', userId: gone.id, by: admin.id } })
    expect(await storedChat(app(), chat.id)).toMatchObject({ lastSeq: 1, countedSeq: 0 })

    const removed = await eventOf(watcher, 'participant.removed')
    expect(removed.data).toEqual({ chatId: chat.id, userId: gone.id, user: profile(gone, 'Gus Gone'), role: 'member', joinedAt: expect.any(String), lastReadSeq: 0 })
    expect((await eventOf(watcher, 'message.sent')).data).toMatchObject({ type: 'system', system: { event: 'member.removed', userId: gone.id } })
    expect(await eventOf(theirs, 'participant.removed')).toMatchObject({ room: `user:${gone.id}`, data: { chatId: chat.id, userId: gone.id } })
    expect(left).toEqual([{ chatId: chat.id, userIds: [gone.id] }])

    expectError(await app().inject({ url: `/api/chats/${chat.id}`, headers: gone.headers }), 404, 'CHAT_NOT_FOUND')
    expectError(await list(gone, chat.id), 404, 'CHAT_NOT_FOUND')
    expectError(await remove(admin, chat.id, gone.id), 404, 'CHAT_PARTICIPANT_NOT_FOUND')
  })

  it("ends the removed person's subscription to the chat's room at once: unsubscribed/revoked after participant.removed, and no later message", async () => {
    const gone = await registerUser(app(), { name: 'Rex Revoked' })
    const chat = await team(gone)
    const theirs = await listen(gone, `chat:${chat.id}`)
    const watcher = await listen(member, `chat:${chat.id}`)
    expect((await remove(admin, chat.id, gone.id)).statusCode).toBe(204)
    expect(await eventOf(theirs, 'participant.removed')).toMatchObject({ data: { userId: gone.id } })
    expect(await theirs.ofType('unsubscribed')).toEqual({ type: 'unsubscribed', room: `chat:${chat.id}`, reason: 'revoked' })
    await sendMessage(app(), owner, chat.id, 'after you left')
    expect((await eventOf(watcher, 'message.sent', (data) => data.text === 'after you left')).data).toMatchObject({ text: 'after you left' })
    expect(theirs.messages.filter((m) => m.type === 'event' && (m.data as { text?: string }).text === 'after you left')).toEqual([])
    expect(await theirs.subscribe(`chat:${chat.id}`)).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } })
  })

  it('lets the owner remove an admin', async () => {
    const chat = await team()
    expect((await remove(owner, chat.id, admin.id)).statusCode).toBe(204)
    expect(await roles(chat.id)).toEqual({ [owner.id]: 'owner', [member.id]: 'member' })
  })

  it('refuses (403) an admin removing the owner or another admin, and a member removing anyone; nothing changes', async () => {
    const chat = await team()
    const other = await registerUser(app())
    await add(owner, chat.id, { userIds: [other.id], role: 'admin' })
    const before = await roles(chat.id)
    const lastSeq = (await storedChat(app(), chat.id))!.lastSeq
    left.length = 0
    for (const [as, target] of [[admin, owner], [admin, other], [member, admin], [member, owner]] as const) {
      expectError(await remove(as, chat.id, target.id), 403, 'CHAT_ROLE_FORBIDDEN')
    }
    const fellow = await registerUser(app())
    await add(owner, chat.id, { userIds: [fellow.id] })
    expectError(await remove(member, chat.id, fellow.id), 403, 'CHAT_ROLE_FORBIDDEN')
    expect(await roles(chat.id)).toEqual({ ...before, [fellow.id]: 'member' })
    expect((await storedChat(app(), chat.id))!.lastSeq).toBe(lastSeq + 1)
    expect(left).toEqual([])
  })

  it('lets anyone leave with their own id (member.left); a leaving owner hands ownership to the oldest admin', async () => {
    const chat = await team()
    const watcher = await listen(member, `chat:${chat.id}`)
    left.length = 0
    expect((await remove(owner, chat.id, owner.id)).statusCode).toBe(204)
    expect(await roles(chat.id)).toEqual({ [admin.id]: 'owner', [member.id]: 'member' })
    expect((await storedChatMessages(app(), chat.id)).map((m) => m.system)).toEqual([{ event: 'member.left', userId: owner.id }])
    expect((await eventOf(watcher, 'participant.removed')).data).toMatchObject({ userId: owner.id, role: 'owner' })
    expect((await eventOf(watcher, 'participant.updated')).data).toMatchObject({ userId: admin.id, role: 'owner' })
    expect(left).toEqual([{ chatId: chat.id, userIds: [owner.id] }])

    expect((await remove(member, chat.id, member.id)).statusCode).toBe(204)
    expect(await roles(chat.id)).toEqual({ [admin.id]: 'owner' })
    expectError(await app().inject({ url: `/api/chats/${chat.id}`, headers: member.headers }), 404, 'CHAT_NOT_FOUND')
  })

  it('a leaving owner with no admin hands ownership to the oldest member', async () => {
    const late = await registerUser(app())
    const chat = await createChat(app(), owner, { participantIds: [member.id] })
    await add(owner, chat.id, { userIds: [late.id] })
    expect((await remove(owner, chat.id, owner.id)).statusCode).toBe(204)
    expect(await roles(chat.id)).toEqual({ [member.id]: 'owner', [late.id]: 'member' })
  })

  it.skipIf(inject('databaseServer') === 'embedded')('two removals of the same person at once remove them once: one 204, one 404, one system message', async () => {
    const gone = await registerUser(app())
    const chat = await team(gone)
    const [one, two] = await Promise.all([remove(owner, chat.id, gone.id), remove(admin, chat.id, gone.id)])
    expect([one.statusCode, two.statusCode].sort()).toEqual([204, 404])
    expectError([one, two].find((response) => response.statusCode === 404)!, 404, 'CHAT_PARTICIPANT_NOT_FOUND')
    expect((await storedChatMessages(app(), chat.id)).map((m) => m.system)).toEqual([expect.objectContaining({ event: 'member.removed', userId: gone.id })])
  })

  it.skipIf(inject('databaseServer') === 'embedded')('the owner and the oldest admin leaving at once still leave an owner', async () => {
    const chat = await team()
    const [one, two] = await Promise.all([remove(owner, chat.id, owner.id), remove(admin, chat.id, admin.id)])
    expect([one.statusCode, two.statusCode]).toEqual([204, 204])
    expect(await roles(chat.id)).toEqual({ [member.id]: 'owner' })
  })

  it('refuses a private chat (422), someone not in the chat (404), an outsider (404), bad ids (400) and anonymous callers (401)', async () => {
    const pair = await createChat(app(), owner, { type: 'private', participantIds: [member.id] })
    expectError(await remove(owner, pair.id, member.id), 422, 'CHAT_PRIVATE_MEMBERS')
    expectError(await remove(owner, pair.id, owner.id), 422, 'CHAT_PRIVATE_MEMBERS')
    expect(await storedParticipants(app(), pair.id)).toHaveLength(2)

    const chat = await team()
    expectError(await remove(owner, chat.id, outsider.id), 404, 'CHAT_PARTICIPANT_NOT_FOUND')
    expectError(await remove(outsider, chat.id, member.id), 404, 'CHAT_NOT_FOUND')
    expectError(await remove(outsider, chat.id, outsider.id), 404, 'CHAT_NOT_FOUND')
    expectError(await remove(owner, chat.id, 'nope'), 400, 'VALIDATION_FAILED')
    expectError(await remove(undefined, chat.id, member.id), 401, 'UNAUTHENTICATED')
    expect(await storedParticipants(app(), chat.id)).toHaveLength(3)
    expect((await storedChat(app(), chat.id))!.lastSeq).toBe(0)
  })
})
