import type { FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../access/require-permission.js'
import { IdParams, Page, errorResponses } from '../schemas.js'
import { listQuery, listQuerySchema } from './list-query.js'
import { idOf, withETag, type ResourceRouteContext } from './resource-routes.shared.js'
import type { Row } from './types.js'

/** GET list and GET one: only what the read policy lets the caller see. */
export function resourceReadRoutes<R extends Row, Rec extends { version: number }>(ctx: ResourceRouteContext<R, Rec>): FastifyPluginAsync {
  const { spec, service, record, noun, tags, security } = ctx

  return async (app) => {
    if (ctx.serves('list')) {
      const querystring = listQuerySchema(spec)
      const page = Page(record, `${spec.name}Page`, `A page of ${noun}s, in the order asked for, and the cursor of the next`)
      app.get(
        spec.path,
        {
          preHandler: ctx.read,
          schema: {
            tags,
            security,
            summary: `List ${noun}s`,
            description: 'Cursor-paginated; only records the caller may read. Filters and sorts are limited to the declared ones.',
            querystring,
            response: { 200: page, ...errorResponses(400, 401, 403) },
          },
        },
        async (request) => service.list(requireActor(request), listQuery(request.query)),
      )
    }

    if (ctx.serves('get')) {
      app.get(
        `${spec.path}/:id`,
        {
          preHandler: ctx.read,
          schema: {
            tags,
            security,
            summary: `Get a ${noun}`,
            description: 'Answers with an ETag of the version; records the caller may not read are 404.',
            params: IdParams,
            response: { 200: record, ...errorResponses(400, 401, 403, 404) },
          },
        },
        async (request, reply) => withETag(reply, await service.get(requireActor(request), idOf(request))),
      )
    }
  }
}
