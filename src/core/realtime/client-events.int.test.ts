import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, useTestApp } from '../../../test/helpers/app.js'
import { loginAs, type TestUser } from '../../../test/helpers/auth.js'
import { TestSocket, type WsMessage } from '../../../test/helpers/ws-client.js'
import { createSignalsFixture, quietModule } from '../../../test/fixtures/signals/index.js'
import { CLIENT_EVENTS_PER_SECOND } from './client-events.js'

const signals = createSignalsFixture()
const app = useTestApp({ modules: [signals.module, quietModule], setup: async (instance) => void (await instance.listen({ port: 0, host: '127.0.0.1' })) })

const sockets: TestSocket[] = []
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})

async function ready(user: TestUser, instance: FastifyInstance = app()): Promise<TestSocket> {
  const { port } = instance.server.address() as AddressInfo
  const socket = TestSocket.connect(`ws://127.0.0.1:${port}/api/realtime`, user.headers)
  sockets.push(socket)
  await socket.ofType('ready')
  return socket
}

const room = (prefix = ''): string => `signals:${prefix}${randomUUID()}`
let refs = 0
/** Sends a client event and resolves with its answer (`sent` or `error`). */
function send(socket: TestSocket, frame: Record<string, unknown>): Promise<WsMessage> {
  const ref = `s${++refs}`
  socket.send({ type: 'send', ref, ...frame })
  return socket.next((m) => m.ref === ref)
}
/** A logged event published after what a test did: once a socket has it, it has every earlier delivery of the room. */
async function barrier(socket: TestSocket, to: string, publisher = signals.publishers[0]!): Promise<WsMessage> {
  const marker = randomUUID()
  await publisher.publish(to, 'marker.set', { marker })
  return socket.next((m) => m.type === 'event' && m.room === to && (m.data as { marker?: string } | null)?.marker === marker)
}
const clientEvents = (socket: TestSocket, to: string): WsMessage[] => socket.messages.filter((m) => m.type === 'event' && m.room === to && m.event !== 'marker.set')

