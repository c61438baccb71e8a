import type { Actor } from '../../core/access/actor.js'
import type { PermissionDef, PermissionRegistry } from '../../core/access/permissions.js'

export const CYLINDERS_READ = 'cylinders:read'
export const CYLINDERS_MOVE = 'cylinders:move'
export const CYLINDERS_MANAGE = 'cylinders:manage'
export const CYLINDERS_LOCATIONS = 'cylinders:locations'
export const CYLINDERS_REPORTS = 'cylinders:reports'

export const cylinderPermissions: PermissionDef[] = [
  { key: CYLINDERS_READ, description: 'Look up cylinders, their history, labels and locations; follow the cylinders room', roles: ['admin', 'worker'] },
  { key: CYLINDERS_MOVE, description: 'Scan batches: ship, return, send to and receive from refill; quarantine', roles: ['admin', 'worker'] },
  { key: CYLINDERS_MANAGE, description: 'Add, import and edit cylinders; release, mark lost, trash; reprint labels and print label sheets', roles: ['admin'] },
  { key: CYLINDERS_LOCATIONS, description: 'Create, edit and archive customers and refill stations', roles: ['admin'] },
  { key: CYLINDERS_REPORTS, description: 'Read /api/admin/shipments, /inventory and /reports', roles: ['admin'] },
]

export type CylinderPermission = typeof CYLINDERS_READ | typeof CYLINDERS_MOVE | typeof CYLINDERS_MANAGE | typeof CYLINDERS_LOCATIONS | typeof CYLINDERS_REPORTS

/**
 * The module's access check. Every public service method calls `require` first, as the core's services
 * do, so a route, a job or an export calling a service is checked the same way (routes' preHandlers
 * also check, early, and name the scope in the OpenAPI document). Code acting for no one in particular
 * passes an actor with the role whose permissions it acts with.
 */
export class CylinderAccess {
  constructor(private readonly registry: PermissionRegistry) {
    for (const { key } of cylinderPermissions) registry.assertKnown(key)
  }

  /** The actor's role has the permission, and an API key's scopes name it too. */
  has(actor: Pick<Actor, 'role' | 'apiKey'>, key: CylinderPermission): boolean {
    return this.registry.allows(actor, key)
  }

  /** 403 as `requirePermission` answers: FORBIDDEN without the permission, API_KEY_SCOPE_MISSING for a key without the scope. */
  require(actor: Pick<Actor, 'role' | 'apiKey'>, key: CylinderPermission): void {
    this.registry.require(actor, key)
  }
}
