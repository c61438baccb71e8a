import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor, requirePermission } from '../../core/access/require-permission.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import type { CylindersApi } from './api.js'
import { security, tags } from './cylinders-routes.shared.js'
import { toLocationView } from './location.view.js'
import * as S from './locations.schemas.js'
import { CYLINDERS_READ } from './permissions.js'

export const PATH = '/cylinders/locations'

/**
 * Customers and refill stations: GET /cylinders/locations and /cylinders/locations/:id (changes are in
 * locations.write.routes.ts). `/cylinders/locations` is a static segment, so the router prefers it to
 * `/cylinders/:id`.
 */
export function locationsReadRoutes(api: CylindersApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const can = (key: string) => requirePermission(api.access, key)
    const { locations } = api

    app.get(
      PATH,
      {
        preHandler: can(CYLINDERS_READ),
        schema: {
          tags,
          security,
          summary: 'List locations',
          description: 'Customers and refill stations by name (A–Z), cursor-paginated. Scanners pick a destination with `active=true` and a `kind`.',
          querystring: S.LocationListQuery,
          response: { 200: S.LocationPage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit = 50, cursor, ...filters } = request.query
        return locations.list(requireActor(request), filters, { limit, ...(cursor ? { cursor } : {}) })
      },
    )

    app.get(
      `${PATH}/:id`,
      {
        preHandler: can(CYLINDERS_READ),
        schema: {
          tags,
          security,
          summary: 'A location',
          description: 'A customer or refill station, archived or not; 404 when there is no such location.',
          params: IdParams,
          response: { 200: S.Location, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => toLocationView(await locations.get(requireActor(request), request.params.id)),
    )
  }
}
