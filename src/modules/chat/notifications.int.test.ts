import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { availableModules } from '../../app.js'
import type { ModuleDefinition } from '../../core/module.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { createChat, sendMessage, setParticipant, storedChat } from '../../../test/helpers/chat.js'
import { expectError, outbox, queuedEmails, waitFor } from '../../../test/helpers/identity.js'
import { insertPushSubscription, jobsWhere, setUserSettings, storedNotification, storedNotifications, storedPushSubscriptions } from '../../../test/helpers/chat-notify.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'
import type { ChatApi } from './api.js'
import type { userSettings } from './db/schema.js'
import { digestJob } from './email-digest.service.js'
import { chatModule } from './index.js'
import type { NotificationView } from './notification.view.js'
import type { ChatSettings } from './settings.js'

/** The chat module as the app builds it, with its api kept for driving hooks and jobs directly. */
let api: ChatApi
const chat: ModuleDefinition<ChatApi, ChatSettings> = {
  ...chatModule,
  createApi: (ctx) => (api = chatModule.createApi(ctx)),
}
const app = useTestApp({
  modules: availableModules.map((m) => (m.name === 'chat' ? (chat as unknown as ModuleDefinition) : m)),
  // A short delay so the e-mail digest runs within a test; the job queue polls twice a second.
  env: { CHAT_EMAIL_DELAY_SECONDS: '1', JOBS_POLL_INTERVAL_MS: '500' },
  setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined),
})

let ada: TestUser
let bob: TestUser
let cy: TestUser
const tag = Math.random().toString(36).slice(2, 8)

beforeAll(async () => {
  ada = await registerUser(app(), { name: 'Ada Lovelace', username: `ada_${tag}` })
  bob = await registerUser(app(), { name: 'Bob Byte', username: `bob_${tag}` })
  cy = await registerUser(app(), { name: 'Cy Cipher', username: `cy_${tag}` })
})

const storedFor = (user: TestUser) => storedNotifications(app(), user.id)
/** The notifications a user has about one message (the hook that writes them has finished). */
async function about(user: TestUser, messageId: string) {
  await api.deps.hooks.settled()
  return (await storedFor(user)).filter((row) => row.data.messageId === messageId)
}
/** Sends, then waits for the background work the message started (notifications, pushes, digests). */
async function send(as: TestUser, chatId: string, body: Record<string, unknown> | string) {
  const message = await sendMessage(app(), as, chatId, body)
  await api.deps.hooks.settled()
  return message
}
const list = (as: TestUser | undefined, query = '') => app().inject({ url: `/api/notifications${query}`, headers: as?.headers ?? {} })
const markRead = (as: TestUser, id: string, extra: Record<string, unknown> = {}) => app().inject({ method: 'PUT', url: `/api/notifications/${id}/read`, headers: as.headers, ...extra })
const readAll = (as: TestUser, extra: Record<string, unknown> = {}) => app().inject({ method: 'PUT', url: '/api/notifications/read-all', headers: as.headers, ...extra })
const setSettings = (user: TestUser, values: Partial<typeof userSettings.$inferInsert>) => setUserSettings(app(), user.id, values)

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})
async function connect(user: TestUser): Promise<TestSocket> {
  const { port } = app().server.address() as AddressInfo
  const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
  sockets.push(socket)
  await socket.ofType('ready')
  expect(await socket.subscribe(`user:${user.id}`)).toMatchObject({ type: 'subscribed' })
  return socket
}

