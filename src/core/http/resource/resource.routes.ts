import type { FastifyPluginAsync } from 'fastify'
import type { PermissionRegistry } from '../../access/permissions.js'
import { resourceDeleteRoutes } from './resource-delete.routes.js'
import { resourceReadRoutes } from './resource-read.routes.js'
import { routeContext } from './resource-routes.shared.js'
import { resourceWriteRoutes } from './resource-write.routes.js'
import type { ResourceSpec } from './resource.js'
import type { ResourceService } from './resource.service.js'
import type { Row } from './types.js'

/**
 * GET list, GET one, POST, PUT, PATCH and DELETE for a resource (those of `spec.operations`),
 * each with its full contract.
 */
export function resourceRoutes<R extends Row, Rec extends { version: number }>(
  spec: ResourceSpec<R, Rec>,
  service: ResourceService<Rec>,
  registry: PermissionRegistry,
): FastifyPluginAsync {
  const ctx = routeContext(spec, service, registry)
  const groups = [resourceReadRoutes(ctx), resourceWriteRoutes(ctx), resourceDeleteRoutes(ctx)]
  return async (app) => {
    // Registered in place (not as child plugins), so the routes keep the caller's prefix and hooks.
    for (const group of groups) await group(app, {})
  }
}
