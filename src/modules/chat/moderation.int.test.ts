import { randomUUID } from 'node:crypto'
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { createChat, sendMessage, setChat } from '../../../test/helpers/chat.js'
import { storedMessage } from '../../../test/helpers/chat-messages.js'
import { asText, setMessageCreatedAt, storedReportBy, storedReports, watchRoom } from '../../../test/helpers/chat-extras.js'
import { expectError } from '../../../test/helpers/identity.js'
import type { TestSocket } from '../../../test/helpers/ws-client.js'

const app = useTestApp({ setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined) })

let ada: TestUser
let bob: TestUser
let cy: TestUser
let mod: TestUser

beforeAll(async () => {
  ;[ada, bob, cy, mod] = await Promise.all([registerUser(app(), { name: 'Ada' }), registerUser(app(), { name: 'Bob' }), registerUser(app(), { name: 'Cy' }), loginAs(app(), 'admin')])
})

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})

const report = (as: TestUser, id: string, payload: unknown) =>
  app().inject({ method: 'POST', url: `/api/messages/${id}/report`, headers: as.headers, payload: payload as Record<string, unknown> })
const listReports = (as: TestUser, query = '') => app().inject({ url: `/api/admin/chat-reports${query}`, headers: as.headers })
const closeReport = (as: TestUser, id: string, payload: unknown) =>
  app().inject({ method: 'PUT', url: `/api/admin/chat-reports/${id}`, headers: as.headers, payload: payload as Record<string, unknown> })
const adminDelete = (as: TestUser, id: string) => app().inject({ method: 'DELETE', url: `/api/admin/messages/${id}`, headers: as.headers })
const stats = (as: TestUser, query = '') => app().inject({ url: `/api/admin/chat-stats${query}`, headers: as.headers })

interface AdminReport {
  id: string
  messageId: string
  status: string
  reporter: { id: string }
  message: { id: string; text: string | null } | null
  chat: { id: string; type: string; title: string | null } | null
}

/** Every report, page by page (other tests of this file add theirs). */
async function allReports(query = ''): Promise<AdminReport[]> {
  const items: AdminReport[] = []
  let cursor: string | null = null
  do {
    const response = await listReports(mod, `?limit=2${query}${cursor ? `&cursor=${cursor}` : ''}`)
    expect(response.statusCode, response.body).toBe(200)
    const page = response.json<{ items: AdminReport[]; nextCursor: string | null }>()
    items.push(...page.items)
    cursor = page.nextCursor
  } while (cursor)
  return items
}

describe('POST /api/messages/:id/report', () => {
  it('stores one report per reader and message (201, then 200 with the first)', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'Rude words')
    const response = await report(bob, message.id, { reason: 'Insulting' })
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json()).toEqual({ id: expect.any(String), messageId: message.id, chatId: chat.id, reason: 'Insulting', status: 'open', createdAt: expect.stringMatching(/Z$/) })
    const again = await report(bob, message.id, { reason: 'Still insulting' })
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual(response.json())
    expect(await storedReports(app(), message.id)).toMatchObject([{ reporterId: bob.id, reason: 'Insulting', status: 'open' }])
  })

  it.skipIf(inject('databaseServer') === 'embedded')('two reports at once by one person store one (201 and 200)', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'Twice')
    const responses = await Promise.all([report(bob, message.id, { reason: 'a' }), report(bob, message.id, { reason: 'b' })])
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 201])
    expect(responses[0].json()).toEqual(responses[1].json())
    expect(await storedReports(app(), message.id)).toHaveLength(1)
  })

  it('lets anyone report a channel\'s message, and refuses strangers (404), deleted messages (410), bad bodies (400, 415)', async () => {
    const channel = await createChat(app(), ada, { type: 'channel' })
    const post = await sendMessage(app(), ada, channel.id, 'Spam spam spam')
    expect((await report(cy, post.id, { reason: 'Spam' })).statusCode).toBe(201)

    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, group.id, 'Private')
    expectError(await report(cy, message.id, { reason: 'Nosy' }), 404, 'MESSAGE_NOT_FOUND')
    expectError(await report(cy, randomUUID(), { reason: 'Nosy' }), 404, 'MESSAGE_NOT_FOUND')
    expectError(await report(cy, 'nope', { reason: 'Nosy' }), 400, 'VALIDATION_FAILED')
    for (const payload of [{}, { reason: '' }, { reason: '   ' }, { reason: 'x'.repeat(1001) }, { reason: 5 }, { reason: 'ok', severity: 'high' }]) {
      expectError(await report(bob, message.id, payload), 400, 'VALIDATION_FAILED')
    }
    expectError(await asText(app(), bob, 'POST', `/api/messages/${message.id}/report`), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect((await app().inject({ method: 'POST', url: `/api/messages/${message.id}/report`, payload: { reason: 'x' } })).statusCode).toBe(401)
    const gone = await sendMessage(app(), ada, group.id, 'Gone')
    await app().inject({ method: 'DELETE', url: `/api/messages/${gone.id}`, headers: ada.headers })
    expectError(await report(bob, gone.id, { reason: 'Was bad' }), 410, 'MESSAGE_DELETED')
    expect(await storedReports(app(), message.id)).toEqual([])
    expect(await storedReports(app(), gone.id)).toEqual([])
  })
})

