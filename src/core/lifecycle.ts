import type { FastifyInstance } from 'fastify'

export interface ShutdownOptions {
  timeoutMs: number
  signals?: NodeJS.Signals[]
  /** Injected by tests; the process exits otherwise. */
  exit?: (code: number) => void
}

/**
 * On SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish, close the
 * database and other resources (the app's onClose hooks), then exit 0. A shutdown that takes
 * longer than `timeoutMs` exits 1 so an orchestrator is never left waiting.
 */
export function installGracefulShutdown(app: FastifyInstance, options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const signals = options.signals ?? ['SIGTERM', 'SIGINT']
  let closing = false

  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down: finishing in-flight requests')
    const timer = setTimeout(() => {
      app.log.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out')
      exit(1)
    }, options.timeoutMs)
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
