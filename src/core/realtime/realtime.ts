import { closeRedis, subscribe } from '../redis/client.js'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import type { EventLog, Replay, RoomEvent } from './event-log.js'
import { EVENTS_CHANNEL } from './redis-event-log.js'

const EMPTY = Buffer.alloc(0)

/** How long stopping waits for publishes still queued. */
const STOP_DRAIN_MS = 3000

/**
 * An event delivered live only: no seq, never retained nor replayed (typing indicators). `origin`,
 * the sending socket's id when a client sent it, is not delivered: it keeps the event from its sender.
 */
export interface EphemeralEvent {
  room: string
  event: string
  data: unknown
  at: string
  origin?: string
}

/** Ends these users' subscriptions to the room on every instance (they lost access to it). */
export interface Revocation {
  room: string
  revoke: string[]
}

/** Receives a room's events already serialized and encoded, so one buffer serves every socket. */
export type RoomListener = (message: Buffer, event: RoomEvent | EphemeralEvent | Revocation) => void

/**
 * The publish side of realtime for core and modules: `publish(room, event, data)` after the
 * transaction that caused it commits. Without Redis, events go straight to this instance's
 * listeners; with Redis, the event log's atomic append also publishes them to every instance,
 * which deliver them to their own listeners in the order Redis assigned.
 */
export class Realtime {
  private readonly rooms = new Map<string, Set<RoomListener>>()
  /** The last publish queued per room, so the next one starts after it. */
  private readonly chains = new Map<string, Promise<RoomEvent | undefined>>()
  private subscriber: Redis | undefined

  constructor(
    private readonly log: EventLog,
    private readonly logger: FastifyBaseLogger,
    private readonly redis?: Redis,
  ) {}

  async start(): Promise<void> {
    if (!this.redis) return
    const { subscriber, subscribed } = subscribe(this.redis, EVENTS_CHANNEL, (json) => this.deliver(json), this.logger)
    this.subscriber = subscriber
    await subscribed
  }

  async stop(): Promise<void> {
    // Publishes still queued (each bounded by the Redis command timeout) may finish first, for a while.
    let timer: NodeJS.Timeout | undefined
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_DRAIN_MS)))
    await Promise.race([Promise.all(this.chains.values()), waited])
    clearTimeout(timer)
    await closeRedis(this.subscriber)
  }

  /**
   * Called after a commit, so a failure here (Redis unreachable) must not fail the request that
   * already changed the data: it is logged, and clients refetch over REST when they reconnect.
   * Never rejects. Callers need not await it (and in a request should not: a hanging Redis would
   * hold the response): the publishes of one room run one after another in call order, so the
   * room's events keep the order they were published in.
   */
  publish(room: string, event: string, data: unknown): Promise<RoomEvent | undefined> {
    const next = (this.chains.get(room) ?? Promise.resolve()).then(() => this.append(room, event, data))
    this.chains.set(room, next)
    void next.then(() => {
      if (this.chains.get(room) === next) this.chains.delete(room)
    })
    return next
  }

  /**
   * Delivers to the room's sockets on every instance, now, without a seq: nothing is retained, a
   * socket that is not subscribed at that moment never gets it, and the room's seq is untouched.
   * Never rejects; resolves false when it could not be published (Redis unreachable, logged).
   * `origin` (a socket id) is the one socket it is not delivered to.
   */
  async publishEphemeral(room: string, event: string, data: unknown, origin?: string): Promise<boolean> {
    const entry: EphemeralEvent = { room, event, data: data ?? null, at: new Date().toISOString(), ...(origin ? { origin } : {}) }
    if (!this.redis) {
      this.deliver(JSON.stringify(entry), entry)
      return true
    }
    try {
      await this.redis.publish(EVENTS_CHANNEL, JSON.stringify(entry))
      return true
    } catch (err) {
      this.logger.error({ err, room, event }, 'realtime ephemeral event not published')
      return false
    }
  }

  /**
   * Ends the subscriptions of these users to the room, on every instance: each such socket gets
   * `{"type":"unsubscribed","room","reason":"revoked"}` and nothing more of the room, until it
   * subscribes again (and the room's owner lets it). Queued after the room's earlier publishes, so
   * the event that told them why (removed from a chat) reaches them first. Never rejects.
   */
  revoke(room: string, userIds: readonly string[]): Promise<unknown> {
    if (userIds.length === 0) return Promise.resolve()
    const entry: Revocation = { room, revoke: [...userIds] }
    const next = (this.chains.get(room) ?? Promise.resolve()).then(async () => {
      if (!this.redis) this.deliver(JSON.stringify(entry), entry)
      else {
        try {
          await this.redis.publish(EVENTS_CHANNEL, JSON.stringify(entry))
        } catch (err) {
          this.logger.error({ err, room }, 'realtime revocation not published')
        }
      }
      return undefined
    })
    this.chains.set(room, next)
    void next.then(() => {
      if (this.chains.get(room) === next) this.chains.delete(room)
    })
    return next
  }

  private async append(room: string, event: string, data: unknown): Promise<RoomEvent | undefined> {
    try {
      const entry = await this.log.append(room, event, data)
      if (!this.redis) this.deliver(JSON.stringify(entry), entry)
      return entry
    } catch (err) {
      this.logger.error({ err, room, event }, 'realtime event not published')
      return undefined
    }
  }

  replay(room: string, since: number): Promise<Replay> {
    return this.log.replay(room, since)
  }

  head(room: string): Promise<number> {
    return this.log.head(room)
  }

  listen(room: string, listener: RoomListener): () => void {
    const listeners = this.rooms.get(room) ?? new Set()
    listeners.add(listener)
    this.rooms.set(room, listeners)
    return () => {
      listeners.delete(listener)
      if (listeners.size === 0) this.rooms.delete(room)
    }
  }

  /** Both kinds share the Redis channel, so one subscriber connection serves them; only logged events have a seq. */
  private deliver(json: string, parsed?: RoomEvent | EphemeralEvent | Revocation): void {
    const event = parsed ?? (JSON.parse(json) as RoomEvent | EphemeralEvent | Revocation)
    const listeners = this.rooms.get(event.room)
    if (!listeners) return
    if ('revoke' in event) {
      for (const listener of [...listeners]) listener(EMPTY, event)
      return
    }
    const message = Buffer.from('seq' in event ? `{"type":"event",${json.slice(1)}` : JSON.stringify({ type: 'event', room: event.room, event: event.event, data: event.data, at: event.at }))
    for (const listener of listeners) {
      try {
        listener(message, event)
      } catch (err) {
        this.logger.error({ err, room: event.room }, 'realtime listener failed')
      }
    }
  }
}