describe('client events (send)', () => {
  it('are delivered to every other socket in the room, with the module’s data and no seq, never back to the sender', async () => {
    const [sender, other] = [await loginAs(app()), await loginAs(app())]
    const r = room()
    const [from, sameUser, receiver] = [await ready(sender), await ready(sender), await ready(other)]
    for (const socket of [from, sameUser, receiver]) await socket.subscribe(r)

    expect(await send(from, { room: r, event: 'typing.start', data: { draft: true } })).toEqual({ type: 'sent', ref: `s${refs}` })
    for (const socket of [receiver, sameUser]) {
      const [event] = await socket.events(r, 1)
      expect(event).toEqual({ type: 'event', room: r, event: 'typing.start', data: { draft: true, from: sender.id }, at: expect.stringMatching(/Z$/) })
    }
    await barrier(from, r)
    expect(clientEvents(from, r)).toEqual([])
  })

  it('data is optional; without it the module still decides what is delivered', async () => {
    const [sender, other] = [await loginAs(app()), await loginAs(app())]
    const r = room()
    const [from, receiver] = [await ready(sender), await ready(other)]
    await from.subscribe(r)
    await receiver.subscribe(r)
    expect(await send(from, { room: r, event: 'typing.stop' })).toMatchObject({ type: 'sent' })
    expect((await receiver.events(r, 1))[0]).toMatchObject({ event: 'typing.stop', data: { from: sender.id } })
  })

  it('take no seq and are not replayed: logged events around them stay gapless, a resubscribe with since gets only those', async () => {
    const [sender, other] = [await loginAs(app()), await loginAs(app())]
    const r = room()
    const [from, receiver] = [await ready(sender), await ready(other)]
    expect(await from.subscribe(r)).toMatchObject({ seq: 0 })
    await receiver.subscribe(r)
    await signals.publishers[0]!.publish(r, 'post.created', { n: 1 })
    await receiver.events(r, 1)
    await send(from, { room: r, event: 'typing.start' })
    await signals.publishers[0]!.publishEphemeral(r, 'typing.stop', { auto: true })
    await signals.publishers[0]!.publish(r, 'post.created', { n: 2 })
    const live = await receiver.events(r, 3)
    expect(live.map((e) => [e.event, e.seq])).toEqual([['typing.start', undefined], ['typing.stop', undefined], ['post.created', 2]])
    expect(live[1]).toEqual({ type: 'event', room: r, event: 'typing.stop', data: { auto: true }, at: expect.stringMatching(/Z$/) })

    const late = await ready(other)
    expect(await late.subscribe(r, 0)).toMatchObject({ type: 'subscribed', seq: 2 })
    const replayed = await late.events(r, 2)
    expect(replayed.map((e) => [e.event, e.seq])).toEqual([['post.created', 1], ['post.created', 2]])
    await barrier(late, r)
    expect(clientEvents(late, r).filter((e) => e.seq === undefined)).toEqual([])
  })

  it('are refused with NOT_SUBSCRIBED from a socket not subscribed to the room (or no longer)', async () => {
    const user = await loginAs(app())
    const r = room()
    const [socket, receiver] = [await ready(user), await ready(await loginAs(app()))]
    await receiver.subscribe(r)
    const answer = await send(socket, { room: r, event: 'typing.start' })
    expect(answer).toEqual({ type: 'error', ref: `s${refs}`, error: { code: 'NOT_SUBSCRIBED', message: `Subscribe to ${r} before sending to it.`, details: {} } })
    await socket.subscribe(r)
    socket.send({ type: 'unsubscribe', room: r, ref: 'u' })
    await socket.next((m) => m.ref === 'u')
    expect(await send(socket, { room: r, event: 'typing.start' })).toMatchObject({ type: 'error', error: { code: 'NOT_SUBSCRIBED' } })
    await barrier(receiver, r)
    expect(clientEvents(receiver, r)).toEqual([])
  })

  it('are refused with FORBIDDEN when the module refuses, has no hook, or the room is a user’s; nothing is delivered', async () => {
    const user = await loginAs(app())
    const [socket, receiver] = [await ready(user), await ready(user)]
    for (const r of [room('muted-'), `quiet:${randomUUID()}`, `user:${user.id}`]) {
      await socket.subscribe(r)
      await receiver.subscribe(r)
      const answer = await send(socket, { room: r, event: 'typing.start', data: { a: 1 } })
      expect(answer, r).toMatchObject({ type: 'error', ref: `s${refs}`, error: { code: 'FORBIDDEN' } })
      await barrier(receiver, r)
      expect(clientEvents(receiver, r), r).toEqual([])
    }
  })

  it('a module hook that throws is answered INTERNAL; the socket stays open', async () => {
    const socket = await ready(await loginAs(app()))
    const r = room()
    await socket.subscribe(r)
    expect(await send(socket, { room: r, event: 'fail.now' })).toMatchObject({ type: 'error', error: { code: 'INTERNAL' } })
    expect(await send(socket, { room: r, event: 'typing.start' })).toMatchObject({ type: 'sent' })
  })

  it('malformed frames are refused with BAD_REQUEST and their ref, before any check of the room', async () => {
    const socket = await ready(await loginAs(app()))
    const r = room()
    const bad: Record<string, unknown>[] = [
      { room: 'Bad Room', event: 'typing.start' },
      { event: 'typing.start' },
      { room: r },
      { room: r, event: 'typing' },
      { room: r, event: 'Typing.start' },
      { room: r, event: 'typing..start' },
      { room: r, event: '1typing.start' },
      { room: r, event: `typing.${'x'.repeat(58)}` },
      { room: r, event: 'typing.start', data: [1] },
      { room: r, event: 'typing.start', data: 'text' },
      { room: r, event: 'typing.start', data: null },
    ]
    for (const frame of bad) expect(await send(socket, frame), JSON.stringify(frame)).toMatchObject({ type: 'error', error: { code: 'BAD_REQUEST' } })
    // 64 characters is still a name; the room check comes after the frame's.
    expect(await send(socket, { room: r, event: `typing.${'x'.repeat(57)}` })).toMatchObject({ error: { code: 'NOT_SUBSCRIBED' } })
  })

  it('data over 1 KiB of JSON is refused with PAYLOAD_TOO_LARGE; 1 KiB exactly is delivered', async () => {
    const [sender, other] = [await loginAs(app()), await loginAs(app())]
    const r = room()
    const [from, receiver] = [await ready(sender), await ready(other)]
    await from.subscribe(r)
    await receiver.subscribe(r)
    // {"t":"…"} is 8 bytes around the text.
    expect(await send(from, { room: r, event: 'typing.start', data: { t: 'x'.repeat(1017) } })).toMatchObject({ type: 'error', error: { code: 'PAYLOAD_TOO_LARGE' } })
    expect(await send(from, { room: r, event: 'typing.start', data: { t: 'é'.repeat(509) } })).toMatchObject({ type: 'error', error: { code: 'PAYLOAD_TOO_LARGE' } })
    expect(await send(from, { room: r, event: 'typing.start', data: { t: 'x'.repeat(1016) } })).toMatchObject({ type: 'sent' })
    const [event] = await receiver.events(r, 1)
    expect((event!.data as { t: string }).t).toHaveLength(1016)
    await barrier(receiver, r)
    expect(clientEvents(receiver, r)).toEqual([])
  })

  it(`a socket sending more than ${CLIENT_EVENTS_PER_SECOND} a second gets RATE_LIMITED for the excess and stays open`, async () => {
    const [sender, other] = [await loginAs(app()), await loginAs(app())]
    const r = room()
    const [from, fresh, receiver] = [await ready(sender), await ready(sender), await ready(other)]
    for (const socket of [from, fresh, receiver]) await socket.subscribe(r)
    const answers = await Promise.all(Array.from({ length: 3 * CLIENT_EVENTS_PER_SECOND }, (_, n) => send(from, { room: r, event: 'typing.start', data: { n } })))
    expect(answers.slice(0, CLIENT_EVENTS_PER_SECOND).map((a) => a.type)).toEqual(Array(CLIENT_EVENTS_PER_SECOND).fill('sent'))
    const limited = answers.filter((a) => a.type === 'error')
    expect(limited.length).toBeGreaterThan(0)
    expect(limited[0]).toMatchObject({ error: { code: 'RATE_LIMITED', details: { retryAfterMs: expect.any(Number) } } })
    const sent = answers.filter((a) => a.type === 'sent').length
    expect(limited.length + sent).toBe(answers.length)
    // Only what was sent is delivered; the budget is the socket's, not the user's.
    await barrier(receiver, r)
    expect(clientEvents(receiver, r)).toHaveLength(sent)
    expect(await send(fresh, { room: r, event: 'typing.start' })).toMatchObject({ type: 'sent' })
    from.send({ type: 'ping', ref: 'alive' })
    expect(await from.next((m) => m.ref === 'alive')).toEqual({ type: 'pong', ref: 'alive' })
  })
})

