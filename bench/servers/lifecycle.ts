import type { IncomingMessage, Server, ServerResponse } from 'node:http'

/** Shared by the server scripts: the ready line the bench waits for, and a clean exit. */

export function printReady(fields: { port: number } & Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ready: true, ...fields })}\n`)
}

/**
 * On SIGTERM/SIGINT: runs `cleanup` once, then exits. When the bench's stdin pipe closes instead
 * (the bench died without stopping us), there is nobody left to read our stdout: pino's exit-time
 * flush would retry EPIPE forever, so only `abandon` runs (synchronously) before a hard kill.
 */
export function exitOnShutdown(cleanup: () => Promise<void>, abandon: () => void = () => {}): void {
  let closing = false
  const shutdown = (): void => {
    if (closing) return
    closing = true
    cleanup().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('cleanup failed:', error)
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)
  if (process.env.BENCH_PARENT_PIPE === '1') {
    process.stdin.on('end', () => {
      abandon()
      process.kill(process.pid, 'SIGKILL')
    })
    process.stdin.resume()
  }
}

export function failStartup(error: unknown, cleanup: () => void = () => {}): never {
  console.error('bench server failed to start:', error)
  cleanup()
  process.exit(1)
}

/** The body of a control request as JSON (an empty body is `{}`). */
export async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  let text = ''
  for await (const chunk of request) text += (chunk as Buffer).toString()
  if (!text) return {}
  const value = JSON.parse(text) as unknown
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {}
}

export function answer(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  response.end(text)
}

/** Stops accepting and drops kept-alive connections: a bench server has nothing in flight worth waiting for. */
export function closeHttpServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
