import Type, { type TSchema } from 'typebox'

/** The one error shape, referenced by every route's 4xx/5xx responses. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable upper-snake code from the error catalog', examples: ['VALIDATION_FAILED'] }),
      message: Type.String({ description: 'Human-readable explanation' }),
      details: Type.Record(Type.String(), Type.Unknown(), { description: 'Per-field or per-item information' }),
    }),
  },
  { $id: 'ErrorResponse', title: 'ErrorResponse' },
)

export const errorRef = Type.Ref('ErrorResponse')

/** Error responses most routes can give; pass the statuses a route can produce. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, errorRef]))
}

export const Uuid = Type.String({ format: 'uuid', description: 'UUID (v7, time-ordered)' })
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO-8601 UTC timestamp' })

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const PaginationQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size (max 200)' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Opaque cursor from a previous page' })),
}

export function Page<T extends TSchema>(item: T, title: string) {
  return Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Cursor of the next page; null on the last page' }),
    },
    { title },
  )
}
