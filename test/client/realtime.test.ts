import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MemoryTokenStore, RealtimeClient, createPlinthClient, type RealtimeStatus, type RoomEvent } from '../../packages/client/src/index.js'
import { FakeServer, FakeSocket, errorResponse, json, pair, token, until } from './fakes.js'

const ROOM = 'chat:0190a0a0-0000-7000-8000-0000000000a1'
const clients: RealtimeClient[] = []

beforeEach(() => FakeSocket.reset())
afterEach(() => {
  for (const client of clients.splice(0)) client.close()
})

function setup() {
  const server = new FakeServer()
  server.on('POST /api/auth/refresh', () => json(200, pair('fresh')))
  const store = new MemoryTokenStore({ accessToken: token('a'), refreshToken: 'refresh-a', expiresAt: Date.now() + 600_000, lifetimeMs: 900_000 })
  const plinth = createPlinthClient({ baseUrl: 'http://plinth.test', fetch: server.fetch, tokenStore: store })
  const realtime = new RealtimeClient({ auth: plinth.auth, url: 'ws://plinth.test/api/realtime', WebSocket: FakeSocket, backoff: { initialMs: 1, maxMs: 4 }, random: () => 1 })
  clients.push(realtime)
  const statuses: RealtimeStatus[] = []
  realtime.onStatus((status) => statuses.push(status))
  const events: RoomEvent[] = []
  const resets: number[] = []
  return { server, store, plinth, realtime, statuses, events, resets }
}

const event = (seq: number, data: unknown = { text: `m${seq}` }) => ({ type: 'event', room: ROOM, seq, event: 'message.sent', data, at: '2026-01-01T00:00:00.000Z' })

/** The socket number `index` (0-based) once the client has opened it. */
async function socket(index: number): Promise<FakeSocket> {
  await until(() => FakeSocket.instances.length > index, `socket ${index}`)
  return FakeSocket.instances[index]!
}

/** The subscribe message the socket sent for the room, answered with `subscribed` at `head`. */
async function acceptSubscribe(ws: FakeSocket, head: number): Promise<Record<string, unknown>> {
  await until(() => ws.sentOf('subscribe').length > 0, 'subscribe')
  const subscribe = ws.sentOf('subscribe').at(-1)!
  ws.receive({ type: 'subscribed', room: subscribe.room, seq: head, ref: subscribe.ref })
  return subscribe
}

