import { randomUUID } from 'node:crypto'
import { EventEmitter, once } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, useTestApp } from '../../../test/helpers/app.js'
import { login, loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'
import { AccessTokens } from '../auth/access-tokens.js'
import { defineModule, type Room } from '../module.js'
import { MAX_MESSAGE_BYTES, MAX_PENDING_BYTES, MAX_PENDING_MESSAGES } from './gateway.js'
import type { RealtimePublisher } from './index.js'

/** One per app built, in build order: the file's app first. */
const publishers: RealtimePublisher[] = []
const presenceChanges: string[] = []
/** Emits `<userId>:online` / `<userId>:offline` as modules hear them. */
const presenceEvents = new EventEmitter()
/** Subscribes to `board:slow-*` wait here until the test releases them. */
const held = new Map<string, () => void>()
/** Every room the board module was asked about, as it received it. */
const seenRooms: Room[] = []
/** A module owning `board:<id>` rooms; `board:secret-*` is refused to everyone. */
const board = defineModule({
  name: 'board',
  permissions: [],
  createApi: (ctx) => {
    publishers.push(ctx.realtime)
    ctx.presence.onChange((userId, online) => {
      const change = `${userId}:${online ? 'online' : 'offline'}`
      presenceChanges.push(change)
      presenceEvents.emit(change)
    })
    return {}
  },
  routes: () => async () => {},
  authorizeRoom: async (_actor, room) => {
    seenRooms.push(room)
    if (room.id?.startsWith('slow')) await new Promise<void>((resolve) => held.set(room.name, resolve))
    return !room.id?.startsWith('secret')
  },
})

const app = useTestApp({
  modules: [board],
  env: {
    REALTIME_RETENTION_EVENTS: '5',
    REALTIME_RETENTION_SECONDS: '0',
    REALTIME_HEARTBEAT_MS: '200',
    REALTIME_MAX_BUFFER_BYTES: '65536',
    REALTIME_MAX_SOCKETS_PER_USER: '3',
  },
  setup: async (instance) => {
    await instance.listen({ port: 0, host: '127.0.0.1' })
  },
})

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
  for (const release of held.values()) release()
  held.clear()
})

function url(instance: FastifyInstance, query = ''): string {
  const { port } = instance.server.address() as AddressInfo
  return `ws://127.0.0.1:${port}/api/realtime${query}`
}

async function connect(user?: TestUser, query = '', instance: FastifyInstance = app()): Promise<TestSocket> {
  const socket = TestSocket.connect(url(instance, query), user ? user.headers : {})
  sockets.push(socket)
  return socket
}

async function ready(user: TestUser, instance: FastifyInstance = app()): Promise<TestSocket> {
  const socket = await connect(user, '', instance)
  await socket.ofType('ready')
  return socket
}

const room = (): string => `board:${randomUUID()}`
/** Resolves when the modules hear the user go online or offline (register before causing it). */
const presenceChange = (userId: string, online: boolean): Promise<unknown> => once(presenceEvents, `${userId}:${online ? 'online' : 'offline'}`)
const publish = (to: string, n: number) => publishers[0]!.publish(to, 'post.created', { n })

describe('connecting', () => {
  it('refuses a missing or invalid token with close code 4401', async () => {
    expect((await (await connect()).closed).code).toBe(4401)
    expect((await (await connect(undefined, '?token=not-a-jwt')).closed).code).toBe(4401)
  })

  it('accepts a bearer header or ?token= and says ready', async () => {
    const user = await loginAs(app())
    await (await connect(user)).ofType('ready')
    await (await connect(undefined, `?token=${user.accessToken}`)).ofType('ready')
  })

  it('closes the sockets of a session when it is revoked (logout), with 4401', async () => {
    const user = await loginAs(app())
    const socket = await ready(user)
    await app().inject({ method: 'POST', url: '/api/auth/logout', headers: user.headers })
    expect((await socket.closed).code).toBe(4401)
  })

  it('closes the sockets of a session whose revocation a resync learns (its publish was lost), with 4401', async () => {
    const user = await loginAs(app())
    const socket = await ready(user)
    const { identity } = app().platform
    const { sessionId } = await identity.tokens.verify(user.accessToken)
    // Revoked in the database only, as by another instance whose publish never arrived.
    expect(await identity.store.repos.sessions.revoke({ sessionId }, 'logout')).toEqual([sessionId])
    expect(identity.revocations.isRevoked(sessionId)).toBe(false)
    // What the 30 s timer and every Redis reconnection run.
    await (identity.revocations as unknown as { resync(): Promise<void> }).resync()
    expect(await socket.closed).toEqual({ code: 4401, reason: 'session revoked' })
  })
})

