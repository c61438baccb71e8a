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

/** What each error status means to a caller; `error.code` says which case it is. */
export const errorDescriptions: Readonly<Record<number, string>> = {
  400: 'The request is invalid (VALIDATION_FAILED names each refused field in `details`, MALFORMED_JSON)',
  401: 'Not signed in: the access token is missing, expired (TOKEN_EXPIRED), invalid or of an ended session; on sign-in routes, the credentials or token sent were refused',
  403: 'Not allowed: the account lacks the permission this needs, or `error.code` gives the reason',
  404: 'Not found, or not visible to you',
  409: 'Conflicts with the current state, e.g. VERSION_CONFLICT for a stale version, or a taken unique value',
  410: 'Gone: it existed but was retired',
  412: 'The If-Match ETag is not the current one',
  413: 'The body is larger than accepted',
  415: 'The Content-Type is not one this route accepts',
  416: 'The Range cannot be satisfied',
  422: 'Well-formed, but refused by a rule of the domain; `details` says which',
  429: 'Too many requests: wait the Retry-After seconds',
  500: 'Unexpected failure (INTERNAL); nothing about the cause is sent, it is logged with the request id',
  503: 'A service this needs (the database, Redis or the virus scanner) is unavailable; retry later',
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
