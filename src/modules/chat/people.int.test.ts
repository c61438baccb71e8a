import type { AddressInfo } from 'node:net'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../../test/helpers/app.js'
import { registerUser, type TestUser } from '../../../test/helpers/auth.js'
import { createChat, storedUserSettings } from '../../../test/helpers/chat.js'
import { expectError } from '../../../test/helpers/identity.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'

const app = useTestApp({ setup: (instance) => instance.listen({ port: 0, host: '127.0.0.1' }).then(() => undefined) })

let ada: TestUser
let bob: TestUser
let stranger: TestUser

beforeAll(async () => {
  ada = await registerUser(app(), { name: 'Ada People' })
  bob = await registerUser(app(), { name: 'Bob People' })
  stranger = await registerUser(app(), { name: 'Stranger People' })
  await createChat(app(), ada, { type: 'group', participantIds: [bob.id] })
})

const sockets: TestSocket[] = []
afterEach(async () => {
  for (const socket of sockets.splice(0)) {
    socket.close()
    await socket.closed
  }
})

async function connect(user: TestUser): Promise<TestSocket> {
  const { port } = app().server.address() as AddressInfo
  const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
  sockets.push(socket)
  await socket.ofType('ready')
  return socket
}

const stored = (user: TestUser) => storedUserSettings(app(), user.id)
const put = (user: TestUser, url: string, payload: unknown) => app().inject({ method: 'PUT', url, headers: user.headers, payload: payload as Record<string, unknown> })

describe('GET/PUT /api/users/me/preferences', () => {
  it('answers the defaults until changed, then changes only the fields sent', async () => {
    const user = await registerUser(app())
    const defaults = await app().inject({ url: '/api/users/me/preferences', headers: user.headers })
    expect(defaults.statusCode).toBe(200)
    expect(defaults.json()).toEqual({ defaultNotificationLevel: 'all', emailDigests: true, quietHours: null })

    const quietHours = { start: '22:00', end: '07:30', timeZone: 'Europe/Paris' }
    const first = await put(user, '/api/users/me/preferences', { defaultNotificationLevel: 'mentions', quietHours })
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json()).toEqual({ defaultNotificationLevel: 'mentions', emailDigests: true, quietHours })
    const second = await put(user, '/api/users/me/preferences', { emailDigests: false, quietHours: null })
    expect(second.json()).toEqual({ defaultNotificationLevel: 'mentions', emailDigests: false, quietHours: null })
    expect((await app().inject({ url: '/api/users/me/preferences', headers: user.headers })).json()).toEqual(second.json())
    expect(await stored(user)).toMatchObject({ defaultNotificationLevel: 'mentions', emailDigests: false, quietHours: null, version: 2 })
  })

  it.each([
    ['an unknown field', { emailDigests: true, theme: 'dark' }],
    ['a wrong type (never coerced)', { emailDigests: 'false' }],
    ['an unknown level', { defaultNotificationLevel: 'loud' }],
    ['a malformed time', { quietHours: { start: '24:00', end: '07:00', timeZone: 'UTC' } }],
    ['quiet hours missing a field', { quietHours: { start: '22:00', timeZone: 'UTC' } }],
    ['nothing to change', {}],
  ])('refuses %s with 400 and stores nothing', async (_, body) => {
    const user = await registerUser(app())
    expectError(await put(user, '/api/users/me/preferences', body), 400, 'VALIDATION_FAILED')
    expect(await stored(user)).toBeUndefined()
  })

  it('refuses an unknown time zone with 422 CHAT_TIME_ZONE_UNKNOWN, a non-JSON body with 415, and no token with 401', async () => {
    const user = await registerUser(app())
    const zone = await put(user, '/api/users/me/preferences', { quietHours: { start: '22:00', end: '07:00', timeZone: 'Mars/Olympus' } })
    expectError(zone, 422, 'CHAT_TIME_ZONE_UNKNOWN')
    expect(zone.json().error.details).toEqual({ timeZone: 'Mars/Olympus' })
    const text = await app().inject({ method: 'PUT', url: '/api/users/me/preferences', headers: { ...user.headers, 'content-type': 'text/plain' }, payload: 'emailDigests=false' })
    expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(await stored(user)).toBeUndefined()
    expectError(await app().inject({ url: '/api/users/me/preferences' }), 401, 'UNAUTHENTICATED')
  })
})