describe('access token expiry and renewal', () => {
  /** An access token of the user's session that expires within `seconds` (the app's TTL is at least 30 s). */
  async function expiringToken(user: TestUser, seconds: number): Promise<string> {
    const { identity, config } = app().platform
    return new AccessTokens(config.secrets.jwtSecret, seconds).issue(await identity.tokens.verify(user.accessToken))
  }
  const expiryOf = async (token: string): Promise<string> => new Date((await app().platform.identity.tokens.verifyExpiring(token)).expiresAt).toISOString()

  it('ready tells when the token expires; at that moment the socket closes with 4401', async () => {
    const token = await expiringToken(await loginAs(app()), 2)
    const socket = await connect(undefined, `?token=${token}`)
    const { expiresAt } = await socket.ofType('ready')
    expect(expiresAt).toBe(await expiryOf(token))
    expect(await socket.closed).toEqual({ code: 4401, reason: 'token expired' })
    // Not before (timers may fire a millisecond early).
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiresAt as string) - 50)
  })

  it('{"type":"auth"} with a fresh token of the same user keeps the socket open past the old expiry', async () => {
    const user = await loginAs(app())
    const token = await expiringToken(user, 2)
    const [renewed, lapsed] = [await connect(undefined, `?token=${token}`), await connect(undefined, `?token=${token}`)]
    await renewed.ofType('ready')
    await lapsed.ofType('ready')
    renewed.send({ type: 'auth', token: user.accessToken, ref: 'a1' })
    expect(await renewed.ofType('authenticated')).toEqual({ type: 'authenticated', expiresAt: await expiryOf(user.accessToken), ref: 'a1' })
    // Both opened with the same token: once the other one is closed, this one would have been too.
    expect((await lapsed.closed).code).toBe(4401)
    renewed.send({ type: 'ping', ref: 'after' })
    expect(await renewed.ofType('pong')).toEqual({ type: 'pong', ref: 'after' })
  })

  it('a refused renewal is answered with an error and changes nothing', async () => {
    const user = await loginAs(app())
    const [other, ended] = [await loginAs(app()), await login(app(), user.email, user.password)]
    await app().inject({ method: 'POST', url: '/api/auth/logout', headers: ended.headers })
    const socket = await ready(user)
    socket.send({ type: 'auth', token: 'not-a-jwt', ref: 1 })
    expect(await socket.next((m) => m.ref === 1)).toMatchObject({ type: 'error', error: { code: 'INVALID_TOKEN' } })
    socket.send({ type: 'auth', token: other.accessToken, ref: 2 })
    expect(await socket.next((m) => m.ref === 2)).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } })
    socket.send({ type: 'auth', token: ended.accessToken, ref: 3 })
    expect(await socket.next((m) => m.ref === 3)).toMatchObject({ type: 'error', error: { code: 'SESSION_REVOKED' } })
    socket.send({ type: 'auth', ref: 4 })
    expect(await socket.ofType('error')).toMatchObject({ error: { code: 'BAD_REQUEST' } })
    // Still the user's original session: its logout closes the socket.
    await app().inject({ method: 'POST', url: '/api/auth/logout', headers: user.headers })
    expect((await socket.closed).code).toBe(4401)
  })

  it('renewed with a token of another of the user’s sessions, the socket follows that session', async () => {
    const user = await loginAs(app())
    const second = await login(app(), user.email, user.password)
    const socket = await ready(user)
    socket.send({ type: 'auth', token: second.accessToken, ref: 'a' })
    await socket.ofType('authenticated')
    await app().inject({ method: 'POST', url: '/api/auth/logout', headers: user.headers })
    socket.send({ type: 'ping', ref: 'still' })
    expect(await socket.ofType('pong')).toEqual({ type: 'pong', ref: 'still' })
    await app().inject({ method: 'POST', url: '/api/auth/logout', headers: second.headers })
    expect((await socket.closed).code).toBe(4401)
  })
})