describe('publishEphemeral', () => {
  it('reaches every subscriber of the room, with no seq, and is not retained', async () => {
    const user = await loginAs(app())
    const r = room()
    const [a, b] = [await ready(user), await ready(user)]
    await a.subscribe(r)
    await b.subscribe(r)
    await signals.publishers[0]!.publishEphemeral(r, 'typing.stop', { userId: user.id })
    for (const socket of [a, b]) expect((await socket.events(r, 1))[0]).toEqual({ type: 'event', room: r, event: 'typing.stop', data: { userId: user.id }, at: expect.stringMatching(/Z$/) })
    const late = await ready(user)
    expect(await late.subscribe(r, 0)).toMatchObject({ type: 'subscribed', seq: 0 })
    await barrier(late, r)
    expect(clientEvents(late, r)).toEqual([])
  })
})

describe.runIf(process.env.REDIS_URL)('across two instances (Redis)', () => {
  let second: FastifyInstance | undefined
  beforeAll(async () => {
    second = await buildTestApp({ modules: [signals.module, quietModule], setup: async (instance) => void (await instance.listen({ port: 0, host: '127.0.0.1' })) })
  })
  afterAll(() => second?.close())

  it('a client event sent on A reaches a subscriber on B (not the sender); publishEphemeral on B reaches A', async () => {
    const [sender, other] = [await loginAs(app()), await loginAs(app())]
    const r = room()
    const [onA, onB] = [await ready(sender), await ready(other, second)]
    await onA.subscribe(r)
    await onB.subscribe(r)
    expect(await send(onA, { room: r, event: 'typing.start', data: { x: 1 } })).toMatchObject({ type: 'sent' })
    expect((await onB.events(r, 1))[0]).toEqual({ type: 'event', room: r, event: 'typing.start', data: { x: 1, from: sender.id }, at: expect.any(String) })

    const publisherOfB = signals.publishers[1]!
    await publisherOfB.publishEphemeral(r, 'typing.stop', { userId: sender.id })
    expect((await onA.events(r, 1))[0]).toEqual({ type: 'event', room: r, event: 'typing.stop', data: { userId: sender.id }, at: expect.any(String) })
    // Its own typing.start never came back to A.
    await barrier(onA, r, publisherOfB)
    expect(clientEvents(onA, r)).toEqual([])
    expect(await onB.subscribe(r, 0)).toMatchObject({ seq: 1 })
  })
})