describe('the realtime client', () => {
  it('connects with the access token, subscribes once ready, and delivers each event once, in order', async () => {
    const { realtime, events } = setup()
    realtime.subscribe(ROOM, (e) => events.push(e))
    const ws = await socket(0)
    expect(ws.token).toBe(token('a'))
    expect(ws.sent).toEqual([])
    ws.open()
    expect(await acceptSubscribe(ws, 4)).toEqual({ type: 'subscribe', room: ROOM, ref: expect.any(String) as unknown })
    ws.receive(event(5))
    ws.receive(event(5))
    ws.receive(event(6))
    ws.receive({ type: 'event', room: ROOM, event: 'typing.start', data: { userId: 'u' }, at: '2026-01-01T00:00:00.000Z' })
    expect(events.map((e) => [e.event, e.seq])).toEqual([['message.sent', 5], ['message.sent', 6], ['typing.start', undefined]])
    expect(realtime.lastSeq(ROOM)).toBe(6)
  })

  it('reconnects with backoff after the socket drops and resubscribes with since, replaying what it missed', async () => {
    const { realtime, events, statuses } = setup()
    realtime.subscribe(ROOM, (e) => events.push(e))
    const first = await socket(0)
    first.open()
    await acceptSubscribe(first, 0)
    first.receive(event(1))
    first.drop(1006)

    const second = await socket(1)
    expect(statuses).toContainEqual({ state: 'reconnecting', attempt: 1, delayMs: 1, closeCode: 1006 })
    second.open()
    expect(await acceptSubscribe(second, 3)).toMatchObject({ room: ROOM, since: 1 })
    second.receive(event(2))
    second.receive(event(3))
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3])
    expect(statuses.at(-1)).toEqual({ state: 'open' })
  })

  it('waits longer after each failed attempt, up to the maximum, and starts over once connected', async () => {
    const { realtime, statuses } = setup()
    realtime.subscribe(ROOM, () => {})
    for (let i = 0; i < 4; i++) (await socket(i)).drop(1006)
    ;(await socket(4)).open()
    ;(await socket(4)).drop(1001)
    await socket(5)
    expect(statuses.filter((s) => s.state === 'reconnecting').map((s) => s.state === 'reconnecting' && [s.attempt, s.delayMs])).toEqual([
      [1, 1],
      [2, 2],
      [3, 4],
      [4, 4],
      [1, 1],
    ])
  })

  it('resubscribes from the last seq it processed when it sees a gap', async () => {
    const { realtime, events } = setup()
    realtime.subscribe(ROOM, (e) => events.push(e))
    const ws = await socket(0)
    ws.open()
    await acceptSubscribe(ws, 10)
    ws.receive(event(11))
    ws.receive(event(13))
    ws.receive(event(14))
    expect(ws.sentOf('subscribe').at(-1)).toMatchObject({ since: 11 })
    expect(ws.sentOf('subscribe')).toHaveLength(2)
    await acceptSubscribe(ws, 14)
    for (const seq of [12, 13, 14]) ws.receive(event(seq))
    expect(events.map((e) => e.seq)).toEqual([11, 12, 13, 14])
  })

  it('passes a reset on and carries on from its seq', async () => {
    const { realtime, events, resets } = setup()
    realtime.subscribe(ROOM, { event: (e) => events.push(e), reset: ({ seq }) => resets.push(seq) }, { since: 3 })
    const ws = await socket(0)
    ws.open()
    expect(await acceptSubscribe(ws, 2000)).toMatchObject({ since: 3 })
    ws.receive({ type: 'reset', room: ROOM, seq: 2000 })
    ws.receive(event(2001))
    expect(resets).toEqual([2000])
    expect(events.map((e) => e.seq)).toEqual([2001])
  })

  it('on a 4401 close refreshes the token and reconnects at once with the new one; a second 4401 waits its backoff', async () => {
    const { realtime, server, statuses } = setup()
    realtime.subscribe(ROOM, () => {})
    const first = await socket(0)
    first.open()
    await acceptSubscribe(first, 0)
    first.drop(4401)
    const second = await socket(1)
    expect(second.token).toBe(token('fresh'))
    expect(server.count('POST /api/auth/refresh')).toBe(1)
    expect(statuses.some((s) => s.state === 'reconnecting')).toBe(false)
    second.open()
    expect(await acceptSubscribe(second, 0)).toMatchObject({ since: 0 })

    second.drop(4401)
    ;(await socket(2)).drop(4401)
    await socket(3)
    expect(statuses.filter((s) => s.state === 'reconnecting')).toEqual([{ state: 'reconnecting', attempt: 2, delayMs: 2, closeCode: 4401 }])
  })

  it('stops, signed out, when the refresh after a 4401 is refused', async () => {
    const { realtime, server, statuses, store } = setup()
    server.on('POST /api/auth/refresh', () => errorResponse(401, 'INVALID_REFRESH_TOKEN'))
    realtime.subscribe(ROOM, () => {})
    ;(await socket(0)).drop(4401)
    await until(() => statuses.some((s) => s.state === 'closed'), 'closed')
    expect(statuses.at(-1)).toEqual({ state: 'closed', reason: 'signedOut' })
    expect(store.get()).toBeNull()
    expect(FakeSocket.instances).toHaveLength(1)
  })

  it('renews the socket token over the socket when the session is refreshed, so the server does not close it', async () => {
    const { realtime, plinth, server } = setup()
    server.on('GET /api/auth/me', () => json(200, {}))
    realtime.subscribe(ROOM, () => {})
    const ws = await socket(0)
    ws.open()
    await acceptSubscribe(ws, 0)
    await plinth.auth.refresh()
    // Not due: nothing to renew.
    expect(ws.sentOf('auth')).toEqual([])
    await plinth.auth.refresh(token('a'))
    await until(() => ws.sentOf('auth').length > 0, 'auth')
    expect(ws.sentOf('auth')[0]).toMatchObject({ token: token('fresh') })
  })

  it('renews the token over the socket when its refresh is due, before the server would close the socket', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      let now = 1_000_000
      const server = new FakeServer().on('POST /api/auth/refresh', () => json(200, pair('fresh')))
      const store = new MemoryTokenStore({ accessToken: token('a'), refreshToken: 'refresh-a', expiresAt: now + 600_000, lifetimeMs: 900_000 })
      const plinth = createPlinthClient({ baseUrl: 'http://plinth.test', fetch: server.fetch, tokenStore: store, now: () => now })
      const realtime = new RealtimeClient({ auth: plinth.auth, url: 'ws://plinth.test/api/realtime', WebSocket: FakeSocket, now: () => now })
      clients.push(realtime)
      realtime.subscribe(ROOM, () => {})
      const ws = await socket(0)
      ws.open(new Date(now + 600_000).toISOString())
      await until(() => vi.getTimerCount() > 0, 'renewal scheduled')
      // Due 60 s before the token expires.
      now += 539_000
      vi.advanceTimersByTime(539_000)
      expect(server.count('POST /api/auth/refresh')).toBe(0)
      now += 1_000
      vi.advanceTimersByTime(1_000)
      await until(() => ws.sentOf('auth').length > 0, 'auth')
      expect(server.count('POST /api/auth/refresh')).toBe(1)
      expect(ws.sentOf('auth')[0]).toMatchObject({ token: token('fresh') })
    } finally {
      vi.useRealTimers()
    }
  })

  it('a revoked room says so and is not resubscribed; a refused subscribe is reported and dropped', async () => {
    const { realtime } = setup()
    const revoked: string[] = []
    const errors: string[] = []
    realtime.subscribe(ROOM, { revoked: ({ room }) => revoked.push(room) })
    realtime.subscribe('chat:other', { error: (e) => errors.push(e.code) })
    const ws = await socket(0)
    ws.open()
    await until(() => ws.sentOf('subscribe').length === 2, 'subscribes')
    const [mine, other] = ws.sentOf('subscribe')
    ws.receive({ type: 'subscribed', room: ROOM, seq: 0, ref: mine!.ref })
    ws.receive({ type: 'error', ref: other!.ref, error: { code: 'FORBIDDEN', message: 'no', details: {} } })
    ws.receive({ type: 'unsubscribed', room: ROOM, reason: 'revoked' })
    expect(revoked).toEqual([ROOM])
    expect(errors).toEqual(['FORBIDDEN'])

    ws.drop(1001)
    const next = await socket(1)
    next.open()
    expect(next.sentOf('subscribe')).toEqual([])
  })

  it('sends client events to a subscribed room: resolved when the server accepts, rejected with its code when not', async () => {
    const { realtime } = setup()
    realtime.subscribe(ROOM, () => {})
    await expect(realtime.send(ROOM, 'typing.start')).rejects.toMatchObject({ code: 'NOT_SUBSCRIBED' })
    const ws = await socket(0)
    ws.open()
    await acceptSubscribe(ws, 0)

    const accepted = realtime.send(ROOM, 'typing.start', { draft: true })
    const refused = realtime.send(ROOM, 'typing.start')
    const [first, second] = ws.sentOf('send')
    expect(first).toMatchObject({ room: ROOM, event: 'typing.start', data: { draft: true } })
    ws.receive({ type: 'sent', ref: first!.ref })
    ws.receive({ type: 'error', ref: second!.ref, error: { code: 'RATE_LIMITED', message: 'slow down', details: { retryAfterMs: 100 } } })
    await expect(accepted).resolves.toBeUndefined()
    await expect(refused).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterMs: 100 } })

    const pending = realtime.send(ROOM, 'typing.stop')
    ws.drop(1006)
    await expect(pending).rejects.toMatchObject({ code: 'NETWORK_ERROR' })
  })

  it('unsubscribes from the server when the last handler of a room leaves', async () => {
    const { realtime } = setup()
    const a = realtime.subscribe(ROOM, () => {})
    const b = realtime.subscribe(ROOM, () => {})
    const ws = await socket(0)
    ws.open()
    await acceptSubscribe(ws, 7)
    expect(a.lastSeq).toBe(7)
    a.unsubscribe()
    expect(ws.sentOf('unsubscribe')).toEqual([])
    b.unsubscribe()
    expect(ws.sentOf('unsubscribe')).toMatchObject([{ room: ROOM }])
    expect(ws.sentOf('subscribe')).toHaveLength(1)
  })
})