describe('limits', () => {
  it('closes a socket that sends a message over the size limit with 1009', async () => {
    const socket = await ready(await loginAs(app()))
    socket.send({ type: 'ping', ref: 'x'.repeat(MAX_MESSAGE_BYTES) })
    expect((await socket.closed).code).toBe(1009)
  })

  it(`answers up to ${MAX_PENDING_MESSAGES} messages in flight; one more closes the socket with 4429`, async () => {
    const user = await loginAs(app())
    const [patient, flooder] = [await ready(user), await ready(user)]
    const [slow, slower] = [`board:slow-${randomUUID()}`, `board:slow-${randomUUID()}`]
    // A subscribe that waits on its module holds back every message after it.
    patient.send({ type: 'subscribe', room: slow, ref: 's' })
    for (let n = 1; n < MAX_PENDING_MESSAGES; n++) patient.send({ type: 'ping', ref: n })
    flooder.send({ type: 'subscribe', room: slower, ref: 's' })
    for (let n = 1; n <= MAX_PENDING_MESSAGES; n++) flooder.send({ type: 'ping', ref: n })
    expect(await flooder.closed).toEqual({ code: 4429, reason: 'too many messages' })
    await expect.poll(() => held.has(slow)).toBe(true)
    held.get(slow)!()
    expect(await patient.next((m) => m.ref === MAX_PENDING_MESSAGES - 1)).toEqual({ type: 'pong', ref: MAX_PENDING_MESSAGES - 1 })
  })

  it(`closes a socket with more than ${MAX_PENDING_BYTES} bytes of messages in flight with 4429`, async () => {
    const socket = await ready(await loginAs(app()))
    socket.send({ type: 'subscribe', room: `board:slow-${randomUUID()}`, ref: 's' })
    const padding = 'x'.repeat(60 * 1024)
    for (let n = 1; n <= Math.ceil(MAX_PENDING_BYTES / padding.length); n++) socket.send({ type: 'ping', ref: n, padding })
    expect(await socket.closed).toEqual({ code: 4429, reason: 'too many messages' })
  })

  it('closes a user’s socket past REALTIME_MAX_SOCKETS_PER_USER with 4430; closed ones make room again', async () => {
    const [user, other] = [await loginAs(app()), await loginAs(app())]
    const open = [await ready(user), await ready(user), await ready(user)]
    expect(await (await connect(user)).closed).toEqual({ code: 4430, reason: 'too many sockets' })
    await ready(other)
    const offline = presenceChange(user.id, false)
    for (const socket of open) socket.close()
    await offline
    await Promise.all([ready(user), ready(user), ready(user)])
  })
})

describe('presence', () => {
  it('a user is online while a socket is open, and modules hear the changes', async () => {
    const user = await loginAs(app())
    const socket = await ready(user)
    await expect.poll(() => presenceChanges).toContain(`${user.id}:online`)
    socket.close()
    await socket.closed
    await expect.poll(() => presenceChanges).toContain(`${user.id}:offline`)
  })
})

