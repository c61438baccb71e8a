import type { Actor } from './actor.js'

/**
 * An access rule both authorizes and scopes: `true` allows everything, `false` nothing, and a
 * scope (field → required value) allows only matching records. Repositories turn scopes into
 * SQL, so a list returns only what the actor may see and a get/update/delete of anything
 * outside the scope is indistinguishable from a missing record (404).
 */
export type Scope = Readonly<Record<string, string | number | boolean | null>>
export type AccessDecision = boolean | Scope
export type AccessRule = (actor: Actor) => AccessDecision

export const allowAll: AccessRule = () => true
export const allowRoles =
  (...roles: Actor['role'][]): AccessRule =>
  (actor) =>
    roles.includes(actor.role)
