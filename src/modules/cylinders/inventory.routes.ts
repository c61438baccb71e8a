import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor, requirePermission } from '../../core/access/require-permission.js'
import { errorResponses } from '../../core/http/schemas.js'
import type { CylindersApi } from './api.js'
import { adminTags as tags, security } from './cylinders-routes.shared.js'
import { CYLINDERS_REPORTS } from './permissions.js'
import * as S from './reports.schemas.js'

/** GET /admin/inventory: the cached counts per status, gas type and place. */
export function inventoryRoutes(api: CylindersApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { inventory } = api
    const preHandler = requirePermission(api.access, CYLINDERS_REPORTS)

    app.get(
      '/admin/inventory',
      {
        preHandler,
        schema: {
          tags,
          security,
          summary: 'Inventory (admin)',
          description:
            'Cylinders per status, per gas type and per place (customers, refill stations and free-text sentTo destinations), and how many are at the depot. Cached until the next change to any cylinder (and for at most a minute unless the server is configured otherwise); the `x-cache` response header says `hit` or `miss`, and `generatedAt` when the numbers were computed.',
          response: {
            200: { description: 'The inventory', headers: { 'x-cache': S.CacheHeader }, content: { 'application/json': { schema: S.Inventory } } },
            ...errorResponses(401, 403),
          },
        },
      },
      async (request, reply) => {
        const answer = await inventory.get(requireActor(request))
        return reply.header('x-cache', answer.cache).send(answer.inventory)
      },
    )
  }
}