describe('subscribing', () => {
  it('revoke ends the named users\' subscriptions to the room after the earlier events, with unsubscribed/revoked; others keep theirs', async () => {
    const [gone, kept] = [await loginAs(app()), await loginAs(app())]
    const r = room()
    const [revoked, other, otherRoom] = [await ready(gone), await ready(kept), await ready(gone)]
    await revoked.subscribe(r)
    await other.subscribe(r)
    const elsewhere = room()
    await otherRoom.subscribe(elsewhere)
    void publish(r, 1)
    void publishers[0]!.revoke(r, [gone.id])
    void publish(r, 2)
    void publish(elsewhere, 3)
    expect((await other.events(r, 2)).map((e) => (e.data as { n: number }).n)).toEqual([1, 2])
    expect((await revoked.events(r, 1))[0]).toMatchObject({ data: { n: 1 } })
    expect(await revoked.ofType('unsubscribed')).toEqual({ type: 'unsubscribed', room: r, reason: 'revoked' })
    // Another room of the same user is untouched; nothing more of the revoked room arrives.
    expect((await otherRoom.events(elsewhere, 1))[0]).toMatchObject({ data: { n: 3 } })
    expect(revoked.messages.filter((m) => m.type === 'event')).toEqual([])
    // Subscribing again is the room owner's decision, as always.
    expect(await revoked.subscribe(r)).toMatchObject({ type: 'subscribed', room: r, seq: 2 })
  })

  it('delivers events with seq increasing by one per room', async () => {
    const socket = await ready(await loginAs(app()))
    const r = room()
    expect(await socket.subscribe(r)).toMatchObject({ type: 'subscribed', room: r, seq: 0 })
    for (let n = 1; n <= 3; n++) await publish(r, n)
    const events = await socket.events(r, 3)
    expect(events.map((e) => [e.seq, e.event, (e.data as { n: number }).n])).toEqual([[1, 'post.created', 1], [2, 'post.created', 2], [3, 'post.created', 3]])
    expect(events[0]).toMatchObject({ type: 'event', room: r, at: expect.stringMatching(/Z$/) })
  })

  it('checks access on every subscribe: the owning module refuses, user rooms are their user’s', async () => {
    const user = await loginAs(app())
    const socket = await ready(user)
    expect(await socket.subscribe('board:secret-plans')).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } })
    expect(await socket.subscribe(`user:${randomUUID()}`)).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } })
    expect(await socket.subscribe('nobody:1')).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } })
    expect(await socket.subscribe(`user:${user.id}`)).toMatchObject({ type: 'subscribed' })
  })

  it('the owning module is asked with the room parsed; malformed names are refused before it is asked', async () => {
    const socket = await ready(await loginAs(app()))
    const id = `parts:${randomUUID()}`
    const asked = (name: string) => seenRooms.filter((room) => room.name === name)
    expect(await socket.subscribe(`board:${id}`)).toMatchObject({ type: 'subscribed', room: `board:${id}` })
    expect(asked(`board:${id}`)).toEqual([{ name: `board:${id}`, module: 'board', id }])
    expect(await socket.subscribe('board')).toMatchObject({ type: 'subscribed', room: 'board' })
    expect(asked('board').at(-1)).toEqual({ name: 'board', module: 'board', id: undefined })
    const before = seenRooms.length
    for (const malformed of ['board:', 'Board:1', 'board:a b', `board:${'x'.repeat(201)}`]) {
      socket.send({ type: 'subscribe', room: malformed })
      // Messages are answered in order, and a refused frame's answer carries no ref.
      expect(await socket.ofType('error'), malformed).toMatchObject({ error: { code: 'BAD_REQUEST', message: 'room must look like "<kind>" or "<kind>:<id>".' } })
    }
    expect(seenRooms.length).toBe(before)
  })

  it('a profile change reaches the user’s own room (their other devices)', async () => {
    const user = await loginAs(app())
    const socket = await ready(user)
    await socket.subscribe(`user:${user.id}`)
    const patch = await app().inject({ method: 'PATCH', url: `/api/users/${user.id}`, headers: user.headers, payload: { name: 'Renamed', version: 1 } })
    expect(patch.statusCode, patch.body).toBe(200)
    const [event] = await socket.events(`user:${user.id}`, 1)
    expect(event).toMatchObject({ event: 'user.updated', seq: 1, data: { id: user.id, name: 'Renamed', version: 2 } })
  })

  it('answers malformed messages with BAD_REQUEST and stays open', async () => {
    const socket = await ready(await loginAs(app()))
    socket.send('not json')
    expect(await socket.ofType('error')).toMatchObject({ error: { code: 'BAD_REQUEST' } })
    socket.send({ type: 'subscribe', room: 'Bad Room!' })
    expect(await socket.ofType('error')).toMatchObject({ error: { code: 'BAD_REQUEST' } })
    socket.send({ type: 'ping', ref: 7 })
    expect(await socket.ofType('pong')).toEqual({ type: 'pong', ref: 7 })
  })

  it('stops delivering after unsubscribe', async () => {
    const socket = await ready(await loginAs(app()))
    const [a, b] = [room(), room()]
    await socket.subscribe(a)
    await socket.subscribe(b)
    socket.send({ type: 'unsubscribe', room: a, ref: 'u' })
    await socket.next((m) => m.type === 'unsubscribed' && m.ref === 'u')
    await publish(a, 1)
    await publish(b, 1)
    await socket.events(b, 1)
    expect(socket.messages.filter((m) => m.room === a && m.type === 'event')).toEqual([])
  })
})

