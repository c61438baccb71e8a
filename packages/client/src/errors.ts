/**
 * Every failure the client reports is a `PlinthError`: the server's answers in its one error shape
 * (`{"error":{"code","message","details"}}`, with the catalog's `code`), and two codes of the
 * client's own for the cases without such an answer: `NETWORK_ERROR` (no answer at all) and
 * `UNEXPECTED_RESPONSE` (an answer that is not in the error shape, such as a proxy's HTML page).
 */

/** The body of every error answer of the API. */
export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> }
}

/** The client's own codes, never sent by the server. */
export type ClientErrorCode = 'NETWORK_ERROR' | 'UNEXPECTED_RESPONSE'

export class PlinthError extends Error {
  override readonly name = 'PlinthError'
  /** The HTTP status; 0 when no answer came (NETWORK_ERROR) or for a realtime error. */
  readonly status: number
  /** A stable upper-snake code from the server's error catalog (`VALIDATION_FAILED`, `TOKEN_EXPIRED`…), or a ClientErrorCode. */
  readonly code: string
  /** Per-field or per-item information (`VALIDATION_FAILED` names each refused field). */
  readonly details: Record<string, unknown>
  /** `x-request-id` of the answer: the id the server's log lines carry. */
  readonly requestId: string | undefined
  /** Seconds to wait before trying again, from `Retry-After` (429, 503). */
  readonly retryAfterSeconds: number | undefined

  constructor(
    init: { status: number; code: string; message: string; details?: Record<string, unknown>; requestId?: string | undefined; retryAfterSeconds?: number | undefined },
    options?: { cause?: unknown },
  ) {
    super(init.message, options)
    this.status = init.status
    this.code = init.code
    this.details = init.details ?? {}
    this.requestId = init.requestId
    this.retryAfterSeconds = init.retryAfterSeconds
  }

  /** From an error answer and its parsed body (openapi-fetch's `error`), or the body still unread. */
  static async fromResponse(response: Response, body?: unknown): Promise<PlinthError> {
    const parsed = body === undefined ? await readJson(response) : body
    const requestId = response.headers.get('x-request-id') ?? undefined
    const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'))
    if (isErrorBody(parsed)) {
      const { code, message, details } = parsed.error
      return new PlinthError({ status: response.status, code, message, details, requestId, retryAfterSeconds })
    }
    return new PlinthError({ status: response.status, code: 'UNEXPECTED_RESPONSE', message: `HTTP ${response.status} without an error body`, requestId, retryAfterSeconds })
  }

  /** A request that got no answer: the server is down or unreachable, or the request was aborted. */
  static network(cause: unknown): PlinthError {
    const reason = cause instanceof Error ? cause.message : String(cause)
    return new PlinthError({ status: 0, code: 'NETWORK_ERROR', message: `The server could not be reached: ${reason}` }, { cause })
  }
}

/** `error` is a PlinthError, with `code` when given. */
export function isPlinthError(error: unknown, code?: string): error is PlinthError {
  return error instanceof PlinthError && (code === undefined || error.code === code)
}

/**
 * Worth sending again later, unchanged: no answer, a timeout, the rate limit, or the server (or a
 * dependency) unavailable. Everything else is the request's own fault and fails the same way again.
 */
export function isRetryable(error: PlinthError): boolean {
  return error.code === 'NETWORK_ERROR' || error.status === 408 || error.status === 429 || error.status >= 500
}

export function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false
  const error = value.error
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && typeof (error as { message?: unknown }).message === 'string'
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return (await response.json()) as unknown
  } catch {
    return undefined
  }
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000))
}
