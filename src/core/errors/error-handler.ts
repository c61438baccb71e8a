import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from './app-error.js'
import { errorSpec, type CoreErrorCode } from './catalog.js'
import { fieldErrors } from './field-errors.js'
import { isDatabaseUnavailable } from '../db/unavailable.js'
import { isRedisUnavailable } from '../redis/client.js'
import { sentMediaType } from '../http/media-type.js'
import { MAX_ERROR_MESSAGE_LENGTH } from '../http/schemas.js'

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> }
}

const fastifyCodes: Record<string, CoreErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
}

/** What a 503 for an unavailable dependency tells the client to wait before retrying. */
const RETRY_AFTER_SECONDS = '5'

const codeByStatus: Record<number, CoreErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
}

export function errorBody(code: string, message?: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message: capped(message ?? errorSpec(code).message), details } }
}

/** Messages may quote a path or list many fields: cut to the length the API declares (details keep everything). */
function capped(message: string): string {
  return message.length <= MAX_ERROR_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1)}…`
}

/** Turns every thrown error into the one error shape; only 5xx causes reach the log. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, headers } = error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? unsupportedMediaType(request) : toResponse(error)
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    return reply.code(status).headers(headers).send(body)
  })
}

function toResponse(error: FastifyError): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (error instanceof AppError) {
    return { status: error.status, body: errorBody(error.code, error.message, error.details), headers: error.headers }
  }
  if (error.validation) {
    const details = fieldErrors(error.validation, error.validationContext)
    return { status: 400, body: errorBody('VALIDATION_FAILED', validationMessage(details), details), headers: {} }
  }
  // A dependency that is down or too slow is the client's to retry, not an unexpected error.
  if (isDatabaseUnavailable(error)) return { status: 503, body: errorBody('DATABASE_UNAVAILABLE'), headers: { 'retry-after': RETRY_AFTER_SECONDS } }
  if (isRedisUnavailable(error)) return { status: 503, body: errorBody('SERVICE_UNAVAILABLE'), headers: { 'retry-after': RETRY_AFTER_SECONDS } }
  const mapped = (error.code && fastifyCodes[error.code]) || codeByStatus[error.statusCode ?? 500]
  if (mapped && (error.statusCode ?? 500) < 500) {
    const status = errorSpec(mapped).status
    return { status, body: errorBody(mapped, clientMessage(mapped, error)), headers: {} }
  }
  if (mapped === 'SERVICE_UNAVAILABLE') return { status: 503, body: errorBody(mapped), headers: {} }
  return { status: 500, body: errorBody('INTERNAL'), headers: {} }
}

/** Names the type that was sent and the ones the route takes (JSON unless its schema says otherwise). */
function unsupportedMediaType(request: FastifyRequest): { status: number; body: ErrorBody; headers: Record<string, string> } {
  const sent = sentMediaType(request)
  const accepted = (request.routeOptions.schema as { consumes?: string[] } | undefined)?.consumes ?? ['application/json']
  const message = `${sent ? `Content-Type ${sent} is` : 'A body without a Content-Type is'} not accepted here; send ${accepted.join(' or ')}.`
  return { status: 415, body: errorBody('UNSUPPORTED_MEDIA_TYPE', message, { contentType: sent, accepted }), headers: {} }
}

function clientMessage(code: CoreErrorCode, error: FastifyError): string {
  return code === 'MALFORMED_JSON' || code === 'BAD_REQUEST' ? `${errorSpec(code).message} ${error.message}` : errorSpec(code).message
}

function validationMessage(details: Record<string, string>): string {
  const fields = Object.keys(details)
  return `The request is invalid: ${fields.map((f) => `${f} ${details[f]}`).join('; ')}.`
}
