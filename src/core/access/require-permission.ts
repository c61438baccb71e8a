import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { AppError } from '../errors/app-error.js'
import type { Actor } from './actor.js'
import type { PermissionRegistry } from './permissions.js'

/** The authenticated actor, or 401. */
export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw request.authError ?? new AppError('UNAUTHENTICATED')
  return request.actor
}

/** A preHandler: 401 without an actor, 403 without the permission. Unknown keys fail at registration. */
export function requirePermission(registry: PermissionRegistry, key: string): preHandlerAsyncHookHandler {
  registry.assertKnown(key)
  return async (request) => {
    const actor = requireActor(request)
    if (!registry.roleHas(actor.role, key)) throw new AppError('FORBIDDEN', `This requires the ${key} permission.`)
  }
}
