import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { availableModules } from '../../app.js'
import type { ModuleDefinition } from '../../core/module.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { banFromChat, chatMessages, insertParticipants, queriesSoFar, setMessageAt } from '../../../test/helpers/chat-chats.js'
import { blockUser, chatsCreatedBy, createChat, sendMessage, setChat, setParticipant, storedChat, storedParticipant, storedParticipants, type TestChat } from '../../../test/helpers/chat.js'
import { image, uploadFile } from '../../../test/helpers/files.js'
import { expectError } from '../../../test/helpers/identity.js'
import { TestSocket, type WsMessage } from '../../../test/helpers/ws-client.js'
import type { ChatApi } from './api.js'
import { MAX_USERS_PER_REQUEST } from './domain.js'
import { exportChat } from './chat-export.js'
import { chatModule } from './index.js'
import type { ChatSettings } from './settings.js'

/** The chat module as the app builds it, with a record of every participantsLeft hook call. */
const left: { chatId: string; userIds: readonly string[] }[] = []
let api: ChatApi
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

let ada: TestUser
let bob: TestUser
let cy: TestUser

beforeAll(async () => {
  ada = await registerUser(app(), { name: 'Ada Lovelace' })
  bob = await registerUser(app(), { name: 'Bob Byte' })
  cy = await registerUser(app(), { name: 'Cy Cipher' })
})

const post = (as: TestUser, payload: unknown) => app().inject({ method: 'POST', url: '/api/chats', headers: as.headers, payload: payload as Record<string, unknown> })
const getChat = (as: TestUser | undefined, id: string) => app().inject({ url: `/api/chats/${id}`, headers: as?.headers ?? {} })

describe('POST /api/chats', () => {
  it('creates a group: the creator owns it, the others are members, and the view says so', async () => {
    const response = await post(ada, { type: 'group', title: '  Team  ', description: 'Planning', participantIds: [bob.id, cy.id, bob.id, ada.id] })
    expect(response.statusCode, response.body).toBe(201)
    const chat = response.json()
    expect(chat).toEqual({
      id: expect.any(String),
      type: 'group',
      title: 'Team',
      description: 'Planning',
      avatarFileId: null,
      settings: { slowModeSeconds: 0, membersCanPost: false },
      archived: false,
      lastSeq: 0,
      lastMessageAt: null,
      version: 1,
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: expect.stringMatching(/Z$/),
      me: { role: 'owner', lastReadSeq: 0, unreadCount: 0, mentionCount: 0, notificationLevel: null, mutedUntil: null, archived: false },
      participantCount: 3,
    })
    const rows = await storedParticipants(app(), chat.id)
    expect(Object.fromEntries(rows.map((row) => [row.userId, row.role]))).toEqual({ [ada.id]: 'owner', [bob.id]: 'member', [cy.id]: 'member' })
    // No system messages for the first members.
    expect(await storedChat(app(), chat.id)).toMatchObject({ lastSeq: 0, countedSeq: 0, createdBy: ada.id })
    expect((await getChat(bob, chat.id)).json()).toMatchObject({ id: chat.id, me: { role: 'member' }, participantCount: 3 })
  })

  it('creates a channel with only its owner', async () => {
    const chat = await createChat(app(), ada, { type: 'channel', title: 'News' })
    expect(chat).toMatchObject({ type: 'channel', title: 'News', participantCount: 1, me: { role: 'owner' } })
  })

  it('creates a private chat titled with the other person\'s name; creating it again (either way round) answers 200 with the same chat', async () => {
    const a = await registerUser(app(), { name: 'Priv A' })
    const b = await registerUser(app(), { name: 'Priv B' })
    const first = await post(a, { type: 'private', participantIds: [b.id] })
    expect(first.statusCode, first.body).toBe(201)
    expect(first.json()).toMatchObject({ type: 'private', title: 'Priv B', description: null, participantCount: 2, me: { role: 'owner' } })
    const again = await post(a, { type: 'private', participantIds: [b.id] })
    expect(again.statusCode).toBe(200)
    expect(again.json().id).toBe(first.json().id)
    const reverse = await post(b, { type: 'private', participantIds: [a.id] })
    expect(reverse.statusCode).toBe(200)
    expect(reverse.json()).toMatchObject({ id: first.json().id, title: 'Priv A', me: { role: 'member' } })
    expect(await chatsCreatedBy(app(), a.id)).toHaveLength(1)
  })

  it('opening a private chat from both sides at once makes one chat', async () => {
    const a = await loginAs(app())
    const b = await loginAs(app())
    const [one, two] = await Promise.all([post(a, { type: 'private', participantIds: [b.id] }), post(b, { type: 'private', participantIds: [a.id] })])
    expect([one.statusCode, two.statusCode].sort()).toEqual([200, 201])
    expect(one.json().id).toBe(two.json().id)
  })

  it('creating a private chat again shows it again to the one who had hidden it', async () => {
    const a = await loginAs(app())
    const b = await loginAs(app())
    const chat = await createChat(app(), a, { type: 'private', participantIds: [b.id] })
    await setParticipant(app(), chat.id, a.id, { hidden: true })
    expect((await post(a, { type: 'private', participantIds: [b.id] })).statusCode).toBe(200)
    expect((await storedParticipant(app(), chat.id, a.id))!.hidden).toBe(false)
  })

  it('refuses a private chat with someone who blocked the creator (403 CHAT_BLOCKED), and leaves blockers out of groups', async () => {
    const a = await loginAs(app())
    const blocker = await loginAs(app())
    const other = await loginAs(app())
    await blockUser(app(), blocker, a)
    expectError(await post(a, { type: 'private', participantIds: [blocker.id] }), 403, 'CHAT_BLOCKED')
    expect(await chatsCreatedBy(app(), a.id)).toEqual([])
    const group = await createChat(app(), a, { participantIds: [blocker.id, other.id] })
    expect(group.participantCount).toBe(2)
    expect((await storedParticipants(app(), group.id)).map((row) => row.userId).sort()).toEqual([a.id, other.id].sort())
    // The one who blocked may still open it the other way.
    expect((await post(blocker, { type: 'private', participantIds: [a.id] })).statusCode).toBe(201)
  })

  it('refuses unknown and deleted accounts (422 CHAT_USER_UNKNOWN) and stores nothing', async () => {
    const a = await loginAs(app())
    const gone = await loginAs(app())
    const deleted = await app().inject({ method: 'DELETE', url: `/api/users/${gone.id}`, headers: gone.headers })
    expect(deleted.statusCode, deleted.body).toBeLessThan(300)
    const nobody = randomUUID()
    const error = expectError(await post(a, { type: 'group', title: 'X', participantIds: [bob.id, nobody] }), 422, 'CHAT_USER_UNKNOWN')
    expect(error.details).toEqual({ userIds: [nobody] })
    expectError(await post(a, { type: 'private', participantIds: [gone.id] }), 422, 'CHAT_USER_UNKNOWN')
    expect(await chatsCreatedBy(app(), a.id)).toEqual([])
  })

  it('refuses a private chat naming other than exactly one other person (422 CHAT_PRIVATE_MEMBERS)', async () => {
    for (const participantIds of [[], [ada.id], [bob.id, cy.id]]) {
      expectError(await post(ada, { type: 'private', participantIds }), 422, 'CHAT_PRIVATE_MEMBERS')
    }
  })

  it('refuses bad bodies with 400 VALIDATION_FAILED and stores nothing', async () => {
    const a = await loginAs(app())
    const bodies = [
      { type: 'group', participantIds: [] },
      { type: 'channel', title: '   ', participantIds: [] },
      { type: 'private', title: 'Hi', participantIds: [bob.id] },
      { type: 'private', description: 'Hi', participantIds: [bob.id] },
      { type: 'room', title: 'X', participantIds: [] },
      { type: 'group', title: 'X', participantIds: bob.id },
      { type: 'group', title: 'X', participantIds: ['not-a-uuid'] },
      { type: 'group', title: 'X' },
      { type: 'group', title: 'X', participantIds: [], colour: 'red' },
      { type: 'group', title: 'x'.repeat(201), participantIds: [] },
      { type: 'group', title: 'X', participantIds: Array.from({ length: MAX_USERS_PER_REQUEST + 1 }, () => randomUUID()) },
    ]
    for (const payload of bodies) expectError(await post(a, payload), 400, 'VALIDATION_FAILED')
    expect(await chatsCreatedBy(app(), a.id)).toEqual([])
  })

  it('needs a signed-in account', async () => {
    expectError(await app().inject({ method: 'POST', url: '/api/chats', payload: { type: 'group', title: 'X', participantIds: [] } }), 401, 'UNAUTHENTICATED')
  })
})

