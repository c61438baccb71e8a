import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { AppError } from '../errors/app-error.js'
import type { Actor } from './actor.js'
import type { PermissionRegistry } from './permissions.js'

/** The authenticated actor, or 401. */
export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw request.authError ?? new AppError('UNAUTHENTICATED')
  return request.actor
}

const checkedPermission = new WeakMap<object, string>()

/** A preHandler: 401 without an actor, 403 without the permission. Unknown keys fail at registration. */
export function requirePermission(registry: PermissionRegistry, key: string): preHandlerAsyncHookHandler {
  registry.assertKnown(key)
  const hook: preHandlerAsyncHookHandler = async (request) => {
    const actor = requireActor(request)
    if (!registry.roleHas(actor.role, key)) throw new AppError('FORBIDDEN', `This requires the ${key} permission.`)
  }
  checkedPermission.set(hook, key)
  return hook
}

/** The permission a hook made by requirePermission checks; the OpenAPI document names it as the route's bearer scope. */
export function permissionCheckedBy(hook: unknown): string | undefined {
  return typeof hook === 'function' ? checkedPermission.get(hook) : undefined
}
