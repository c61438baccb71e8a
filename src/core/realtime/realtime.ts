import { closeRedis, subscribe } from '../redis/client.js'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import type { EventLog, Replay, RoomEvent } from './event-log.js'
import { EVENTS_CHANNEL } from './redis-event-log.js'

/** Receives a room's events already serialized and encoded, so one buffer serves every socket. */
export type RoomListener = (message: Buffer, event: RoomEvent) => void

/**
 * The publish side of realtime for core and modules: `publish(room, event, data)` after the
 * transaction that caused it commits. Without Redis, events go straight to this instance's
 * listeners; with Redis, the event log's atomic append also publishes them to every instance,
 * which deliver them to their own listeners in the order Redis assigned.
 */
export class Realtime {
  private readonly rooms = new Map<string, Set<RoomListener>>()
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
    await closeRedis(this.subscriber)
  }

  /**
   * Called after a commit, so a failure here (Redis unreachable) must not fail the request that
   * already changed the data: it is logged, and clients refetch over REST when they reconnect.
   */
  async publish(room: string, event: string, data: unknown): Promise<RoomEvent | undefined> {
    let entry: RoomEvent
    try {
      entry = await this.log.append(room, event, data)
    } catch (err) {
      this.logger.error({ err, room, event }, 'realtime event not published')
      return undefined
    }
    if (!this.redis) this.deliver(JSON.stringify(entry), entry)
    return entry
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

  private deliver(json: string, parsed?: RoomEvent): void {
    const event = parsed ?? (JSON.parse(json) as RoomEvent)
    const listeners = this.rooms.get(event.room)
    if (!listeners) return
    const message = Buffer.from(`{"type":"event",${json.slice(1)}`)
    for (const listener of listeners) {
      try {
        listener(message, event)
      } catch (err) {
        this.logger.error({ err, room: event.room }, 'realtime listener failed')
      }
    }
  }
}
