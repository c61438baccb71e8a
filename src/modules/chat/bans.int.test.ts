import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { availableModules } from '../../app.js'
import type { ModuleDefinition } from '../../core/module.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { createChat, setParticipant, storedChatMessages, storedInvitations, storedParticipant, storedParticipants, type TestChat } from '../../../test/helpers/chat.js'
import { expectError } from '../../../test/helpers/identity.js'
import { setBanUntil, storedBans as storedBanRows, storedScheduled } from '../../../test/helpers/chat-scheduled-bans.js'
import { useChatSockets } from '../../../test/helpers/chat-messages.js'
import type { TestSocket, WsMessage } from '../../../test/helpers/ws-client.js'
import type { ChatApi } from './api.js'
import type { BanView } from './bans.schemas.js'
import { chatModule } from './index.js'
import type { ChatSettings } from './settings.js'

let api: ChatApi
const left: { chatId: string; userIds: readonly string[] }[] = []
const chat: ModuleDefinition<ChatApi, ChatSettings> = {
  ...chatModule,
  createApi: (ctx) => {
    api = chatModule.createApi(ctx)
    api.deps.hooks.onParticipantsLeft((value) => void left.push(value))
    return api
  },
}
const app = useTestApp({
  modules: availableModules.map((m) => (m.name === 'chat' ? (chat as unknown as ModuleDefinition) : m)),
  setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined),
})

let owner: TestUser
let admin: TestUser
let member: TestUser
let outsider: TestUser
let moderator: TestUser

beforeAll(async () => {
  owner = await registerUser(app(), { name: 'Olga Owner' })
  admin = await registerUser(app(), { name: 'Adam Admin' })
  member = await registerUser(app(), { name: 'Mia Member' })
  outsider = await registerUser(app(), { name: 'Otto Outsider' })
  moderator = await loginAs(app(), 'admin')
})

/** Sockets of this file's users, subscribed to the rooms named; closed after each test. */
const listen = useChatSockets(app)
const eventOf = (socket: TestSocket, event: string): Promise<WsMessage> => socket.next((m) => m.type === 'event' && m.event === event)

/** A chat of the owner with the admin as admin and the member (plus `others`) as members. */
async function team(type: 'group' | 'channel' = 'group', ...others: TestUser[]): Promise<TestChat> {
  const created = await createChat(app(), owner, { type, participantIds: [admin.id, member.id, ...others.map((u) => u.id)] })
  await setParticipant(app(), created.id, admin.id, { role: 'admin' })
  return created
}

const storedBans = (chatId: string) => storedBanRows(app(), chatId)
const ban = (as: TestUser, chatId: string, body: Record<string, unknown>) => app().inject({ method: 'POST', url: `/api/chats/${chatId}/bans`, headers: as.headers, payload: body })
const unban = (as: TestUser, chatId: string, userId: string) => app().inject({ method: 'DELETE', url: `/api/chats/${chatId}/bans/${userId}`, headers: as.headers })
const listBans = (as: TestUser, chatId: string, query = '') => app().inject({ url: `/api/chats/${chatId}/bans${query}`, headers: as.headers })
const add = (as: TestUser, chatId: string, userIds: string[]) => app().inject({ method: 'POST', url: `/api/chats/${chatId}/participants`, headers: as.headers, payload: { userIds } })
const invite = (as: TestUser, chatId: string, userIds: string[]) => app().inject({ method: 'POST', url: `/api/chats/${chatId}/invitations`, headers: as.headers, payload: { userIds } })
const join = (as: TestUser, chatId: string) => app().inject({ method: 'POST', url: `/api/chats/${chatId}/join`, headers: as.headers })
const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString()

/** Nothing changed by a refused ban: same participants, no ban row, no system message. */
async function expectUnchanged(chatId: string, participantCount: number): Promise<void> {
  expect(await storedParticipants(app(), chatId)).toHaveLength(participantCount)
  expect(await storedBans(chatId)).toEqual([])
  expect(await storedChatMessages(app(), chatId)).toEqual([])
}

