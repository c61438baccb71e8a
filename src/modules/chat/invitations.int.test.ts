import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { registerUser, type TestUser } from '../../../test/helpers/auth.js'
import {
  banFromChat,
  blockUser,
  createChat,
  setChat,
  setParticipant,
  storedChat,
  storedChatMessages,
  storedInvitations,
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

/** Every `invitationCreated` the hooks heard, with whether the invitation was already readable (committed) then. */
const created: { invitationId: string; chatId: string; userId: string; stored: boolean }[] = []
const withHookProbe = {
  ...chatModule,
  createApi: (ctx: Parameters<typeof createChatApi>[0]) => {
    const api = createChatApi(ctx)
    api.deps.hooks.onInvitationCreated(async ({ chat, invitation }) => {
      const stored = (await storedInvitations(app(), chat.id)).some((row) => row.id === invitation.id)
      created.push({ invitationId: invitation.id, chatId: chat.id, userId: invitation.userId, stored })
    })
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

/** A group of the owner, with the admin as admin and the member as member. */
async function team(title?: string): Promise<TestChat> {
  const chat = await createChat(app(), owner, { participantIds: [admin.id, member.id], ...(title ? { title } : {}) })
  await setParticipant(app(), chat.id, admin.id, { role: 'admin' })
  return chat
}

const invite = (as: TestUser | undefined, chatId: string, payload: unknown) =>
  app().inject({ method: 'POST', url: `/api/chats/${chatId}/invitations`, headers: as?.headers ?? {}, payload: payload as Record<string, unknown> })
const pending = (as: TestUser | undefined, query = '') => app().inject({ url: `/api/invitations${query}`, headers: as?.headers ?? {} })
const answer = (as: TestUser | undefined, id: string, verb: 'accept' | 'decline') => app().inject({ method: 'POST', url: `/api/invitations/${id}/${verb}`, headers: as?.headers ?? {} })
const profile = (user: TestUser, name: string) => ({ id: user.id, username: null, name, avatarUrl: null, deleted: false })

/** Invites `user` to the chat as the owner; the invitation's id. */
async function invited(chat: TestChat, user: TestUser): Promise<string> {
  const response = await invite(owner, chat.id, { userIds: [user.id] })
  expect(response.statusCode, response.body).toBe(201)
  return response.json<{ items: { id: string }[] }>().items[0]!.id
}

describe('POST /api/chats/:id/invitations', () => {
  it('lets an admin invite people: 201 with the invitations, each invitee hears invitation.created and the hook runs after the commit; nobody joins yet', async () => {
    const chat = await team('Planning')
    const [ivy, ian] = [await registerUser(app(), { name: 'Ivy Invitee' }), await registerUser(app(), { name: 'Ian Invitee' })]
    const ivys = await listen(ivy, `user:${ivy.id}`)
    created.length = 0

    const response = await invite(admin, chat.id, { userIds: [ivy.id, ian.id, ivy.id] })
    expect(response.statusCode, response.body).toBe(201)
    const { items } = response.json()
    expect(items).toHaveLength(2)
    const ivysInvitation = items.find((item: { userId: string }) => item.userId === ivy.id)
    expect(ivysInvitation).toEqual({
      id: expect.any(String),
      chat: { id: chat.id, type: 'group', title: 'Planning' },
      userId: ivy.id,
      invitedBy: profile(admin, 'Adam Admin'),
      status: 'pending',
      createdAt: expect.stringMatching(/Z$/),
      respondedAt: null,
    })
    const rows = await storedInvitations(app(), chat.id)
    expect(rows.map((row) => [row.userId, row.status, row.invitedBy]).sort()).toEqual([[ian.id, 'pending', admin.id], [ivy.id, 'pending', admin.id]].sort())
    expect(await storedParticipants(app(), chat.id)).toHaveLength(3)
    expect(await storedChat(app(), chat.id)).toMatchObject({ lastSeq: 0 })

    expect(await eventOf(ivys, 'invitation.created')).toMatchObject({ room: `user:${ivy.id}`, data: ivysInvitation })
    await expect.poll(() => created.length).toBe(2)
    expect(created.map((c) => c.userId).sort()).toEqual([ivy.id, ian.id].sort())
    expect(created.every((c) => c.stored && c.chatId === chat.id)).toBe(true)
    // The invitee cannot open the chat before accepting.
    expectError(await app().inject({ url: `/api/chats/${chat.id}`, headers: ivy.headers }), 404, 'CHAT_NOT_FOUND')
  })

  it('skips people already in the chat or already invited: 200 with nobody when nobody is new', async () => {
    const chat = await team()
    const guest = await registerUser(app())
    await invited(chat, guest)
    const again = await invite(owner, chat.id, { userIds: [guest.id, member.id, owner.id] })
    expect(again.statusCode, again.body).toBe(200)
    expect(again.json()).toEqual({ items: [] })
    expect(await storedInvitations(app(), chat.id)).toHaveLength(1)
    const fresh = await registerUser(app())
    const mixed = await invite(owner, chat.id, { userIds: [guest.id, fresh.id] })
    expect(mixed.statusCode).toBe(201)
    expect(mixed.json().items.map((item: { userId: string }) => item.userId)).toEqual([fresh.id])
    // The hook heard of the two invitations stored, never of those skipped.
    await expect.poll(() => created.filter((c) => c.chatId === chat.id).map((c) => c.userId).sort()).toEqual([guest.id, fresh.id].sort())
  })

  it('refuses, inviting nobody: a plain member (403), unknown accounts (422), people who blocked the inviter or are banned (403), a private chat (422), an archived chat (409), an outsider (404)', async () => {
    const chat = await team()
    const fine = await registerUser(app())
    const blocker = await registerUser(app())
    const banned = await registerUser(app())
    await blockUser(app(), blocker, admin)
    await banFromChat(app(), chat.id, banned.id)
    const nobody = randomUUID()

    expectError(await invite(member, chat.id, { userIds: [fine.id] }), 403, 'CHAT_ROLE_FORBIDDEN')
    expect(expectError(await invite(admin, chat.id, { userIds: [fine.id, nobody] }), 422, 'CHAT_USER_UNKNOWN').details).toEqual({ userIds: [nobody] })
    expect(expectError(await invite(admin, chat.id, { userIds: [fine.id, blocker.id] }), 403, 'CHAT_BLOCKED').details).toEqual({ userIds: [blocker.id] })
    expect(expectError(await invite(admin, chat.id, { userIds: [fine.id, banned.id] }), 403, 'CHAT_BANNED').details).toEqual({ userIds: [banned.id] })
    expectError(await invite(outsider, chat.id, { userIds: [fine.id] }), 404, 'CHAT_NOT_FOUND')
    expectError(await invite(owner, randomUUID(), { userIds: [fine.id] }), 404, 'CHAT_NOT_FOUND')
    await setChat(app(), chat.id, { archived: true })
    expectError(await invite(admin, chat.id, { userIds: [fine.id] }), 409, 'CHAT_ARCHIVED')
    expect(await storedInvitations(app(), chat.id)).toEqual([])

    const pair = await createChat(app(), owner, { type: 'private', participantIds: [member.id] })
    expectError(await invite(owner, pair.id, { userIds: [fine.id] }), 422, 'CHAT_PRIVATE_MEMBERS')
    expect(await storedInvitations(app(), pair.id)).toEqual([])
    const channel = await createChat(app(), owner, { type: 'channel', title: 'Open' })
    expectError(await invite(outsider, channel.id, { userIds: [fine.id] }), 403, 'CHAT_NOT_PARTICIPANT')
    expect(created.filter((c) => c.chatId === chat.id || c.chatId === pair.id)).toEqual([])
  })

  it('refuses bad bodies (400), non-JSON (415) and anonymous callers (401), inviting nobody', async () => {
    const chat = await team()
    const fresh = await registerUser(app())
    const bodies = [
      {},
      { userIds: fresh.id },
      { userIds: [] },
      { userIds: ['not-a-uuid'] },
      { userIds: [fresh.id], role: 'admin' },
      { userIds: Array.from({ length: MAX_USERS_PER_REQUEST + 1 }, () => randomUUID()) },
    ]
    for (const payload of bodies) expectError(await invite(owner, chat.id, payload), 400, 'VALIDATION_FAILED')
    expectError(await invite(owner, 'nope', { userIds: [fresh.id] }), 400, 'VALIDATION_FAILED')
    const text = await app().inject({ method: 'POST', url: `/api/chats/${chat.id}/invitations`, headers: { ...owner.headers, 'content-type': 'text/plain' }, payload: fresh.id })
    expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE')
    expectError(await invite(undefined, chat.id, { userIds: [fresh.id] }), 401, 'UNAUTHENTICATED')
    expect(await storedInvitations(app(), chat.id)).toEqual([])
  })
})

describe('GET /api/invitations', () => {
  it('lists the caller\'s pending invitations, newest first, paged; not answered ones, not others\', not deleted chats\'', async () => {
    const guest = await registerUser(app())
    const [a, b, c, gone] = [await team('A'), await team('B'), await team('C'), await team('Gone')]
    const ids = [await invited(a, guest), await invited(b, guest), await invited(c, guest), await invited(gone, guest)]
    await invited(a, outsider)
    expect((await answer(guest, ids[1]!, 'decline')).statusCode).toBe(200)
    await setChat(app(), gone.id, { deletedAt: new Date() })

    const first = await pending(guest, '?limit=1')
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json().items.map((item: { chat: { title: string } }) => item.chat.title)).toEqual(['C'])
    expect(first.json().nextCursor).toEqual(expect.any(String))
    const second = await pending(guest, `?limit=1&cursor=${encodeURIComponent(first.json().nextCursor)}`)
    expect(second.json()).toEqual({ items: [expect.objectContaining({ id: ids[0], status: 'pending', chat: { id: a.id, type: 'group', title: 'A' }, invitedBy: profile(owner, 'Olga Owner') })], nextCursor: null })
  })

  it('refuses bad queries (400) and anonymous callers (401)', async () => {
    for (const query of ['?limit=0', '?limit=500', '?status=all', '?cursor=junk']) expect((await pending(member, query)).statusCode, query).toBe(400)
    expectError(await pending(undefined), 401, 'UNAUTHENTICATED')
  })
})

describe('POST /api/invitations/:id/accept and /decline', () => {
  it('accepting joins the chat as a member: a member.joined system message naming the inviter, participant.added, and the chat opens', async () => {
    const chat = await team()
    const guest = await registerUser(app(), { name: 'Gia Guest' })
    const id = await invited(chat, guest)
    const watcher = await listen(member, `chat:${chat.id}`)

    const response = await answer(guest, id, 'accept')
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toMatchObject({ id, userId: guest.id, status: 'accepted', respondedAt: expect.stringMatching(/Z$/), chat: { id: chat.id } })
    expect(await storedParticipant(app(), chat.id, guest.id)).toMatchObject({ role: 'member', lastReadSeq: 0 })
    expect(await storedChatMessages(app(), chat.id)).toEqual([
      expect.objectContaining({ seq: 1, type: 'system', authorId: null, system: { event: 'member.joined', userId: guest.id, by: owner.id } }),
    ])
    expect(await storedChat(app(), chat.id)).toMatchObject({ lastSeq: 1, countedSeq: 0 })
    expect((await eventOf(watcher, 'participant.added')).data).toEqual({
      chatId: chat.id,
      userId: guest.id,
      user: profile(guest, 'Gia Guest'),
      role: 'member',
      joinedAt: expect.any(String),
      lastReadSeq: 0,
    })
    expect((await eventOf(watcher, 'message.sent')).data).toMatchObject({ type: 'system', seq: 1, system: { event: 'member.joined', userId: guest.id } })
    const opened = await app().inject({ url: `/api/chats/${chat.id}`, headers: guest.headers })
    expect(opened.json()).toMatchObject({ id: chat.id, me: { role: 'member', unreadCount: 0 } })
    expect((await pending(guest)).json().items).toEqual([])
    expect((await storedInvitations(app(), chat.id))[0]).toMatchObject({ status: 'accepted', respondedAt: expect.any(Date) })
  })

  it('declining closes the invitation without joining; the chat may invite again', async () => {
    const chat = await team()
    const guest = await registerUser(app())
    const id = await invited(chat, guest)
    const response = await answer(guest, id, 'decline')
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toMatchObject({ id, status: 'declined', respondedAt: expect.any(String) })
    expect(await storedParticipant(app(), chat.id, guest.id)).toBeUndefined()
    expect(await storedChat(app(), chat.id)).toMatchObject({ lastSeq: 0 })
    expect(await invited(chat, guest)).not.toBe(id)
  })

  it('answers 409 INVITATION_ANSWERED to a second answer, changing nothing', async () => {
    const chat = await team()
    const guest = await registerUser(app())
    const id = await invited(chat, guest)
    expect((await answer(guest, id, 'accept')).statusCode).toBe(200)
    expectError(await answer(guest, id, 'accept'), 409, 'INVITATION_ANSWERED')
    expectError(await answer(guest, id, 'decline'), 409, 'INVITATION_ANSWERED')
    expect((await storedInvitations(app(), chat.id))[0]).toMatchObject({ status: 'accepted' })
    expect((await storedChatMessages(app(), chat.id)).map((m) => m.seq)).toEqual([1])

    const other = await registerUser(app())
    const declined = await invited(chat, other)
    expect((await answer(other, declined, 'decline')).statusCode).toBe(200)
    expectError(await answer(other, declined, 'accept'), 409, 'INVITATION_ANSWERED')
    expect(await storedParticipant(app(), chat.id, other.id)).toBeUndefined()
  })

  it('answers 404 INVITATION_NOT_FOUND for someone else\'s invitation, an unknown one and one to a deleted chat; 400 for a malformed id; 401 anonymous; 415 non-JSON', async () => {
    const chat = await team()
    const guest = await registerUser(app())
    const id = await invited(chat, guest)
    for (const as of [outsider, owner]) {
      expectError(await answer(as, id, 'accept'), 404, 'INVITATION_NOT_FOUND')
      expectError(await answer(as, id, 'decline'), 404, 'INVITATION_NOT_FOUND')
    }
    expectError(await answer(guest, randomUUID(), 'accept'), 404, 'INVITATION_NOT_FOUND')
    expectError(await answer(guest, 'nope', 'accept'), 400, 'VALIDATION_FAILED')
    expectError(await answer(undefined, id, 'accept'), 401, 'UNAUTHENTICATED')
    const text = await app().inject({ method: 'POST', url: `/api/invitations/${id}/accept`, headers: { ...guest.headers, 'content-type': 'text/plain' }, payload: 'yes' })
    expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect((await storedInvitations(app(), chat.id))[0]).toMatchObject({ status: 'pending' })
    expect(await storedParticipant(app(), chat.id, outsider.id)).toBeUndefined()

    const gone = await team()
    const toGone = await invited(gone, guest)
    await setChat(app(), gone.id, { deletedAt: new Date() })
    expectError(await answer(guest, toGone, 'accept'), 404, 'INVITATION_NOT_FOUND')
  })

  it('refuses accepting after a ban (403 CHAT_BANNED) or into an archived chat (409 CHAT_ARCHIVED), keeping the invitation pending', async () => {
    const chat = await team()
    const [banned, late] = [await registerUser(app()), await registerUser(app())]
    const toBanned = await invited(chat, banned)
    const toLate = await invited(chat, late)
    await banFromChat(app(), chat.id, banned.id)
    expectError(await answer(banned, toBanned, 'accept'), 403, 'CHAT_BANNED')
    await setChat(app(), chat.id, { archived: true })
    expectError(await answer(late, toLate, 'accept'), 409, 'CHAT_ARCHIVED')
    expect((await storedInvitations(app(), chat.id)).map((row) => row.status)).toEqual(['pending', 'pending'])
    expect(await storedParticipants(app(), chat.id)).toHaveLength(3)
    expect((await storedChat(app(), chat.id))!.lastSeq).toBe(0)
    // Declining stays possible.
    expect((await answer(late, toLate, 'decline')).statusCode).toBe(200)
  })

  it.skipIf(inject('databaseServer') === 'embedded')('two accepts at once join once: one 200, one 409', async () => {
    const chat = await team()
    const guest = await registerUser(app())
    const id = await invited(chat, guest)
    const [one, two] = await Promise.all([answer(guest, id, 'accept'), answer(guest, id, 'accept')])
    expect([one.statusCode, two.statusCode].sort()).toEqual([200, 409])
    expect(await storedParticipants(app(), chat.id)).toHaveLength(4)
    expect((await storedChatMessages(app(), chat.id)).map((m) => m.seq)).toEqual([1])
  })
})
