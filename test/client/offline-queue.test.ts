import { afterEach, describe, expect, it } from 'vitest'
import { LocalStorageQueueStore, MemoryQueueStore, MemoryTokenStore, createPlinthClient, type OfflineQueue, type QueueEvent, type QueueStore, type StorageLike } from '../../packages/client/src/index.js'
import { FakeServer, errorResponse, json, token } from './fakes.js'

const BASE = 'http://plinth.test'
const queues: OfflineQueue[] = []
afterEach(() => {
  for (const queue of queues.splice(0)) void queue.close()
})

/** A fake cylinders server that applies each clientBatchId once, as the real one does. */
function setup(store = new MemoryQueueStore()) {
  const server = new FakeServer()
  let reachable = true
  const applied = new Map<string, { id: string; cylinderIds: unknown }>()
  server.on('POST /api/cylinders/ship', (request) => {
    const body = request.body as { clientBatchId: string; cylinderIds: string[] }
    const earlier = applied.get(body.clientBatchId)
    if (earlier) return json(200, earlier)
    const shipment = { id: `shipment-${applied.size + 1}`, cylinderIds: body.cylinderIds }
    applied.set(body.clientBatchId, shipment)
    return json(201, shipment)
  })
  const fetch = (request: Request) => (reachable ? server.fetch(request) : Promise.reject(new TypeError('connect ECONNREFUSED')))
  const plinth = createPlinthClient({ baseUrl: BASE, fetch, tokenStore: new MemoryTokenStore({ accessToken: token('a'), refreshToken: 'r', expiresAt: Date.now() + 600_000, lifetimeMs: 900_000 }) })
  const open = (queueStore: QueueStore = store, backoff = { initialMs: 1, maxMs: 8 }) => {
    // random() = 1: each delay is its full backoff step.
    const queue = plinth.offlineQueue({ store: queueStore, backoff, random: () => 1 })
    queues.push(queue)
    const events: QueueEvent[] = []
    queue.onEvent((event) => events.push(event))
    return { queue, events }
  }
  return { server, store, plinth, applied, open, setReachable: (value: boolean) => (reachable = value) }
}

/** Resolves with the first event of `type` the queue emits from now on. */
const next = (queue: OfflineQueue, type: QueueEvent['type']): Promise<QueueEvent> =>
  new Promise((resolve) => {
    const stop = queue.onEvent((event) => {
      if (event.type !== type) return
      stop()
      resolve(event)
    })
  })

const ship = (queue: OfflineQueue, batch: string, cylinderIds = ['0190a0a0-0000-7000-8000-0000000000c1']) =>
  queue.enqueue('POST', '/api/cylinders/ship', { body: { cylinderIds, locationId: '0190a0a0-0000-7000-8000-0000000000d1', clientBatchId: batch }, key: batch })

