/** Client events one socket may send per second, on average; a burst of as many is allowed. */
export const CLIENT_EVENTS_PER_SECOND = 10

/**
 * A token bucket per socket: a client that types fast still gets its events through, one that
 * floods gets RATE_LIMITED for the excess and keeps its connection (typing indicators are not
 * worth a reconnect).
 */
export class SendBudget {
  private tokens: number
  private updatedAt: number

  constructor(
    private readonly perSecond = CLIENT_EVENTS_PER_SECOND,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perSecond
    this.updatedAt = now()
  }

  /** Spends one token; false when none is left. */
  take(): boolean {
    const now = this.now()
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.updatedAt) * this.perSecond) / 1000)
    this.updatedAt = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  /** Milliseconds until the next token. */
  retryAfterMs(): number {
    return Math.ceil(((1 - this.tokens) * 1000) / this.perSecond)
  }
}
