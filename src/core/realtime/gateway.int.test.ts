import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { TestSocket } from '../../../test/helpers/ws-client.js'
import { defineModule } from '../module.js'
import type { RealtimePublisher } from './index.js'

/** A module owning `board:<id>` rooms; `board:secret-*` is refused to everyone. */
/** One per app built, in build order: the file's app first. */
const publishers: RealtimePublisher[] = []
const presenceChanges: string[] = []
const board = defineModule({
  name: 'board',
  permissions: [],
  createApi: (ctx) => {
    publishers.push(ctx.realtime)
    ctx.presence.onChange((userId, online) => presenceChanges.push(`${userId}:${online ? 'online' : 'offline'}`))
    return {}
  },
  routes: () => async () => {},
  authorizeRoom: async (_actor, room) => !room.startsWith('board:secret'),
})

const app = useTestApp({
  modules: [board],
  env: { REALTIME_RETENTION_EVENTS: '5', REALTIME_RETENTION_SECONDS: '0', REALTIME_HEARTBEAT_MS: '200', REALTIME_MAX_BUFFER_BYTES: '65536' },
  setup: async (instance) => {
    await instance.listen({ port: 0, host: '127.0.0.1' })
  },
})

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
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
    const socket = await ready(await loginAs(app()))
    // Stop reading for a few heartbeats: the client no longer answers the server's pings.
    const raw = (socket.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket
    raw.pause()
    await new Promise((resolve) => setTimeout(resolve, 700))
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
    const socket = await ready(user, patient)
    const r = room()
    await socket.subscribe(r)
    ;(socket.socket as unknown as { _socket: { pause(): void } })._socket.pause()
    const big = 'x'.repeat(64 * 1024)
    for (let n = 0; n < 400; n++) await publishers[1]!.publish(r, 'blob', { big })
    // With Redis, deliveries trail the publishes a little.
    await new Promise((resolve) => setTimeout(resolve, 300))
    ;(socket.socket as unknown as { _socket: { resume(): void } })._socket.resume()
    const { code } = await socket.closed
    expect(code).toBe(4409)
  })
})