describe('replay after a reconnect', () => {
  it('replays every missed event in order, then continues live without gap or duplicate', async () => {
    const user = await loginAs(app())
    const r = room()
    const first = await ready(user)
    await first.subscribe(r)
    for (let n = 1; n <= 2; n++) await publish(r, n)
    expect((await first.events(r, 2)).map((e) => e.seq)).toEqual([1, 2])
    first.close()
    await first.closed

    for (let n = 3; n <= 5; n++) await publish(r, n)
    const second = await ready(user)
    expect(await second.subscribe(r, 2)).toMatchObject({ type: 'subscribed', seq: 5 })
    await publish(r, 6)
    expect((await second.events(r, 4)).map((e) => e.seq)).toEqual([3, 4, 5, 6])
  })

  it('sends reset when the missed events are older than the retained window', async () => {
    const socket = await ready(await loginAs(app()))
    const r = room()
    for (let n = 1; n <= 9; n++) await publish(r, n)
    await socket.subscribe(r, 1)
    expect(await socket.ofType('reset')).toEqual({ type: 'reset', room: r, seq: 9 })
    await publish(r, 10)
    expect((await socket.events(r, 1))[0]).toMatchObject({ seq: 10 })
  })
})

describe('liveness and back-pressure', () => {
  it('terminates a socket that stops answering pings', async () => {
    const user = await loginAs(app())
    const socket = await ready(user)
    const offline = presenceChange(user.id, false)
    // Stop reading: the client no longer answers the server's pings, until the server gives up on it.
    const raw = (socket.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket
    raw.pause()
    await offline
    raw.resume()
    const { code } = await socket.closed
    expect(code).toBe(1006)
  })

  // Its own app, with heartbeats too slow to end the paused socket first.
  let patient: FastifyInstance | undefined
  beforeAll(async () => {
    patient = await buildTestApp({ modules: [board], env: { REALTIME_HEARTBEAT_MS: '60000', REALTIME_MAX_BUFFER_BYTES: '65536' } })
    await patient.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => patient?.close())

  it('closes a slow consumer with 4409 instead of buffering without bound', async () => {
    const user = await loginAs(patient!)
    const [socket, witness] = [await ready(user, patient), await ready(user, patient)]
    const [r, after] = [room(), room()]
    await socket.subscribe(r)
    await witness.subscribe(after)
    ;(socket.socket as unknown as { _socket: { pause(): void } })._socket.pause()
    const big = 'x'.repeat(64 * 1024)
    // All at once: the server terminates the socket 5 s after deciding to close it, and a slow loop
    // of publishes could outlast that before the client reads again.
    await Promise.all(Array.from({ length: 400 }, () => publishers[1]!.publish(r, 'blob', { big })))
    // Delivered after every blob (with Redis, deliveries trail the publishes, in publish order).
    await publishers[1]!.publish(after, 'done', null)
    await witness.events(after, 1)
    ;(socket.socket as unknown as { _socket: { resume(): void } })._socket.resume()
    const { code } = await socket.closed
    expect(code).toBe(4409)
    const metrics = await patient!.inject({ url: '/metrics' })
    expect(metrics.body).toMatch(/^plinth_realtime_slow_consumer_closes_total 1$/m)
  })
})
