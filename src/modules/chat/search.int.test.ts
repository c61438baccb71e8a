import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { banFromChat, createChat, sendMessage } from '../../../test/helpers/chat.js'
import { uploadFile } from '../../../test/helpers/files.js'
import { expectError } from '../../../test/helpers/identity.js'

const app = useTestApp()

let ada: TestUser
let bob: TestUser
let eve: TestUser
/** A word no other test file writes: every search here is about this file's messages only. */
const tag = `zq${randomUUID().replaceAll('-', '').slice(0, 10)}`

beforeAll(async () => {
  ada = await registerUser(app(), { name: `Ada ${tag}` })
  bob = await registerUser(app(), { name: `Bob ${tag}`, username: `bob_${tag.slice(2, 10)}` })
  eve = await registerUser(app(), { name: 'Eve Outsider' })
})

const search = (user: TestUser, path: string, query: Record<string, string | number | boolean>) =>
  app().inject({ url: `/api/search/${path}`, query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])), headers: user.headers })

const texts = (body: { items: { message: { text: string | null } }[] }) => body.items.map((hit) => hit.message.text)

describe('GET /api/search/messages', () => {
  it('finds words and the start of the last one, only in chats the searcher is in, with the chat named', async () => {
    const mine = await createChat(app(), ada, { participantIds: [bob.id], title: `Mine ${tag}` })
    const theirs = await createChat(app(), eve, { participantIds: [], title: 'Not for Ada' })
    await sendMessage(app(), ada, mine.id, `planning ${tag}alpha tomorrow`)
    await sendMessage(app(), eve, theirs.id, `planning ${tag}alpha secretly`)
    await sendMessage(app(), bob, mine.id, `lunch ${tag}beta`)

    const response = await search(ada, 'messages', { q: `planning ${tag}al` })
    expect(response.statusCode, response.body).toBe(200)
    const body = response.json()
    expect(texts(body)).toEqual([`planning ${tag}alpha tomorrow`])
    expect(body.items[0]).toMatchObject({ chat: { id: mine.id, type: 'group', title: `Mine ${tag}` }, message: { chatId: mine.id, author: { id: ada.id } } })
    expect(body.nextCursor).toBeNull()
    expect(texts((await search(eve, 'messages', { q: `${tag}alpha` })).json())).toEqual([`planning ${tag}alpha secretly`])
  })

  it('never returns a message of a chat the searcher was removed from, nor a deleted message', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    await sendMessage(app(), ada, chat.id, `${tag}gamma before removal`)
    const gone = await sendMessage(app(), ada, chat.id, `${tag}gamma to be deleted`)
    expect(texts((await search(bob, 'messages', { q: `${tag}gamma` })).json())).toHaveLength(2)
    expect((await app().inject({ method: 'DELETE', url: `/api/messages/${gone.id}`, headers: ada.headers })).statusCode).toBe(200)
    expect(texts((await search(ada, 'messages', { q: `${tag}gamma` })).json())).toEqual([`${tag}gamma before removal`])

    const removed = await app().inject({ method: 'DELETE', url: `/api/chats/${chat.id}/participants/${bob.id}`, headers: ada.headers })
    expect(removed.statusCode, removed.body).toBe(204)
    expect((await search(bob, 'messages', { q: `${tag}gamma` })).json()).toEqual({ items: [], nextCursor: null })
    expect((await search(bob, 'messages', { q: `${tag}gamma`, chatId: chat.id })).json()).toEqual({ items: [], nextCursor: null })
  })

  it('narrows by chat, author, time and files', async () => {
    const one = await createChat(app(), ada, { participantIds: [bob.id] })
    const two = await createChat(app(), ada, { participantIds: [bob.id] })
    const first = await sendMessage(app(), ada, one.id, `${tag}delta one by ada`)
    await sendMessage(app(), bob, one.id, `${tag}delta one by bob`)
    const upload = await uploadFile(app(), ada, { content: 'notes', filename: 'notes.txt' })
    expect(upload.statusCode, upload.body).toBe(201)
    await sendMessage(app(), ada, two.id, { text: `${tag}delta two with file`, fileIds: [upload.json().id] })

    const q = `${tag}delta`
    expect(texts((await search(ada, 'messages', { q, chatId: one.id })).json()).sort()).toEqual([`${tag}delta one by ada`, `${tag}delta one by bob`])
    expect(texts((await search(ada, 'messages', { q, from: bob.id })).json())).toEqual([`${tag}delta one by bob`])
    expect(texts((await search(ada, 'messages', { q, hasFile: true })).json())).toEqual([`${tag}delta two with file`])
    expect(texts((await search(ada, 'messages', { q, hasFile: false })).json())).toHaveLength(2)
    expect(texts((await search(ada, 'messages', { q, before: first.createdAt })).json())).toEqual([])
    expect(texts((await search(ada, 'messages', { q, after: new Date(Date.parse(first.createdAt) - 1).toISOString() })).json())).toHaveLength(3)
  })

  it('ranks better matches first and pages through every hit once with the cursor', async () => {
    const chat = await createChat(app(), ada, { participantIds: [] })
    const word = `${tag}eps`
    for (let i = 0; i < 4; i++) await sendMessage(app(), ada, chat.id, `${word} once ${i}`)
    await sendMessage(app(), ada, chat.id, `${word} ${word} ${word} thrice`)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const response = await search(ada, 'messages', { q: word, limit: 2, ...(cursor ? { cursor } : {}) })
      expect(response.statusCode, response.body).toBe(200)
      const page: { items: { message: { text: string } }[]; nextCursor: string | null } = response.json()
      seen.push(...page.items.map((hit) => hit.message.text))
      cursor = page.nextCursor
    } while (cursor)
    expect(seen).toHaveLength(5)
    expect(new Set(seen).size).toBe(5)
    expect(seen[0]).toBe(`${word} ${word} ${word} thrice`)
    // Same rank: newest first.
    expect(seen.slice(1)).toEqual([3, 2, 1, 0].map((i) => `${word} once ${i}`))
  })

  it('refuses a cursor of another query, a missing or too long q, unknown parameters and bad values with 400; no word finds nothing', async () => {
    const chat = await createChat(app(), ada, { participantIds: [] })
    for (let i = 0; i < 2; i++) await sendMessage(app(), ada, chat.id, `${tag}zeta ${i}`)
    const { nextCursor } = (await search(ada, 'messages', { q: `${tag}zeta`, limit: 1 })).json()
    expect(nextCursor).toEqual(expect.any(String))
    expectError(await search(ada, 'messages', { q: `${tag}other`, cursor: nextCursor }), 400, 'INVALID_CURSOR')
    expectError(await search(ada, 'messages', { q: `${tag}zeta`, cursor: 'garbage' }), 400, 'INVALID_CURSOR')
    expectError(await search(ada, 'messages', {}), 400, 'VALIDATION_FAILED')
    expectError(await search(ada, 'messages', { q: 'x'.repeat(201) }), 400, 'VALIDATION_FAILED')
    expectError(await search(ada, 'messages', { q: 'hi', sort: 'new' }), 400, 'VALIDATION_FAILED')
    expectError(await search(ada, 'messages', { q: 'hi', from: 'bob' }), 400, 'VALIDATION_FAILED')
    expectError(await search(ada, 'messages', { q: 'hi', hasFile: 'yes' }), 400, 'VALIDATION_FAILED')
    expectError(await search(ada, 'messages', { q: 'hi', before: 'yesterday' }), 400, 'VALIDATION_FAILED')
    expect((await search(ada, 'messages', { q: '!!! & | :*' })).json()).toEqual({ items: [], nextCursor: null })
    expectError(await app().inject({ url: '/api/search/messages?q=hi' }), 401, 'UNAUTHENTICATED')
  })
})

