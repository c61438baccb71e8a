import { AppError } from '../errors/app-error.js'
import type { Actor } from './actor.js'
import type { Role } from './roles.js'

export interface PermissionDef {
  /** `<owner>:<action>`, e.g. `cylinders:ship`. */
  key: string
  description: string
  /** Roles granted this permission by default. */
  roles: readonly Role[]
}

/**
 * Core and every module declare their permissions here at boot; routes then require keys, and
 * a key nobody declared fails the boot instead of silently denying (or allowing) at run time.
 */
export class PermissionRegistry {
  private readonly defs = new Map<string, PermissionDef>()
  private readonly byRole = new Map<Role, Set<string>>()

  declare(...defs: PermissionDef[]): void {
    for (const def of defs) {
      if (!/^[a-z][a-z0-9-]*:[a-z][a-z0-9:-]*$/.test(def.key)) throw new Error(`Invalid permission key "${def.key}"`)
      if (this.defs.has(def.key)) throw new Error(`Permission "${def.key}" is declared twice`)
      this.defs.set(def.key, def)
      for (const role of def.roles) {
        const keys = this.byRole.get(role) ?? new Set<string>()
        keys.add(def.key)
        this.byRole.set(role, keys)
      }
    }
  }

  assertKnown(key: string): void {
    if (!this.defs.has(key)) throw new Error(`Unknown permission "${key}": declare it in the owning module's permissions`)
  }

  roleHas(role: Role, key: string): boolean {
    return this.byRole.get(role)?.has(key) ?? false
  }

  /** What the actor may do: its role's permission, and for an API key, only the permissions in its scopes too. */
  allows(actor: Pick<Actor, 'role' | 'apiKey'>, key: string): boolean {
    return this.roleHas(actor.role, key) && (!actor.apiKey || actor.apiKey.scopes.includes(key))
  }

  /**
   * A service's first line: 403 FORBIDDEN when the role lacks the permission, 403 API_KEY_SCOPE_MISSING
   * when an API key's scopes do not name it (the answers `requirePermission` gives a route).
   */
  require(actor: Pick<Actor, 'role' | 'apiKey'>, key: string): void {
    if (!this.roleHas(actor.role, key)) throw new AppError('FORBIDDEN', `This requires the ${key} permission.`)
    if (!this.allows(actor, key)) throw new AppError('API_KEY_SCOPE_MISSING', `This API key's scopes do not include ${key}.`, { permission: key })
  }

  list(): PermissionDef[] {
    return [...this.defs.values()]
  }
}