describe('GET /api/admin/chat-reports and PUT /api/admin/chat-reports/:id', () => {
  it('lists open reports first, newest first, with reporter, message and chat; moderators close them', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id, cy.id], title: 'Reported room' })
    const m1 = await sendMessage(app(), ada, chat.id, 'one')
    const m2 = await sendMessage(app(), ada, chat.id, 'two')
    const r1 = (await report(bob, m1.id, { reason: 'first' })).json<{ id: string }>()
    const r2 = (await report(cy, m1.id, { reason: 'second' })).json<{ id: string }>()
    const r3 = (await report(bob, m2.id, { reason: 'third' })).json<{ id: string }>()

    const closed = await closeReport(mod, r2.id, { status: 'dismissed' })
    expect(closed.statusCode, closed.body).toBe(200)
    expect(closed.json()).toMatchObject({ id: r2.id, status: 'dismissed', resolvedBy: mod.id, resolvedAt: expect.stringMatching(/Z$/) })
    expect(await storedReportBy(app(), m1.id, cy.id)).toMatchObject({ status: 'dismissed', resolvedBy: mod.id })

    const mine = new Set([r1.id, r2.id, r3.id])
    const all = await allReports()
    const ours = all.filter((r) => mine.has(r.id))
    expect(ours.map((r) => r.id)).toEqual([r3.id, r1.id, r2.id])
    // Every open report of the file comes before every closed one.
    const firstClosed = all.findIndex((r) => r.status !== 'open')
    expect(all.slice(firstClosed).every((r) => r.status !== 'open')).toBe(true)
    expect(ours[0]).toMatchObject({ reporter: { id: bob.id, name: 'Bob' }, message: { id: m2.id, text: 'two' }, chat: { id: chat.id, type: 'group', title: 'Reported room' } })
    expect((await allReports('&status=dismissed')).map((r) => r.id)).toContain(r2.id)
    expect((await allReports('&status=open')).map((r) => r.id)).not.toContain(r2.id)
  })

  it('refuses non-moderators (403), bad queries and bodies (400), unknown reports (404), non-JSON (415)', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), ada, chat.id, 'meh')
    const mine = (await report(bob, message.id, { reason: 'meh' })).json<{ id: string }>()
    expectError(await listReports(ada), 403, 'FORBIDDEN')
    expectError(await closeReport(ada, mine.id, { status: 'resolved' }), 403, 'FORBIDDEN')
    expect((await app().inject({ url: '/api/admin/chat-reports' })).statusCode).toBe(401)
    expectError(await listReports(mod, '?status=closed'), 400, 'VALIDATION_FAILED')
    expectError(await listReports(mod, '?sort=old'), 400, 'VALIDATION_FAILED')
    expectError(await listReports(mod, '?cursor=garbage'), 400, 'INVALID_CURSOR')
    for (const payload of [{}, { status: 'open' }, { status: 'resolved', note: 'x' }, { status: 1 }]) expectError(await closeReport(mod, mine.id, payload), 400, 'VALIDATION_FAILED')
    expectError(await closeReport(mod, randomUUID(), { status: 'resolved' }), 404, 'REPORT_NOT_FOUND')
    expectError(await closeReport(mod, 'nope', { status: 'resolved' }), 400, 'VALIDATION_FAILED')
    expectError(await asText(app(), mod, 'PUT', `/api/admin/chat-reports/${mine.id}`), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(await storedReportBy(app(), message.id, bob.id)).toMatchObject({ status: 'open', resolvedBy: null })
  })
})

describe('DELETE /api/admin/messages/:id', () => {
  it('tombstones any message, even in an archived chat the moderator is not in; emits message.deleted; resolves its open reports', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), bob, chat.id, 'Awful')
    await report(ada, message.id, { reason: 'awful' })
    await setChat(app(), chat.id, { archived: true })
    const room = `chat:${chat.id}`
    const socket = await watchRoom(app(), ada, room, sockets)

    const response = await adminDelete(mod, message.id)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toMatchObject({ id: message.id, text: null, deletedAt: expect.stringMatching(/Z$/), author: { id: bob.id } })
    expect(await storedMessage(app(), message.id)).toMatchObject({ text: null, deletedAt: expect.any(Date) })
    const event = await socket.next((m) => m.type === 'event' && m.room === room && m.event === 'message.deleted')
    expect(event.data).toEqual(response.json())
    expect(await storedReportBy(app(), message.id, ada.id)).toMatchObject({ status: 'resolved', resolvedBy: mod.id })
    // Again: the same tombstone.
    expect((await adminDelete(mod, message.id)).json()).toEqual(response.json())
  })

  it('refuses anyone without chat:moderate (403, the chat\'s owner too), unknown messages (404), bad ids (400)', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    const message = await sendMessage(app(), bob, chat.id, 'Stays')
    expectError(await adminDelete(ada, message.id), 403, 'FORBIDDEN')
    expectError(await adminDelete(mod, randomUUID()), 404, 'MESSAGE_NOT_FOUND')
    expectError(await adminDelete(mod, 'nope'), 400, 'VALIDATION_FAILED')
    expect((await app().inject({ method: 'DELETE', url: `/api/admin/messages/${message.id}` })).statusCode).toBe(401)
    expect(await storedMessage(app(), message.id)).toMatchObject({ text: 'Stays', deletedAt: null })
  })
})

