import Type from 'typebox'
import { PaginationQuery } from '../schemas.js'
import type { ResourceSpec } from './resource.js'
import type { ListQuery } from './resource.service.js'

/**
 * The query string of a resource's list (limit, cursor, sort, its filters but those in `omit`),
 * for a module's own list route, e.g. `GET /chats/:chatId/messages` with `omit: ['chatId']`.
 */
export function listQuerySchema(spec: Pick<ResourceSpec, 'sorts' | 'defaultSort' | 'filters'>, options: { omit?: readonly string[] } = {}) {
  const sortValues = spec.sorts.flatMap((field) => [field, `-${field}`])
  const filters = Object.entries(spec.filters ?? {}).filter(([name]) => !options.omit?.includes(name))
  return Type.Object(
    {
      ...PaginationQuery,
      sort: Type.Optional(Type.Enum(sortValues, { default: spec.defaultSort })),
      ...Object.fromEntries(filters.map(([name, filter]) => [name, Type.Optional(filter.schema)])),
    },
    { additionalProperties: false },
  )
}

/** A validated list query string as `service.list` takes it; `filters` adds or overrides filters (e.g. from the path). */
export function listQuery(query: unknown, filters: Record<string, unknown> = {}): ListQuery {
  const { limit = 50, cursor, sort, ...rest } = query as { limit?: number; cursor?: string; sort?: string } & Record<string, unknown>
  return { filters: { ...rest, ...filters }, limit, ...(cursor ? { cursor } : {}), ...(sort ? { sort } : {}) }
}