describe('GET /api/chats/:id', () => {
  it('answers 404 for a private or group chat the caller is not in, and for unknown ids', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const pair = await createChat(app(), ada, { type: 'private', participantIds: [bob.id] })
    for (const id of [group.id, pair.id, randomUUID()]) expectError(await getChat(cy, id), 404, 'CHAT_NOT_FOUND')
    expectError(await getChat(cy, 'nope'), 400, 'VALIDATION_FAILED')
    expectError(await getChat(undefined, group.id), 401, 'UNAUTHENTICATED')
  })

  it('shows a channel to anyone, with `me` null for those not in it', async () => {
    const channel = await createChat(app(), ada, { type: 'channel', title: 'Open' })
    const response = await getChat(cy, channel.id)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ id: channel.id, type: 'channel', title: 'Open', me: null, participantCount: 1 })
  })

  it('answers 404 for a chat deleted for everyone', async () => {
    const channel = await createChat(app(), ada, { type: 'channel', title: 'Gone' })
    await setChat(app(), channel.id, { deletedAt: new Date() })
    expectError(await getChat(ada, channel.id), 404, 'CHAT_NOT_FOUND')
  })
})

describe('the chat:<id> room', () => {
  const sockets: TestSocket[] = []
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close()
  })
  async function connect(user: TestUser): Promise<TestSocket> {
    const { port } = app().server.address() as AddressInfo
    const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
    sockets.push(socket)
    await socket.ofType('ready')
    return socket
  }

  it('lets participants subscribe, and anyone to a channel; refuses others and deleted chats', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const channel = await createChat(app(), ada, { type: 'channel', title: 'Watch' })
    const gone = await createChat(app(), ada, { participantIds: [bob.id] })
    await setChat(app(), gone.id, { deletedAt: new Date() })
    const bobs = await connect(bob)
    const cys = await connect(cy)
    expect(await bobs.subscribe(`chat:${group.id}`)).toMatchObject({ type: 'subscribed' })
    expect(await cys.subscribe(`chat:${channel.id}`)).toMatchObject({ type: 'subscribed' })
    expect(await cys.subscribe(`chat:${group.id}`)).toMatchObject({ type: 'error' })
    expect(await bobs.subscribe(`chat:${gone.id}`)).toMatchObject({ type: 'error' })
    expect(await bobs.subscribe('chat:not-a-uuid')).toMatchObject({ type: 'error' })
  })

  it('tells each new member through their user room', async () => {
    const bobs = await connect(bob)
    expect(await bobs.subscribe(`user:${bob.id}`)).toMatchObject({ type: 'subscribed' })
    const chat = await createChat(app(), ada, { participantIds: [bob.id], title: 'Hello Bob' })
    const event = await bobs.next((m) => m.type === 'event' && m.event === 'chat.created' && (m.data as { id: string }).id === chat.id)
    expect(event.data).toMatchObject({ id: chat.id, title: 'Hello Bob', me: { role: 'member' }, participantCount: 2 })
  })
})

const listChats = (as: TestUser, query = '') => app().inject({ url: `/api/chats${query}`, headers: as.headers })
const putChat = (as: TestUser, id: string, payload: unknown) => app().inject({ method: 'PUT', url: `/api/chats/${id}`, headers: as.headers, payload: payload as Record<string, unknown> })
const deleteChat = (as: TestUser, id: string, query = '') => app().inject({ method: 'DELETE', url: `/api/chats/${id}${query}`, headers: as.headers })
const joinChat = (as: TestUser, id: string) => app().inject({ method: 'POST', url: `/api/chats/${id}/join`, headers: as.headers })
const readChat = (as: TestUser, id: string, payload: unknown) => app().inject({ method: 'POST', url: `/api/chats/${id}/read`, headers: as.headers, payload: payload as Record<string, unknown> })
const putPreferences = (as: TestUser, id: string, payload: unknown) =>
  app().inject({ method: 'PUT', url: `/api/chats/${id}/preferences`, headers: as.headers, payload: payload as Record<string, unknown> })
const storedMessages = (chatId: string) => chatMessages(app(), chatId)
const asText = (as: TestUser, method: 'PUT' | 'POST', url: string) =>
  app().inject({ method, url, headers: { ...as.headers, 'content-type': 'text/plain' }, payload: 'seq=1' })
function ids(response: Awaited<ReturnType<typeof listChats>>): string[] {
  expect(response.statusCode, response.body).toBe(200)
  return response.json<{ items: { id: string }[] }>().items.map((item) => item.id)
}

