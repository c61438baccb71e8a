import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { availableModules } from '../../app.js'
import type { ModuleDefinition } from '../../core/module.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { editUser, versionOf } from '../../../test/helpers/user-admin.js'
import { blockUser, createChat, sendMessage, setChat, setParticipant, storedChat, storedChatMessages } from '../../../test/helpers/chat.js'
import { jobsWhere } from '../../../test/helpers/chat-notify.js'
import { dropParticipant, fillScheduled, markUserDeleted, sendJobNow, storedScheduled as storedRows, takeScheduled, unmarkScheduled } from '../../../test/helpers/chat-scheduled-bans.js'
import { expectError, waitFor } from '../../../test/helpers/identity.js'
import type { ChatApi } from './api.js'
import { chatModule } from './index.js'
import type { ScheduledMessageView } from './scheduled.schemas.js'
import { scheduledClientId, sendScheduledJob } from './scheduled.service.js'
import type { ChatSettings } from './settings.js'

/** The chat module as the app builds it, with its api kept for running the job directly. */
let api: ChatApi
const chat: ModuleDefinition<ChatApi, ChatSettings> = { ...chatModule, createApi: (ctx) => (api = chatModule.createApi(ctx)) }
const app = useTestApp({
  modules: availableModules.map((m) => (m.name === 'chat' ? (chat as unknown as ModuleDefinition) : m)),
  env: { JOBS_POLL_INTERVAL_MS: '500' },
})

let ada: TestUser
let bob: TestUser
let cy: TestUser

