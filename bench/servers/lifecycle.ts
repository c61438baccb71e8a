import { mkdtempSync, rmSync } from 'node:fs'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { loadConfig, type Config, type LoadConfigOptions } from '../../src/config/index.js'

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

/**
 * What every server running the real app shares: a temporary DATA_DIR removed on exit, and the
 * configuration of a production instance on localhost (port 0, request logging at `info`) on the
 * bench's database; `env` adds the server's own settings, `modules` the modules whose settings it reads.
 */
export function appServer(prefix: string, env: Record<string, string | undefined>, modules: LoadConfigOptions['modules'] = []): { config: Config; serve: (app: FastifyInstance) => void } {
  const dataDir = mkdtempSync(join(tmpdir(), prefix))
  const removeDataDir = (): void => rmSync(dataDir, { recursive: true, force: true })
  let running: FastifyInstance | undefined
  exitOnShutdown(async () => {
    await running?.close()
    removeDataDir()
  }, removeDataDir)
  process.once('exit', removeDataDir)
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'b'.repeat(48),
    ENCRYPTION_KEY: 'ab'.repeat(32),
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATABASE_URL: process.env.DATABASE_URL,
    DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE,
    // Load from one client: no request, upload or storage limits.
    RATE_LIMIT_PER_MINUTE: '0',
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
    UPLOAD_RATE_LIMIT_PER_MINUTE: '0',
    STORAGE_QUOTA_BYTES: '0',
    ACCESS_TOKEN_TTL_SECONDS: '3600',
    // The realtime scenarios open thousands of sockets with the one registered account's token.
    REALTIME_MAX_SOCKETS_PER_USER: '1000000',
    ...env,
  }, { modules })
  return { config, serve: (app) => void (running = app) }
}