const openSockets: TestSocket[] = []
afterEach(() => {
  for (const socket of openSockets.splice(0)) socket.close()
})
async function watch(user: TestUser, room: string): Promise<TestSocket> {
  const { port } = app().server.address() as AddressInfo
  const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
  openSockets.push(socket)
  await socket.ofType('ready')
  expect(await socket.subscribe(room)).toMatchObject({ type: 'subscribed' })
  return socket
}
const eventOf = (socket: TestSocket, room: string, event: string, match: (data: Record<string, unknown>) => boolean = () => true): Promise<WsMessage> =>
  socket.next((m) => m.type === 'event' && m.room === room && m.event === event && match(m.data as Record<string, unknown>))

describe('GET /api/chats', () => {
  it('lists the caller\'s chats, newest activity first, with the last message and stored unread and mention counts', async () => {
    const me = await loginAs(app())
    const other = await registerUser(app(), { name: 'Listed Other' })
    const quiet = await createChat(app(), me, { participantIds: [other.id], title: 'Quiet' })
    const busy = await createChat(app(), other, { participantIds: [me.id], title: 'Busy' })
    const pair = await createChat(app(), me, { type: 'private', participantIds: [other.id] })
    const notMine = await createChat(app(), other, { participantIds: [], title: 'Not mine' })
    await sendMessage(app(), other, busy.id, 'one')
    await sendMessage(app(), other, busy.id, 'two')
    await sendMessage(app(), other, pair.id, 'private hello')
    // A mention, stored as the counter the list shows (set directly: the mention parser is the messages area's).
    await setParticipant(app(), busy.id, me.id, { mentionCount: 1 })
    const response = await listChats(me)
    expect(response.statusCode, response.body).toBe(200)
    const body = response.json<{ items: (TestChat & { lastMessage: { text: string; seq: number } | null })[]; nextCursor: string | null }>()
    expect(body.items.map((item) => item.id)).toEqual([pair.id, busy.id, quiet.id])
    expect(body.items.map((item) => item.id)).not.toContain(notMine.id)
    expect(body.nextCursor).toBeNull()
    const [first, second, third] = body.items
    expect(first).toMatchObject({ type: 'private', title: 'Listed Other', lastMessage: { text: 'private hello', seq: 1 }, me: { unreadCount: 1, mentionCount: 0 }, participantCount: 2 })
    expect(second).toMatchObject({ title: 'Busy', lastSeq: 2, lastMessage: { text: 'two', seq: 2, author: { id: other.id, name: 'Listed Other' } }, me: { role: 'member', unreadCount: 2, mentionCount: 1 } })
    expect(third).toMatchObject({ title: 'Quiet', lastMessage: null, me: { role: 'owner', unreadCount: 0, mentionCount: 0 } })
  })

  it('leaves out private chats hidden by the caller, and chats deleted for everyone', async () => {
    const me = await loginAs(app())
    const other = await loginAs(app())
    const pair = await createChat(app(), me, { type: 'private', participantIds: [other.id] })
    const gone = await createChat(app(), me, { participantIds: [other.id] })
    const kept = await createChat(app(), me, { participantIds: [other.id] })
    await setParticipant(app(), pair.id, me.id, { hidden: true })
    await setChat(app(), gone.id, { deletedAt: new Date() })
    expect(ids(await listChats(me))).toEqual([kept.id])
    expect(ids(await listChats(other))).toEqual([kept.id, pair.id])
  })

  it('filters by type, by the caller\'s archive and by title or, for private chats, the other person\'s name', async () => {
    const me = await loginAs(app())
    const tag = Math.random().toString(36).slice(2, 8)
    const zed = await registerUser(app(), { name: `Zed ${tag}` })
    const pair = await createChat(app(), me, { type: 'private', participantIds: [zed.id] })
    const group = await createChat(app(), me, { participantIds: [zed.id], title: `Zed's ${tag} group` })
    const channel = await createChat(app(), me, { type: 'channel', title: 'Announcements' })
    const archived = await createChat(app(), me, { title: '50%_off' })
    await setParticipant(app(), archived.id, me.id, { archived: true })
    expect(ids(await listChats(me, '?type=private'))).toEqual([pair.id])
    expect(ids(await listChats(me, '?type=channel'))).toEqual([channel.id])
    expect(ids(await listChats(me, '?archived=true'))).toEqual([archived.id])
    expect(ids(await listChats(me, '?archived=false'))).toEqual([channel.id, group.id, pair.id])
    expect(ids(await listChats(me, `?q=${tag.toUpperCase()}`))).toEqual([group.id, pair.id])
    expect(ids(await listChats(me, '?q=announce&type=channel'))).toEqual([channel.id])
    // LIKE's wildcards are taken literally.
    expect(ids(await listChats(me, `?q=${encodeURIComponent('%_')}`))).toEqual([archived.id])
    expect(ids(await listChats(me, `?q=${encodeURIComponent('0%')}&archived=false`))).toEqual([])
  })

  it('pages by an opaque cursor, each chat once, in order; refuses a bad cursor, limit or filter with 400', async () => {
    const me = await loginAs(app())
    const created: string[] = []
    for (let i = 0; i < 5; i++) created.push((await createChat(app(), me)).id)
    await sendMessage(app(), me, created[1]!, 'bump')
    const expected = [created[1]!, ...[...created].reverse().filter((id) => id !== created[1])]
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: Awaited<ReturnType<typeof listChats>> = await listChats(me, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.statusCode, page.body).toBe(200)
      const body = page.json<{ items: { id: string }[]; nextCursor: string | null }>()
      expect(body.items.length).toBeLessThanOrEqual(2)
      seen.push(...body.items.map((item) => item.id))
      cursor = body.nextCursor
    } while (cursor)
    expect(seen).toEqual(expected)
    expectError(await listChats(me, '?cursor=nonsense'), 400, 'INVALID_CURSOR')
    for (const query of ['?limit=0', '?limit=201', '?limit=x', '?type=room', '?archived=maybe', '?q=', `?q=${'x'.repeat(101)}`, '?colour=red']) {
      expectError(await listChats(me, query), 400, 'VALIDATION_FAILED')
    }
    expectError(await app().inject({ url: '/api/chats' }), 401, 'UNAUTHENTICATED')
  })

  it('makes the same number of queries for 2 chats as for 10', async () => {
    const few = await loginAs(app())
    const many = await loginAs(app())
    const people = await Promise.all(Array.from({ length: 5 }, () => loginAs(app())))
    async function fill(user: TestUser, pairs: number, groups: number) {
      for (const other of people.slice(0, pairs)) {
        const pair = await createChat(app(), user, { type: 'private', participantIds: [other.id] })
        await sendMessage(app(), other, pair.id, `hi ${user.id}`)
      }
      for (let i = 0; i < groups; i++) {
        const group = await createChat(app(), user, { participantIds: people.map((p) => p.id) })
        await sendMessage(app(), people[i % people.length]!, group.id, 'hello')
      }
    }
    await fill(few, 1, 1)
    await fill(many, 5, 5)
    const queries = async (user: TestUser, expected: number): Promise<number> => {
      const counts: number[] = []
      for (let i = 0; i < 3; i++) {
        const before = queriesSoFar(app())
        const response = await listChats(user)
        counts.push(queriesSoFar(app()) - before)
        expect(response.json<{ items: unknown[] }>().items).toHaveLength(expected)
      }
      // The fewest of three: background work of other requests may add to one run's count.
      return Math.min(...counts)
    }
    const forFew = await queries(few, 2)
    const forMany = await queries(many, 10)
    expect(forMany).toBe(forFew)
    expect(forFew).toBeLessThanOrEqual(8)
  })
})

