import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_RETENTION, MemoryEventLog, type EventLog, type RetentionPolicy } from './event-log.js'
import { RedisEventLog } from './redis-event-log.js'

const redisUrl = process.env.REDIS_URL
const redis = redisUrl ? new Redis(redisUrl) : undefined
afterAll(() => redis?.disconnect())

type Policy = Partial<RetentionPolicy>
const implementations: [string, (policy: Policy) => EventLog][] = [
  ['memory', (policy) => new MemoryEventLog({ ...DEFAULT_RETENTION, ...policy })],
  // Each log in its own key namespace: a small room limit must evict only the test's own rooms.
  ...(redis ? [['redis', (policy: Policy) => new RedisEventLog(redis, { ...DEFAULT_RETENTION, ...policy }, `plinth:rt:test:${randomUUID()}:`)] as [string, (policy: Policy) => EventLog]] : []),
]

describe.each(implementations)('event log (%s)', (_name, make) => {
  const room = () => `test:${randomUUID()}`

  it('numbers events 1, 2, 3… per room', async () => {
    const log = make({ minAgeMs: 60_000, minCount: 10 })
    const [a, b] = [room(), room()]
    expect((await log.append(a, 'x', { n: 1 })).seq).toBe(1)
    expect((await log.append(a, 'x', { n: 2 })).seq).toBe(2)
    expect((await log.append(b, 'x', null)).seq).toBe(1)
    expect(await log.head(a)).toBe(2)
    expect(await log.head(room())).toBe(0)
  })

  it('replays every event after since, in order', async () => {
    const log = make({ minAgeMs: 60_000, minCount: 10 })
    const r = room()
    for (let n = 1; n <= 5; n++) await log.append(r, 'message.sent', { n })
    const replay = await log.replay(r, 2)
    expect(replay.kind).toBe('events')
    expect(replay.kind === 'events' && replay.events.map((e) => [e.seq, (e.data as { n: number }).n])).toEqual([[3, 3], [4, 4], [5, 5]])
    expect(await log.replay(r, 5)).toEqual({ kind: 'events', events: [], seq: 5 })
  })

  it('keeps at least minCount events; older ones past minAge are dropped and asking for them resets', async () => {
    const log = make({ minAgeMs: 0, minCount: 3 })
    const r = room()
    // With minAge 0 every earlier event is old enough to go.
    for (let n = 1; n <= 7; n++) await log.append(r, 'x', { n })
    expect(await log.replay(r, 4)).toMatchObject({ kind: 'events', seq: 7 })
    expect(await log.replay(r, 1)).toEqual({ kind: 'reset', seq: 7 })
  })

  it('keeps young events beyond minCount', async () => {
    const log = make({ minAgeMs: 60_000, minCount: 2 })
    const r = room()
    for (let n = 1; n <= 6; n++) await log.append(r, 'x', { n })
    const replay = await log.replay(r, 0)
    expect(replay.kind === 'events' && replay.events).toHaveLength(6)
  })

  it('a room retains at most maxBytesPerRoom of events, dropping the oldest first; replaying from before them resets', async () => {
    const log = make({ minAgeMs: 60_000, minCount: 1000, maxBytesPerRoom: 2048 })
    const r = room()
    const big = 'x'.repeat(450)
    for (let n = 1; n <= 10; n++) await log.append(r, 'x', { n, big })
    const recent = await log.replay(r, 7)
    expect(recent.kind === 'events' && recent.events.map((e) => e.seq)).toEqual([8, 9, 10])
    expect(await log.replay(r, 0)).toEqual({ kind: 'reset', seq: 10 })
    expect(await log.replay(r, 5)).toEqual({ kind: 'reset', seq: 10 })
    expect(await log.head(r)).toBe(10)
  })

  it('past maxRooms, the room published to least recently loses its events (reset), and its seq does not start over', async () => {
    const log = make({ minAgeMs: 60_000, minCount: 10, maxRooms: 2 })
    const [a, b, c] = [room(), room(), room()]
    await log.append(a, 'x', { n: 1 })
    await log.append(b, 'x', { n: 1 })
    await log.append(a, 'x', { n: 2 })
    await log.append(c, 'x', { n: 1 })
    expect(await log.replay(b, 0)).toEqual({ kind: 'reset', seq: 1 })
    const kept = await log.replay(a, 0)
    expect(kept.kind === 'events' && kept.events.map((e) => e.seq)).toEqual([1, 2])
    expect((await log.append(b, 'x', { n: 2 })).seq).toBe(2)
  })

  it('a client ahead of the log resets', async () => {
    const log = make({ minAgeMs: 60_000, minCount: 2 })
    expect(await log.replay(room(), 9)).toEqual({ kind: 'reset', seq: 0 })
  })
})