beforeAll(async () => {
  ada = await registerUser(app(), { name: 'Ada Later' })
  bob = await registerUser(app(), { name: 'Bob Later' })
  cy = await registerUser(app(), { name: 'Cy Outside' })
})

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString()
const storedScheduled = (chatId: string) => storedRows(app(), chatId)
const schedule = (as: TestUser, chatId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  app().inject({ method: 'POST', url: `/api/chats/${chatId}/messages`, headers: { ...as.headers, ...headers }, payload: body })
const list = (as: TestUser, chatId: string) => app().inject({ url: `/api/chats/${chatId}/scheduled`, headers: as.headers })
const cancel = (as: TestUser, chatId: string, id: string) => app().inject({ method: 'DELETE', url: `/api/chats/${chatId}/scheduled/${id}`, headers: as.headers })

async function scheduled(as: TestUser, chatId: string, body: Record<string, unknown>): Promise<ScheduledMessageView> {
  const response = await schedule(as, chatId, body)
  expect(response.statusCode, response.body).toBe(202)
  return response.json<ScheduledMessageView>()
}

/** A refused scheduling stores nothing: no row, no message, no job. */
async function expectNothingScheduled(chatId: string, lastSeq = 0): Promise<void> {
  expect(await storedScheduled(chatId)).toEqual([])
  expect((await storedChat(app(), chatId))!.lastSeq).toBe(lastSeq)
}

describe('POST /api/chats/:id/messages with scheduledAt', () => {
  it('stores the scheduled message (202, no seq), queues the job for that time, and sends nothing yet', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const at = inMinutes(30)
    const view = await scheduled(ada, group.id, { text: 'good morning', scheduledAt: at })
    expect(view).toEqual({
      id: expect.any(String),
      chatId: group.id,
      authorId: ada.id,
      text: 'good morning',
      fileIds: [],
      replyToId: null,
      threadRootId: null,
      media: null,
      clientId: null,
      scheduledAt: at,
      createdAt: expect.any(String),
    })
    expect(view).not.toHaveProperty('seq')
    const [row, ...more] = await storedScheduled(group.id)
    expect(more).toEqual([])
    expect(row).toMatchObject({ id: view.id, authorId: ada.id, payload: { text: 'good morning' }, scheduledFor: new Date(at), sentMessageId: null })
    expect(await storedChatMessages(app(), group.id)).toEqual([])
    const [job, ...others] = await jobsWhere(app(), sendScheduledJob.name, (payload) => payload.scheduledId === view.id)
    expect(others).toEqual([])
    expect(job).toMatchObject({ state: 'created' })
    expect(job!.startAfter.getTime()).toBe(new Date(at).getTime())
  })

  it('with the clientId of a pending one answers that one (202) and stores one row', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const first = await scheduled(ada, group.id, { text: 'once', clientId: 'c-1', scheduledAt: inMinutes(5) })
    const again = await scheduled(ada, group.id, { text: 'once', clientId: 'c-1', scheduledAt: inMinutes(9) })
    expect(again).toEqual(first)
    expect(first.clientId).toBe('c-1')
    expect(await storedScheduled(group.id)).toHaveLength(1)
  })

  it.skipIf(inject('databaseServer') === 'embedded')('two schedulings with one clientId at once store one row', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const body = { text: 'race', clientId: 'race-1', scheduledAt: inMinutes(5) }
    const [a, b] = await Promise.all([schedule(ada, group.id, body), schedule(ada, group.id, body)])
    expect([a.statusCode, b.statusCode]).toEqual([202, 202])
    expect(a.json().id).toBe(b.json().id)
    expect(await storedScheduled(group.id)).toHaveLength(1)
  })

  it('refuses a time in the past, too near or too far ahead (422 SCHEDULED_TIME_INVALID), and one that is no date-time (400)', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    for (const at of [new Date(Date.now() - 60_000).toISOString(), new Date(Date.now() + 2_000).toISOString(), new Date(Date.now() + 366 * 86_400_000).toISOString()]) {
      const error = expectError(await schedule(ada, group.id, { text: 'x', scheduledAt: at }), 422, 'SCHEDULED_TIME_INVALID')
      expect(error.details).toEqual({ scheduledAt: expect.any(String) })
    }
    expectError(await schedule(ada, group.id, { text: 'x', scheduledAt: 'next week' }), 400, 'VALIDATION_FAILED')
    expectError(await schedule(ada, group.id, { text: 'x', scheduledAt: inMinutes(5), sendAt: inMinutes(5) }), 400, 'VALIDATION_FAILED')
    await expectNothingScheduled(group.id)
  })

  it('applies the checks of a send now: not in the chat 404, a channel not joined 403, posting not allowed 403, archived 409, blocked 403', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    expectError(await schedule(cy, group.id, { text: 'x', scheduledAt: inMinutes(5) }), 404, 'CHAT_NOT_FOUND')
    expectError(await schedule(cy, randomUUID(), { text: 'x', scheduledAt: inMinutes(5) }), 404, 'CHAT_NOT_FOUND')
    await expectNothingScheduled(group.id)

    const channel = await createChat(app(), ada, { type: 'channel', participantIds: [bob.id] })
    expectError(await schedule(cy, channel.id, { text: 'x', scheduledAt: inMinutes(5) }), 403, 'CHAT_NOT_PARTICIPANT')
    expectError(await schedule(bob, channel.id, { text: 'x', scheduledAt: inMinutes(5) }), 403, 'CHAT_POST_FORBIDDEN')
    await expectNothingScheduled(channel.id)

    const archived = await createChat(app(), ada, { participantIds: [bob.id] })
    await setChat(app(), archived.id, { archived: true })
    expectError(await schedule(ada, archived.id, { text: 'x', scheduledAt: inMinutes(5) }), 409, 'CHAT_ARCHIVED')
    await expectNothingScheduled(archived.id)

    const blocker = await registerUser(app(), { name: 'Bea Blocker' })
    const pair = await createChat(app(), ada, { type: 'private', participantIds: [blocker.id] })
    await blockUser(app(), blocker, ada)
    expectError(await schedule(ada, pair.id, { text: 'x', scheduledAt: inMinutes(5) }), 403, 'CHAT_BLOCKED')
    await expectNothingScheduled(pair.id)
  })

  it('checks the body as a send would: empty 400, a reference not in the chat 422, files not yours 422, media without a file 422', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const other = await createChat(app(), ada, { participantIds: [bob.id] })
    const elsewhere = await sendMessage(app(), ada, other.id, 'elsewhere')
    const at = inMinutes(5)
    expectError(await schedule(ada, group.id, { text: '   ', scheduledAt: at }), 400, 'MESSAGE_EMPTY')
    expectError(await schedule(ada, group.id, { text: 'x', replyToId: elsewhere.id, scheduledAt: at }), 422, 'MESSAGE_REFERENCE_INVALID')
    expectError(await schedule(ada, group.id, { text: 'x', threadRootId: randomUUID(), scheduledAt: at }), 422, 'MESSAGE_REFERENCE_INVALID')
    expectError(await schedule(ada, group.id, { fileIds: [randomUUID()], scheduledAt: at }), 422, 'MESSAGE_FILE_INVALID')
    expectError(await schedule(ada, group.id, { text: 'x', media: { durationMs: 10 }, scheduledAt: at }), 422, 'MESSAGE_MEDIA_INVALID')
    expectError(await schedule(ada, group.id, { text: 'x'.repeat(10_001), scheduledAt: at }), 400, 'VALIDATION_FAILED')
    await expectNothingScheduled(group.id)
  })

  it('refuses a non-JSON body (415) and more than 100 waiting in one chat (409 SCHEDULED_MESSAGE_LIMIT)', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const response = await app().inject({ method: 'POST', url: `/api/chats/${group.id}/messages`, headers: { ...ada.headers, 'content-type': 'text/plain' }, payload: 'hi' })
    expect(response.statusCode).toBe(415)
    await expectNothingScheduled(group.id)
    const later = new Date(Date.now() + 3_600_000)
    await fillScheduled(app(), group.id, ada.id, 100, later)
    expectError(await schedule(ada, group.id, { text: 'one more', scheduledAt: inMinutes(5) }), 409, 'SCHEDULED_MESSAGE_LIMIT')
    expect(await storedScheduled(group.id)).toHaveLength(100)
    // Someone else's count is their own.
    await scheduled(bob, group.id, { text: 'mine', scheduledAt: inMinutes(5) })
  })
})