describe('PUT /api/chats/:id', () => {
  it('lets the owner change title, description, settings and archive; bumps the version, writes a title.changed system message and tells the room', async () => {
    const owner = await loginAs(app())
    const member = await loginAs(app())
    const group = await createChat(app(), owner, { participantIds: [member.id], title: 'Before' })
    const socket = await watch(member, `chat:${group.id}`)
    const list = await watch(member, `user:${member.id}`)
    const response = await putChat(owner, group.id, { version: 1, title: ' After ', description: 'About', settings: { slowModeSeconds: 30, membersCanPost: true } })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toMatchObject({
      id: group.id,
      title: 'After',
      description: 'About',
      settings: { slowModeSeconds: 30, membersCanPost: true },
      archived: false,
      version: 2,
      lastSeq: 1,
      me: { role: 'owner', unreadCount: 0 },
    })
    expect(await storedChat(app(), group.id)).toMatchObject({ title: 'After', description: 'About', slowModeSeconds: 30, membersCanPost: true, version: 2, lastSeq: 1, countedSeq: 0 })
    const [system] = await storedMessages(group.id)
    expect(system).toMatchObject({ seq: 1, type: 'system', authorId: null, system: { event: 'title.changed', title: 'After', previousTitle: 'Before', by: owner.id } })
    const updated = await eventOf(socket, `chat:${group.id}`, 'chat.updated')
    expect(updated.data).toMatchObject({ id: group.id, title: 'After', version: 2, me: null })
    expect((await eventOf(list, `user:${member.id}`, 'chat.updated')).data).toEqual(updated.data)
    expect((await eventOf(socket, `chat:${group.id}`, 'message.sent')).data).toMatchObject({ seq: 1, type: 'system' })
    // A system message is never unread.
    expect((await app().inject({ url: `/api/chats/${group.id}`, headers: member.headers })).json()).toMatchObject({ me: { unreadCount: 0 } })
    // No title change, no system message.
    expect((await putChat(owner, group.id, { version: 2, archived: true, description: null })).json()).toMatchObject({ archived: true, description: null, version: 3, lastSeq: 1 })
  })

  it('lets an admin change it; an archived chat is read-only until unarchived', async () => {
    const owner = await loginAs(app())
    const admin = await loginAs(app())
    const group = await createChat(app(), owner, { participantIds: [admin.id] })
    await setParticipant(app(), group.id, admin.id, { role: 'admin' })
    expect((await putChat(admin, group.id, { version: 1, archived: true })).statusCode).toBe(200)
    const send = await app().inject({ method: 'POST', url: `/api/chats/${group.id}/messages`, headers: owner.headers, payload: { text: 'hello?' } })
    expectError(send, 409, 'CHAT_ARCHIVED')
    expect((await putChat(admin, group.id, { version: 2, archived: false })).json()).toMatchObject({ archived: false, version: 3 })
    await sendMessage(app(), owner, group.id, 'back')
  })

  it('refuses members (403), non-participants (404 for a group, 403 for a channel) and private titles (400), changing nothing', async () => {
    const owner = await loginAs(app())
    const member = await loginAs(app())
    const stranger = await loginAs(app())
    const group = await createChat(app(), owner, { participantIds: [member.id], title: 'Stays' })
    const channel = await createChat(app(), owner, { type: 'channel', title: 'Channel stays' })
    const pair = await createChat(app(), owner, { type: 'private', participantIds: [member.id] })
    expectError(await putChat(member, group.id, { version: 1, title: 'Mine now' }), 403, 'CHAT_ROLE_FORBIDDEN')
    expectError(await putChat(stranger, group.id, { version: 1, title: 'Mine now' }), 404, 'CHAT_NOT_FOUND')
    expectError(await putChat(stranger, pair.id, { version: 1, archived: true }), 404, 'CHAT_NOT_FOUND')
    expectError(await putChat(stranger, channel.id, { version: 1, title: 'Mine now' }), 403, 'CHAT_NOT_PARTICIPANT')
    expectError(await putChat(owner, randomUUID(), { version: 1, title: 'X' }), 404, 'CHAT_NOT_FOUND')
    expectError(await putChat(owner, pair.id, { version: 1, title: 'Us' }), 400, 'VALIDATION_FAILED')
    expect(await storedChat(app(), group.id)).toMatchObject({ title: 'Stays', version: 1, lastSeq: 0 })
    expect(await storedChat(app(), channel.id)).toMatchObject({ title: 'Channel stays', version: 1 })
    expect(await storedChat(app(), pair.id)).toMatchObject({ title: null, archived: false, version: 1 })
    // A private chat's settings and archive may change (by its owner, who opened it); the room's view has no title.
    const socket = await watch(member, `chat:${pair.id}`)
    expect((await putChat(owner, pair.id, { version: 1, archived: true })).json()).toMatchObject({ archived: true, title: expect.any(String) })
    expect((await eventOf(socket, `chat:${pair.id}`, 'chat.updated')).data).toMatchObject({ id: pair.id, archived: true, title: null, me: null })
  })

  it('answers 409 VERSION_CONFLICT with the current chat for a stale version, changing nothing', async () => {
    const owner = await loginAs(app())
    const group = await createChat(app(), owner, { title: 'V1' })
    expect((await putChat(owner, group.id, { version: 1, title: 'V2' })).statusCode).toBe(200)
    const error = expectError(await putChat(owner, group.id, { version: 1, title: 'Stale' }), 409, 'VERSION_CONFLICT')
    expect(error.details.current).toMatchObject({ id: group.id, title: 'V2', version: 2 })
    expect(await storedChat(app(), group.id)).toMatchObject({ title: 'V2', version: 2, lastSeq: 1 })
  })

  it.skipIf(inject('databaseServer') === 'embedded')('two changes at the same version: one wins, the other is 409', async () => {
    const owner = await loginAs(app())
    const group = await createChat(app(), owner, { title: 'Race' })
    const [a, b] = await Promise.all([putChat(owner, group.id, { version: 1, title: 'A' }), putChat(owner, group.id, { version: 1, title: 'B' })])
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409])
    expect(await storedChat(app(), group.id)).toMatchObject({ version: 2, lastSeq: 1 })
  })

  it('sets an avatar from an image of one\'s own; refuses another\'s file or none (422 CHAT_AVATAR_INVALID)', async () => {
    const owner = await loginAs(app())
    const other = await loginAs(app())
    const group = await createChat(app(), owner)
    const upload = async (user: TestUser) => {
      const response = await uploadFile(app(), user, { content: await image('png', 8, 8), filename: 'a.png', type: 'image/png' })
      expect(response.statusCode, response.body).toBe(201)
      return response.json<{ id: string }>().id
    }
    const mine = await upload(owner)
    const theirs = await upload(other)
    expectError(await putChat(owner, group.id, { version: 1, avatarFileId: theirs }), 422, 'CHAT_AVATAR_INVALID')
    expectError(await putChat(owner, group.id, { version: 1, avatarFileId: randomUUID() }), 422, 'CHAT_AVATAR_INVALID')
    expect((await storedChat(app(), group.id))!.avatarFileId).toBeNull()
    expect((await putChat(owner, group.id, { version: 1, avatarFileId: mine })).json()).toMatchObject({ avatarFileId: mine, version: 2 })
    // The chat's participants may read its avatar; others may not.
    const member = await loginAs(app())
    await insertParticipants(app(), [{ chatId: group.id, userId: member.id, role: 'member' }])
    expect((await app().inject({ url: `/api/files/${mine}/content`, headers: member.headers })).statusCode).toBe(200)
    expect((await app().inject({ url: `/api/files/${mine}/content`, headers: other.headers })).statusCode).toBe(404)
    expect((await putChat(owner, group.id, { version: 2, avatarFileId: null })).json()).toMatchObject({ avatarFileId: null, version: 3 })
  })

  it('refuses bad bodies with 400, and anything but JSON with 415', async () => {
    const owner = await loginAs(app())
    const group = await createChat(app(), owner, { title: 'Body' })
    const bodies = [
      { title: 'No version' },
      { version: 1 },
      { version: 0, title: 'X' },
      { version: '1', title: 'X' },
      { version: 1, title: '   ' },
      { version: 1, title: 7 },
      { version: 1, colour: 'red' },
      { version: 1, settings: { slowModeSeconds: -1 } },
      { version: 1, settings: { slowModeSeconds: 86_401 } },
      { version: 1, settings: { membersCanPost: 'yes' } },
      { version: 1, settings: { loud: true } },
      { version: 1, settings: {} },
      { version: 1, archived: 'true' },
      { version: 1, avatarFileId: 'nope' },
    ]
    for (const payload of bodies) expectError(await putChat(owner, group.id, payload), 400, 'VALIDATION_FAILED')
    expectError(await asText(owner, 'PUT', `/api/chats/${group.id}`), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(await storedChat(app(), group.id)).toMatchObject({ title: 'Body', version: 1 })
  })
})

