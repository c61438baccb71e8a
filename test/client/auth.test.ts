import { describe, expect, it } from 'vitest'
import { LocalStorageTokenStore, MemoryTokenStore, PlinthError, createPlinthClient, unwrap, type AuthEvent, type StorageLike, type StoredSession } from '../../packages/client/src/index.js'
import { FakeServer, errorResponse, gate, json, pair, token, user } from './fakes.js'

const BASE = 'http://plinth.test'

/** A session stored `msLeft` before its 900 s token expires, by the test's clock. */
const session = (name: string, now: number, msLeft = 600_000): StoredSession => ({ accessToken: token(name), refreshToken: `refresh-${name}`, expiresAt: now + msLeft, lifetimeMs: 900_000 })

function setup(options: { store?: MemoryTokenStore | LocalStorageTokenStore; now?: () => number } = {}) {
  const server = new FakeServer()
  const store = options.store ?? new MemoryTokenStore()
  const plinth = createPlinthClient({ baseUrl: BASE, fetch: server.fetch, tokenStore: store, now: options.now ?? (() => 1_000_000) })
  const events: AuthEvent[] = []
  plinth.auth.onChange((event) => events.push(event))
  return { server, store, plinth, events }
}

const meAs = (expected: string) => (request: { authorization: string | null }) => (request.authorization === `Bearer ${token(expected)}` ? json(200, user) : errorResponse(401, 'TOKEN_EXPIRED'))

