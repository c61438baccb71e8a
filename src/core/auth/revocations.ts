import { closeRedis, subscribe } from '../redis/client.js'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'

const CHANNEL = 'plinth:session-revoked'
/** With Redis, how often the list is also reloaded from the database as a safety net. */
const RESYNC_MS = 30_000
/** How long a revocation's publish may take before it is given up (and left to the resync). */
const PUBLISH_TIMEOUT_MS = 2_000

/**
 * Sessions revoked recently enough that their access tokens may still be unexpired. Every
 * request checks this in memory (no round trip); revocations reach other instances over Redis
 * pub/sub, and an instance that starts or reconnects reloads them from the database, which
 * stays the source of truth.
 */
export class RevocationList {
  private readonly revoked = new Map<string, number>()
  private subscriber: Redis | undefined
  private resyncTimer: NodeJS.Timeout | undefined
  private readonly listeners = new Set<(sessionId: string) => void>()

  constructor(
    private readonly windowMs: number,
    private readonly loadRecent: (sinceMs: number) => Promise<string[]>,
    private readonly log: FastifyBaseLogger,
    private readonly redis?: Redis,
  ) {}

  async start(): Promise<void> {
    await this.resync()
    if (!this.redis) return
    // After an outage messages may have been missed: each reconnection reloads from the database.
    const { subscriber, subscribed } = subscribe(this.redis, CHANNEL, (sessionId) => this.remember(sessionId), this.log, () =>
      void this.resync().catch((err: unknown) => this.log.error({ err }, 'revocation resync failed')),
    )
    this.subscriber = subscriber
    await subscribed
    // A publish that failed while subscribers stayed connected is caught up here.
    this.resyncTimer = setInterval(() => void this.resync().catch((err: unknown) => this.log.error({ err }, 'revocation resync failed')), RESYNC_MS)
    this.resyncTimer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.resyncTimer)
    await closeRedis(this.subscriber)
  }

  isRevoked(sessionId: string): boolean {
    const until = this.revoked.get(sessionId)
    if (until === undefined) return false
    if (until > Date.now()) return true
    this.revoked.delete(sessionId)
    return false
  }

  /**
   * Call after the revocation is committed: this instance refuses the sessions at once, then the
   * others are told. Telling them never fails the caller (the revocation is already in the
   * database, which refreshes check): a failed or slow publish is logged, and the other instances
   * catch up at their next reload.
   */
  async publish(sessionIds: readonly string[]): Promise<void> {
    for (const id of sessionIds) this.remember(id)
    if (sessionIds.length === 0) return
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis within ${PUBLISH_TIMEOUT_MS} ms`)), PUBLISH_TIMEOUT_MS)
    })
    try {
      await Promise.race([this.broadcast(sessionIds), timeout])
    } catch (err) {
      this.log.error({ err, sessions: sessionIds.length }, 'could not publish session revocations; other instances will see them on resync')
    } finally {
      clearTimeout(timer)
    }
  }

  /** Tells the other instances (Redis pub/sub); without Redis there are none to tell. */
  async broadcast(sessionIds: readonly string[]): Promise<void> {
    if (!this.redis) return
    await Promise.all(sessionIds.map((id) => this.redis!.publish(CHANNEL, id)))
  }

  /** Realtime closes sockets of revoked sessions through this: live messages and resyncs alike. */
  onRevoked(listener: (sessionId: string) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private remember(sessionId: string): void {
    const known = this.isRevoked(sessionId)
    this.revoked.set(sessionId, Date.now() + this.windowMs)
    if (!known) for (const listener of this.listeners) listener(sessionId)
    if (this.revoked.size % 1000 === 0) this.prune()
  }

  /**
   * Reloads from the database; a session learnt this way (its publish was lost, or sent while this
   * instance was disconnected) is told to the listeners like a live message, so its sockets close too.
   */
  private async resync(): Promise<void> {
    for (const id of await this.loadRecent(this.windowMs)) this.remember(id)
  }

  private prune(): void {
    const now = Date.now()
    for (const [id, until] of this.revoked) if (until <= now) this.revoked.delete(id)
  }
}