describe('DELETE /api/chats/:id', () => {
  it('a member leaves: the row goes, access ends (404), the room hears participant.removed and member.left, the hook runs', async () => {
    const owner = await loginAs(app())
    const member = await loginAs(app())
    const group = await createChat(app(), owner, { participantIds: [member.id] })
    const socket = await watch(owner, `chat:${group.id}`)
    const leaving = await watch(member, `chat:${group.id}`)
    const response = await deleteChat(member, group.id)
    expect(response.statusCode, response.body).toBe(204)
    // The leaver's open subscription ends too.
    expect(await leaving.next((m) => m.type === 'unsubscribed' && m.room === `chat:${group.id}`)).toMatchObject({ reason: 'revoked' })
    expect(await socket.next((m) => m.type === 'unsubscribed', 300).catch(() => null)).toBeNull()
    expect(await storedParticipant(app(), group.id, member.id)).toBeUndefined()
    expectError(await app().inject({ url: `/api/chats/${group.id}`, headers: member.headers }), 404, 'CHAT_NOT_FOUND')
    expectError(await deleteChat(member, group.id), 404, 'CHAT_NOT_FOUND')
    expect(ids(await listChats(member))).not.toContain(group.id)
    expect((await eventOf(socket, `chat:${group.id}`, 'participant.removed')).data).toMatchObject({ chatId: group.id, userId: member.id })
    expect((await eventOf(socket, `chat:${group.id}`, 'message.sent')).data).toMatchObject({ type: 'system', system: { event: 'member.left', userId: member.id } })
    await expect.poll(() => left.find((call) => call.chatId === group.id)).toEqual({ chatId: group.id, userIds: [member.id] })
    expect(await storedChat(app(), group.id)).toMatchObject({ deletedAt: null, lastSeq: 1, countedSeq: 0 })
  })

  it('an owner leaving hands the chat to the oldest admin, else to the oldest member', async () => {
    const owner = await loginAs(app())
    const [m1, m2, a1, a2] = await Promise.all([loginAs(app()), loginAs(app()), loginAs(app()), loginAs(app())])
    const group = await createChat(app(), owner, { participantIds: [] })
    const t = Date.now()
    await insertParticipants(app(), [
      { chatId: group.id, userId: m1.id, role: 'member', joinedAt: new Date(t + 1000) },
      { chatId: group.id, userId: a2.id, role: 'admin', joinedAt: new Date(t + 4000) },
      { chatId: group.id, userId: a1.id, role: 'admin', joinedAt: new Date(t + 3000) },
      { chatId: group.id, userId: m2.id, role: 'member', joinedAt: new Date(t + 2000) },
    ])
    expect((await deleteChat(owner, group.id)).statusCode).toBe(204)
    expect((await storedParticipant(app(), group.id, a1.id))!.role).toBe('owner')
    expect((await deleteChat(a1, group.id)).statusCode).toBe(204)
    expect((await storedParticipant(app(), group.id, a2.id))!.role).toBe('owner')
    expect((await deleteChat(a2, group.id)).statusCode).toBe(204)
    expect((await storedParticipant(app(), group.id, m1.id))!.role).toBe('owner')
    expect((await storedParticipant(app(), group.id, m2.id))!.role).toBe('member')
  })

  it('the last one out deletes the chat', async () => {
    const owner = await loginAs(app())
    const channel = await createChat(app(), owner, { type: 'channel', title: 'Empty soon' })
    expect((await deleteChat(owner, channel.id)).statusCode).toBe(204)
    expect((await storedChat(app(), channel.id))!.deletedAt).not.toBeNull()
    expectError(await app().inject({ url: `/api/chats/${channel.id}`, headers: owner.headers }), 404, 'CHAT_NOT_FOUND')
  })

  it('a private chat is hidden for the caller only, and comes back with a new message', async () => {
    const me = await loginAs(app())
    const other = await loginAs(app())
    const pair = await createChat(app(), me, { type: 'private', participantIds: [other.id] })
    const mine = await watch(me, `user:${me.id}`)
    expect((await deleteChat(me, pair.id)).statusCode).toBe(204)
    expect((await eventOf(mine, `user:${me.id}`, 'chat.deleted')).data).toEqual({ id: pair.id, scope: 'me' })
    expect(await storedParticipant(app(), pair.id, me.id)).toMatchObject({ hidden: true })
    // Still theirs to open (it is hidden, not left).
    expect((await app().inject({ url: `/api/chats/${pair.id}`, headers: me.headers })).statusCode).toBe(200)
    expect(ids(await listChats(me))).not.toContain(pair.id)
    expect(ids(await listChats(other))).toContain(pair.id)
    await sendMessage(app(), other, pair.id, 'still there?')
    expect(ids(await listChats(me))).toContain(pair.id)
    expect((await storedParticipants(app(), pair.id)).length).toBe(2)
  })

  it('scope=everyone by the owner deletes the chat for all at once and tells the room; a private pair may then open a new chat', async () => {
    const owner = await loginAs(app())
    const member = await loginAs(app())
    const group = await createChat(app(), owner, { participantIds: [member.id] })
    const socket = await watch(member, `chat:${group.id}`)
    expect((await deleteChat(owner, group.id, '?scope=everyone')).statusCode).toBe(204)
    expect((await eventOf(socket, `chat:${group.id}`, 'chat.deleted')).data).toEqual({ id: group.id, scope: 'everyone' })
    expect(await socket.next((m) => m.type === 'unsubscribed' && m.room === `chat:${group.id}`)).toMatchObject({ reason: 'revoked' })
    for (const user of [owner, member]) expectError(await app().inject({ url: `/api/chats/${group.id}`, headers: user.headers }), 404, 'CHAT_NOT_FOUND')
    expect(ids(await listChats(member))).not.toContain(group.id)
    await expect.poll(() => left.find((call) => call.chatId === group.id)?.userIds.toSorted()).toEqual([owner.id, member.id].sort())

    const pair = await createChat(app(), owner, { type: 'private', participantIds: [member.id] })
    expect((await deleteChat(member, pair.id, '?scope=everyone')).statusCode).toBe(204)
    const again = await app().inject({ method: 'POST', url: '/api/chats', headers: member.headers, payload: { type: 'private', participantIds: [owner.id] } })
    expect(again.statusCode, again.body).toBe(201)
    expect(again.json().id).not.toBe(pair.id)
  })

  it('refuses scope=everyone to admins and members (403), strangers (404) and a bad scope (400), changing nothing', async () => {
    const owner = await loginAs(app())
    const admin = await loginAs(app())
    const member = await loginAs(app())
    const stranger = await loginAs(app())
    const group = await createChat(app(), owner, { participantIds: [admin.id, member.id] })
    await setParticipant(app(), group.id, admin.id, { role: 'admin' })
    expectError(await deleteChat(admin, group.id, '?scope=everyone'), 403, 'CHAT_ROLE_FORBIDDEN')
    expectError(await deleteChat(member, group.id, '?scope=everyone'), 403, 'CHAT_ROLE_FORBIDDEN')
    expectError(await deleteChat(stranger, group.id, '?scope=everyone'), 404, 'CHAT_NOT_FOUND')
    expectError(await deleteChat(stranger, group.id), 404, 'CHAT_NOT_FOUND')
    expectError(await deleteChat(owner, group.id, '?scope=all'), 400, 'VALIDATION_FAILED')
    expectError(await deleteChat(owner, group.id, '?colour=red'), 400, 'VALIDATION_FAILED')
    expect(await storedChat(app(), group.id)).toMatchObject({ deletedAt: null })
    expect(await storedParticipants(app(), group.id)).toHaveLength(3)
  })
})