describe('the chat.send-scheduled job', () => {
  it('sends the message through the normal path (seq then, a clientId from the scheduled id) and marks the row sent; a rerun sends nothing more', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    await sendMessage(app(), bob, group.id, 'before')
    const view = await scheduled(ada, group.id, { text: 'from the past', scheduledAt: inMinutes(5) })
    const run = await api.scheduled.run(view.id)
    expect(run).toEqual({ status: 'sent', messageId: expect.any(String) })
    const stored = await storedChatMessages(app(), group.id)
    expect(stored.map((m) => [m.seq, m.text, m.authorId, m.clientId])).toEqual([
      [1, 'before', bob.id, null],
      [2, 'from the past', ada.id, scheduledClientId(view.id)],
    ])
    expect((await storedScheduled(group.id))[0]).toMatchObject({ sentMessageId: stored[1]!.id })
    // Bob sees it in the chat as any message.
    const page = (await app().inject({ url: `/api/chats/${group.id}/messages`, headers: bob.headers })).json<{ items: { text: string; seq: number }[] }>()
    expect(page.items[0]).toMatchObject({ text: 'from the past', seq: 2 })
    // Sent: no longer listed, no longer cancellable, and running again does nothing.
    expect((await list(ada, group.id)).json()).toEqual({ items: [] })
    expectError(await cancel(ada, group.id, view.id), 404, 'SCHEDULED_MESSAGE_NOT_FOUND')
    expect(await api.scheduled.run(view.id)).toEqual({ status: 'gone' })
    expect(await storedChatMessages(app(), group.id)).toHaveLength(2)
  })

  it('a run that sent but did not mark the row (a crash) finds the message it sent on retry: one message', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const view = await scheduled(ada, group.id, { text: 'exactly once', scheduledAt: inMinutes(5) })
    const first = await api.scheduled.run(view.id)
    await unmarkScheduled(app(), view.id)
    expect(await api.scheduled.run(view.id)).toEqual(first)
    expect(await storedChatMessages(app(), group.id)).toHaveLength(1)
  })

  it.skipIf(inject('databaseServer') === 'embedded')('two runs of one scheduled message at once send it once', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const view = await scheduled(ada, group.id, { text: 'twice?', scheduledAt: inMinutes(5) })
    const [a, b] = await Promise.all([api.scheduled.run(view.id), api.scheduled.run(view.id)])
    const stored = await storedChatMessages(app(), group.id)
    expect(stored).toHaveLength(1)
    for (const run of [a, b]) expect(run).toEqual({ status: 'sent', messageId: stored[0]!.id })
  })

  it('is not sent when its author was disabled or deleted by then: cancelled with the reason, nothing sent', async () => {
    const admin = await loginAs(app(), 'admin')
    const [off, gone] = await Promise.all([registerUser(app(), { name: 'Off Later' }), registerUser(app(), { name: 'Gone Later' })])
    const group = await createChat(app(), ada, { participantIds: [off.id, gone.id] })
    const fromOff = await scheduled(off, group.id, { text: 'from a disabled account', scheduledAt: inMinutes(5) })
    const fromGone = await scheduled(gone, group.id, { text: 'from a deleted account', scheduledAt: inMinutes(5) })
    expect((await editUser(app(), admin, off.id, { disabled: true, version: await versionOf(app(), admin, off.id) })).statusCode).toBe(200)
    // Deleted behind chat's cleanup job, so the run itself must notice (the cleanup deletes the row too).
    await markUserDeleted(app(), gone.id)

    expect(await api.scheduled.run(fromOff.id)).toEqual({ status: 'cancelled', reason: 'AUTHOR_DISABLED' })
    expect(await api.scheduled.run(fromGone.id)).toEqual({ status: 'cancelled', reason: 'AUTHOR_DELETED' })
    expect(await storedScheduled(group.id)).toEqual([])
    expect((await storedChatMessages(app(), group.id)).filter((m) => m.type !== 'system')).toEqual([])
  })

  it('a DELETE at the moment the job sends ends one way: sent and the DELETE 404, or cancelled (204) and never sent', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const views = await Promise.all(Array.from({ length: 8 }, (_, i) => scheduled(ada, group.id, { text: `race ${i}`, scheduledAt: inMinutes(5) })))
    const outcomes = await Promise.all(views.map((view) => Promise.all([cancel(ada, group.id, view.id), api.scheduled.run(view.id)])))
    const stored = await storedChatMessages(app(), group.id)
    const rows = await storedScheduled(group.id)
    outcomes.forEach(([deleted, run], i) => {
      const sent = stored.filter((m) => m.text === `race ${i}`)
      if (deleted.statusCode === 204) {
        expect(run).toEqual({ status: 'gone' })
        expect(sent).toEqual([])
        expect(rows.find((r) => r.id === views[i]!.id)).toBeUndefined()
      } else {
        expectError(deleted, 404, 'SCHEDULED_MESSAGE_NOT_FOUND')
        expect(sent).toHaveLength(1)
        expect(run).toEqual({ status: 'sent', messageId: sent[0]!.id })
        expect(rows.find((r) => r.id === views[i]!.id)).toMatchObject({ sentMessageId: sent[0]!.id })
      }
    })
  })

  it('a row a run took but did not send (a crash before the send) is sent by the retry, and cannot be cancelled meanwhile', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const view = await scheduled(ada, group.id, { text: 'taken', scheduledAt: inMinutes(5) })
    await takeScheduled(app(), view.id)
    expect((await list(ada, group.id)).json()).toEqual({ items: [] })
    expectError(await cancel(ada, group.id, view.id), 404, 'SCHEDULED_MESSAGE_NOT_FOUND')
    const run = await api.scheduled.run(view.id)
    const stored = await storedChatMessages(app(), group.id)
    expect(stored.map((m) => m.text)).toEqual(['taken'])
    expect(run).toEqual({ status: 'sent', messageId: stored[0]!.id })
  })

  it('keeps the author\'s clientId when they gave one', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const view = await scheduled(ada, group.id, { text: 'keyed', clientId: 'mine-1', scheduledAt: inMinutes(5) })
    await api.scheduled.run(view.id)
    expect((await storedChatMessages(app(), group.id)).map((m) => m.clientId)).toEqual(['mine-1'])
  })

  it('runs from the queue: the job as the workers run it sends the message', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const view = await scheduled(ada, group.id, { text: 'queued', scheduledAt: inMinutes(5) })
    // The queued one waits for its time; the same job sent for now is what the workers run then.
    await sendJobNow(app(), sendScheduledJob.name, { scheduledId: view.id })
    // Taken (sentMessageId = its own id) while sending, then the message's id.
    const row = await waitFor(async () => (await storedScheduled(group.id)).find((r) => r.sentMessageId !== null && r.sentMessageId !== r.id), 10_000)
    expect((await storedChatMessages(app(), group.id)).map((m) => [m.id, m.text])).toEqual([[row.sentMessageId, 'queued']])
  })

  it('cancels instead of sending when the author may no longer post there: archived, removed from the chat', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const view = await scheduled(bob, group.id, { text: 'too late', scheduledAt: inMinutes(5) })
    await setChat(app(), group.id, { archived: true })
    expect(await api.scheduled.run(view.id)).toEqual({ status: 'cancelled', reason: 'CHAT_ARCHIVED' })
    expect(await storedScheduled(group.id)).toEqual([])
    expect(await storedChatMessages(app(), group.id)).toEqual([])

    const other = await createChat(app(), ada, { participantIds: [bob.id] })
    const gone = await scheduled(bob, other.id, { text: 'never', scheduledAt: inMinutes(5) })
    // Removed behind the hooks' back (the hook is tested below): the job itself refuses.
    await dropParticipant(app(), other.id, bob.id)
    expect(await api.scheduled.run(gone.id)).toEqual({ status: 'cancelled', reason: 'CHAT_NOT_FOUND' })
    expect(await storedScheduled(other.id)).toEqual([])
    expect((await storedChatMessages(app(), other.id)).filter((m) => m.type !== 'system')).toEqual([])
  })

  it('postpones under slow mode until it allows, sending nothing now', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    await setChat(app(), group.id, { slowModeSeconds: 60 })
    const view = await scheduled(bob, group.id, { text: 'slowly', scheduledAt: inMinutes(5) })
    await setParticipant(app(), group.id, bob.id, { lastPostedAt: new Date() })
    const run = await api.scheduled.run(view.id)
    expect(run).toMatchObject({ status: 'postponed' })
    expect(await storedChatMessages(app(), group.id)).toEqual([])
    expect((await storedScheduled(group.id))[0]).toMatchObject({ sentMessageId: null })
    expect(await jobsWhere(app(), sendScheduledJob.name, (payload) => payload.scheduledId === view.id)).toHaveLength(2)
  })
})