describe('the offline queue', () => {
  it('sends writes one at a time in the order queued, with the session token, and resolves each with its answer', async () => {
    const { server, open } = setup()
    const { queue, events } = open()
    const first = await ship(queue, 'b1')
    const second = await ship(queue, 'b2')
    expect(await first.delivered).toEqual({ id: 'shipment-1', cylinderIds: ['0190a0a0-0000-7000-8000-0000000000c1'] })
    expect(await second.delivered).toMatchObject({ id: 'shipment-2' })
    expect(server.requests.map((r) => [(r.body as { clientBatchId: string }).clientBatchId, r.authorization])).toEqual([
      ['b1', `Bearer ${token('a')}`],
      ['b2', `Bearer ${token('a')}`],
    ])
    expect(events.map((e) => [e.type, e.write.key, e.type === 'delivered' ? e.status : 0])).toEqual([
      ['delivered', 'b1', 201],
      ['delivered', 'b2', 201],
    ])
    expect(await queue.pending()).toEqual([])
  })

  it('keeps writes in the store while the server is unreachable, retries with growing delays, and delivers each once when it is back', async () => {
    const { applied, open, setReachable, store } = setup()
    const { queue, events } = open()
    setReachable(false)
    const retried = new Promise<void>((resolve) => queue.onEvent((e) => e.type === 'retrying' && e.write.attempts === 3 && resolve()))
    const batch = await ship(queue, 'offline-1')
    await ship(queue, 'offline-2')
    await retried
    expect(store.load().map((w) => w.key)).toEqual(['offline-1', 'offline-2'])
    expect(events.filter((e) => e.type === 'retrying').slice(0, 3).map((e) => [e.write.key, e.type === 'retrying' && e.error.code, e.type === 'retrying' && e.delayMs])).toEqual([
      ['offline-1', 'NETWORK_ERROR', 1],
      ['offline-1', 'NETWORK_ERROR', 2],
      ['offline-1', 'NETWORK_ERROR', 4],
    ])

    setReachable(true)
    expect(await batch.delivered).toMatchObject({ id: 'shipment-1' })
    await queue.flush()
    expect([...applied.keys()]).toEqual(['offline-1', 'offline-2'])
    expect(store.load()).toEqual([])
  })

  it('a write whose answer was lost is sent again with the same key and applied once', async () => {
    const { server, applied, plinth } = setup()
    let loseNext = true
    const lossy = createPlinthClient({
      baseUrl: BASE,
      fetch: async (request) => {
        const response = await server.fetch(request)
        if (!loseNext) return response
        loseNext = false
        throw new TypeError('socket hang up')
      },
      tokenStore: new MemoryTokenStore(await plinth.auth.session()),
    })
    const queue = lossy.offlineQueue({ backoff: { initialMs: 1 } })
    queues.push(queue)
    const { delivered } = await ship(queue, 'lost-answer')
    expect(await delivered).toMatchObject({ id: 'shipment-1' })
    expect(server.count('POST /api/cylinders/ship')).toBe(2)
    expect(applied.size).toBe(1)
  })

  it('replays what an earlier page or process left in the store, in order, when it opens', async () => {
    const storage = memoryStorage()
    const { applied, open, setReachable } = setup()
    setReachable(false)
    const before = open(new LocalStorageQueueStore('q', storage))
    await ship(before.queue, 'left-1')
    await ship(before.queue, 'left-2')
    await before.queue.close()
    expect((JSON.parse(storage.getItem('q')!) as { key: string }[]).map((w) => w.key)).toEqual(['left-1', 'left-2'])

    setReachable(true)
    const after = open(new LocalStorageQueueStore('q', storage))
    await until(after.events, 2)
    expect(after.events.map((e) => [e.type, e.write.key])).toEqual([
      ['delivered', 'left-1'],
      ['delivered', 'left-2'],
    ])
    expect([...applied.keys()]).toEqual(['left-1', 'left-2'])
    expect(storage.getItem('q')).toBe('[]')
  })

  it('drops a write the server refuses for good, reports it, and carries on with the next', async () => {
    const { server, open } = setup()
    server.on(`POST /api/chats/0190a0a0-0000-7000-8000-0000000000e1/messages`, () => errorResponse(403, 'CHAT_NOT_PARTICIPANT'))
    const { queue, events } = open()
    const refused = await queue.enqueue('POST', '/api/chats/{id}/messages', { params: { path: { id: '0190a0a0-0000-7000-8000-0000000000e1' } }, body: { text: 'hi', clientId: 'm1' }, key: 'm1' })
    const later = await ship(queue, 'after-refusal')
    await expect(refused.delivered).rejects.toMatchObject({ status: 403, code: 'CHAT_NOT_PARTICIPANT' })
    expect(await later.delivered).toMatchObject({ id: 'shipment-1' })
    expect(events.map((e) => [e.type, e.write.key])).toEqual([
      ['rejected', 'm1'],
      ['delivered', 'after-refusal'],
    ])
    expect(server.requests[0]).toMatchObject({ path: '/api/chats/0190a0a0-0000-7000-8000-0000000000e1/messages', body: { text: 'hi', clientId: 'm1' } })
  })

  it('waits as long as Retry-After says on 429 and 503, and keeps writes refused with 401 (signed out) for the next sign-in', async () => {
    const { server, open } = setup()
    let answer = errorResponse(503, 'SERVICE_UNAVAILABLE', { 'retry-after': '7' })
    server.on('POST /api/sync/push', () => answer)
    // Retries only when the test flushes: a 1 s backoff, shorter than the 7 s Retry-After.
    const { queue } = open(undefined, { initialMs: 1000, maxMs: 1000 })
    const retrying = next(queue, 'retrying')
    const push = await queue.enqueue('POST', '/api/sync/push', { body: { mutations: [{ id: 'mut-1', entity: 'project', entityId: '0190a0a0-0000-7000-8000-0000000000f1', op: 'delete' }] }, key: 'mut-1' })
    expect(await retrying).toMatchObject({ error: { status: 503, retryAfterSeconds: 7 }, delayMs: 7000 })

    answer = errorResponse(401, 'UNAUTHENTICATED')
    const again = next(queue, 'retrying')
    void queue.flush()
    expect(await again).toMatchObject({ error: { status: 401 } })
    expect((await queue.pending()).map((w) => w.key)).toEqual(['mut-1'])

    answer = json(200, { results: [{ id: 'mut-1', status: 'applied' }] })
    await queue.flush()
    expect(await push.delivered).toEqual({ results: [{ id: 'mut-1', status: 'applied' }] })
    expect(server.count('POST /api/sync/push')).toBe(3)
  })

  it('holds writes refused with 401 until someone signs in, then sends them', async () => {
    const { server, plinth, open } = setup()
    let signedIn = false
    server.on('POST /api/chats', (request) => (signedIn && request.authorization === `Bearer ${token('again')}` ? json(201, { id: 'chat-1' }) : errorResponse(401, 'UNAUTHENTICATED')))
    server.on('POST /api/auth/login', () => json(200, { user: {}, accessToken: token('again'), refreshToken: 'r2', tokenType: 'Bearer', expiresIn: 900 }))
    // No retry of its own within the test: only the sign-in sends it again.
    const { queue } = open(undefined, { initialMs: 600_000, maxMs: 600_000 })
    const retrying = next(queue, 'retrying')
    const { delivered } = await queue.enqueue('POST', '/api/chats', { body: { type: 'group', title: 'Later', participantIds: [] }, key: 'chat-key' })
    expect(await retrying).toMatchObject({ error: { status: 401 } })
    signedIn = true
    await plinth.auth.signIn({ email: 'ada@example.test', password: 'a long enough passphrase' })
    expect(await delivered).toEqual({ id: 'chat-1' })
  })

  it('sends the key as Idempotency-Key when asked to', async () => {
    const { server, open } = setup()
    server.on('POST /api/billing/checkout', () => json(200, { url: 'https://checkout.example/1' }))
    const { queue } = open()
    const { delivered } = await queue.enqueue('POST', '/api/billing/checkout', { body: { plan: 'pro' }, key: 'checkout-1', header: true })
    await delivered
    expect(server.requests[0]!.headers.get('idempotency-key')).toBe('checkout-1')
  })

  it('clear() drops what is waiting and rejects its promises', async () => {
    const { open, setReachable, store } = setup()
    setReachable(false)
    const { queue } = open()
    const retrying = next(queue, 'retrying')
    const { delivered } = await ship(queue, 'dropped')
    await retrying
    await queue.clear()
    await expect(delivered).rejects.toMatchObject({ code: 'QUEUE_CLEARED' })
    expect(store.load()).toEqual([])
  })
})

/** Resolves once `events` holds `count` entries (each pushed by the queue as it goes). */
async function until(events: QueueEvent[], count: number): Promise<void> {
  for (let turn = 0; events.length < count && turn < 10_000; turn++) await new Promise((resolve) => setImmediate(resolve))
}

function memoryStorage(): StorageLike {
  const items = new Map<string, string>()
  return { getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value), removeItem: (key) => void items.delete(key) }
}
