import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_SECRETS } from '../helpers/app.js'
import { TEST_PASSWORD, uniqueEmail } from '../helpers/auth.js'
import { startServer, type ServerProcess } from '../helpers/server-process.js'
import { TestSocket } from '../helpers/ws-client.js'

/**
 * Two server processes on one PostgreSQL and one Redis, as behind a load balancer: what one
 * instance does, the other sees.
 */
describe.runIf(process.env.REDIS_URL)('two instances on one PostgreSQL and Redis', () => {
  let a: ServerProcess
  let b: ServerProcess
  const sockets: TestSocket[] = []

  beforeAll(async () => {
    const env = {
      NODE_ENV: 'test',
      DATABASE_URL: process.env.DATABASE_URL,
      REDIS_URL: process.env.REDIS_URL,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'plinth-multi-')),
      AUTH_RATE_LIMIT_PER_MINUTE: '0',
      LOGIN_MAX_FAILURES: '3',
      LOGIN_MAX_FAILURES_PER_IP: '1000',
      ...TEST_SECRETS,
    }
    ;[a, b] = await Promise.all([startServer(env), startServer(env)])
  })
  afterAll(async () => {
    for (const socket of sockets) socket.close()
    await Promise.all([a?.stop(), b?.stop()])
  })

  async function register(server: ServerProcess): Promise<{ id: string; email: string; accessToken: string }> {
    const email = uniqueEmail('multi')
    const response = await fetch(`${server.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: TEST_PASSWORD, name: 'Multi' }),
    })
    expect(response.status).toBe(201)
    const body = (await response.json()) as { user: { id: string }; accessToken: string }
    return { id: body.user.id, email, accessToken: body.accessToken }
  }

  const rename = (server: ServerProcess, user: { id: string; accessToken: string }, name: string, version: number) =>
    fetch(`${server.url}/api/users/${user.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.accessToken}` },
      body: JSON.stringify({ name, version }),
    })

  function socketTo(server: ServerProcess, accessToken: string): TestSocket {
    const socket = TestSocket.connect(`${server.url.replace('http', 'ws')}/api/realtime`, { authorization: `Bearer ${accessToken}` })
    sockets.push(socket)
    return socket
  }

  it('a socket on A receives the event a request to B caused; a reconnect to B replays what it missed', async () => {
    const user = await register(a)
    const room = `user:${user.id}`
    const onA = socketTo(a, user.accessToken)
    await onA.ofType('ready')
    await onA.subscribe(room)

    expect((await rename(b, user, 'Second', 1)).status).toBe(200)
    expect((await onA.events(room, 1))[0]).toMatchObject({ seq: 1, event: 'user.updated', data: { name: 'Second' } })

    onA.close()
    await onA.closed
    // Events are published after the response: a watcher on A says when each one is out, so the
    // second rename follows the first one's event and the replay below asks after both.
    const watcher = socketTo(a, user.accessToken)
    await watcher.ofType('ready')
    await watcher.subscribe(room)
    expect((await rename(b, user, 'Third', 2)).status).toBe(200)
    expect((await watcher.events(room, 1))[0]).toMatchObject({ seq: 2 })
    expect((await rename(a, user, 'Fourth', 3)).status).toBe(200)
    expect((await watcher.events(room, 1))[0]).toMatchObject({ seq: 3 })
    watcher.close()

    const onB = socketTo(b, user.accessToken)
    await onB.ofType('ready')
    expect(await onB.subscribe(room, 1)).toMatchObject({ type: 'subscribed', seq: 3 })
    expect((await onB.events(room, 2)).map((e) => [e.seq, (e.data as { name: string }).name])).toEqual([[2, 'Third'], [3, 'Fourth']])
  })

  it('a session revoked on A is refused on B at once', async () => {
    const user = await register(a)
    const headers = { authorization: `Bearer ${user.accessToken}` }
    expect((await fetch(`${b.url}/api/auth/me`, { headers })).status).toBe(200)
    expect((await fetch(`${a.url}/api/auth/logout`, { method: 'POST', headers })).status).toBe(204)
    const refused = await fetch(`${b.url}/api/auth/me`, { headers })
    expect(refused.status).toBe(401)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('SESSION_REVOKED')
  })

  it('the failed-login limit is shared: failures on A lock the account out on B', async () => {
    const user = await register(a)
    const login = (server: ServerProcess, password: string) =>
      fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password }) })
    for (let i = 0; i < 3; i++) expect((await login(a, 'wrong password here')).status).toBe(401)
    const locked = await login(b, TEST_PASSWORD)
    expect(locked.status).toBe(429)
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
  })
  it('chat: a socket that drops during a burst of messages and resubscribes with since on the other instance gets every message once, in seq order', async () => {
    const [author, reader] = [await register(a), await register(b)]
    const post = (server: ServerProcess, path: string, body: unknown, token = author.accessToken) =>
      fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) })
    const created = await post(a, '/api/chats', { type: 'group', title: 'Burst', participantIds: [reader.id] })
    expect(created.status).toBe(201)
    const chat = (await created.json()) as { id: string }
    const room = `chat:${chat.id}`

    const onA = socketTo(a, reader.accessToken)
    await onA.ofType('ready')
    expect(await onA.subscribe(room)).toMatchObject({ type: 'subscribed', seq: 0 })
    // A burst of 40 sends, half to each instance, the same clientId sent twice for each (a retry).
    const burst = Array.from({ length: 40 }, (_, i) => i)
    const sends = burst.map(async (i) => {
      const server = i % 2 === 0 ? a : b
      const first = await post(server, `/api/chats/${chat.id}/messages`, { text: `m${i}`, clientId: `burst-${i}` })
      const retry = await post(i % 2 === 0 ? b : a, `/api/chats/${chat.id}/messages`, { text: `m${i}`, clientId: `burst-${i}` })
      return [first.status, retry.status]
    })
    // The reader drops after the first few events it got.
    const received = await onA.events(room, 5, 10_000)
    onA.close()
    await onA.closed
    expect((await Promise.all(sends)).every(([first, retry]) => first === 201 && retry === 200)).toBe(true)

    const last = received.at(-1)!.seq as number
    const onB = socketTo(b, reader.accessToken)
    await onB.ofType('ready')
    expect(await onB.subscribe(room, last)).toMatchObject({ type: 'subscribed', seq: 40 })
    const rest = (await onB.events(room, 40 - last, 10_000)).filter((e) => e.event === 'message.sent')
    const seqs = [...received, ...rest].map((e) => e.seq)
    expect(seqs).toEqual(burst.map((i) => i + 1))
    const texts = [...received, ...rest].map((e) => (e.data as { text: string }).text)
    expect(new Set(texts).size).toBe(40)
    expect(texts.sort()).toEqual(burst.map((i) => `m${i}`).sort())
  }, 60_000)
})
