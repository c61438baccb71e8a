import { closeRedis, subscribe } from '../redis/client.js'
import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'

export type PresenceListener = (userId: string, online: boolean) => void
/** A transition's work (modules' hooks); stopping waits for it, for a while. */
export type TransitionListener = (userId: string, online: boolean) => void | Promise<void>

/** How long stopping waits for transition listeners still running. */
const STOP_DRAIN_MS = 3000

/** Who is connected, across instances. Modules decide who may see it (e.g. chat partners). */
export interface PresenceReader {
  isOnline(userId: string): Promise<boolean>
  onChange(listener: PresenceListener): () => void
}

export interface Presence extends PresenceReader {
  connected(userId: string): Promise<void>
  disconnected(userId: string): Promise<void>
  /**
   * Hears each change once in the whole cluster: on the one instance whose update made it (its
   * user's first socket anywhere, the last one closing, or the sweep that expired a dead instance's
   * entries). `onChange` listeners hear every change on every instance.
   */
  onTransition(listener: TransitionListener): () => void
  start(): Promise<void>
  stop(): Promise<void>
}

abstract class Listeners {
  private readonly listeners = new Set<PresenceListener>()
  private readonly transitionListeners = new Set<TransitionListener>()
  private readonly running = new Set<Promise<void>>()

  onChange(listener: PresenceListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  onTransition(listener: TransitionListener): () => void {
    this.transitionListeners.add(listener)
    return () => this.transitionListeners.delete(listener)
  }

  protected emit(userId: string, online: boolean): void {
    for (const listener of this.listeners) listener(userId, online)
  }

  protected transition(userId: string, online: boolean): void {
    for (const listener of this.transitionListeners) {
      const work = listener(userId, online)
      if (!work) continue
      const tracked = work.catch(() => {}).finally(() => this.running.delete(tracked))
      this.running.add(tracked)
    }
  }

  /** Waits for running transition listeners (the last users' offline hooks on shutdown), at most STOP_DRAIN_MS. */
  protected async settled(): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_DRAIN_MS)))
    await Promise.race([Promise.all(this.running), waited])
    clearTimeout(timer)
  }
}

/** One process: a user is online while they have a socket here. */
export class MemoryPresence extends Listeners implements Presence {
  private readonly sockets = new Map<string, number>()

  async connected(userId: string): Promise<void> {
    const count = (this.sockets.get(userId) ?? 0) + 1
    this.sockets.set(userId, count)
    if (count === 1) this.changed(userId, true)
  }

  async disconnected(userId: string): Promise<void> {
    const count = (this.sockets.get(userId) ?? 0) - 1
    if (count > 0) return void this.sockets.set(userId, count)
    this.sockets.delete(userId)
    this.changed(userId, false)
  }

  /** Alone, this process is the whole cluster: every change is its own transition. */
  private changed(userId: string, online: boolean): void {
    this.emit(userId, online)
    this.transition(userId, online)
  }

  async isOnline(userId: string): Promise<boolean> {
    return this.sockets.has(userId)
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {
    await this.settled()
  }
}

const PREFIX = 'plinth:presence:'

/*
 * The index holds a user exactly while they are announced online: every script below changes that
 * atomically and says whether it did, so each transition is published once and made by one caller.
 */

/** KEYS: user set, index. ARGV: instance, expiry, userId, now, channel. Returns 1 when it made the user online. */
const JOIN = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[4])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if redis.call('ZSCORE', KEYS[2], ARGV[3]) then
  redis.call('ZADD', KEYS[2], 'GT', ARGV[2], ARGV[3])
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('PUBLISH', ARGV[5], '1' .. ARGV[3])
return 1
`
/** KEYS: user set, index. ARGV: instance, userId, now, channel. Returns 1 when it made the user offline (no live instance left). */
const LEAVE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('ZREM', KEYS[2], ARGV[2]) == 0 then return 0 end
redis.call('PUBLISH', ARGV[4], '0' .. ARGV[2])
return 1
`
/**
 * This instance's entries, renewed. A user the sweep already took offline (this instance missed its
 * refreshes: a long pause, Redis unreachable) is online again: returned. KEYS: index. ARGV: instance, expiry, key prefix, channel, userIds….
 */