describe('GET /api/search/chats', () => {
  it("finds the searcher's chats and public channels by title, private chats by the other person's name, never others' groups", async () => {
    const channel = await createChat(app(), eve, { type: 'channel', title: `${tag}news channel` })
    const othersGroup = await createChat(app(), eve, { participantIds: [], title: `${tag}news secret` })
    const mine = await createChat(app(), ada, { participantIds: [bob.id], title: `${tag}news team` })
    const found = await search(ada, 'chats', { q: `${tag}new` })
    expect(found.statusCode, found.body).toBe(200)
    const ids = found.json().items.map((chat: { id: string }) => chat.id)
    expect(ids.sort()).toEqual([channel.id, mine.id].sort())
    expect(ids).not.toContain(othersGroup.id)
    expect(found.json().items.find((chat: { id: string }) => chat.id === channel.id)).toMatchObject({ me: null })
    const page1 = (await search(ada, 'chats', { q: `${tag}new`, limit: 1 })).json()
    const page2 = (await search(ada, 'chats', { q: `${tag}new`, limit: 1, cursor: page1.nextCursor })).json()
    expect([...page1.items, ...page2.items].map((chat: { id: string }) => chat.id).sort()).toEqual(ids.sort())
    expect(page2.nextCursor).toBeNull()

    const priv = await createChat(app(), bob, { type: 'private', participantIds: [ada.id] })
    const byName = (await search(ada, 'chats', { q: `Bob ${tag}` })).json()
    expect(byName.items.map((chat: { id: string; title: string }) => [chat.id, chat.title])).toEqual([[priv.id, `Bob ${tag}`]])
    expect((await search(eve, 'chats', { q: `Bob ${tag}` })).json().items).toEqual([])
  })

  it('never lists a channel the searcher is banned from; once unbanned, it does again', async () => {
    const channel = await createChat(app(), eve, { type: 'channel', title: `${tag}banned room` })
    await banFromChat(app(), channel.id, ada.id)
    expect((await search(ada, 'chats', { q: `${tag}banned` })).json().items).toEqual([])
    expect((await search(bob, 'chats', { q: `${tag}banned` })).json().items.map((chat: { id: string }) => chat.id)).toEqual([channel.id])
    expect((await app().inject({ method: 'DELETE', url: `/api/chats/${channel.id}/bans/${ada.id}`, headers: eve.headers })).statusCode).toBe(204)
    expect((await search(ada, 'chats', { q: `${tag}banned` })).json().items.map((chat: { id: string }) => chat.id)).toEqual([channel.id])
  })
})