describe('notifications are stored', () => {
  it('for a mention in a group: the mentioned person gets one (also live in their user room), nobody else does', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id, cy.id], title: `Team ${tag}` })
    const bobs = await connect(bob)
    const message = await send(ada, group.id, `hello @bob_${tag}, have a look`)
    const [row, ...more] = await about(bob, message.id)
    expect(more).toEqual([])
    const expected: NotificationView = {
      id: row!.id,
      type: 'mention',
      title: `Ada Lovelace mentioned you in #Team ${tag}`,
      body: `hello @bob_${tag}, have a look`,
      data: { chatId: group.id, messageId: message.id, seq: message.seq },
      readAt: null,
      createdAt: expect.stringMatching(/Z$/),
    }
    const event = await bobs.next((m) => m.type === 'event' && m.event === 'notification.created')
    expect(event).toMatchObject({ room: `user:${bob.id}`, data: expected })
    expect((await list(bob)).json().items[0]).toEqual(expected)
    expect(await about(cy, message.id)).toEqual([])
    expect(await about(ada, message.id)).toEqual([])
  })

  it('for a reply to the user’s message; one notification per person even when they are also mentioned', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id, cy.id] })
    const original = await send(bob, group.id, 'a question')
    const reply = await send(ada, group.id, { text: 'an answer', replyToId: original.id })
    expect(await about(bob, reply.id)).toMatchObject([{ type: 'reply', title: `Ada Lovelace replied to you in #${group.title!}`, body: 'an answer' }])
    expect(await about(cy, reply.id)).toEqual([])

    const both = await send(cy, group.id, { text: `@bob_${tag} see above`, replyToId: original.id })
    expect(await about(bob, both.id)).toMatchObject([{ type: 'mention' }])
    // Replying to yourself notifies nobody.
    const own = await send(bob, group.id, { text: 'and more', replyToId: original.id })
    expect(await about(bob, own.id)).toEqual([])
  })

  it('for every message in a private chat, not for plain messages in a group', async () => {
    const dm = await createChat(app(), ada, { type: 'private', participantIds: [cy.id] })
    const message = await send(ada, dm.id, 'just us')
    expect(await about(cy, message.id)).toMatchObject([{ type: 'message', title: 'New message from Ada Lovelace', body: 'just us', data: { chatId: dm.id, messageId: message.id, seq: message.seq } }])
    expect(await about(ada, message.id)).toEqual([])

    const group = await createChat(app(), ada, { participantIds: [cy.id] })
    expect(await about(cy, (await send(ada, group.id, 'to everyone')).id)).toEqual([])
  })

  it('cuts a long text to 200 characters with an ellipsis, never splitting an emoji', async () => {
    const dm = await createChat(app(), bob, { type: 'private', participantIds: [cy.id] })
    const message = await send(bob, dm.id, '😀'.repeat(300))
    const [row] = await about(cy, message.id)
    expect([...row!.body]).toHaveLength(200)
    expect(row!.body).toBe(`${'😀'.repeat(199)}…`)
  })

  it('honours the chat’s level: `mentions` keeps mentions and replies only, `none` nothing', async () => {
    const dm = await createChat(app(), ada, { type: 'private', participantIds: [bob.id] })
    await setParticipant(app(), dm.id, bob.id, { notificationLevel: 'mentions' })
    expect(await about(bob, (await send(ada, dm.id, 'plain')).id)).toEqual([])
    expect(await about(bob, (await send(ada, dm.id, `@bob_${tag} mentioned`)).id)).toMatchObject([{ type: 'mention' }])

    await setParticipant(app(), dm.id, bob.id, { notificationLevel: 'none' })
    expect(await about(bob, (await send(ada, dm.id, `@bob_${tag} mentioned again`)).id)).toEqual([])
  })

  it('falls back to the user’s default level when the chat has none set', async () => {
    const quiet = await registerUser(app(), { username: `quiet_${tag}` })
    await setSettings(quiet, { defaultNotificationLevel: 'none' })
    const dm = await createChat(app(), ada, { type: 'private', participantIds: [quiet.id] })
    expect(await about(quiet, (await send(ada, dm.id, 'hello?')).id)).toEqual([])
    // The chat's own level wins over the default.
    await setParticipant(app(), dm.id, quiet.id, { notificationLevel: 'all' })
    expect(await about(quiet, (await send(ada, dm.id, 'hello!')).id)).toMatchObject([{ type: 'message' }])
  })

  it('honours mute until it ends', async () => {
    const dm = await createChat(app(), cy, { type: 'private', participantIds: [bob.id] })
    await setParticipant(app(), dm.id, bob.id, { mutedUntil: new Date(Date.now() + 3_600_000) })
    expect(await about(bob, (await send(cy, dm.id, `@bob_${tag} muted`)).id)).toEqual([])
    await setParticipant(app(), dm.id, bob.id, { mutedUntil: new Date(Date.now() - 1000) })
    expect(await about(bob, (await send(cy, dm.id, 'mute is over')).id)).toMatchObject([{ type: 'message' }])
  })

  it('for an invitation, naming the chat and the invitation', async () => {
    const group = await createChat(app(), ada, { title: `Invite ${tag}`, description: 'come along' })
    const [invitation] = await api.deps.store.repos.invitations.insertMany([{ chatId: group.id, userId: cy.id, invitedBy: ada.id }])
    const cys = await connect(cy)
    await api.deps.hooks.invitationCreated({ chat: (await storedChat(app(), group.id))!, invitation: invitation! })
    const rows = (await storedFor(cy)).filter((row) => row.data.invitationId === invitation!.id)
    expect(rows).toMatchObject([{ type: 'invitation', title: `Ada Lovelace invited you to #Invite ${tag}`, body: 'come along', data: { chatId: group.id, invitationId: invitation!.id } }])
    const event = await cys.next((m) => m.type === 'event' && m.event === 'notification.created')
    expect(event.data).toMatchObject({ id: rows[0]!.id, type: 'invitation' })
  })
})

