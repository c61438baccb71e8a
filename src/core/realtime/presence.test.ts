import { randomUUID } from 'node:crypto'
import { EventEmitter, once } from 'node:events'
import pino from 'pino'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { MemoryPresence, RedisPresence, type Presence } from './presence.js'

const redisUrl = process.env.REDIS_URL
const log = pino({ level: 'silent' })
const started: Presence[] = []
const clients: Redis[] = []
afterAll(async () => {
  for (const presence of started) await presence.stop()
  for (const client of clients) client.disconnect()
})

async function redisPresence(ttlMs = 60_000): Promise<RedisPresence> {
  const client = new Redis(redisUrl!)
  clients.push(client)
  const presence = new RedisPresence(client, ttlMs, log)
  await presence.start()
  started.push(presence)
  return presence
}

/** Changes heard by a presence instance, as "id:online" strings, and a wait for one of them. */
function heard(presence: Presence): { changes: string[]; heard(change: string): Promise<void> } {
  const events = new EventEmitter()
  const changes: string[] = []
  presence.onChange((userId, online) => {
    const change = `${userId}:${online ? 'online' : 'offline'}`
    changes.push(change)
    events.emit(change)
  })
  return { changes, heard: async (change) => void (changes.includes(change) || (await once(events, change))) }
}

describe('presence in one process', () => {
  it('is online from the first socket to the last', async () => {
    const presence = new MemoryPresence()
    const { changes } = heard(presence)
    await presence.connected('u1')
    await presence.connected('u1')
    await presence.disconnected('u1')
    expect(await presence.isOnline('u1')).toBe(true)
    await presence.disconnected('u1')
    expect(await presence.isOnline('u1')).toBe(false)
    expect(changes).toEqual(['u1:online', 'u1:offline'])
  })
})

describe.runIf(redisUrl)('presence across instances (Redis)', () => {
  it('a user connected on A is online for B; offline when the last socket anywhere closes', async () => {
    const [a, b] = [await redisPresence(), await redisPresence()]
    const user = randomUUID()
    const onB = heard(b)
    await a.connected(user)
    await b.connected(user)
    await onB.heard(`${user}:online`)
    expect(await b.isOnline(user)).toBe(true)

    await a.disconnected(user)
    expect(await a.isOnline(user)).toBe(true)
    await b.disconnected(user)
    await onB.heard(`${user}:offline`)
    expect(onB.changes.filter((change) => change.startsWith(user))).toEqual([`${user}:online`, `${user}:offline`])
    expect(await a.isOnline(user)).toBe(false)
  })

  it('users of an instance that died go offline once its entries expire', async () => {
    const dying = await redisPresence(300)
    const survivor = await redisPresence(300)
    const user = randomUUID()
    const changes = heard(survivor)
    await dying.connected(user)
    await changes.heard(`${user}:online`)
    // The instance dies: no more refreshes, no goodbye.
    await (dying as unknown as { subscriber: Redis }).subscriber.quit()
    clearInterval((dying as unknown as { timer: NodeJS.Timeout }).timer)
    started.splice(started.indexOf(dying), 1)
    await changes.heard(`${user}:offline`)
    expect(await survivor.isOnline(user)).toBe(false)
  })
})
