/** Requests answered, and how many of them were client (4xx) and server (5xx) errors. */
export interface RequestCounts {
  requests: number
  clientErrors: number
  serverErrors: number
}

export interface RequestRatesSnapshot {
  /** The trailing window: the last `seconds` seconds (fewer just after start), the current one included. */
  window: RequestCounts & { seconds: number }
  sinceStart: RequestCounts
}

const WINDOW_SECONDS = 60

/**
 * This instance's answered requests over the last minute, in one-second buckets (a ring of 60),
 * and since start: what the admin overview shows without a Prometheus server to compute rate().
 * Recording is a few integer additions per response.
 */
export class RequestRates {
  private readonly seconds = new Float64Array(WINDOW_SECONDS)
  private readonly counts = Array.from({ length: WINDOW_SECONDS }, () => ({ requests: 0, clientErrors: 0, serverErrors: 0 }))
  private readonly total: RequestCounts = { requests: 0, clientErrors: 0, serverErrors: 0 }

  constructor(
    private readonly now: () => number = Date.now,
    private readonly startedAt = now(),
  ) {}

  record(status: number): void {
    const second = Math.floor(this.now() / 1000)
    const slot = second % WINDOW_SECONDS
    const bucket = this.counts[slot]!
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second
      bucket.requests = bucket.clientErrors = bucket.serverErrors = 0
    }
    bucket.requests++
    this.total.requests++
    if (status >= 500) {
      bucket.serverErrors++
      this.total.serverErrors++
    } else if (status >= 400) {
      bucket.clientErrors++
      this.total.clientErrors++
    }
  }

  snapshot(): RequestRatesSnapshot {
    const now = this.now()
    const second = Math.floor(now / 1000)
    const window = { requests: 0, clientErrors: 0, serverErrors: 0 }
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) {
      if (second - this.seconds[slot]! >= WINDOW_SECONDS) continue
      const bucket = this.counts[slot]!
      window.requests += bucket.requests
      window.clientErrors += bucket.clientErrors
      window.serverErrors += bucket.serverErrors
    }
    // Just after start the window is as long as the process has run (at least one second).
    const seconds = Math.min(WINDOW_SECONDS, Math.max(1, Math.ceil((now - this.startedAt) / 1000)))
    return { window: { ...window, seconds }, sinceStart: { ...this.total } }
  }
}
