import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RevocationList } from './revocations.js'

const log = { error: () => {}, warn: () => {} } as unknown as FastifyBaseLogger

describe('RevocationList (without Redis)', () => {
  afterEach(() => void vi.useRealTimers())

  it('refuses a published session at once, and no other', async () => {
    const list = new RevocationList(60_000, async () => [], log)
    await list.start()
    await list.publish(['s1'])
    expect(list.isRevoked('s1')).toBe(true)
    expect(list.isRevoked('s2')).toBe(false)
  })

  it('forgets a session once its access tokens must have expired', async () => {
    vi.useFakeTimers()
    const list = new RevocationList(60_000, async () => [], log)
    await list.publish(['s1'])
    vi.advanceTimersByTime(59_000)
    expect(list.isRevoked('s1')).toBe(true)
    vi.advanceTimersByTime(2_000)
    expect(list.isRevoked('s1')).toBe(false)
  })

  it('loads recent revocations from the database when it starts', async () => {
    const loadRecent = vi.fn(async () => ['from-db'])
    const list = new RevocationList(60_000, loadRecent, log)
    await list.start()
    expect(loadRecent).toHaveBeenCalledWith(60_000)
    expect(list.isRevoked('from-db')).toBe(true)
  })

  it('tells listeners once per session (realtime closes its sockets)', async () => {
    const list = new RevocationList(60_000, async () => [], log)
    const seen: string[] = []
    const stop = list.onRevoked((id) => seen.push(id))
    await list.publish(['s1', 's2'])
    await list.publish(['s1'])
    stop()
    await list.publish(['s3'])
    expect(seen).toEqual(['s1', 's2'])
  })
})

/**
 * A Redis whose publishes are lost (PUBLISH answers that nobody heard it) and whose subscriber
 * connects but never receives anything: only the database tells instances about revocations.
 */
function redisLosingPublishes(): Redis {
  const subscriber = { on: () => subscriber, subscribe: async () => 1, status: 'end', disconnect: () => {} }
  return { duplicate: () => subscriber, publish: async () => 0 } as unknown as Redis
}

describe('RevocationList (with Redis, publish lost)', () => {
  afterEach(() => void vi.useRealTimers())

  it('the 30 s resync tells listeners of sessions revoked elsewhere, so their sockets close too', async () => {
    vi.useFakeTimers()
    const database: string[] = []
    const loadRecent = async () => [...database]
    const [a, b] = [new RevocationList(60_000, loadRecent, log, redisLosingPublishes()), new RevocationList(60_000, loadRecent, log, redisLosingPublishes())]
    await a.start()
    await b.start()
    const heardByB: string[] = []
    b.onRevoked((id) => heardByB.push(id))

    database.push('s1')
    await a.publish(['s1'])
    expect(b.isRevoked('s1')).toBe(false)
    expect(heardByB).toEqual([])

    await vi.advanceTimersByTimeAsync(30_000)
    expect(b.isRevoked('s1')).toBe(true)
    expect(heardByB).toEqual(['s1'])
    // Known sessions are not told again on the next resync.
    await vi.advanceTimersByTimeAsync(30_000)
    expect(heardByB).toEqual(['s1'])
    await a.stop()
    await b.stop()
  })
})