describe('GET /api/search/users', () => {
  it('finds people by name and username, the closest first, and by e-mail address only when it is exact', async () => {
    const byName = (await search(eve, 'users', { q: tag })).json()
    expect(byName.items.map((user: { id: string }) => user.id)).toEqual([ada.id, bob.id])
    expect(byName.items[0]).toEqual({ id: ada.id, username: null, name: `Ada ${tag}`, avatarUrl: null, deleted: false })
    expect(JSON.stringify(byName)).not.toContain('@')
    // The username exactly: first whatever the names.
    expect((await search(eve, 'users', { q: `bob_${tag.slice(2, 10)}` })).json().items.map((user: { id: string }) => user.id)).toEqual([bob.id])

    expect((await search(eve, 'users', { q: ada.email.toUpperCase() })).json().items.map((user: { id: string }) => user.id)).toEqual([ada.id])
    expect((await search(eve, 'users', { q: ada.email.slice(0, -3) })).json().items).toEqual([])
  })

  it('pages with a cursor and refuses bad parameters', async () => {
    const first = (await search(eve, 'users', { q: tag, limit: 1 })).json()
    expect(first.items).toHaveLength(1)
    const second = (await search(eve, 'users', { q: tag, limit: 1, cursor: first.nextCursor })).json()
    expect(second.items.map((user: { id: string }) => user.id)).toEqual([bob.id])
    expect(second.nextCursor).toBeNull()
    expectError(await search(eve, 'users', { q: 'other', cursor: first.nextCursor }), 400, 'INVALID_CURSOR')
    expectError(await search(eve, 'users', { q: tag, limit: 51 }), 400, 'VALIDATION_FAILED')
    expectError(await search(eve, 'users', { q: '' }), 400, 'VALIDATION_FAILED')
  })
})
