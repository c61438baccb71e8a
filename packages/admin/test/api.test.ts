import { describe, expect, it, vi } from 'vitest'
import { Api, ApiError } from '../src/lib/api.ts'
import { adminUser, fakeFetch, tokenPair } from './fake-server.ts'

function memoryStorage(): Storage & { data: Map<string, string> } {
  const data = new Map<string, string>()
  return { data, getItem: (key: string) => data.get(key) ?? null, setItem: (key: string, value: string) => void data.set(key, value), removeItem: (key: string) => void data.delete(key) } as unknown as Storage & { data: Map<string, string> }
}
const session = (storage: { getItem(key: string): string | null }) => JSON.parse(storage.getItem('plinth.admin.session') ?? 'null') as { refreshToken: string } | null

const expired = { status: 401, body: { error: { code: 'TOKEN_EXPIRED', message: 'The access token has expired; refresh it.', details: {} } } }

describe('Api', () => {
  it('signs in with an e-mail or a username and sends the access token after', async () => {
    const server = fakeFetch({ 'POST /api/auth/login': () => ({ body: { user: adminUser, ...tokenPair(1) } }), 'GET /api/auth/me': () => ({ body: adminUser }) })
    const api = new Api({ fetch: server.fetch, storage: memoryStorage(), onSessionEnd: vi.fn() })
    await api.signIn('admin@example.com', 'pw')
    await api.signIn('admin', 'pw')
    expect(server.calls[0]!.body).toEqual({ email: 'admin@example.com', password: 'pw' })
    expect(server.calls[1]!.body).toEqual({ username: 'admin', password: 'pw' })
    expect(server.calls[1]!.headers.authorization).toBeUndefined()
    await api.get('/api/auth/me')
    expect(server.calls[2]!.headers.authorization).toBe('Bearer aaa.bbb.c1')
  })

  it('refreshes once for concurrent calls whose token expired, rotates the refresh token and retries each once', async () => {
    let refreshes = 0
    const server = fakeFetch({
      'POST /api/auth/login': () => ({ body: { user: adminUser, ...tokenPair(1) } }),
      'POST /api/auth/refresh': () => ({ body: tokenPair(++refreshes + 1) }),
      'GET /api/users': (call) => (call.headers.authorization === 'Bearer aaa.bbb.c2' ? { body: { items: [], nextCursor: null } } : expired),
    })
    const store = memoryStorage()
    const api = new Api({ fetch: server.fetch, storage: store, onSessionEnd: vi.fn() })
    await api.signIn('admin@example.com', 'pw')
    const pages = await Promise.all([api.get('/api/users'), api.get('/api/users'), api.get('/api/users')])
    expect(pages).toEqual([{ items: [], nextCursor: null }, { items: [], nextCursor: null }, { items: [], nextCursor: null }])
    expect(refreshes).toBe(1)
    expect(server.calls.find((call) => call.url === '/api/auth/refresh')!.body).toEqual({ refreshToken: 'refresh1' })
    expect(session(store)!.refreshToken).toBe('refresh2')
  })

  it('refreshes ahead of expiry, before the request is sent', async () => {
    let now = 0
    const server = fakeFetch({
      'POST /api/auth/login': () => ({ body: { user: adminUser, ...tokenPair(1) } }),
      'POST /api/auth/refresh': () => ({ body: tokenPair(2) }),
      'GET /api/auth/me': () => ({ body: adminUser }),
    })
    const api = new Api({ fetch: server.fetch, storage: memoryStorage(), onSessionEnd: vi.fn(), now: () => now })
    await api.signIn('admin@example.com', 'pw')
    now = 880_000 // 20 s before the 900 s token expires
    await api.get('/api/auth/me')
    expect(server.calls.map((call) => `${call.method} ${call.url}`)).toEqual(['POST /api/auth/login', 'POST /api/auth/refresh', 'GET /api/auth/me'])
    expect(server.calls[2]!.headers.authorization).toBe('Bearer aaa.bbb.c2')
  })

  it('ends the session once when the refresh token is refused, and forgets the tokens', async () => {
    const onSessionEnd = vi.fn()
    const server = fakeFetch({
      'POST /api/auth/login': () => ({ body: { user: adminUser, ...tokenPair(1) } }),
      'POST /api/auth/refresh': () => ({ status: 401, body: { error: { code: 'INVALID_REFRESH_TOKEN', message: 'expired', details: {} } } }),
      'GET /api/users': () => expired,
    })
    const store = memoryStorage()
    const api = new Api({ fetch: server.fetch, storage: store, onSessionEnd })
    await api.signIn('admin@example.com', 'pw')
    const results = await Promise.allSettled([api.get('/api/users'), api.get('/api/users')])
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected'])
    expect(onSessionEnd).toHaveBeenCalledTimes(1)
    expect(session(store)).toBeNull()
    expect(api.signedIn).toBe(false)
  })

  it('ends the session without a refresh when the server says it was revoked', async () => {
    const onSessionEnd = vi.fn()
    const server = fakeFetch({
      'POST /api/auth/login': () => ({ body: { user: adminUser, ...tokenPair(1) } }),
      'GET /api/users': () => ({ status: 401, body: { error: { code: 'SESSION_REVOKED', message: 'The session has ended; sign in again.', details: {} } } }),
    })
    const api = new Api({ fetch: server.fetch, storage: memoryStorage(), onSessionEnd })
    await api.signIn('admin@example.com', 'pw')
    await expect(api.get('/api/users')).rejects.toMatchObject({ code: 'SESSION_REVOKED', status: 401 })
    expect(server.calls.some((call) => call.url === '/api/auth/refresh')).toBe(false)
    expect(onSessionEnd).toHaveBeenCalledTimes(1)
  })

  it('turns the error shape into an ApiError with its field errors, and knows a missing route', async () => {
    const server = fakeFetch({
      'POST /api/users': () => ({ status: 400, body: { error: { code: 'VALIDATION_FAILED', message: 'The request is invalid.', details: { email: 'must match format "email"', rows: [{ line: 2 }] } } } }),
    })
    const api = new Api({ fetch: server.fetch, storage: memoryStorage(), onSessionEnd: vi.fn() })
    const error = (await api.post('/api/users', { email: 'x' }).catch((caught: unknown) => caught)) as ApiError
    expect(error).toBeInstanceOf(ApiError)
    expect(error.code).toBe('VALIDATION_FAILED')
    expect(error.fields).toEqual({ email: 'must match format "email"' })
    const missing = (await api.get('/api/admin/nothing').catch((caught: unknown) => caught)) as ApiError
    expect(missing.routeMissing).toBe(true)
  })
})
