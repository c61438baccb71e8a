import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requirePermission } from '../../core/access/require-permission.js'
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
    const limited = [api.scanLimit]
    app.addSchema(S.Cylinder)
    app.addSchema(S.Shipment)
    const context: CylinderRouteContext = { api, can, limited }
    for (const group of GROUPS) group(instance, context)
  }
}