describe('POST /api/chats/:id/join', () => {
  it('joins a public channel as a member, with everything before read, a member.joined message and participant.added', async () => {
    const owner = await loginAs(app())
    const joiner = await loginAs(app())
    const channel = await createChat(app(), owner, { type: 'channel', title: 'Join me' })
    await sendMessage(app(), owner, channel.id, 'before you came')
    const socket = await watch(owner, `chat:${channel.id}`)
    const response = await joinChat(joiner, channel.id)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toMatchObject({ id: channel.id, participantCount: 2, lastSeq: 2, me: { role: 'member', lastReadSeq: 1, unreadCount: 0, mentionCount: 0 } })
    expect(await storedParticipant(app(), channel.id, joiner.id)).toMatchObject({ role: 'member', joinedSeq: 1 })
    expect((await storedMessages(channel.id)).at(-1)).toMatchObject({ seq: 2, type: 'system', system: { event: 'member.joined', userId: joiner.id } })
    expect((await eventOf(socket, `chat:${channel.id}`, 'participant.added')).data).toMatchObject({ chatId: channel.id, userId: joiner.id, role: 'member' })
    expect(ids(await listChats(joiner))).toEqual([channel.id])
  })

  it('refuses a member (409), a group or private chat one is not in (404), the banned (403) and an archived channel (409), changing nothing', async () => {
    const owner = await loginAs(app())
    const stranger = await loginAs(app())
    const banned = await loginAs(app())
    const channel = await createChat(app(), owner, { type: 'channel', title: 'Picky' })
    const group = await createChat(app(), owner, { participantIds: [] })
    const pair = await createChat(app(), owner, { type: 'private', participantIds: [banned.id] })
    expectError(await joinChat(owner, channel.id), 409, 'CHAT_ALREADY_MEMBER')
    expectError(await joinChat(stranger, group.id), 404, 'CHAT_NOT_FOUND')
    expectError(await joinChat(stranger, pair.id), 404, 'CHAT_NOT_FOUND')
    expectError(await joinChat(stranger, randomUUID()), 404, 'CHAT_NOT_FOUND')
    expectError(await joinChat(stranger, 'nope'), 400, 'VALIDATION_FAILED')
    await banFromChat(app(), channel.id, banned.id, owner.id)
    expectError(await joinChat(banned, channel.id), 403, 'CHAT_BANNED')
    // An expired ban no longer stops anyone.
    await banFromChat(app(), channel.id, banned.id, owner.id, new Date(Date.now() - 1000))
    expect((await joinChat(banned, channel.id)).statusCode).toBe(200)
    const archived = await createChat(app(), owner, { type: 'channel', title: 'Closed' })
    await setChat(app(), archived.id, { archived: true })
    expectError(await joinChat(stranger, archived.id), 409, 'CHAT_ARCHIVED')
    expect(await storedParticipants(app(), group.id)).toHaveLength(1)
    expect(await storedParticipants(app(), archived.id)).toHaveLength(1)
    expect(await storedChat(app(), archived.id)).toMatchObject({ lastSeq: 0 })
  })

  it.skipIf(inject('databaseServer') === 'embedded')('joining twice at once: one joins, the other is 409, one system message', async () => {
    const owner = await loginAs(app())
    const joiner = await loginAs(app())
    const channel = await createChat(app(), owner, { type: 'channel', title: 'Twice' })
    const [a, b] = await Promise.all([joinChat(joiner, channel.id), joinChat(joiner, channel.id)])
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409])
    expect(await storedMessages(channel.id)).toHaveLength(1)
  })
})

