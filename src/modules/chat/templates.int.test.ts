import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { chatsCreatedBy, createChat, setChat, setParticipant, storedChatMessages, storedParticipants } from '../../../test/helpers/chat.js'
import { literal, useFaults } from '../../../test/helpers/faults.js'
import { expectError } from '../../../test/helpers/identity.js'

const app = useTestApp()
const fault = useFaults(app)

let ada: TestUser
let bob: TestUser
beforeAll(async () => {
  ada = await registerUser(app(), { name: 'Ada Templates' })
  bob = await registerUser(app(), { name: 'Bob Templates' })
})

const save = (as: TestUser, chatId: string, payload: unknown) => app().inject({ method: 'POST', url: `/api/chats/${chatId}/template`, headers: as.headers, payload: payload as Record<string, unknown> })
const use = (as: TestUser, id: string, payload: unknown) => app().inject({ method: 'POST', url: `/api/chat-templates/${id}/chats`, headers: as.headers, payload: payload as Record<string, unknown> })
const list = (as: TestUser) => app().inject({ url: '/api/chat-templates', headers: as.headers })

describe('chat templates', () => {
  it("saves a chat's title, description and settings with a welcome message, and makes new chats from it", async () => {
    const chat = await createChat(app(), ada, { type: 'channel', title: 'Support', description: 'Ask here', participantIds: [] })
    await setChat(app(), chat.id, { slowModeSeconds: 30, membersCanPost: true })
    const saved = await save(ada, chat.id, { name: ' Support desk ', welcomeMessage: 'Welcome! Read the pins first.' })
    expect(saved.statusCode, saved.body).toBe(201)
    const template = saved.json()
    expect(template).toEqual({
      id: expect.any(String),
      name: 'Support desk',
      type: 'channel',
      title: 'Support',
      description: 'Ask here',
      settings: { slowModeSeconds: 30, membersCanPost: true },
      welcomeMessage: 'Welcome! Read the pins first.',
      createdAt: expect.stringMatching(/Z$/),
    })
    expect((await list(ada)).json()).toEqual({ items: [template] })
    expect((await list(bob)).json()).toEqual({ items: [] })

    const made = await use(ada, template.id, { participantIds: [bob.id], title: 'Support (EU)' })
    expect(made.statusCode, made.body).toBe(201)
    const view = made.json()
    expect(view).toMatchObject({ type: 'channel', title: 'Support (EU)', description: 'Ask here', settings: { slowModeSeconds: 30, membersCanPost: true }, lastSeq: 1, participantCount: 2, me: { role: 'owner' } })
    const messages = (await app().inject({ url: `/api/chats/${view.id}/messages`, headers: bob.headers })).json()
    expect(messages.items).toMatchObject([{ seq: 1, text: 'Welcome! Read the pins first.', author: { id: ada.id } }])
  })

  it('makes the chat, its participants and the welcome message in one transaction: when the welcome cannot be stored, nothing is', async () => {
    const chat = await createChat(app(), ada, { type: 'channel', title: 'Atomic', participantIds: [] })
    await setChat(app(), chat.id, { slowModeSeconds: 10 })
    const welcome = `Welcome ${randomUUID()}`
    const template = (await save(ada, chat.id, { name: 'Atomic', welcomeMessage: welcome })).json()
    const title = `From template ${randomUUID()}`
    const remove = await fault('chat_messages', 'insert', `NEW.text = ${literal(welcome)}`)

    const failed = await use(ada, template.id, { participantIds: [bob.id], title })
    expectError(failed, 500, 'INTERNAL')
    const made = (await chatsCreatedBy(app(), ada.id)).filter((c) => c.title === title)
    expect(made).toEqual([])
    expect((await app().inject({ url: '/api/chats?limit=200', headers: bob.headers })).json().items.filter((c: { title: string }) => c.title === title)).toEqual([])

    await remove()
    const ok = await use(ada, template.id, { participantIds: [bob.id], title })
    expect(ok.statusCode, ok.body).toBe(201)
    const [stored, ...more] = (await chatsCreatedBy(app(), ada.id)).filter((c) => c.title === title)
    expect(more).toEqual([])
    expect(stored).toMatchObject({ slowModeSeconds: 10, lastSeq: 1 })
    expect((await storedParticipants(app(), stored!.id)).map((p) => p.userId).sort()).toEqual([ada.id, bob.id].sort())
    expect((await storedChatMessages(app(), stored!.id)).map((m) => [m.seq, m.text, m.authorId])).toEqual([[1, welcome, ada.id]])
    expect(ok.json()).toMatchObject({ lastSeq: 1, me: { unreadCount: 0 } })
  })

  it('a blank welcome message posts nothing: the chat is made without one', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id], title: 'Blank' })
    const template = (await save(ada, chat.id, { name: 'Blank', welcomeMessage: '   ' })).json()
    const made = await use(ada, template.id, { participantIds: [bob.id] })
    expect(made.statusCode, made.body).toBe(201)
    expect(made.json()).toMatchObject({ lastSeq: 0, participantCount: 2 })
    expect(await storedChatMessages(app(), made.json().id)).toEqual([])
  })

  it('lets only owners and admins save, never from a private chat; templates are their owner\'s alone', async () => {
    const chat = await createChat(app(), ada, { participantIds: [bob.id] })
    expectError(await save(bob, chat.id, { name: 'Mine now' }), 403, 'CHAT_ROLE_FORBIDDEN')
    await setParticipant(app(), chat.id, bob.id, { role: 'admin' })
    expect((await save(bob, chat.id, { name: 'As admin' })).statusCode).toBe(201)
    const outsider = await registerUser(app())
    expectError(await save(outsider, chat.id, { name: 'Snooping' }), 404, 'CHAT_NOT_FOUND')
    const priv = await createChat(app(), ada, { type: 'private', participantIds: [outsider.id] })
    expectError(await save(ada, priv.id, { name: 'Private' }), 422, 'CHAT_TEMPLATE_PRIVATE')

    const mine = (await save(ada, chat.id, { name: 'Ada only' })).json()
    expectError(await use(bob, mine.id, { participantIds: [] }), 404, 'CHAT_TEMPLATE_NOT_FOUND')
    expectError(await app().inject({ method: 'DELETE', url: `/api/chat-templates/${mine.id}`, headers: bob.headers }), 404, 'CHAT_TEMPLATE_NOT_FOUND')
    expect((await app().inject({ method: 'DELETE', url: `/api/chat-templates/${mine.id}`, headers: ada.headers })).statusCode).toBe(204)
    expect((await list(ada)).json().items.map((t: { id: string }) => t.id)).not.toContain(mine.id)
    expectError(await use(ada, mine.id, { participantIds: [] }), 404, 'CHAT_TEMPLATE_NOT_FOUND')
  })

  it('refuses bad bodies with 400 and non-JSON with 415, saving nothing', async () => {
    const user = await registerUser(app())
    const chat = await createChat(app(), user, { participantIds: [] })
    for (const body of [{}, { name: '' }, { name: '   ' }, { name: 'x'.repeat(101) }, { name: 'ok', extra: 1 }, { name: 7 }, { name: 'ok', welcomeMessage: 'x'.repeat(10_001) }]) {
      expectError(await save(user, chat.id, body), 400, 'VALIDATION_FAILED')
    }
    expectError(await app().inject({ method: 'POST', url: `/api/chats/${chat.id}/template`, headers: { ...user.headers, 'content-type': 'text/plain' }, payload: 'name=x' }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect((await list(user)).json()).toEqual({ items: [] })
    const template = (await save(user, chat.id, { name: 'Fine' })).json()
    expectError(await use(user, template.id, { participantIds: 'everyone' }), 400, 'VALIDATION_FAILED')
    expectError(await use(user, template.id, {}), 400, 'VALIDATION_FAILED')
    expectError(await use(user, 'nope', { participantIds: [] }), 400, 'VALIDATION_FAILED')
  })
})
