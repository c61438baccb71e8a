import rateLimit from '@fastify/rate-limit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify'
import { requirePermission } from '../../core/access/require-permission.js'
import { AppError } from '../../core/errors/app-error.js'
import type { CylindersApi } from './api.js'
import { actionRoutes } from './cylinders.actions.routes.js'
import { addRoute, editRoute, reprintRoute } from './cylinders.manage.routes.js'
import { moveRoutes } from './cylinders.moves.routes.js'
import { historyRoute, lookupRoutes } from './cylinders.read.routes.js'
import * as S from './cylinders.schemas.js'
import type { CylinderRouteContext, CylinderRouteGroup } from './cylinders-routes.shared.js'

/**
 * The /cylinders routes, one plugin: its groups share the Cylinder and Shipment schemas and one
 * scan limit. Registered in this order so the OpenAPI document lists the routes as it always has.
 */
const GROUPS: CylinderRouteGroup[] = [addRoute, moveRoutes, actionRoutes, reprintRoute, lookupRoutes, editRoute, historyRoute]

export function cylindersRoutes(api: CylindersApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const can = (key: string) => requirePermission(api.access, key)
    const limited = await scanLimit(app, api.config.scanRateLimitPerMinute)
    app.addSchema(S.Cylinder)
    app.addSchema(S.Shipment)
    const context: CylinderRouteContext = { api, can, limited }
    for (const group of GROUPS) group(instance, context)
  }
}

/**
 * Scans and batch moves per account per minute (a scanner stuck in a loop, or someone trying codes):
 * counted in Redis when there is one, so the limit holds across instances.
 */
async function scanLimit(app: FastifyInstance, perMinute: number): Promise<preHandlerAsyncHookHandler[]> {
  if (perMinute === 0) return []
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    ...(app.platform.redis ? { redis: app.platform.redis, nameSpace: 'plinth:cylinder-scan:' } : {}),
  })
  return [
    app.rateLimit({
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => request.actor?.id ?? request.ip,
      errorResponseBuilder: (_request, context) =>
        new AppError('RATE_LIMITED', `Too many scans; retry in ${Math.ceil(context.ttl / 1000)} s.`, { limitPerMinute: context.max }),
    }),
  ]
}
