import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import Type from 'typebox'
import type { PermissionRegistry } from '../../access/permissions.js'
import { requireActor, requirePermission } from '../../access/require-permission.js'
import { IdParams, Page, PaginationQuery, errorResponses } from '../schemas.js'
import type { ResourceSpec } from './resource.js'
import type { Precondition, ResourceService } from './resource.service.js'
import type { Row } from './types.js'

const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ pattern: '^(W/)?"\\d+"$', maxLength: 16, description: 'ETag of the version being edited, e.g. "3"' })),
})
const VersionField = Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'The version being edited; a stale one gets 409' }))

/** GET list, GET one, POST, PUT, PATCH and DELETE for a resource, each with its full contract. */
export function resourceRoutes<R extends Row, Rec extends { version: number }>(
  spec: ResourceSpec<R, Rec>,
  service: ResourceService<Rec>,
  registry: PermissionRegistry,
): FastifyPluginAsync {
  const { create, update } = spec.schemas
  // The response's description, for a record schema that has none of its own.
  const record = { ...spec.schemas.record, description: (spec.schemas.record as { description?: string }).description ?? `The ${spec.name.toLowerCase()}` }
  const tags = [spec.tag]
  const guard = (key: string | undefined): preHandlerAsyncHookHandler[] =>
    key ? [requirePermission(registry, key)] : [async (request) => void requireActor(request)]
  const read = guard(spec.permissions?.read)
  const write = guard(spec.permissions?.write)
  const sortValues = spec.sorts.flatMap((field) => [field, `-${field}`])
  const filterSchemas = Object.fromEntries(Object.entries(spec.filters ?? {}).map(([name, filter]) => [name, Type.Optional(filter.schema)]))
  const security = [{ bearerAuth: [] }]

  return async (app) => {
    app.get(
      spec.path,
      {
        preHandler: read,
        schema: {
          tags,
          security,
          summary: `List ${spec.name.toLowerCase()}s`,
          description: 'Cursor-paginated; only records the caller may read. Filters and sorts are limited to the declared ones.',
          querystring: Type.Object(
            { ...PaginationQuery, sort: Type.Optional(Type.Enum(sortValues, { default: spec.defaultSort })), ...filterSchemas },
            { additionalProperties: false },
          ),
          response: { 200: Page(record, `${spec.name}Page`, `A page of ${spec.name.toLowerCase()}s, in the order asked for, and the cursor of the next`), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit = 50, cursor, sort, ...filters } = request.query as { limit?: number; cursor?: string; sort?: string } & Record<string, unknown>
        return service.list(requireActor(request), { filters, limit, ...(cursor ? { cursor } : {}), ...(sort ? { sort } : {}) })
      },
    )

    app.get(
      `${spec.path}/:id`,
      {
        preHandler: read,
        schema: {
          tags,
          security,
          summary: `Get a ${spec.name.toLowerCase()}`,
          description: 'Answers with an ETag of the version; records the caller may not read are 404.',
          params: IdParams, response: { 200: record, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => withETag(reply, await service.get(requireActor(request), idOf(request))),
    )

    app.post(
      spec.path,
      {
        preHandler: write,
        schema: {
          tags,
          security,
          summary: `Create a ${spec.name.toLowerCase()}`,
          description: 'Answers 201 with the stored record (version 1) and its ETag.',
          body: create,
          response: { 201: record, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const created = await service.create(requireActor(request), request.body as Record<string, unknown>)
        return withETag(reply.code(201), created)
      },
    )

    const replaceBody = Type.Object({ ...update.properties, version: VersionField }, { additionalProperties: false })
    const patchBody = Type.Object(
      { ...Type.Partial(update).properties, version: VersionField },
      { additionalProperties: false, minProperties: 1 },
    )
    for (const [method, body, summary] of [
      ['PUT', replaceBody, `Replace a ${spec.name.toLowerCase()}`],
      ['PATCH', patchBody, `Change fields of a ${spec.name.toLowerCase()}`],
    ] as const) {
      app.route({
        method,
        url: `${spec.path}/:id`,
        preHandler: write,
        schema: {
          tags,
          security,
          summary,
          description: 'Optimistic concurrency: send `version` (stale → 409) or `If-Match` (stale → 412); the error carries the current record.',
          params: IdParams,
          headers: IfMatchHeaders,
          body: body,
          response: { 200: record, ...errorResponses(400, 401, 403, 404, 409, 412) },
        },
        handler: async (request, reply) => {
          const { version, ...input } = request.body as Record<string, unknown> & { version?: number }
          const updated = await service.update(requireActor(request), idOf(request), input, precondition(request, version))
          return withETag(reply, updated)
        },
      })
    }

    app.delete(
      `${spec.path}/:id`,
      {
        preHandler: write,
        schema: {
          tags,
          security,
          summary: `Delete a ${spec.name.toLowerCase()}`,
          description: 'With If-Match, a stale version gets 412 and nothing is deleted.',
          params: IdParams,
          headers: IfMatchHeaders,
          response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404, 412) },
        },
      },
      async (request, reply) => {
        await service.remove(requireActor(request), idOf(request), precondition(request, undefined))
        return reply.code(204).send()
      },
    )
  }
}

const idOf = (request: FastifyRequest): string => (request.params as { id: string }).id

function precondition(request: FastifyRequest, version: number | undefined): Precondition {
  const header = request.headers['if-match']
  const ifMatch = typeof header === 'string' ? Number(/"(\d+)"/.exec(header)?.[1]) : undefined
  return { ...(ifMatch !== undefined && Number.isInteger(ifMatch) ? { ifMatch } : {}), ...(version !== undefined ? { version } : {}) }
}

function withETag<Rec extends { version: number }>(reply: FastifyReply, record: Rec): Rec {
  reply.header('etag', `"${record.version}"`)
  return record
}