describe('signing in, up and out', () => {
  it('signs in, keeps the pair in the store with its expiry, and sends the token with API calls', async () => {
    const now = 5_000_000
    const { server, store, plinth, events } = setup({ now: () => now })
    server.on('POST /api/auth/login', () => json(200, { user, ...pair('a', 900) })).on('GET /api/auth/me', meAs('a'))

    expect(await plinth.auth.signIn({ email: user.email, password: 'a long enough passphrase' })).toEqual(user)
    expect(store.get()).toEqual({ accessToken: token('a'), refreshToken: 'refresh-a', expiresAt: now + 900_000, lifetimeMs: 900_000 })
    expect(server.requests[0]).toMatchObject({ body: { email: user.email, password: 'a long enough passphrase' }, authorization: null })
    expect(events).toEqual([{ type: 'signedIn', user }])
    expect(await unwrap(plinth.api.GET('/api/auth/me'))).toEqual(user)
  })

  it('signs up with 201 and is signed in', async () => {
    const { server, store, plinth } = setup()
    server.on('POST /api/auth/register', () => json(201, { user, ...pair('new') }))
    await plinth.auth.signUp({ email: user.email, password: 'a long enough passphrase', name: 'Ada' })
    expect(store.get()?.accessToken).toBe(token('new'))
  })

  it('a refused sign-in rejects with the catalog code and stores nothing', async () => {
    const { server, store, plinth } = setup()
    server.on('POST /api/auth/login', () => errorResponse(429, 'LOGIN_LOCKED', { 'retry-after': '30' }))
    const error = await plinth.auth.signIn({ username: 'ada', password: 'wrong' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PlinthError)
    expect(error).toMatchObject({ status: 429, code: 'LOGIN_LOCKED', retryAfterSeconds: 30, requestId: 'req-1' })
    expect(store.get()).toBeNull()
  })

  it('signs out on the server with the current token and forgets the session, even when the server cannot be reached', async () => {
    const { server, store, plinth, events } = setup({ store: new MemoryTokenStore(session('a', 1_000_000)) })
    server.on('POST /api/auth/logout', () => json(204, null))
    await plinth.auth.signOut()
    expect(server.requests.map((r) => [r.method, r.path, r.authorization])).toEqual([['POST', '/api/auth/logout', `Bearer ${token('a')}`]])
    expect(store.get()).toBeNull()
    expect(events).toEqual([{ type: 'signedOut', reason: 'signOut' }])

    const offline = createPlinthClient({ baseUrl: BASE, fetch: () => Promise.reject(new TypeError('fetch failed')), tokenStore: new MemoryTokenStore(session('b', Date.now())) })
    await offline.auth.signOut()
    expect(await offline.auth.session()).toBeNull()
  })
})

describe('refreshing the access token', () => {
  it('refreshes ahead of expiry once for many concurrent calls, which all carry the new token', async () => {
    const now = 1_000_000
    // 30 s left of a 900 s token: inside the 60 s refresh window.
    const { server, store, plinth, events } = setup({ store: new MemoryTokenStore(session('old', now, 30_000)), now: () => now })
    const held = gate()
    server.on('POST /api/auth/refresh', async () => {
      await held.promise
      return json(200, pair('new'))
    })
    server.on('GET /api/auth/me', meAs('new'))

    const calls = Array.from({ length: 5 }, () => unwrap(plinth.api.GET('/api/auth/me')))
    held.open()
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 5 }, () => user))
    expect(server.count('POST /api/auth/refresh')).toBe(1)
    expect(server.requests.find((r) => r.path === '/api/auth/refresh')?.body).toEqual({ refreshToken: 'refresh-old' })
    expect(server.requests.filter((r) => r.path === '/api/auth/me').map((r) => r.authorization)).toEqual(Array.from({ length: 5 }, () => `Bearer ${token('new')}`))
    expect(store.get()).toMatchObject({ accessToken: token('new'), refreshToken: 'refresh-new', expiresAt: now + 900_000 })
    expect(events).toEqual([{ type: 'refreshed' }])
  })

  it('refreshes ahead by at most half the lifetime of a short token', async () => {
    const now = 1_000_000
    // A 30 s token with 20 s left: 60 s ahead would refresh at once, half its lifetime (15 s) does not.
    const store = new MemoryTokenStore({ accessToken: token('short'), refreshToken: 'refresh-short', expiresAt: now + 20_000, lifetimeMs: 30_000 })
    const { server, plinth } = setup({ store, now: () => now })
    server.on('GET /api/auth/me', meAs('short'))
    await unwrap(plinth.api.GET('/api/auth/me'))
    expect(server.count('POST /api/auth/refresh')).toBe(0)
  })

  it('retries a call refused with 401 TOKEN_EXPIRED once, after one refresh shared by every refused call', async () => {
    const { server, plinth } = setup({ store: new MemoryTokenStore(session('old', 1_000_000)) })
    server.on('POST /api/auth/refresh', () => json(200, pair('new')))
    server.on('POST /api/chats', (request) => (request.authorization === `Bearer ${token('new')}` ? json(201, { id: 'chat', echoed: request.body }) : errorResponse(401, 'TOKEN_EXPIRED')))

    const body = { type: 'group' as const, title: 'Retried', participantIds: [] }
    const results = await Promise.all([plinth.api.POST('/api/chats', { body }), plinth.api.POST('/api/chats', { body })])
    expect(results.map((r) => r.response.status)).toEqual([201, 201])
    // The retry carried the same body.
    expect(results[0].data).toMatchObject({ echoed: body })
    expect(server.count('POST /api/auth/refresh')).toBe(1)
    expect(server.count('POST /api/chats')).toBe(4)
  })

  it('does not retry a second time: a call still refused after the refresh fails with its 401', async () => {
    const { server, plinth } = setup({ store: new MemoryTokenStore(session('old', 1_000_000)) })
    server.on('POST /api/auth/refresh', () => json(200, pair('new')))
    server.on('GET /api/auth/me', () => errorResponse(401, 'INVALID_TOKEN'))
    const error = await unwrap(plinth.api.GET('/api/auth/me')).catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 401, code: 'INVALID_TOKEN' })
    expect(server.count('GET /api/auth/me')).toBe(2)
    expect(server.count('POST /api/auth/refresh')).toBe(1)
  })

  it('a refused refresh signs out: the store is cleared, listeners hear why, and the call fails with its 401', async () => {
    const { server, store, plinth, events } = setup({ store: new MemoryTokenStore(session('old', 1_000_000)) })
    server.on('POST /api/auth/refresh', () => errorResponse(401, 'REFRESH_TOKEN_REUSED'))
    server.on('GET /api/auth/me', () => errorResponse(401, 'TOKEN_EXPIRED'))
    const error = await unwrap(plinth.api.GET('/api/auth/me')).catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' })
    expect(store.get()).toBeNull()
    expect(events).toEqual([{ type: 'signedOut', reason: 'sessionEnded', error: expect.objectContaining({ code: 'REFRESH_TOKEN_REUSED' }) as unknown }])
  })

  it('a 401 SESSION_REVOKED signs out without trying a refresh', async () => {
    const { server, store, plinth, events } = setup({ store: new MemoryTokenStore(session('old', 1_000_000)) })
    server.on('GET /api/auth/me', () => errorResponse(401, 'SESSION_REVOKED'))
    expect((await plinth.api.GET('/api/auth/me')).response.status).toBe(401)
    expect(server.count('POST /api/auth/refresh')).toBe(0)
    expect(store.get()).toBeNull()
    expect(events.map((e) => e.type)).toEqual(['signedOut'])
  })

  it('a due refresh that cannot reach the server does not fail a call the current token still serves', async () => {
    const now = 1_000_000
    const { server, store, plinth } = setup({ store: new MemoryTokenStore(session('old', now, 30_000)), now: () => now })
    server.on('POST /api/auth/refresh', () => errorResponse(503, 'SERVICE_UNAVAILABLE'))
    server.on('GET /api/auth/me', meAs('old'))
    expect(await unwrap(plinth.api.GET('/api/auth/me'))).toEqual(user)
    expect(store.get()?.accessToken).toBe(token('old'))
  })

  it('a tab whose token was refused while another tab refreshed uses the pair that tab stored, without refreshing again', async () => {
    const storage = memoryStorage()
    const tabA = new LocalStorageTokenStore('plinth.session', storage)
    tabA.set(session('old', 1_000_000))
    const a = setup({ store: tabA })
    const b = setup({ store: new LocalStorageTokenStore('plinth.session', storage) })
    a.server.on('POST /api/auth/refresh', () => json(200, pair('new'))).on('GET /api/auth/me', meAs('new'))
    const held = gate()
    b.server.on('GET /api/auth/me', async (request) => {
      if (request.authorization !== `Bearer ${token('old')}`) return json(200, user)
      await held.promise
      return errorResponse(401, 'TOKEN_EXPIRED')
    })
    // Tab B's call with the old token is in flight while tab A meets the expired token and refreshes.
    const inB = unwrap(b.plinth.api.GET('/api/auth/me'))
    expect(await unwrap(a.plinth.api.GET('/api/auth/me'))).toEqual(user)
    held.open()
    expect(await inB).toEqual(user)
    expect(b.server.count('POST /api/auth/refresh')).toBe(0)
    expect(b.server.requests.map((r) => r.authorization)).toEqual([`Bearer ${token('old')}`, `Bearer ${token('new')}`])
    expect(JSON.parse(storage.getItem('plinth.session')!)).toMatchObject({ accessToken: token('new'), refreshToken: 'refresh-new' })
  })
})

