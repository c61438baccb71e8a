import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { SignJWT, decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import {
  MemoryQueueStore,
  MemoryTokenStore,
  createPlinthClient,
  newIdempotencyKey,
  unwrap,
  type Fetch,
  type PlinthClient,
  type QueueEvent,
  type RoomEvent,
  type StoredSession,
} from '../../packages/client/src/index.js'
import { AUDIENCE, ISSUER } from '../../src/core/auth/access-tokens.js'
import type { Database } from '../../src/core/db/client.js'
import { users } from '../../src/core/users/db/schema.js'
import { TEST_SECRETS } from '../helpers/app.js'
import { TEST_PASSWORD, uniqueEmail } from '../helpers/auth.js'
import { privateDatabase } from '../helpers/private-app.js'
import { startServer, type ServerProcess } from '../helpers/server-process.js'

/**
 * @plinth/client against the real server (`src/server.ts` in a child process) on the run's database
 * server (a private copy of the template) and, when set, Redis: sign-in and refresh, realtime after
 * the server closed the socket, and the offline queue across a server restart.
 */
describe('@plinth/client against a Plinth server process', () => {
  let server: ServerProcess
  let port: string
  let database: { database: Database; url: string; release: () => Promise<void> }
  const dataDir = mkdtempSync(join(tmpdir(), 'plinth-client-e2e-'))
  const jobsSchema = `jobs_client_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  const clients: PlinthClient[] = []

  const start = (listenOn: string): Promise<ServerProcess> =>
    startServer({
      NODE_ENV: 'test',
      PORT: listenOn,
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL,
      JOBS_SCHEMA: jobsSchema,
      ...TEST_SECRETS,
      // The shortest access token the server issues: the client refreshes ahead by half of it.
      ACCESS_TOKEN_TTL_SECONDS: '30',
      RATE_LIMIT_PER_MINUTE: '0',
      AUTH_RATE_LIMIT_PER_MINUTE: '0',
      LOGIN_MAX_FAILURES_PER_IP: '100000',
      CYLINDERS_SCAN_RATE_LIMIT_PER_MINUTE: '0',
      CHAT_SEND_RATE_LIMIT_PER_MINUTE: '0',
    })

  beforeAll(async () => {
    database = await privateDatabase()
    server = await start('0')
    port = new URL(server.url).port
  }, 120_000)
  afterAll(async () => {
    for (const client of clients) client.realtime.close()
    await server?.stop()
    await database?.release()
  })

  function client(options: { fetch?: Fetch; tokenStore?: MemoryTokenStore; now?: () => number } = {}): PlinthClient {
    const plinth = createPlinthClient({ baseUrl: server.url, WebSocket, realtime: { backoff: { initialMs: 50, maxMs: 500 } }, ...options })
    clients.push(plinth)
    return plinth
  }

  async function signedUp(plinth = client(), role?: 'admin'): Promise<{ plinth: PlinthClient; id: string; email: string }> {
    const email = uniqueEmail('client')
    const user = await plinth.auth.signUp({ email, password: TEST_PASSWORD, name: 'Client User' })
    if (!role) return { plinth, id: user.id, email }
    await database.database.db.update(users).set({ role }).where(eq(users.id, user.id))
    await plinth.auth.signIn({ email, password: TEST_PASSWORD })
    return { plinth, id: user.id, email }
  }

  /** The session's access token re-signed by the server's key with another expiry (seconds since the epoch). */
  async function withTokenExpiring(session: StoredSession, exp: number): Promise<StoredSession> {
    const { sub, sid, role } = decodeJwt(session.accessToken)
    const accessToken = await new SignJWT({ sub, sid, role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(TEST_SECRETS.JWT_SECRET))
    return { ...session, accessToken }
  }

  /** A fetch that counts the refreshes it forwards. */
  function countingRefreshes(): { fetch: Fetch; refreshes: () => number } {
    let count = 0
    return {
      fetch: (request) => {
        if (new URL(request.url).pathname === '/api/auth/refresh') count++
        return globalThis.fetch(request)
      },
      refreshes: () => count,
    }
  }

  it('signs in; a token that expires mid-run is refreshed once for concurrent calls, and one the server refuses as expired is refreshed and the call retried, unnoticed', async () => {
    let skewMs = 0
    const store = new MemoryTokenStore()
    const counter = countingRefreshes()
    const { plinth, id, email } = await signedUp(client({ tokenStore: store, fetch: counter.fetch, now: () => Date.now() + skewMs }))
    await plinth.auth.signOut()
    await plinth.auth.signIn({ email, password: TEST_PASSWORD })
    const first = store.get()!
    expect(first.lifetimeMs).toBe(30_000)
    expect(await unwrap(plinth.api.GET('/api/auth/me'))).toMatchObject({ id, email })

    // By the device's clock the token has expired: the next calls, all at once, wait for one refresh.
    skewMs = 31_000
    const names = await Promise.all(['A', 'B', 'C'].map(async () => (await unwrap(plinth.api.GET('/api/auth/me'))).name))
    expect(names).toEqual(['Client User', 'Client User', 'Client User'])
    expect(counter.refreshes()).toBe(1)
    // (The access token itself may be the same text: same claims, signed within the same second.)
    const second = store.get()!
    expect(second.refreshToken).not.toBe(first.refreshToken)
    expect(second.expiresAt).toBeGreaterThanOrEqual(first.expiresAt + 31_000)

    // The device thinks its token is good; the server says it expired (401 TOKEN_EXPIRED).
    skewMs = 0
    store.set(await withTokenExpiring(second, Math.floor(Date.now() / 1000) - 60))
    const renamed = await unwrap(plinth.api.PATCH('/api/users/{id}', { params: { path: { id } }, body: { name: 'Renamed', version: 1 } }))
    expect(renamed).toMatchObject({ name: 'Renamed', version: 2 })
    expect(counter.refreshes()).toBe(2)

    // Signed out, the old token is refused everywhere.
    const last = store.get()!.accessToken
    await plinth.auth.signOut()
    expect(store.get()).toBeNull()
    const refused = await fetch(`${server.url}/api/auth/me`, { headers: { authorization: `Bearer ${last}` } })
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('SESSION_REVOKED')
  })

  it('a socket the server closes (4401: its token expired) refreshes, reconnects and replays the events it missed, in order', async () => {
    const author = await signedUp()
    let refreshAsked!: () => void
    const refreshing = new Promise<void>((resolve) => (refreshAsked = resolve))
    let letRefresh!: () => void
    const refreshHeld = new Promise<void>((resolve) => (letRefresh = resolve))
    const store = new MemoryTokenStore()
    const reader = await signedUp(
      client({
        tokenStore: store,
        fetch: async (request) => {
          if (new URL(request.url).pathname === '/api/auth/refresh') {
            refreshAsked()
            await refreshHeld
          }
          return globalThis.fetch(request)
        },
      }),
    )
    const chat = await unwrap(author.plinth.api.POST('/api/chats', { body: { type: 'group', title: 'Replay', participantIds: [reader.id] } }))
    const room = `chat:${chat.id}`
    const post = (text: string) => unwrap(author.plinth.api.POST('/api/chats/{id}/messages', { params: { path: { id: chat.id } }, body: { text, clientId: newIdempotencyKey() } }))

    // The socket's token expires in a few seconds by the server's clock; the client does not know.
    store.set(await withTokenExpiring(store.get()!, Math.floor(Date.now() / 1000) + 4))
    const events: RoomEvent[] = []
    let waiting: { count: number; resolve: () => void } | undefined
    /** Resolves once `count` messages have arrived. */
    const gotEvents = (count: number) => new Promise<void>((resolve) => (events.length >= count ? resolve() : (waiting = { count, resolve })))
    let subscribed!: () => void
    const isSubscribed = new Promise<void>((resolve) => (subscribed = resolve))
    reader.plinth.realtime.subscribe(room, {
      subscribed: () => subscribed(),
      event: (event) => {
        if (event.event !== 'message.sent') return
        events.push(event)
        if (waiting && events.length >= waiting.count) waiting.resolve()
      },
    })
    await isSubscribed
    await post('one')
    await gotEvents(1)

    // The server closes the socket at the token's expiry; the client asks for a refresh, and meanwhile two messages go out.
    await refreshing
    await post('two')
    await post('three')
    letRefresh()
    await gotEvents(3)
    expect(events.map((e) => [e.seq, (e.data as { text: string }).text])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
    ])
    expect(reader.plinth.realtime.lastSeq(room)).toBe(3)
  }, 60_000)

  it('a batch queued while the server is down is delivered once when it is back', async () => {
    const admin = await signedUp(client(), 'admin')
    const location = await unwrap(admin.plinth.api.POST('/api/cylinders/locations', { body: { name: `Customer ${randomUUID().slice(0, 8)}`, kind: 'customer' } }))
    const added = await unwrap(
      admin.plinth.api.POST('/api/cylinders/add', { body: { cylinders: [{ serialNumber: `SN-${randomUUID().slice(0, 13)}`, gasType: 'CO2', capacityLiters: 50, nextTestDue: new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10) }] } }),
    )
    const cylinderId = added.items[0]!.id
    const store = new MemoryQueueStore()
    const queue = admin.plinth.offlineQueue({ store, backoff: { initialMs: 100, maxMs: 400 } })
    const events: QueueEvent[] = []
    queue.onEvent((event) => events.push(event))

    expect(await server.stop()).toBe(0)
    const retrying = new Promise<void>((resolve) => queue.onEvent((e) => e.type === 'retrying' && resolve()))
    const key = newIdempotencyKey()
    const body = { cylinderIds: [cylinderId], locationId: location.id, clientBatchId: key }
    const { delivered } = await queue.enqueue('POST', '/api/cylinders/ship', { body, key })
    await retrying
    expect(events[0]).toMatchObject({ type: 'retrying', error: { code: 'NETWORK_ERROR' } })
    expect(store.load()).toMatchObject([{ key, path: '/api/cylinders/ship', body }])

    server = await start(port)
    const shipment = await delivered
    expect(shipment).toMatchObject({ clientBatchId: key, count: 1 })
    expect(store.load()).toEqual([])
    expect(await unwrap(admin.plinth.api.GET('/api/cylinders/{id}', { params: { path: { id: cylinderId } } }))).toMatchObject({ status: 'sent', locationId: location.id })

    // Sent once more (as after an answer lost on the way back): the original shipment, nothing moved.
    const again = await queue.enqueue('POST', '/api/cylinders/ship', { body, key })
    expect(await again.delivered).toEqual(shipment)
    expect(events.filter((e) => e.type === 'delivered').map((e) => e.type === 'delivered' && e.status)).toEqual([201, 200])
    await queue.close()
  }, 120_000)
})
