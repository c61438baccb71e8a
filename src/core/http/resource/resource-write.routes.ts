import type { FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../access/require-permission.js'
import { IdParams, errorResponses } from '../schemas.js'
import { IfMatchHeaders, VersionField, idOf, precondition, withETag, type ResourceRouteContext } from './resource-routes.shared.js'
import type { Row } from './types.js'

const CONCURRENCY = 'Optimistic concurrency: send `version` (stale → 409) or `If-Match` (stale → 412); the error carries the current record.'

/** POST, PUT and PATCH: created by the create policy, changed within the update policy. */
export function resourceWriteRoutes<R extends Row, Rec extends { version: number }>(ctx: ResourceRouteContext<R, Rec>): FastifyPluginAsync {
  const { spec, service, record, noun, tags, security } = ctx
  const { create, update } = spec.schemas
  const replaceBody = Type.Object({ ...update.properties, version: VersionField }, { additionalProperties: false })
  const patchBody = Type.Object({ ...Type.Partial(update).properties, version: VersionField }, { additionalProperties: false, minProperties: 1 })

  return async (app) => {
    if (ctx.serves('create')) {
      app.post(
        spec.path,
        {
          preHandler: ctx.write,
          schema: {
            tags,
            security,
            summary: `Create a ${noun}`,
            description: 'Answers 201 with the stored record (version 1) and its ETag.',
            body: create,
            response: { 201: record, ...errorResponses(400, 401, 403, 409) },
          },
        },
        async (request, reply) => withETag(reply.code(201), await service.create(requireActor(request), request.body as Record<string, unknown>)),
      )
    }

    for (const [operation, method, body, summary] of [
      ['replace', 'PUT', replaceBody, `Replace a ${noun}`],
      ['update', 'PATCH', patchBody, `Change fields of a ${noun}`],
    ] as const) {
      if (!ctx.serves(operation)) continue
      app.route({
        method,
        url: `${spec.path}/:id`,
        preHandler: ctx.write,
        schema: {
          tags,
          security,
          summary,
          description: `${CONCURRENCY} A record the caller may read but not change is 403; one it may not read, 404.`,
          params: IdParams,
          headers: IfMatchHeaders,
          body,
          response: { 200: record, ...errorResponses(400, 401, 403, 404, 409, 412) },
        },
        handler: async (request, reply) => {
          const { version, ...input } = request.body as Record<string, unknown> & { version?: number }
          return withETag(reply, await service.update(requireActor(request), idOf(request), input, precondition(request, version)))
        },
      })
    }
  }
}