describe('errors', () => {
  it('are PlinthErrors with the code, message, details, request id and Retry-After of the answer', async () => {
    const { server, plinth } = setup()
    server.on('POST /api/auth/register', () => json(400, { error: { code: 'VALIDATION_FAILED', message: 'The request is invalid.', details: { email: 'must be an e-mail' } } }, { 'x-request-id': 'r-42' }))
    const error = await plinth.auth.signUp({ email: 'nope', password: 'x', name: 'A' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PlinthError)
    expect(error).toMatchObject({ name: 'PlinthError', status: 400, code: 'VALIDATION_FAILED', message: 'The request is invalid.', details: { email: 'must be an e-mail' }, requestId: 'r-42', retryAfterSeconds: undefined })
  })

  it('no answer is NETWORK_ERROR, an answer without the error shape UNEXPECTED_RESPONSE', async () => {
    const offline = createPlinthClient({ baseUrl: BASE, fetch: () => Promise.reject(new TypeError('connect ECONNREFUSED')) })
    await expect(offline.auth.signIn({ email: user.email, password: 'x' })).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' })
    const proxied = createPlinthClient({ baseUrl: BASE, fetch: async () => new Response('<html>Bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }) })
    await expect(unwrap(proxied.api.GET('/health'))).rejects.toMatchObject({ status: 502, code: 'UNEXPECTED_RESPONSE' })
  })
})

describe('token stores', () => {
  it('LocalStorageTokenStore keeps the session as JSON under its key and ignores what is not a session', () => {
    const storage = memoryStorage()
    const store = new LocalStorageTokenStore('k', storage)
    expect(store.get()).toBeNull()
    store.set(session('a', 0))
    expect(new LocalStorageTokenStore('k', storage).get()).toEqual(session('a', 0))
    storage.setItem('k', '{"accessToken":1}')
    expect(store.get()).toBeNull()
    store.set(null)
    expect(storage.getItem('k')).toBeNull()
  })

  it('LocalStorageTokenStore without a localStorage says what to pass', () => {
    expect(() => new LocalStorageTokenStore()).toThrow(/pass a storage/)
  })
})

function memoryStorage(): StorageLike {
  const items = new Map<string, string>()
  return { getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value), removeItem: (key) => void items.delete(key) }
}
