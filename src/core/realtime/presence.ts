import { closeRedis, subscribe } from '../redis/client.js'
import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'

export type PresenceListener = (userId: string, online: boolean) => void

/** Who is connected, across instances. Modules decide who may see it (e.g. chat partners). */
export interface PresenceReader {
  isOnline(userId: string): Promise<boolean>
  onChange(listener: PresenceListener): () => void
}

export interface Presence extends PresenceReader {
  connected(userId: string): Promise<void>
  disconnected(userId: string): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
}

abstract class Listeners {
  private readonly listeners = new Set<PresenceListener>()

  onChange(listener: PresenceListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  protected emit(userId: string, online: boolean): void {
    for (const listener of this.listeners) listener(userId, online)
  }
}

/** One process: a user is online while they have a socket here. */
export class MemoryPresence extends Listeners implements Presence {
  private readonly sockets = new Map<string, number>()

  async connected(userId: string): Promise<void> {
    const count = (this.sockets.get(userId) ?? 0) + 1
    this.sockets.set(userId, count)
    if (count === 1) this.emit(userId, true)
  }

  async disconnected(userId: string): Promise<void> {
    const count = (this.sockets.get(userId) ?? 0) - 1
    if (count > 0) return void this.sockets.set(userId, count)
    this.sockets.delete(userId)
    this.emit(userId, false)
  }

  async isOnline(userId: string): Promise<boolean> {
    return this.sockets.has(userId)
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

const PREFIX = 'plinth:presence:'
const INDEX = `${PREFIX}users`
const CHANNEL = `${PREFIX}changes`

/** KEYS: user set, index. ARGV: instance, expiry, userId, now. Publishes "online" on the first live instance. */
const JOIN = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[4])
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[2], 'GT', ARGV[2], ARGV[3])
if before == 0 then redis.call('PUBLISH', '${CHANNEL}', '1' .. ARGV[3]) end
`
/** KEYS: user set, index. ARGV: instance, userId, now. Publishes "offline" when no live instance is left. */
const LEAVE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('PUBLISH', '${CHANNEL}', '0' .. ARGV[2])
end
`
/** Users whose every instance stopped refreshing (crashed) go offline. KEYS: index. ARGV: now. */
const SWEEP = `
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 200)
for _, userId in ipairs(stale) do
  local key = '${PREFIX}' .. userId
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if #newest == 0 then
    redis.call('ZREM', KEYS[1], userId)
    redis.call('PUBLISH', '${CHANNEL}', '0' .. userId)
  else
    redis.call('ZADD', KEYS[1], newest[2], userId)
  end
end
`

/**
 * Across instances: each instance refreshes an expiring entry per connected user; the first
 * entry makes the user online, the last one leaving (or expiring, when an instance dies)
 * makes them offline. Changes are published so every instance's listeners hear them.
 */
export class RedisPresence extends Listeners implements Presence {
  private readonly instance = randomUUID()
  private readonly sockets = new Map<string, number>()
  private subscriber: Redis | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
    private readonly log: FastifyBaseLogger,
  ) {
    super()
  }

  async start(): Promise<void> {
    const { subscriber, subscribed } = subscribe(this.redis, CHANNEL, (message) => this.emit(message.slice(1), message[0] === '1'), this.log)
    this.subscriber = subscriber
    await subscribed
    this.timer = setInterval(() => void this.refresh().catch((err: unknown) => this.log.warn({ err }, 'presence refresh failed')), this.ttlMs / 3)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await Promise.all([...this.sockets.keys()].map((userId) => this.leave(userId))).catch(() => {})
    await closeRedis(this.subscriber)
  }

  async connected(userId: string): Promise<void> {
    const count = (this.sockets.get(userId) ?? 0) + 1
    this.sockets.set(userId, count)
    if (count === 1) await this.redis.eval(JOIN, 2, PREFIX + userId, INDEX, this.instance, String(Date.now() + this.ttlMs), userId, String(Date.now()))
  }

  async disconnected(userId: string): Promise<void> {
    const count = (this.sockets.get(userId) ?? 0) - 1
    if (count > 0) return void this.sockets.set(userId, count)
    this.sockets.delete(userId)
    await this.leave(userId)
  }

  async isOnline(userId: string): Promise<boolean> {
    return (await this.redis.zcount(PREFIX + userId, `(${Date.now()}`, '+inf')) > 0
  }

  /** Keeps this instance's entries alive and sweeps users left behind by dead instances. */
  async refresh(): Promise<void> {
    const expiry = String(Date.now() + this.ttlMs)
    const pipeline = this.redis.pipeline()
    for (const userId of this.sockets.keys()) pipeline.zadd(PREFIX + userId, expiry, this.instance).zadd(INDEX, 'GT', expiry, userId)
    pipeline.eval(SWEEP, 1, INDEX, String(Date.now()))
    await pipeline.exec()
  }

  private async leave(userId: string): Promise<void> {
    await this.redis.eval(LEAVE, 2, PREFIX + userId, INDEX, this.instance, userId, String(Date.now()))
  }
}
