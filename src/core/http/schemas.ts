import Type, { type TSchema } from 'typebox'

/** Longer error messages are cut (src/core/errors/error-handler.ts); `details` keeps every field. */
export const MAX_ERROR_MESSAGE_LENGTH = 4000

/** The one error shape, referenced by every route's 4xx/5xx responses. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ pattern: '^[A-Z][A-Z0-9_]*$', maxLength: 64, description: 'Stable upper-snake code from the error catalog', examples: ['VALIDATION_FAILED'] }),
      message: Type.String({ maxLength: MAX_ERROR_MESSAGE_LENGTH, description: 'Human-readable explanation' }),
      details: Type.Record(Type.String(), Type.Unknown(), { description: 'Per-field or per-item information' }),
    }),
  },
  { $id: 'ErrorResponse', title: 'ErrorResponse' },
)

export const errorRef = Type.Ref('ErrorResponse')

/**
 * What each error status means to a caller; `error.code` says which case it is (the codes named are
 * the catalog's, src/core/errors/catalog.ts; modules add their own, named by the route).
 */
export const errorDescriptions: Readonly<Record<number, string>> = {
  400: 'The request is invalid: VALIDATION_FAILED names each refused field in `details`; MALFORMED_JSON for a body that is not JSON; or a code of the route such as INVALID_CURSOR',
  401: 'Not signed in: the access token is missing (UNAUTHENTICATED), invalid (INVALID_TOKEN), expired (TOKEN_EXPIRED) or of an ended session (SESSION_REVOKED); on sign-in routes, the credentials or token sent were refused (INVALID_CREDENTIALS, INVALID_REFRESH_TOKEN, REFRESH_TOKEN_REUSED)',
  403: 'Not allowed: the account lacks the permission this needs (FORBIDDEN), or `error.code` gives the reason (such as ACCOUNT_DISABLED)',
  404: 'Not found, or not visible to you (NOT_FOUND)',
  409: 'Conflicts with the current state (CONFLICT), e.g. VERSION_CONFLICT for a stale version, or a taken unique value (such as EMAIL_TAKEN)',
  410: 'Gone: it existed but was retired',
  412: 'The If-Match ETag is not the current one (PRECONDITION_FAILED)',
  413: 'The body is larger than accepted (PAYLOAD_TOO_LARGE; for an upload FILE_TOO_LARGE, or STORAGE_QUOTA_EXCEEDED)',
  415: 'The Content-Type is not one this route accepts (UNSUPPORTED_MEDIA_TYPE; for an upload FILE_TYPE_NOT_ALLOWED)',
  416: 'The Range cannot be satisfied (RANGE_NOT_SATISFIABLE)',
  422: 'Well-formed, but refused by a rule of the domain (UNPROCESSABLE, or a code of the route); `details` says which',
  429: 'Too many requests (RATE_LIMITED; TOO_MANY_ATTEMPTS after failed sign-ins): wait the Retry-After seconds',
  500: 'Unexpected failure (INTERNAL); nothing about the cause is sent, it is logged with the request id',
  503: 'A service this needs is unavailable (DATABASE_UNAVAILABLE; SERVICE_UNAVAILABLE for Redis or the virus scanner), or the server is shutting down (SHUTTING_DOWN); retry after the Retry-After seconds',
}

/** Error responses most routes can give; pass the statuses a route can produce. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, Type.Ref('ErrorResponse', { description: errorDescriptions[status] ?? 'An error' })]))
}

/** The OpenAPI `security` of a route: a bearer token carrying these permissions (none: any signed-in account). */
export const bearer = (...permissions: string[]) => [{ bearerAuth: permissions }]

export const Uuid = Type.String({ format: 'uuid', maxLength: 36, description: 'UUID (v7, time-ordered)' })
export const Timestamp = Type.String({ format: 'date-time', maxLength: 40, description: 'ISO-8601 UTC timestamp' })

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const PaginationQuery = {
  limit: Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: 200, default: 50, description: 'Page size (max 200)' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Opaque cursor from a previous page' })),
}

export function Page<T extends TSchema>(item: T, title: string, description = 'One page, in the order the route describes, and the cursor of the next') {
  return Type.Object(
    {
      items: Type.Array(item, { maxItems: 200, description: 'At most `limit` items' }),
      nextCursor: Type.Union([Type.String({ maxLength: 1024 }), Type.Null()], { description: 'Cursor of the next page; null on the last page' }),
    },
    { title, description },
  )
}