describe('POST /api/chats/:id/bans', () => {
  it('lets the owner ban a member: 201, removed (participant.removed, a member.removed system message, the hook, scheduled messages cancelled), kept out', async () => {
    const victim = await registerUser(app(), { name: 'Vic Victim' })
    const group = await team('group', victim)
    const scheduled = await app().inject({ method: 'POST', url: `/api/chats/${group.id}/messages`, headers: victim.headers, payload: { text: 'later', scheduledAt: inMinutes(10) } })
    expect(scheduled.statusCode, scheduled.body).toBe(202)
    const watcher = await listen(member, `chat:${group.id}`)
    const theirs = await listen(victim, `user:${victim.id}`)
    left.length = 0

    const response = await ban(owner, group.id, { userId: victim.id })
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json<BanView>()).toEqual({
      chatId: group.id,
      userId: victim.id,
      user: { id: victim.id, username: null, name: 'Vic Victim', avatarUrl: null, deleted: false },
      until: null,
      bannedBy: owner.id,
      createdAt: expect.any(String),
    })
    expect(await storedParticipant(app(), group.id, victim.id)).toBeUndefined()
    expect(await storedBans(group.id)).toMatchObject([{ userId: victim.id, until: null, bannedBy: owner.id }])
    const [message] = await storedChatMessages(app(), group.id)
    expect(message).toMatchObject({ seq: 1, type: 'system', authorId: null, system: { event: 'member.removed', userId: victim.id, by: owner.id, banned: true } })
    expect((await eventOf(watcher, 'participant.removed')).data).toMatchObject({ chatId: group.id, userId: victim.id, role: 'member' })
    expect((await eventOf(watcher, 'message.sent')).data).toMatchObject({ type: 'system', system: { event: 'member.removed', userId: victim.id, banned: true } })
    expect(await eventOf(theirs, 'participant.removed')).toMatchObject({ room: `user:${victim.id}`, data: { chatId: group.id, userId: victim.id } })
    await api.deps.hooks.settled()
    expect(left).toEqual([{ chatId: group.id, userIds: [victim.id] }])
    expect(await storedScheduled(app(), group.id)).toEqual([])

    // Kept out: the chat is gone for them, and they cannot be added or invited back.
    expectError(await app().inject({ url: `/api/chats/${group.id}`, headers: victim.headers }), 404, 'CHAT_NOT_FOUND')
    expect(expectError(await add(owner, group.id, [victim.id]), 403, 'CHAT_BANNED').details).toEqual({ userIds: [victim.id] })
    expectError(await invite(owner, group.id, [victim.id]), 403, 'CHAT_BANNED')
    expect(await storedParticipant(app(), group.id, victim.id)).toBeUndefined()
    expect(await storedInvitations(app(), group.id)).toEqual([])
  })

  it('keeps a banned person from accepting an invitation sent before the ban', async () => {
    const invitee = await registerUser(app(), { name: 'Ivy Invitee' })
    const group = await team()
    expect((await invite(owner, group.id, [invitee.id])).statusCode).toBe(201)
    const [invitation] = await storedInvitations(app(), group.id)
    expect((await ban(admin, group.id, { userId: invitee.id })).statusCode).toBe(201)
    expectError(await app().inject({ method: 'POST', url: `/api/invitations/${invitation!.id}/accept`, headers: invitee.headers }), 403, 'CHAT_BANNED')
    expect(await storedParticipant(app(), group.id, invitee.id)).toBeUndefined()
  })

  it('in a channel: the banned person can neither read it, follow its room, nor join again', async () => {
    const reader = await registerUser(app(), { name: 'Rita Reader' })
    const channel = await team('channel', reader)
    expect((await app().inject({ url: `/api/chats/${channel.id}/messages`, headers: outsider.headers })).statusCode).toBe(200)
    expect((await ban(admin, channel.id, { userId: reader.id })).statusCode).toBe(201)
    expectError(await app().inject({ url: `/api/chats/${channel.id}`, headers: reader.headers }), 403, 'CHAT_BANNED')
    expectError(await app().inject({ url: `/api/chats/${channel.id}/messages`, headers: reader.headers }), 403, 'CHAT_BANNED')
    expectError(await join(reader, channel.id), 403, 'CHAT_BANNED')
    const socket = await listen(reader)
    expect(await socket.subscribe(`chat:${channel.id}`)).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } })
    // Someone reading it from outside is cut off at once too.
    const lurker = await registerUser(app(), { name: 'Lou Lurker' })
    const lurking = await listen(lurker, `chat:${channel.id}`)
    expect((await ban(owner, channel.id, { userId: lurker.id })).statusCode).toBe(201)
    expect(await lurking.ofType('unsubscribed')).toEqual({ type: 'unsubscribed', room: `chat:${channel.id}`, reason: 'revoked' })
    // Others still read it.
    expect((await app().inject({ url: `/api/chats/${channel.id}/messages`, headers: outsider.headers })).statusCode).toBe(200)
  })

  it('bans someone not in the chat (no system message), until a time; banning again renews (200); an expired ban lets them in', async () => {
    const channel = await team('channel')
    const until = inMinutes(60)
    const first = await ban(owner, channel.id, { userId: outsider.id, until })
    expect(first.statusCode, first.body).toBe(201)
    expect(first.json()).toMatchObject({ userId: outsider.id, until })
    expect(await storedChatMessages(app(), channel.id)).toEqual([])
    expectError(await join(outsider, channel.id), 403, 'CHAT_BANNED')
    const later = inMinutes(120)
    const again = await ban(admin, channel.id, { userId: outsider.id, until: later })
    expect(again.statusCode, again.body).toBe(200)
    expect(again.json()).toMatchObject({ until: later, bannedBy: admin.id })
    expect(await storedBans(channel.id)).toHaveLength(1)
    // Once it has ended, they may join.
    await setBanUntil(app(), channel.id, new Date(Date.now() - 1000))
    expect((await join(outsider, channel.id)).statusCode).toBe(200)
  })

  it('lets the owner ban an admin, and a platform moderator ban in a chat they are not in (an admin too)', async () => {
    const group = await team()
    expect((await ban(owner, group.id, { userId: admin.id })).statusCode).toBe(201)
    expect(await storedParticipant(app(), group.id, admin.id)).toBeUndefined()

    const other = await team()
    const response = await ban(moderator, other.id, { userId: admin.id })
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json()).toMatchObject({ bannedBy: moderator.id })
    expect(await storedParticipant(app(), other.id, admin.id)).toBeUndefined()
    expect(await storedChatMessages(app(), other.id)).toMatchObject([{ system: { event: 'member.removed', userId: admin.id, by: moderator.id, banned: true } }])
  })

  it('refuses: a member 403, an admin over an admin or the owner 403, anyone over the owner 403; nothing changes', async () => {
    const group = await team()
    const admin2 = await registerUser(app(), { name: 'Ad Two' })
    expect((await add(owner, group.id, [admin2.id])).statusCode).toBe(201)
    await setParticipant(app(), group.id, admin2.id, { role: 'admin' })
    const messages = await storedChatMessages(app(), group.id)
    expectError(await ban(member, group.id, { userId: outsider.id }), 403, 'CHAT_ROLE_FORBIDDEN')
    expectError(await ban(admin, group.id, { userId: admin2.id }), 403, 'CHAT_ROLE_FORBIDDEN')
    expectError(await ban(admin, group.id, { userId: owner.id }), 403, 'CHAT_ROLE_FORBIDDEN')
    expectError(await ban(moderator, group.id, { userId: owner.id }), 403, 'CHAT_ROLE_FORBIDDEN')
    expect(await storedParticipants(app(), group.id)).toHaveLength(4)
    expect(await storedBans(group.id)).toEqual([])
    expect(await storedChatMessages(app(), group.id)).toEqual(messages)
  })

  it('refuses: a chat you are not in 404, a channel not joined 403, a private chat 422, yourself 422, a past until 422, no such account 404', async () => {
    const group = await team()
    expectError(await ban(outsider, group.id, { userId: member.id }), 404, 'CHAT_NOT_FOUND')
    expectError(await ban(moderator, randomUUID(), { userId: member.id }), 404, 'CHAT_NOT_FOUND')
    expectError(await ban(owner, group.id, { userId: owner.id }), 422, 'CHAT_BAN_SELF')
    expectError(await ban(owner, group.id, { userId: member.id, until: new Date(Date.now() - 60_000).toISOString() }), 422, 'CHAT_BAN_INVALID')
    expectError(await ban(owner, group.id, { userId: randomUUID() }), 404, 'CHAT_USER_NOT_FOUND')
    await expectUnchanged(group.id, 3)

    const channel = await team('channel')
    expectError(await ban(outsider, channel.id, { userId: member.id }), 403, 'CHAT_NOT_PARTICIPANT')
    await expectUnchanged(channel.id, 3)

    const pair = await createChat(app(), owner, { type: 'private', participantIds: [member.id] })
    expectError(await ban(owner, pair.id, { userId: member.id }), 422, 'CHAT_PRIVATE_MEMBERS')
    expectError(await ban(moderator, pair.id, { userId: member.id }), 422, 'CHAT_PRIVATE_MEMBERS')
    await expectUnchanged(pair.id, 2)
  })

  it('refuses bad input: unknown fields, wrong types (400), non-JSON (415), no token (401)', async () => {
    const group = await team()
    for (const body of [{}, { userId: 'x' }, { userId: member.id, until: 'soon' }, { userId: member.id, reason: 'spam' }, { userId: 5 }]) {
      expectError(await ban(owner, group.id, body), 400, 'VALIDATION_FAILED')
    }
    const text = await app().inject({ method: 'POST', url: `/api/chats/${group.id}/bans`, headers: { ...owner.headers, 'content-type': 'text/plain' }, payload: 'x' })
    expect(text.statusCode).toBe(415)
    expect((await app().inject({ method: 'POST', url: `/api/chats/${group.id}/bans`, payload: { userId: member.id } })).statusCode).toBe(401)
    await expectUnchanged(group.id, 3)
  })
})