describe('status and presence', () => {
  it('sets and clears a status text and away/busy; offline without a socket whatever was set', async () => {
    const user = await registerUser(app())
    const set = await put(user, '/api/users/me/status', { statusText: '  In a meeting  ', presence: 'busy' })
    expect(set.statusCode, set.body).toBe(200)
    expect(set.json()).toEqual({ userId: user.id, presence: 'offline', statusText: 'In a meeting', lastSeenAt: null })
    await connect(user)
    expect((await app().inject({ url: '/api/users/me/status', headers: user.headers })).json()).toMatchObject({ presence: 'busy', statusText: 'In a meeting' })
    const cleared = await put(user, '/api/users/me/status', { statusText: ' ', presence: null })
    expect(cleared.json()).toMatchObject({ presence: 'online', statusText: null })
  })

  it('refuses a status text over 140 characters, an unknown presence, unknown fields and an empty body; nothing stored', async () => {
    const user = await registerUser(app())
    for (const body of [{ statusText: 'x'.repeat(141) }, { presence: 'online' }, { presence: 'away', mood: 'ok' }, {}, { statusText: 5 }]) {
      expectError(await put(user, '/api/users/me/status', body), 400, 'VALIDATION_FAILED')
    }
    expect(await stored(user)).toBeUndefined()
  })

  it("shows someone's status to people who share a chat with them, and 404 to anyone else", async () => {
    await put(bob, '/api/users/me/status', { statusText: 'Fishing' })
    const seen = await app().inject({ url: `/api/users/${bob.id}/status`, headers: ada.headers })
    expect(seen.statusCode, seen.body).toBe(200)
    expect(seen.json()).toMatchObject({ userId: bob.id, statusText: 'Fishing' })
    expectError(await app().inject({ url: `/api/users/${bob.id}/status`, headers: stranger.headers }), 404, 'CHAT_USER_NOT_FOUND')
    expectError(await app().inject({ url: '/api/users/00000000-0000-7000-8000-000000000000/status', headers: ada.headers }), 404, 'CHAT_USER_NOT_FOUND')
    expectError(await app().inject({ url: '/api/users/not-a-uuid/status', headers: ada.headers }), 400, 'VALIDATION_FAILED')
  })

  it('tells people who share a chat (not others) when someone comes online and goes offline, and keeps when they were last seen', async () => {
    const [carol, dan] = [await registerUser(app()), await registerUser(app())]
    await createChat(app(), carol, { type: 'group', participantIds: [dan.id] })
    const [watcher, outsider] = [await connect(dan), await connect(stranger)]
    await watcher.subscribe(`user:${dan.id}`)
    await outsider.subscribe(`user:${stranger.id}`)

    const socket = await connect(carol)
    const online = await watcher.next((m) => m.event === 'user.online' && (m.data as { userId: string }).userId === carol.id)
    expect(online).toMatchObject({ room: `user:${dan.id}`, data: { userId: carol.id, presence: 'online', lastSeenAt: null } })
    sockets.splice(sockets.indexOf(socket), 1)
    socket.close()
    const offline = await watcher.next((m) => m.event === 'user.offline' && (m.data as { userId: string }).userId === carol.id)
    expect(offline).toMatchObject({ data: { userId: carol.id, presence: 'offline', lastSeenAt: expect.stringMatching(/Z$/) } })
    expect((await stored(carol))?.lastSeenAt?.toISOString()).toBe((offline.data as { lastSeenAt: string }).lastSeenAt)
    expect(outsider.messages.filter((m) => (m.data as { userId?: string } | undefined)?.userId === carol.id)).toEqual([])
  })

  it('tells people who share a chat when someone sets a status (user.status)', async () => {
    const watcher = await connect(ada)
    await watcher.subscribe(`user:${ada.id}`)
    await put(bob, '/api/users/me/status', { presence: 'away' })
    const event = await watcher.next((m) => m.event === 'user.status')
    expect(event).toMatchObject({ room: `user:${ada.id}`, data: { userId: bob.id, presence: 'offline' } })
  })
})
