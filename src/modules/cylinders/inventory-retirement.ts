import type { Cache } from '../../core/cache/cache.js'
import { newInventoryGeneration } from './events.js'

interface Log {
  info(details: object, message: string): void
  warn(details: object, message: string): void
}

/** Delays between retries of a failed retirement: doubling from the first, at most the last; then only reconnects and new changes retry. */
export const RETRY_DELAYS_MS = { first: 250, max: 5000, attempts: 8 } as const

/**
 * Retires the cached inventory (a new generation) after changes commit, in the background: the
 * request that made the change never waits for Redis. Until a retirement that covers every change
 * so far has succeeded, `pending` is true and this instance's reads bypass the cache, so it never
 * serves a summary older than its own changes. A failed retirement is retried with backoff (a
 * bounded number of times), at every Redis reconnection, and with the next change. Other
 * instances may serve the old generation's entry until it expires (its TTL): the documented worst
 * case while Redis fails.
 */
export class InventoryRetirement {
  /** Changes asked to be retired, and how many of them a successful retirement covered. */
  private requested = 0
  private retired = 0
  private running: Promise<void> | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private failures = 0
  private stopped = false
  private readonly unsubscribe: (() => void) | undefined

  constructor(
    private readonly cache: Cache,
    private readonly log: Log,
    private readonly delays: { first: number; max: number; attempts: number } = RETRY_DELAYS_MS,
  ) {
    this.unsubscribe = cache.onReconnect?.(() => {
      if (this.pending) void this.run()
    })
  }

  /** True while a retirement is in flight or failed: the cache may still hold a summary older than a change. */
  get pending(): boolean {
    return this.retired < this.requested
  }

  /** Call after a change commits. Resolves once an attempt covering it has settled; never rejects. */
  retire(): Promise<void> {
    this.requested++
    return this.run()
  }

  /** Resolves once the attempt in flight (if any) has settled; never rejects. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve()
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.retryTimer)
    this.unsubscribe?.()
  }

  private run(): Promise<void> {
    this.running ??= this.attempt().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  /** One command at a time; a retirement asked for while one is in flight is covered by the next. */
  private async attempt(): Promise<void> {
    while (this.pending && !this.stopped) {
      const target = this.requested
      try {
        await newInventoryGeneration(this.cache)
      } catch (err) {
        this.failed(err)
        return
      }
      this.retired = target
      clearTimeout(this.retryTimer)
      this.retryTimer = undefined
      if (this.failures > 0) this.log.info({ failures: this.failures }, 'cached inventory retired after Redis failures')
      this.failures = 0
    }
  }

  private failed(err: unknown): void {
    this.failures++
    // Once per outage: the following attempts fail the same way.
    if (this.failures === 1) this.log.warn({ err }, 'could not retire the cached inventory; this instance bypasses the cache until it can, others may serve it until it expires')
    if (this.stopped || this.retryTimer !== undefined || this.failures > this.delays.attempts) return
    const delay = Math.min(this.delays.first * 2 ** (this.failures - 1), this.delays.max)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      void this.run()
    }, delay)
    this.retryTimer.unref()
  }
}