describe('GET /api/notifications', () => {
  let reader: TestUser
  let ids: string[]
  beforeAll(async () => {
    reader = await registerUser(app(), { name: 'Reader' })
    const dm = await createChat(app(), ada, { type: 'private', participantIds: [reader.id] })
    ids = []
    for (const text of ['one', 'two', 'three']) ids.push((await about(reader, (await send(ada, dm.id, text)).id))[0]!.id)
  })

  it('lists newest first, by cursor', async () => {
    const first = await list(reader, '?limit=2')
    expect(first.statusCode).toBe(200)
    expect(first.json().items.map((n: NotificationView) => n.body)).toEqual(['three', 'two'])
    const second = await list(reader, `?limit=2&cursor=${encodeURIComponent(first.json().nextCursor)}`)
    expect(second.json()).toEqual({ items: [expect.objectContaining({ id: ids[0], body: 'one' })], nextCursor: null })
  })

  it('`unread=true` leaves out the read ones', async () => {
    expect((await markRead(reader, ids[1]!)).statusCode).toBe(200)
    expect((await list(reader, '?unread=true')).json().items.map((n: NotificationView) => n.id)).toEqual([ids[2], ids[0]])
    expect((await list(reader, '?unread=false')).json().items).toHaveLength(3)
  })

  it('shows only the caller’s own', async () => {
    const other = await registerUser(app())
    expect((await list(other)).json()).toEqual({ items: [], nextCursor: null })
  })

  it('refuses unknown parameters, wrong types, a bad cursor (400) and anonymous callers (401)', async () => {
    expectError(await list(reader, '?unknown=1'), 400, 'VALIDATION_FAILED')
    expectError(await list(reader, '?unread=maybe'), 400, 'VALIDATION_FAILED')
    expectError(await list(reader, '?limit=0'), 400, 'VALIDATION_FAILED')
    expectError(await list(reader, '?limit=abc'), 400, 'VALIDATION_FAILED')
    expect((await list(reader, '?cursor=garbage')).statusCode).toBe(400)
    expect((await list(undefined)).statusCode).toBe(401)
  })
})

describe('PUT /api/notifications/:id/read and /read-all', () => {
  let user: TestUser
  let dmId: string
  beforeAll(async () => {
    user = await registerUser(app())
    dmId = (await createChat(app(), ada, { type: 'private', participantIds: [user.id] })).id
  })
  const notify = async () => (await about(user, (await send(ada, dmId, 'ping')).id))[0]!

  it('marks one read; reading it again keeps the first time', async () => {
    const row = await notify()
    const first = await markRead(user, row.id)
    expect(first.statusCode).toBe(200)
    expect(first.json()).toMatchObject({ id: row.id, readAt: expect.stringMatching(/Z$/) })
    const again = await markRead(user, row.id)
    expect(again.json().readAt).toBe(first.json().readAt)
  })

  it('answers 404 for someone else’s notification and for none, and leaves it unread', async () => {
    const row = await notify()
    expectError(await markRead(bob, row.id), 404, 'NOTIFICATION_NOT_FOUND')
    expectError(await markRead(user, randomUUID()), 404, 'NOTIFICATION_NOT_FOUND')
    const stored = await storedNotification(app(), row.id)
    expect(stored!.readAt).toBeNull()
  })

  it('refuses a malformed id (400), a body that is not JSON (415), anonymous callers (401)', async () => {
    const row = await notify()
    expectError(await markRead(user, 'not-a-uuid'), 400, 'VALIDATION_FAILED')
    expect((await markRead(user, row.id, { payload: 'x', headers: { ...user.headers, 'content-type': 'text/plain' } })).statusCode).toBe(415)
    expect((await readAll(user, { payload: 'x', headers: { ...user.headers, 'content-type': 'text/plain' } })).statusCode).toBe(415)
    expect((await app().inject({ method: 'PUT', url: `/api/notifications/${row.id}/read` })).statusCode).toBe(401)
    expect((await app().inject({ method: 'PUT', url: '/api/notifications/read-all' })).statusCode).toBe(401)
    const stored = await storedNotification(app(), row.id)
    expect(stored!.readAt).toBeNull()
  })

  it('read-all marks every unread one of the caller, and nobody else’s; again changes nothing', async () => {
    await notify()
    await notify()
    const bobsUnread = (await storedFor(bob)).filter((row) => row.readAt === null).length
    const response = await readAll(user)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ updated: expect.any(Number), unread: 0 })
    expect(response.json().updated).toBeGreaterThanOrEqual(2)
    expect((await storedFor(user)).every((row) => row.readAt !== null)).toBe(true)
    expect((await storedFor(bob)).filter((row) => row.readAt === null)).toHaveLength(bobsUnread)
    expect((await readAll(user)).json()).toEqual({ updated: 0, unread: 0 })
  })
})