describe('DELETE /api/chats/:id/bans/:userId', () => {
  it('lifts a ban (204): they may be added again; again 404 CHAT_BAN_NOT_FOUND', async () => {
    const group = await team()
    expect((await ban(owner, group.id, { userId: outsider.id })).statusCode).toBe(201)
    const response = await unban(admin, group.id, outsider.id)
    expect(response.statusCode, response.body).toBe(204)
    expect(await storedBans(group.id)).toEqual([])
    expect((await add(owner, group.id, [outsider.id])).statusCode).toBe(201)
    expectError(await unban(owner, group.id, outsider.id), 404, 'CHAT_BAN_NOT_FOUND')
  })

  it('refuses a member 403, an outsider 404, a bad id 400; a platform moderator may lift it', async () => {
    const group = await team()
    const banned = await registerUser(app(), { name: 'Ben Banned' })
    expect((await ban(owner, group.id, { userId: banned.id })).statusCode).toBe(201)
    expectError(await unban(member, group.id, banned.id), 403, 'CHAT_ROLE_FORBIDDEN')
    expectError(await unban(outsider, group.id, banned.id), 404, 'CHAT_NOT_FOUND')
    expectError(await unban(owner, group.id, 'nope'), 400, 'VALIDATION_FAILED')
    expect(await storedBans(group.id)).toHaveLength(1)
    expect((await unban(moderator, group.id, banned.id)).statusCode).toBe(204)
    expect(await storedBans(group.id)).toEqual([])
  })
})

