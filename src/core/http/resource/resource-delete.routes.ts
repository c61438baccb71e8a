import type { FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../access/require-permission.js'
import { IdParams, errorResponses } from '../schemas.js'
import { IfMatchHeaders, idOf, precondition, type ResourceRouteContext } from './resource-routes.shared.js'
import type { Row } from './types.js'

/** DELETE: within the delete policy; with If-Match, only the version named. */
export function resourceDeleteRoutes<R extends Row, Rec extends { version: number }>(ctx: ResourceRouteContext<R, Rec>): FastifyPluginAsync {
  const { spec, service, noun, tags, security } = ctx
  return async (app) => {
    if (!ctx.serves('delete')) return
    app.delete(
      `${spec.path}/:id`,
      {
        preHandler: ctx.write,
        schema: {
          tags,
          security,
          summary: `Delete a ${noun}`,
          description: 'With If-Match, a stale version gets 412 and nothing is deleted. A record the caller may read but not delete is 403; one it may not read, 404.',
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
