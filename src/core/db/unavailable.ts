import { pgError } from './pg-errors.js'

/**
 * PostgreSQL could not be reached or did not answer in time. The error handler answers it with
 * 503 DATABASE_UNAVAILABLE and Retry-After; the driver's error, when there is one, is the `cause`.
 */
export class DatabaseUnavailableError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`database unavailable: ${reason}`, options)
    this.name = 'DatabaseUnavailableError'
  }
}

/** postgres.js's own codes for a connection that could not be opened or went away. */
const DRIVER_CODES = new Set(['CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED'])
/** Socket errors the driver passes on as they are. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])
/**
 * node-postgres (pg and pg-pool, the job queue's driver) says so only in its message: a connection
 * lost or closed under a query, one not opened within connectionTimeoutMillis, a query unanswered
 * within query_timeout, a client already broken.
 */
const PG_MESSAGES = [
  /^Connection terminated\b/,
  /^timeout exceeded when trying to connect$/,
  /^Query read timeout$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
]
/**
 * SQLSTATEs that mean "not now" rather than "wrong": class 08 (connection exception), the server
 * shutting down or starting (57P01–57P03), too many connections (53300) and a cancelled or timed
 * out statement (57014: statement_timeout, or a query given up after DATABASE_WAIT_TIMEOUT_MS).
 */
const isUnavailableState = (code: string): boolean => code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '57014'].includes(code)

/** Whether a driver error means the database is unavailable (not that the query was wrong). */
export function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && (DRIVER_CODES.has(code) || SOCKET_CODES.has(code))) return true
  // A Unix socket that is not there (the embedded server stopped and removed it); not any missing file.
  if (code === 'ENOENT' && (error as { syscall?: unknown }).syscall === 'connect') return true
  const message = (error as { message?: unknown } | null)?.message
  if (code === undefined && typeof message === 'string' && PG_MESSAGES.some((pattern) => pattern.test(message))) return true
  const state = pgError(error)?.code
  return state !== undefined && isUnavailableState(state)
}

/** Whether `error`, or an error it wraps (Drizzle puts the driver's in `cause`), says the database is unavailable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    if (current instanceof DatabaseUnavailableError) return true
    current = (current as { cause?: unknown }).cause
  }
  const state = pgError(error)?.code
  return state !== undefined && isUnavailableState(state)
}