const REFRESH = `
local back = {}
for i = 5, #ARGV do
  local userId = ARGV[i]
  redis.call('ZADD', ARGV[3] .. userId, ARGV[2], ARGV[1])
  if redis.call('ZSCORE', KEYS[1], userId) then
    redis.call('ZADD', KEYS[1], 'GT', ARGV[2], userId)
  else
    redis.call('ZADD', KEYS[1], ARGV[2], userId)
    redis.call('PUBLISH', ARGV[4], '1' .. userId)
    back[#back + 1] = userId
  end
end
return back
`
/** Users whose every instance stopped refreshing (crashed) go offline; returned. KEYS: index. ARGV: now, key prefix, channel. */
const SWEEP = `
local gone = {}
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 200)
for _, userId in ipairs(stale) do
  local key = ARGV[2] .. userId
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if #newest == 0 then
    redis.call('ZREM', KEYS[1], userId)
    redis.call('PUBLISH', ARGV[3], '0' .. userId)
    gone[#gone + 1] = userId
  else
    redis.call('ZADD', KEYS[1], newest[2], userId)
  end
end
return gone
`
/** Users renewed per script call, so one call never blocks Redis for long. */
const REFRESH_BATCH = 500

/**
 * Across instances: each instance refreshes an expiring entry per connected user; the first
 * entry makes the user online, the last one leaving (or expiring, when an instance dies)
 * makes them offline. Changes are published so every instance's listeners hear them; the
 * instance whose script made a change is the one to report it as a transition.
 */
export class RedisPresence extends Listeners implements Presence {
  private readonly instance = randomUUID()
  private readonly sockets = new Map<string, number>()
  private subscriber: Redis | undefined
  private timer: NodeJS.Timeout | undefined
  private readonly index: string
  private readonly channel: string

  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
    private readonly log: FastifyBaseLogger,
    /** Key namespace; tests give theirs so no other test's instance sweeps their users. */
    private readonly prefix = PREFIX,
  ) {
    super()
    this.index = `${prefix}users`
    this.channel = `${prefix}changes`
  }

  async start(): Promise<void> {
    const { subscriber, subscribed } = subscribe(this.redis, this.channel, (message) => this.emit(message.slice(1), message[0] === '1'), this.log)
    this.subscriber = subscriber
    await subscribed
    this.timer = setInterval(() => void this.refresh().catch((err: unknown) => this.log.warn({ err }, 'presence refresh failed')), this.ttlMs / 3)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await Promise.all([...this.sockets.keys()].map((userId) => this.leave(userId))).catch(() => {})
    await this.settled()
    await closeRedis(this.subscriber)
  }

  async connected(userId: string): Promise<void> {
    const count = (this.sockets.get(userId) ?? 0) + 1
    this.sockets.set(userId, count)
    if (count !== 1) return
    const made = await this.redis.eval(JOIN, 2, this.prefix + userId, this.index, this.instance, String(Date.now() + this.ttlMs), userId, String(Date.now()), this.channel)
    if (made === 1) this.transition(userId, true)
  }

  async disconnected(userId: string): Promise<void> {
    const count = (this.sockets.get(userId) ?? 0) - 1
    if (count > 0) return void this.sockets.set(userId, count)
    this.sockets.delete(userId)
    await this.leave(userId)
  }

  async isOnline(userId: string): Promise<boolean> {
    return (await this.redis.zcount(this.prefix + userId, `(${Date.now()}`, '+inf')) > 0
  }

  /** Keeps this instance's entries alive and sweeps users left behind by dead instances. */
  async refresh(): Promise<void> {
    const expiry = String(Date.now() + this.ttlMs)
    const users = [...this.sockets.keys()]
    const pipeline = this.redis.pipeline()
    for (let i = 0; i < users.length; i += REFRESH_BATCH) pipeline.eval(REFRESH, 1, this.index, this.instance, expiry, this.prefix, this.channel, ...users.slice(i, i + REFRESH_BATCH))
    pipeline.eval(SWEEP, 1, this.index, String(Date.now()), this.prefix, this.channel)
    const results = (await pipeline.exec()) ?? []
    const [gone, ...renewed] = results.reverse().map(([err, result]) => (err ? [] : (result as string[])))
    for (const userId of gone ?? []) this.transition(userId, false)
    for (const userId of renewed.flat()) {
      this.transition(userId, true)
      // Its last socket closed while the refresh was on its way: the renewal must not outlive it.
      if (!this.sockets.has(userId)) await this.leave(userId)
    }
  }

  private async leave(userId: string): Promise<void> {
    const made = await this.redis.eval(LEAVE, 2, this.prefix + userId, this.index, this.instance, userId, String(Date.now()), this.channel)
    if (made === 1) this.transition(userId, false)
  }
}
