import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { AppError } from '../errors/app-error.js'
import type { Actor } from './actor.js'
import type { PermissionRegistry } from './permissions.js'

/** Requests whose route checked a permission with `requirePermission`, and the actor had it. */
const permitted = new WeakSet<FastifyRequest>()

/**
 * The authenticated actor, or 401. An API key is accepted only where a `requirePermission` hook
 * checked one of its scopes: everything else (account, sessions, API keys, routes whose services
 * decide) answers 401 API_KEY_NOT_ALLOWED: the key is not a credential those routes take (as a
 * wrong authentication scheme), so a key never does more than its scopes name.
 */
export function requireActor(request: FastifyRequest): Actor {
  const actor = signedIn(request)
  if (actor.apiKey && !permitted.has(request)) throw new AppError('API_KEY_NOT_ALLOWED')
  return actor
}

function signedIn(request: FastifyRequest): Actor {
  if (!request.actor) throw request.authError ?? new AppError('UNAUTHENTICATED')
  return request.actor
}

const checkedPermission = new WeakMap<object, string>()

/** A preHandler: 401 without an actor, 403 without the permission (for an API key: in its role and its scopes). Unknown keys fail at registration. */
export function requirePermission(registry: PermissionRegistry, key: string): preHandlerAsyncHookHandler {
  registry.assertKnown(key)
  const hook: preHandlerAsyncHookHandler = async (request) => {
    registry.require(signedIn(request), key)
    permitted.add(request)
  }
  checkedPermission.set(hook, key)
  return hook
}

/** The permission a hook made by requirePermission checks; the OpenAPI document names it as the route's bearer scope. */
export function permissionCheckedBy(hook: unknown): string | undefined {
  return typeof hook === 'function' ? checkedPermission.get(hook) : undefined
}
