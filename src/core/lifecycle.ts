import type { FastifyInstance } from 'fastify'

/** Kept at the end of every shutdown for closing Redis and the database once the jobs have stopped. */
export const CLOSE_MARGIN_MS = 1000
/** Below this a graceful job stop is pointless (pg-boss waits at least 1 s): running jobs are failed at once, to be retried. */
export const MIN_JOBS_SHARE_MS = 1000

/**
 * One deadline for the whole shutdown (SHUTDOWN_TIMEOUT_MS), started when it begins: draining in-flight
 * requests, stopping jobs and closing connections each get what the steps before them left.
 */
export class ShutdownBudget {
  private deadline: number | undefined

  constructor(
    readonly timeoutMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Starts the clock; later calls keep the first deadline. */
  start(): void {
    this.deadline ??= this.now() + this.timeoutMs
  }

  /** Milliseconds until the deadline, less `reserveMs` kept for the steps after this one (never negative). */
  remainingMs(reserveMs = 0): number {
    this.start()
    return Math.max(0, this.deadline! - this.now() - reserveMs)
  }

  /** The jobs' share: what draining left, less the margin for closing Redis and the database. */
  jobsStop(): { timeoutMs: number } | { graceful: false } {
    const timeoutMs = this.remainingMs(CLOSE_MARGIN_MS)
    return timeoutMs >= MIN_JOBS_SHARE_MS ? { timeoutMs } : { graceful: false }
  }
}

export interface ShutdownOptions {
  /** The app's budget (`app.platform.shutdown`), so the exit deadline and the steps' shares are one. */
  budget: ShutdownBudget
  signals?: NodeJS.Signals[]
  /** Injected by tests; the process exits otherwise. */
  exit?: (code: number) => void
}

/**
 * On SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish, close the
 * database and other resources (the app's onClose hooks), then exit 0. A shutdown that outlasts
 * the budget exits 1 so an orchestrator is never left waiting.
 */
export function installGracefulShutdown(app: FastifyInstance, options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const signals = options.signals ?? ['SIGTERM', 'SIGINT']
  let closing = false

  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down: finishing in-flight requests')
    options.budget.start()
    const timer = setTimeout(() => {
      app.log.error({ timeoutMs: options.budget.timeoutMs }, 'shutdown timed out')
      exit(1)
    }, options.budget.remainingMs())
    timer.unref()
    app.close().then(
      () => {
        clearTimeout(timer)
        app.log.info('shutdown complete')
        exit(0)
      },
      (error: unknown) => {
        clearTimeout(timer)
        app.log.error({ err: error }, 'shutdown failed')
        exit(1)
      },
    )
  }

  for (const signal of signals) process.on(signal, onSignal)
  return () => {
    for (const signal of signals) process.off(signal, onSignal)
  }
}
