import { errorSpec, type CoreErrorCode } from './catalog.js'

export type ErrorDetails = Record<string, unknown>

/** An error the client is meant to see: a catalog code, its status, a message and details. */
export class AppError extends Error {
  readonly status: number
  readonly headers: Record<string, string>

  constructor(
    readonly code: CoreErrorCode | (string & {}),
    message?: string,
    readonly details: ErrorDetails = {},
    headers: Record<string, string> = {},
  ) {
    const spec = errorSpec(code)
    super(message ?? spec.message)
    this.name = 'AppError'
    this.status = spec.status
    this.headers = headers
  }
}

export const notFound = (what = 'The resource'): AppError => new AppError('NOT_FOUND', `${what} was not found.`)