describe('leaving cancels', () => {
  it('deletes the author\'s scheduled messages of a chat they leave (others\' and other chats\' stay); the job then sends nothing', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const kept = await createChat(app(), ada, { participantIds: [bob.id] })
    const bobs = await scheduled(bob, group.id, { text: 'bye', scheduledAt: inMinutes(5) })
    const adas = await scheduled(ada, group.id, { text: 'stays', scheduledAt: inMinutes(5) })
    const elsewhere = await scheduled(bob, kept.id, { text: 'stays too', scheduledAt: inMinutes(5) })
    const response = await app().inject({ method: 'DELETE', url: `/api/chats/${group.id}/participants/${bob.id}`, headers: bob.headers })
    expect(response.statusCode, response.body).toBe(204)
    await api.deps.hooks.settled()
    expect((await storedScheduled(group.id)).map((r) => r.id)).toEqual([adas.id])
    expect((await storedScheduled(kept.id)).map((r) => r.id)).toEqual([elsewhere.id])
    expect(await api.scheduled.run(bobs.id)).toEqual({ status: 'gone' })
    expect((await storedChatMessages(app(), group.id)).filter((m) => m.type !== 'system')).toEqual([])
  })
})

describe('GET /api/chats/:id/scheduled', () => {
  it('lists only the caller\'s waiting messages in that chat, soonest first', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const late = await scheduled(ada, group.id, { text: 'late', scheduledAt: inMinutes(60) })
    const soon = await scheduled(ada, group.id, { text: 'soon', scheduledAt: inMinutes(2) })
    await scheduled(bob, group.id, { text: 'bob\'s', scheduledAt: inMinutes(1) })
    const response = await list(ada, group.id)
    expect(response.statusCode).toBe(200)
    expect(response.json<{ items: ScheduledMessageView[] }>().items.map((item) => item.id)).toEqual([soon.id, late.id])
    expect((await list(bob, group.id)).json<{ items: ScheduledMessageView[] }>().items.map((item) => item.text)).toEqual(["bob's"])
  })

  it('is 404 for a chat you are not in, 403 for a channel not joined, 401 without a token', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    expectError(await list(cy, group.id), 404, 'CHAT_NOT_FOUND')
    const channel = await createChat(app(), ada, { type: 'channel' })
    expectError(await list(cy, channel.id), 403, 'CHAT_NOT_PARTICIPANT')
    expect((await app().inject({ url: `/api/chats/${group.id}/scheduled` })).statusCode).toBe(401)
    expectError(await app().inject({ url: `/api/chats/nope/scheduled`, headers: ada.headers }), 400, 'VALIDATION_FAILED')
  })
})