describe('GET /api/admin/chat-stats', () => {
  const day = (offset: number) => new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + offset)).toISOString().slice(0, 10)

  it('counts messages and distinct senders per chat and UTC day (system messages not counted)', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id, cy.id] })
    const other = await createChat(app(), cy, { participantIds: [bob.id] })
    const old = await sendMessage(app(), ada, chat.id, 'yesterday 1')
    const old2 = await sendMessage(app(), ada, chat.id, 'yesterday 2')
    await setMessageCreatedAt(app(), old.id, new Date(`${day(-1)}T10:00:00Z`))
    await setMessageCreatedAt(app(), old2.id, new Date(`${day(-1)}T23:59:59Z`))
    await sendMessage(app(), ada, chat.id, 'today 1')
    await sendMessage(app(), bob, chat.id, 'today 2')
    const deleted = await sendMessage(app(), cy, chat.id, 'today 3')
    await app().inject({ method: 'DELETE', url: `/api/messages/${deleted.id}`, headers: cy.headers })
    await sendMessage(app(), cy, other.id, 'elsewhere')

    const response = await stats(mod, `?chatId=${chat.id}&from=${day(-2)}&to=${day(0)}`)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({
      from: day(-2),
      to: day(0),
      items: [
        { chatId: chat.id, day: day(-1), messages: 2, activeSenders: 1 },
        { chatId: chat.id, day: day(0), messages: 3, activeSenders: 3 },
      ],
      nextCursor: null,
    })
    // All chats by default, the last 30 days; paged by day then chat.
    const everything = await stats(mod)
    expect(everything.json()).toMatchObject({ from: day(-29), to: day(0) })
    const rows = everything.json<{ items: { chatId: string; day: string }[] }>().items
    expect(rows.filter((r) => r.chatId === other.id)).toEqual([{ chatId: other.id, day: day(0), messages: 1, activeSenders: 1 }])
    const first = (await stats(mod, `?chatId=${chat.id}&from=${day(-2)}&limit=1`)).json<{ items: unknown[]; nextCursor: string }>()
    expect(first.items).toEqual([{ chatId: chat.id, day: day(-1), messages: 2, activeSenders: 1 }])
    const second = (await stats(mod, `?chatId=${chat.id}&from=${day(-2)}&limit=1&cursor=${first.nextCursor}`)).json<{ items: unknown[]; nextCursor: string | null }>()
    expect(second).toMatchObject({ items: [{ chatId: chat.id, day: day(0), messages: 3 }], nextCursor: null })
    // A system message (joining a channel) is not counted.
    const channel = await createChat(app(), ada, { type: 'channel' })
    await app().inject({ method: 'POST', url: `/api/chats/${channel.id}/join`, headers: bob.headers })
    expect((await stats(mod, `?chatId=${channel.id}`)).json<{ items: unknown[] }>().items).toEqual([])
  })

  it('refuses non-moderators (403), ranges over 90 days or backwards, bad days and fields (400), an unknown chat (404)', async () => {
    expectError(await stats(ada), 403, 'FORBIDDEN')
    expect((await app().inject({ url: '/api/admin/chat-stats' })).statusCode).toBe(401)
    expect((await stats(mod, `?from=${day(-89)}&to=${day(0)}`)).statusCode).toBe(200)
    expectError(await stats(mod, `?from=${day(-90)}&to=${day(0)}`), 400, 'VALIDATION_FAILED')
    expectError(await stats(mod, `?from=${day(0)}&to=${day(-1)}`), 400, 'VALIDATION_FAILED')
    // `to` defaults to today: from 100 days ago is too long.
    expectError(await stats(mod, `?from=${day(-100)}`), 400, 'VALIDATION_FAILED')
    for (const query of ['?from=2026-02-30', '?from=yesterday', '?to=2026-1-1', '?chatId=nope', '?limit=0', '?limit=201', '?group=day', '?cursor=garbage']) {
      const response = await stats(mod, query)
      expect(response.statusCode, `${query}: ${response.body}`).toBe(400)
    }
    expectError(await stats(mod, `?chatId=${randomUUID()}`), 404, 'CHAT_NOT_FOUND')
  })
})
