import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { blockUser, createChat, sendMessage, storedParticipants, storedUserSettings } from '../../../test/helpers/chat.js'
import { insertPushSubscription, storedNotifications, storedPushSubscriptions } from '../../../test/helpers/chat-notify.js'
import { storedPins, storedReactions, storedReports } from '../../../test/helpers/chat-extras.js'

const app = useTestApp()

let bob: TestUser
beforeAll(async () => {
  bob = await registerUser(app(), { name: 'Bob Stays' })
})

const put = (user: TestUser, url: string, payload: Record<string, unknown>) => app().inject({ method: 'PUT', url, headers: user.headers, payload })
const post = (user: TestUser, url: string, payload?: Record<string, unknown>) => app().inject({ method: 'POST', url, headers: user.headers, ...(payload ? { payload } : {}) })

describe("chat's part of a user's data", () => {
  it('the data export lists their chats, their messages, whom they blocked and their chat settings', async () => {
    const ada = await registerUser(app(), { name: 'Ada Exports' })
    const chat = await createChat(app(), ada, { participantIds: [bob.id], title: 'Exported' })
    const mine = await sendMessage(app(), ada, chat.id, 'my words')
    const theirs = await sendMessage(app(), bob, chat.id, 'not mine')
    expect((await post(ada, `/api/messages/${theirs.id}/reactions`, { emoji: '👍' })).statusCode).toBe(201)
    expect((await post(bob, `/api/messages/${mine.id}/reactions`, { emoji: '🎉' })).statusCode).toBe(201)
    await blockUser(app(), ada, await registerUser(app()))
    await put(ada, '/api/users/me/status', { statusText: 'Exporting' })

    const response = await app().inject({ url: `/api/users/${ada.id}/export`, headers: ada.headers })
    expect(response.statusCode, response.body).toBe(200)
    const part = response.json().modules.chat
    expect(part.chats).toEqual([{ id: chat.id, type: 'group', title: 'Exported', role: 'owner', joinedAt: expect.stringMatching(/Z$/) }])
    expect(part.messages).toEqual([{ id: mine.id, chatId: chat.id, seq: mine.seq, type: 'text', text: 'my words', createdAt: mine.createdAt, editedAt: null }])
    expect(part.messagesTruncated).toBe(false)
    // Their own reactions, not those others gave to their messages.
    expect(part.reactions).toEqual([{ messageId: theirs.id, chatId: chat.id, emoji: '👍', createdAt: expect.stringMatching(/Z$/) }])
    expect(part.reactionsTruncated).toBe(false)
    expect(part.blocked).toHaveLength(1)
    expect(part.settings).toMatchObject({ statusText: 'Exporting', emailDigests: true })
  })

  it("deleting the account erases their chat data and takes them out of groups (the oldest admin or member owns theirs); their messages stay, from a deleted user", async () => {
    const ada = await registerUser(app(), { name: 'Ada Leaves' })
    const cy = await registerUser(app(), { name: 'Cy Heir' })
    const group = await createChat(app(), ada, { participantIds: [bob.id, cy.id] })
    const priv = await createChat(app(), bob, { type: 'private', participantIds: [ada.id] })
    const words = await sendMessage(app(), ada, group.id, 'still here after I go')
    await put(ada, '/api/users/me/preferences', { emailDigests: false })
    await blockUser(app(), bob, ada)
    await insertPushSubscription(app(), { userId: ada.id, endpoint: `https://push.example.test/${ada.id}`, p256dh: 'k', auth: 'a' })
    await sendMessage(app(), bob, priv.id, 'a private message makes a notification')
    await expect.poll(async () => (await storedNotifications(app(), ada.id)).length, { timeout: 10_000 }).toBeGreaterThan(0)

    expect((await app().inject({ method: 'DELETE', url: `/api/users/${ada.id}`, headers: ada.headers })).statusCode).toBe(204)
    // The platform runs chat's cleanup in a job after the answer.
    await expect.poll(async () => (await storedParticipants(app(), group.id)).map((row) => row.userId).sort(), { timeout: 15_000 }).toEqual([bob.id, cy.id].sort())
    expect((await storedParticipants(app(), group.id)).find((row) => row.userId === bob.id)).toMatchObject({ role: 'owner' })
    expect(await storedUserSettings(app(), ada.id)).toBeUndefined()
    expect(await storedNotifications(app(), ada.id)).toEqual([])
    expect(await storedPushSubscriptions(app(), `https://push.example.test/${ada.id}`)).toEqual([])
    // The private chat stays for Bob, with a deleted user in it.
    expect((await storedParticipants(app(), priv.id)).map((row) => row.userId).sort()).toEqual([ada.id, bob.id].sort())

    const page = (await app().inject({ url: `/api/chats/${group.id}/messages`, headers: bob.headers })).json()
    expect(page.items.find((m: { id: string }) => m.id === words.id)).toMatchObject({ text: 'still here after I go', author: { id: ada.id, name: 'Deleted user', deleted: true } })
    // An administrator may export a deleted account only as 404 (the platform's rule); chat adds nothing back.
    expect((await app().inject({ url: `/api/users/${ada.id}/export`, headers: (await loginAs(app(), 'admin')).headers })).statusCode).toBe(404)
  })

  it('deleting the account removes their reactions (the counts drop with them), keeps their pins without naming them, and keeps their reports for moderators from a deleted user', async () => {
    const ada = await registerUser(app(), { name: 'Ada Reacts' })
    const cy = await registerUser(app(), { name: 'Cy Reacts' })
    const moderator = await loginAs(app(), 'admin')
    const group = await createChat(app(), ada, { participantIds: [bob.id, cy.id] })
    const message = await sendMessage(app(), bob, group.id, 'react to me')
    const rude = await sendMessage(app(), cy, group.id, 'something rude')
    for (const [user, emoji] of [[ada, '👍'], [cy, '👍'], [ada, '🎉']] as const) expect((await post(user, `/api/messages/${message.id}/reactions`, { emoji })).statusCode).toBe(201)
    expect((await post(ada, `/api/messages/${message.id}/pin`)).statusCode).toBe(201)
    expect((await post(ada, `/api/messages/${rude.id}/report`, { reason: 'rude' })).statusCode).toBe(201)

    expect((await app().inject({ method: 'DELETE', url: `/api/users/${ada.id}`, headers: ada.headers })).statusCode).toBe(204)
    await expect.poll(async () => (await storedReactions(app(), message.id)).map((r) => r.userId), { timeout: 15_000 }).toEqual([cy.id])
    await expect.poll(async () => (await storedParticipants(app(), group.id)).map((row) => row.userId).sort(), { timeout: 15_000 }).toEqual([bob.id, cy.id].sort())
    const page = (await app().inject({ url: `/api/chats/${group.id}/messages`, headers: bob.headers })).json()
    expect(page.items.find((m: { id: string }) => m.id === message.id).reactions).toEqual([{ emoji: '👍', count: 1, userIds: [cy.id] }])
    // The pin is the chat's: it stays, no longer saying who pinned it.
    expect((await storedPins(app(), group.id)).map((p) => [p.messageId, p.pinnedBy])).toEqual([[message.id, null]])
    const pins = (await app().inject({ url: `/api/chats/${group.id}/pins`, headers: bob.headers })).json()
    expect(pins.items).toMatchObject([{ messageId: message.id, pinnedBy: null }])
    // The report stays for moderators; its reporter is a deleted user (no name, e-mail or username).
    expect(await storedReports(app(), rude.id)).toMatchObject([{ reason: 'rude', status: 'open' }])
    const reports = (await app().inject({ url: '/api/admin/chat-reports?limit=200', headers: moderator.headers })).json()
    expect(reports.items.find((r: { messageId: string }) => r.messageId === rude.id)).toMatchObject({ reason: 'rude', reporter: { name: 'Deleted user', username: null, deleted: true } })
  })
})