describe('DELETE /api/chats/:id/scheduled/:scheduledId', () => {
  it('cancels your own waiting message (204): not listed, never sent', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const view = await scheduled(ada, group.id, { text: 'oops', scheduledAt: inMinutes(5) })
    const response = await cancel(ada, group.id, view.id)
    expect(response.statusCode, response.body).toBe(204)
    expect(await storedScheduled(group.id)).toEqual([])
    expect(await api.scheduled.run(view.id)).toEqual({ status: 'gone' })
    expect(await storedChatMessages(app(), group.id)).toEqual([])
    expectError(await cancel(ada, group.id, view.id), 404, 'SCHEDULED_MESSAGE_NOT_FOUND')
  })

  it('refuses someone else\'s (404, kept), one of another chat (404), a chat you are not in (404), a bad id (400)', async () => {
    const group = await createChat(app(), ada, { participantIds: [bob.id] })
    const other = await createChat(app(), ada, { participantIds: [bob.id] })
    const view = await scheduled(ada, group.id, { text: 'mine', scheduledAt: inMinutes(5) })
    expectError(await cancel(bob, group.id, view.id), 404, 'SCHEDULED_MESSAGE_NOT_FOUND')
    expectError(await cancel(ada, other.id, view.id), 404, 'SCHEDULED_MESSAGE_NOT_FOUND')
    expectError(await cancel(cy, group.id, view.id), 404, 'CHAT_NOT_FOUND')
    expectError(await cancel(ada, group.id, 'nope'), 400, 'VALIDATION_FAILED')
    expect((await storedScheduled(group.id)).map((r) => r.id)).toEqual([view.id])
  })
})