describe('GET /api/chats/:id/bans', () => {
  it('lists the bans in force, most recent first, by page; expired ones are left out', async () => {
    const group = await team()
    const [a, b, c] = [await registerUser(app()), await registerUser(app()), await registerUser(app())]
    for (const user of [a, b, c]) expect((await ban(owner, group.id, { userId: user.id })).statusCode).toBe(201)
    await setBanUntil(app(), group.id, new Date(Date.now() - 1000), b.id)
    const first = await listBans(admin, group.id, '?limit=1')
    expect(first.statusCode, first.body).toBe(200)
    const page1 = first.json<{ items: BanView[]; nextCursor: string | null }>()
    expect(page1.items.map((item) => item.userId)).toEqual([c.id])
    const page2 = (await listBans(admin, group.id, `?limit=1&cursor=${page1.nextCursor}`)).json<{ items: BanView[]; nextCursor: string | null }>()
    expect(page2).toEqual({ items: [expect.objectContaining({ userId: a.id })], nextCursor: null })
    expect((await listBans(moderator, group.id)).json<{ items: BanView[] }>().items).toHaveLength(2)
  })

  it('refuses a member 403, an outsider 404, a bad cursor 400', async () => {
    const group = await team()
    expectError(await listBans(member, group.id), 403, 'CHAT_ROLE_FORBIDDEN')
    expectError(await listBans(outsider, group.id), 404, 'CHAT_NOT_FOUND')
    expectError(await listBans(owner, group.id, '?cursor=zzz'), 400, 'INVALID_CURSOR')
  })
})
