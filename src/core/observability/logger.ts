import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import pino from 'pino'
import { serializeError } from './log-errors.js'

const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/

/** Honours a well-formed incoming `X-Request-Id` (from a proxy or a client), else makes one. */
export function requestIdFrom(raw: IncomingMessage): string {
  const incoming = raw.headers['x-request-id']
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID()
}

/** Query parameters whose values must never reach a log line. */
const SECRET_QUERY_PARAMS = /([?&](?:token|access_token|refresh_token|password|secret|signature|key|code)=)[^&]*/gi

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY_PARAMS, '$1[REDACTED]')
}

/** Keys whose values may be secrets, wherever they appear in a logged object (case-insensitive). */
const SECRET_KEYS = new Set(
  ['password', 'currentPassword', 'newPassword', 'token', 'accessToken', 'refreshToken', 'secret', 'apiKey', 'authorization', 'cookie', 'set-cookie'].map(
    (key) => key.toLowerCase(),
  ),
)
/** Keys Plinth's own request lines use; their serializers already keep secrets out. */
const SERIALIZED_KEYS = new Set(['req', 'res', 'responseTime', 'err'])
const MAX_DEPTH = 4

/**
 * Replaces secret-looking fields with "[REDACTED]" in whatever an application log line carries.
 * The request lines (the hot path) are left alone without a walk; pino's path-based redaction
 * cost half the throughput of light requests.
 */
export function scrubSecrets(object: Record<string, unknown>): Record<string, unknown> {
  for (const key in object) if (!SERIALIZED_KEYS.has(key)) return scrub(object, 0) as Record<string, unknown>
  return object
}

function scrub(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object' || value instanceof Date || Buffer.isBuffer(value)) return value
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1))
  const copy: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value)) {
    copy[key] = SECRET_KEYS.has(key.toLowerCase()) ? '[REDACTED]' : SERIALIZED_KEYS.has(key) && depth === 0 ? inner : scrub(inner, depth + 1)
  }
  return copy
}

/**
 * `log.error(error)` would make the error's raw message the line's `msg` (pino does): it is logged
 * as `{ err }` instead, with the cleaned message.
 */
function errorsAsObjects(this: pino.Logger, args: Parameters<pino.LogFn>, method: pino.LogFn): void {
  const [first, ...rest] = args as unknown[]
  if (!(first instanceof Error)) return method.apply(this, args)
  const message = typeof rest[0] === 'string' ? (rest.shift() as string) : serializeError(first).message
  method.apply(this, [{ err: first }, message, ...rest] as Parameters<pino.LogFn>)
}

interface SerializableRequest {
  method: string
  url: string
  ip: string
  headers: Record<string, unknown>
}

/**
 * Stdout through an asynchronous buffer, written at 4 KiB or every 250 ms: a synchronous write
 * per line cost a third of a light request's time. The app flushes it on close.
 */
export function logDestination(): pino.DestinationStream & { flushSync(): void } {
  return pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 })
}

export function loggerOptions(level: string, stream: NodeJS.WritableStream | pino.DestinationStream): FastifyServerOptions['logger'] {
  return {
    level,
    stream,
    formatters: { log: scrubSecrets },
    hooks: { logMethod: errorsAsObjects },
    serializers: {
      // Every logger (requests, jobs, app.log and their children): errors never carry query values.
      err: serializeError,
      req: (req: SerializableRequest) => ({
        method: req.method,
        url: redactUrl(req.url),
        ip: req.ip,
        userAgent: req.headers['user-agent'],
      }),
    },
  }
}

/**
 * One line per request, written when it completes (method, URL, status, time, request id),
 * instead of Fastify's two: half the logging cost, and the line has everything.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { req: request, res: reply, responseTime: reply.elapsedTime }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request completed')
  }

  /**
   * A streamed body that stopped after its headers went out: the client hung up mid-download, or
   * storage failed mid-read. Fastify then never completes the request, so this is its one line,
   * in the same shape (Fastify's own has neither the method nor the URL).
   */
  override streamError(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
    const line = { req: request, res: reply, responseTime: reply.elapsedTime }
    if (error.code === 'ERR_STREAM_PREMATURE_CLOSE') reply.log.info(line, 'request aborted: the connection closed before the response was sent')
    else reply.log.error({ ...line, err: error }, 'request errored')
  }
}
