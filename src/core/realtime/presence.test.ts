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

/** A namespace per test: no other test's instance (here or in another file) sweeps its users. */
const namespace = (): string => `plinth:test-presence:${randomUUID()}:`

async function redisPresence(ttlMs = 60_000, prefix = namespace()): Promise<RedisPresence> {
  const client = new Redis(redisUrl!)
  clients.push(client)
  const presence = new RedisPresence(client, ttlMs, log, prefix)
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

/** Transitions an instance made, as "<tag>:id:online" strings, into a list shared by several instances. */
function transitions(presence: Presence, tag: string, into: string[]): void {
  presence.onTransition((userId, online) => void into.push(`${tag}:${userId}:${online ? 'online' : 'offline'}`))
}

describe('presence in one process', () => {
  it('is online from the first socket to the last', async () => {
    const presence = new MemoryPresence()
    const { changes } = heard(presence)
    const made: string[] = []
    transitions(presence, 'm', made)
    await presence.connected('u1')
    await presence.connected('u1')
    await presence.disconnected('u1')
    expect(await presence.isOnline('u1')).toBe(true)
    await presence.disconnected('u1')
    expect(await presence.isOnline('u1')).toBe(false)
    expect(changes).toEqual(['u1:online', 'u1:offline'])
    expect(made).toEqual(['m:u1:online', 'm:u1:offline'])
  })
})

describe.runIf(redisUrl)('presence across instances (Redis)', () => {
  it('a user connected on A is online for B; offline when the last socket anywhere closes', async () => {
    const ns = namespace()
    const [a, b] = [await redisPresence(60_000, ns), await redisPresence(60_000, ns)]
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
    const ns = namespace()
    const dying = await redisPresence(300, ns)
    const survivor = await redisPresence(300, ns)
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

  it('each change is one instance’s transition: the one whose update made it', async () => {
    const ns = namespace()
    const [a, b] = [await redisPresence(60_000, ns), await redisPresence(60_000, ns)]
    const user = randomUUID()
    const made: string[] = []
    transitions(a, 'a', made)
    transitions(b, 'b', made)
    const [onA, onB] = [heard(a), heard(b)]
    await a.connected(user)
    await b.connected(user)
    await b.connected(user)
    await Promise.all([onA.heard(`${user}:online`), onB.heard(`${user}:online`)])
    expect(made).toEqual([`a:${user}:online`])
    await a.disconnected(user)
    await b.disconnected(user)
    await b.disconnected(user)
    await Promise.all([onA.heard(`${user}:offline`), onB.heard(`${user}:offline`)])
    expect(made).toEqual([`a:${user}:online`, `b:${user}:offline`])
  })

  it('a dead instance’s users go offline once, though every survivor sweeps', async () => {
    const ns = namespace()
    const [dying, first, second] = [await redisPresence(300, ns), await redisPresence(300, ns), await redisPresence(300, ns)]
    const user = randomUUID()
    const made: string[] = []
    for (const [presence, tag] of [[dying, 'dying'], [first, 'first'], [second, 'second']] as const) transitions(presence, tag, made)
    const [onFirst, onSecond] = [heard(first), heard(second)]
    await dying.connected(user)
    clearInterval((dying as unknown as { timer: NodeJS.Timeout }).timer)
    await (dying as unknown as { subscriber: Redis }).subscriber.quit()
    started.splice(started.indexOf(dying), 1)
    await Promise.all([onFirst.heard(`${user}:offline`), onSecond.heard(`${user}:offline`)])
    // A sweep's answer comes back on its own connection before any later command's.
    await Promise.all([first.refresh(), second.refresh()])
    const offline = made.filter((change) => change.endsWith(`${user}:offline`))
    expect(offline).toHaveLength(1)
    expect(offline[0]).toMatch(/^(first|second):/)
    expect(made.filter((change) => change.includes(user))).toEqual([`dying:${user}:online`, offline[0]])
  })

  it('an instance that missed its refreshes (swept) makes no second offline on leaving, and is online again on its next refresh', async () => {
    const ns = namespace()
    const [paused, sweeper] = [await redisPresence(300, ns), await redisPresence(300, ns)]
    const [leaving, staying] = [randomUUID(), randomUUID()]
    const made: string[] = []
    transitions(paused, 'paused', made)
    transitions(sweeper, 'sweeper', made)
    const onSweeper = heard(sweeper)
    clearInterval((paused as unknown as { timer: NodeJS.Timeout }).timer)
    await paused.connected(leaving)
    await paused.connected(staying)
    await Promise.all([onSweeper.heard(`${leaving}:offline`), onSweeper.heard(`${staying}:offline`)])
    await sweeper.refresh()
    expect(made.filter((change) => change.startsWith('sweeper:')).sort()).toEqual([`sweeper:${leaving}:offline`, `sweeper:${staying}:offline`].sort())

    await paused.disconnected(leaving)
    await paused.refresh()
    await onSweeper.heard(`${staying}:online`)
    expect(made.filter((change) => change.startsWith('paused:')).sort()).toEqual([`paused:${leaving}:online`, `paused:${staying}:online`, `paused:${staying}:online`].sort())
    expect(await sweeper.isOnline(staying)).toBe(true)
    expect(await sweeper.isOnline(leaving)).toBe(false)
  })
})