describe('POST /api/chats/:id/read', () => {
  it('moves the read mark forward, recounts unread and mentions from there, tells the room; never back, never past the end', async () => {
    const reader = await loginAs(app())
    const writer = await loginAs(app())
    const group = await createChat(app(), writer, { participantIds: [reader.id] })
    for (const text of ['1', '2', '3', '4']) await sendMessage(app(), writer, group.id, text)
    // Mentions of the reader at seq 2 and 4, written as the messages area stores them.
    await setMessageAt(app(), group.id, 2, { mentions: [reader.id] })
    await setMessageAt(app(), group.id, 4, { mentions: [reader.id] })
    await setParticipant(app(), group.id, reader.id, { mentionCount: 2 })
    const socket = await watch(writer, `chat:${group.id}`)
    const response = await readChat(reader, group.id, { seq: 2 })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({ role: 'member', lastReadSeq: 2, unreadCount: 2, mentionCount: 1, notificationLevel: null, mutedUntil: null, archived: false })
    expect(await storedParticipant(app(), group.id, reader.id)).toMatchObject({ lastReadSeq: 2, readCount: 2, mentionCount: 1 })
    expect((await eventOf(socket, `chat:${group.id}`, 'message.read')).data).toEqual({ chatId: group.id, userId: reader.id, seq: 2 })
    // Backwards: nothing changes.
    expect((await readChat(reader, group.id, { seq: 1 })).json()).toMatchObject({ lastReadSeq: 2, unreadCount: 2, mentionCount: 1 })
    // Past the newest: stops at it.
    expect((await readChat(reader, group.id, { seq: 1000 })).json()).toMatchObject({ lastReadSeq: 4, unreadCount: 0, mentionCount: 0 })
    expect((await eventOf(socket, `chat:${group.id}`, 'message.read', (data) => data.seq === 4)).data).toMatchObject({ userId: reader.id })
    expect((await listChats(reader)).json<{ items: TestChat[] }>().items[0]).toMatchObject({ id: group.id, me: { lastReadSeq: 4, unreadCount: 0 } })
  })

  it.skipIf(inject('databaseServer') === 'embedded')('keeps the counts exact while messages with mentions arrive during reads', async () => {
    const tag = Math.random().toString(36).slice(2, 8)
    const reader = await registerUser(app(), { name: 'Racing Reader', username: `reader_${tag}` })
    const writer = await loginAs(app())
    const group = await createChat(app(), writer, { participantIds: [reader.id] })
    await sendMessage(app(), writer, group.id, 'start')
    const sends = Array.from({ length: 8 }, (_, i) => sendMessage(app(), writer, group.id, `@reader_${tag} ${i}`))
    const reads = Array.from({ length: 8 }, (_, i) => readChat(reader, group.id, { seq: i + 1 }))
    await Promise.all([...sends, ...reads])
    const row = (await storedParticipant(app(), group.id, reader.id))!
    const after = (await storedMessages(group.id)).filter((m) => m.seq > row.lastReadSeq)
    expect(row.mentionCount).toBe(after.filter((m) => m.mentions.includes(reader.id)).length)
    const chatRow = (await storedChat(app(), group.id))!
    expect(chatRow.countedSeq - row.readCount).toBe(after.filter((m) => m.type !== 'system').length)
  })

  it('does not count system messages as unread', async () => {
    const owner = await loginAs(app())
    const member = await loginAs(app())
    const group = await createChat(app(), owner, { participantIds: [member.id], title: 'Sys' })
    await sendMessage(app(), owner, group.id, 'one')
    expect((await putChat(owner, group.id, { version: 1, title: 'Sys 2' })).statusCode).toBe(200)
    await sendMessage(app(), owner, group.id, 'three')
    expect((await readChat(member, group.id, { seq: 2 })).json()).toMatchObject({ lastReadSeq: 2, unreadCount: 1 })
  })

  it('refuses strangers (404 group, 403 channel), bad bodies (400) and non-JSON (415)', async () => {
    const owner = await loginAs(app())
    const member = await loginAs(app())
    const stranger = await loginAs(app())
    const group = await createChat(app(), owner, { participantIds: [member.id] })
    const channel = await createChat(app(), owner, { type: 'channel', title: 'Readable' })
    await sendMessage(app(), owner, group.id, 'unread')
    expectError(await readChat(stranger, group.id, { seq: 1 }), 404, 'CHAT_NOT_FOUND')
    expectError(await readChat(stranger, channel.id, { seq: 1 }), 403, 'CHAT_NOT_PARTICIPANT')
    for (const payload of [{}, { seq: -1 }, { seq: 1.5 }, { seq: '1' }, { seq: 1, at: 'now' }]) expectError(await readChat(member, group.id, payload), 400, 'VALIDATION_FAILED')
    expectError(await asText(member, 'POST', `/api/chats/${group.id}/read`), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(await storedParticipant(app(), group.id, member.id)).toMatchObject({ lastReadSeq: 0, readCount: 0 })
    expect(await storedParticipants(app(), channel.id)).toHaveLength(1)
  })
})

describe('PUT /api/chats/:id/preferences', () => {
  it('sets the caller\'s notification level, mute and own archive, and only theirs', async () => {
    const me = await loginAs(app())
    const other = await loginAs(app())
    const group = await createChat(app(), other, { participantIds: [me.id] })
    const until = new Date(Date.now() + 3_600_000).toISOString()
    const response = await putPreferences(me, group.id, { notificationLevel: 'mentions', mutedUntil: until, archived: true })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({ role: 'member', lastReadSeq: 0, unreadCount: 0, mentionCount: 0, notificationLevel: 'mentions', mutedUntil: until, archived: true })
    expect(await storedParticipant(app(), group.id, me.id)).toMatchObject({ notificationLevel: 'mentions', mutedUntil: new Date(until), archived: true })
    expect(await storedParticipant(app(), group.id, other.id)).toMatchObject({ notificationLevel: null, mutedUntil: null, archived: false })
    expect(ids(await listChats(me, '?archived=true'))).toEqual([group.id])
    expect(ids(await listChats(other, '?archived=true'))).toEqual([])
    expect((await putPreferences(me, group.id, { notificationLevel: null, mutedUntil: null })).json()).toMatchObject({ notificationLevel: null, mutedUntil: null, archived: true })
  })

  it('refuses strangers (404 group, 403 channel), bad bodies (400) and non-JSON (415), changing nothing', async () => {
    const owner = await loginAs(app())
    const stranger = await loginAs(app())
    const group = await createChat(app(), owner)
    const channel = await createChat(app(), owner, { type: 'channel', title: 'Prefs' })
    expectError(await putPreferences(stranger, group.id, { archived: true }), 404, 'CHAT_NOT_FOUND')
    expectError(await putPreferences(stranger, channel.id, { archived: true }), 403, 'CHAT_NOT_PARTICIPANT')
    for (const payload of [{}, { notificationLevel: 'loud' }, { mutedUntil: 'tomorrow' }, { archived: 'yes' }, { archived: true, colour: 'red' }]) {
      expectError(await putPreferences(owner, group.id, payload), 400, 'VALIDATION_FAILED')
    }
    expectError(await asText(owner, 'PUT', `/api/chats/${group.id}/preferences`), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(await storedParticipant(app(), group.id, owner.id)).toMatchObject({ notificationLevel: null, mutedUntil: null, archived: false, version: 1 })
  })
})

describe('GET /api/chats/:id/export', () => {
  const getExport = (as: TestUser, id: string) => app().inject({ url: `/api/chats/${id}/export`, headers: as.headers })

  it('streams the whole history to the owner or an admin: the chat, its participants, every message in seq order', async () => {
    const owner = await loginAs(app())
    const admin = await registerUser(app(), { name: 'Export Admin' })
    const group = await createChat(app(), owner, { participantIds: [admin.id], title: 'Exported' })
    await setParticipant(app(), group.id, admin.id, { role: 'admin' })
    await sendMessage(app(), owner, group.id, 'first')
    expect((await putChat(owner, group.id, { version: 1, title: 'Exported 2' })).statusCode).toBe(200)
    await sendMessage(app(), admin, group.id, 'third')
    for (const user of [owner, admin]) {
      const response = await getExport(user, group.id)
      expect(response.statusCode, response.body).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      expect(response.headers['content-disposition']).toBe(`attachment; filename="chat-${group.id}.json"`)
      const body = response.json<{ exportedAt: string; chat: TestChat; participants: { userId: string; role: string; user: { name: string } }[]; messages: { seq: number; type: string; text: string | null }[] }>()
      expect(body.chat).toMatchObject({ id: group.id, title: 'Exported 2', lastSeq: 3 })
      expect(body.participants.map((p) => [p.userId, p.role]).sort()).toEqual([[owner.id, 'owner'], [admin.id, 'admin']].sort())
      expect(body.participants.find((p) => p.userId === admin.id)!.user.name).toBe('Export Admin')
      expect(body.messages.map((m) => [m.seq, m.type, m.text])).toEqual([[1, 'text', 'first'], [2, 'system', null], [3, 'text', 'third']])
    }
    const empty = await createChat(app(), owner)
    expect((await getExport(owner, empty.id)).json()).toMatchObject({ chat: { id: empty.id }, messages: [] })
  })

  it('reads the messages in batches, stopping at the newest message when it started', async () => {
    const owner = await loginAs(app())
    const group = await createChat(app(), owner)
    for (const text of ['a', 'b', 'c', 'd', 'e']) await sendMessage(app(), owner, group.id, text)
    const { body } = await exportChat(api.deps, { id: owner.id, role: 'user' }, group.id, 2)
    await sendMessage(app(), owner, group.id, 'after the start')
    let text = ''
    for await (const chunk of body) text += String(chunk)
    const parsed = JSON.parse(text) as { messages: { seq: number; text: string }[] }
    expect(parsed.messages.map((m) => m.text)).toEqual(['a', 'b', 'c', 'd', 'e'])
  })

  it('refuses members (403), strangers (404 for a group, 403 for a channel)', async () => {
    const owner = await loginAs(app())
    const member = await loginAs(app())
    const group = await createChat(app(), owner, { participantIds: [member.id] })
    const channel = await createChat(app(), owner, { type: 'channel', title: 'No export' })
    expectError(await getExport(member, group.id), 403, 'CHAT_ROLE_FORBIDDEN')
    expectError(await getExport(member, channel.id), 403, 'CHAT_NOT_PARTICIPANT')
    const stranger = await loginAs(app())
    expectError(await getExport(stranger, group.id), 404, 'CHAT_NOT_FOUND')
    expectError(await getExport(stranger, randomUUID()), 404, 'CHAT_NOT_FOUND')
  })
})

describe('the chats endpoints without an account', () => {
  it('answer 401', async () => {
    const id = randomUUID()
    const requests = [
      { method: 'GET' as const, url: '/api/chats' },
      { method: 'PUT' as const, url: `/api/chats/${id}`, payload: { version: 1, title: 'X' } },
      { method: 'DELETE' as const, url: `/api/chats/${id}` },
      { method: 'POST' as const, url: `/api/chats/${id}/join` },
      { method: 'POST' as const, url: `/api/chats/${id}/read`, payload: { seq: 1 } },
      { method: 'PUT' as const, url: `/api/chats/${id}/preferences`, payload: { archived: true } },
      { method: 'GET' as const, url: `/api/chats/${id}/export` },
    ]
    for (const request of requests) expectError(await app().inject(request), 401, 'UNAUTHENTICATED')
  })
})