describe('the e-mail digest', () => {
  const digestJobsOf = (user: TestUser) => jobsWhere(app(), digestJob.name, (payload) => payload.userId === user.id)
  const digestMails = async (user: TestUser) => (await outbox(app(), user.email)).filter((mail) => /unread notifications|mentioned you|New message from/.test(mail.subject))

  it('e-mails an offline user what stayed unread after the delay: one e-mail for several, then marks them e-mailed', async () => {
    const away = await registerUser(app(), { name: 'Away Ann', username: `ann_${tag}` })
    const group = await createChat(app(), ada, { participantIds: [away.id], title: `Digest ${tag}` })
    const first = await send(ada, group.id, `@ann_${tag} first`)
    const second = await send(ada, group.id, `@ann_${tag} second`)
    // One job waits for the user, whatever the number of notifications.
    expect(await digestJobsOf(away)).toHaveLength(1)
    const [mail] = await waitFor(async () => {
      const mails = await digestMails(away)
      return mails.length > 0 ? mails : undefined
    }, 10_000)
    expect(mail!.subject).toBe('2 unread notifications')
    expect(mail!.text).toContain(`Ada Lovelace mentioned you in #Digest ${tag}`)
    expect(mail!.text).toContain(`@ann_${tag} first`)
    expect(mail!.text).toContain(`@ann_${tag} second`)
    const rows = [...(await about(away, first.id)), ...(await about(away, second.id))]
    expect(rows.map((row) => row.emailedAt)).toEqual([expect.any(Date), expect.any(Date)])
    // Nothing is e-mailed twice: another run finds nothing.
    expect(await api.notify.digests.run(away.id)).toEqual({ emailed: 0 })
  })

  it.skipIf(inject('databaseServer') === 'embedded')('two digest runs at once e-mail each notification once', async () => {
    const user = await registerUser(app(), { username: `race_${tag}` })
    const group = await createChat(app(), ada, { participantIds: [user.id] })
    await send(ada, group.id, `@race_${tag} one`)
    await send(ada, group.id, `@race_${tag} two`)
    const runs = await Promise.all([api.notify.digests.run(user.id), api.notify.digests.run(user.id)])
    expect(runs.map((run) => run.emailed).sort()).toEqual([0, 2])
    const queued = (await queuedEmails(app(), user.email)).filter((job) => (job.payload as { subject: string }).subject === '2 unread notifications')
    expect(queued).toHaveLength(1)
  })

  it('sends nothing for what was read meanwhile, in the list or in the chat', async () => {
    const user = await registerUser(app())
    const dm = await createChat(app(), ada, { type: 'private', participantIds: [user.id] })
    const listed = (await about(user, (await send(ada, dm.id, 'read in the list')).id))[0]!
    expect((await markRead(user, listed.id)).statusCode).toBe(200)
    const inChat = await send(ada, dm.id, 'read in the chat')
    await setParticipant(app(), dm.id, user.id, { lastReadSeq: inChat.seq })
    expect(await api.notify.digests.run(user.id)).toEqual({ emailed: 0 })
    // Read in the chat counts as read in the list.
    expect((await about(user, inChat.id))[0]!.readAt).not.toBeNull()
    expect(await digestMails(user)).toEqual([])
  })

  it('never e-mails, nor lists, the text of a message deleted meanwhile', async () => {
    const user = await registerUser(app())
    const dm = await createChat(app(), ada, { type: 'private', participantIds: [user.id] })
    const message = await send(ada, dm.id, 'oops, wrong chat')
    const row = (await about(user, message.id))[0]!
    expect((await app().inject({ method: 'DELETE', url: `/api/messages/${message.id}`, headers: ada.headers })).statusCode).toBe(200)
    expect((await list(user)).json().items).toEqual([expect.objectContaining({ id: row.id, type: 'message', title: 'New message from Ada Lovelace', body: '' })])
    expect(await api.notify.digests.run(user.id)).toEqual({ emailed: 0 })
    expect((await storedNotification(app(), row.id))!.emailedAt).not.toBeNull()
    expect(await digestMails(user)).toEqual([])
  })

  it('is not scheduled for a user with a socket open, nor for one who turned digests off', async () => {
    const online = await registerUser(app())
    const optedOut = await registerUser(app())
    await setSettings(optedOut, { emailDigests: false })
    await connect(online)
    const dmOnline = await createChat(app(), ada, { type: 'private', participantIds: [online.id] })
    const dmOut = await createChat(app(), ada, { type: 'private', participantIds: [optedOut.id] })
    expect(await about(online, (await send(ada, dmOnline.id, 'you are here')).id)).toHaveLength(1)
    expect(await about(optedOut, (await send(ada, dmOut.id, 'no mail please')).id)).toHaveLength(1)
    expect(await digestJobsOf(online)).toEqual([])
    expect(await digestJobsOf(optedOut)).toEqual([])
    // Even when a digest runs for them, it sends nothing.
    expect(await api.notify.digests.run(optedOut.id)).toEqual({ emailed: 0 })
  })

  it('waits for the end of the user’s quiet hours', async () => {
    const sleeper = await registerUser(app())
    const now = new Date()
    const hhmm = (d: Date) => d.toISOString().slice(11, 16)
    await setSettings(sleeper, { quietHours: { start: hhmm(new Date(now.getTime() - 3_600_000)), end: hhmm(new Date(now.getTime() + 3_600_000)), timeZone: 'UTC' } })
    const dm = await createChat(app(), ada, { type: 'private', participantIds: [sleeper.id] })
    const row = (await about(sleeper, (await send(ada, dm.id, 'at night')).id))[0]!
    expect(await api.notify.digests.run(sleeper.id)).toEqual({ emailed: 0 })
    const stored = await storedNotification(app(), row.id)
    expect(stored!.emailedAt).toBeNull()
    // The digest the notification scheduled finds the quiet hours too, and waits for their end (to the minute).
    const quietEnd = new Date(now.getTime() + 3_600_000)
    quietEnd.setUTCSeconds(0, 0)
    const later = await waitFor(async () => (await digestJobsOf(sleeper)).find((job) => job.startAfter.getTime() >= quietEnd.getTime() - 60_000), 10_000)
    expect(later.state).toBe('created')
    expect(Math.abs(later.startAfter.getTime() - quietEnd.getTime())).toBeLessThanOrEqual(60_000)
    expect(await digestMails(sleeper)).toEqual([])
  })
})

describe('Web Push without VAPID keys (this app has none)', () => {
  const endpoint = () => `http://127.0.0.1:9/push/${randomUUID()}`
  const keys = { p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url'), auth: Buffer.alloc(16, 2).toString('base64url') }

  it('subscribing and the public key answer 503 PUSH_NOT_CONFIGURED, storing nothing', async () => {
    const url = endpoint()
    expectError(await app().inject({ method: 'POST', url: '/api/push/subscriptions', headers: bob.headers, payload: { endpoint: url, keys } }), 503, 'PUSH_NOT_CONFIGURED')
    expectError(await app().inject({ url: '/api/push/vapid-public-key', headers: bob.headers }), 503, 'PUSH_NOT_CONFIGURED')
    expect(await storedPushSubscriptions(app(), url)).toEqual([])
  })

  it('unsubscribing still works (a browser can always say it left)', async () => {
    const url = endpoint()
    await insertPushSubscription(app(), { userId: bob.id, endpoint: url, p256dh: keys.p256dh, auth: keys.auth })
    expect((await app().inject({ method: 'DELETE', url: '/api/push/subscriptions', headers: bob.headers, payload: { endpoint: url } })).statusCode).toBe(204)
    expect(await storedPushSubscriptions(app(), url)).toEqual([])
    expectError(await app().inject({ method: 'DELETE', url: '/api/push/subscriptions', headers: bob.headers, payload: { endpoint: url } }), 404, 'PUSH_SUBSCRIPTION_NOT_FOUND')
  })
})
