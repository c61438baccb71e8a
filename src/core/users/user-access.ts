import type { Actor } from '../access/actor.js'
import type { PermissionRegistry } from '../access/permissions.js'
import { AppError, notFound } from '../errors/app-error.js'
import type { UserRow } from './db/schema.js'
import type { UsersRepository } from './users.repository.js'

export type UserPermission = 'users:read' | 'users:manage'

/** Who may see and change which accounts. */
export class UserAccess {
  constructor(private readonly registry: PermissionRegistry) {
    for (const key of ['users:read', 'users:manage']) registry.assertKnown(key)
  }

  has(actor: Actor, key: UserPermission): boolean {
    return this.registry.roleHas(actor.role, key)
  }

  require(actor: Actor, key: UserPermission): void {
    if (!this.has(actor, key)) throw new AppError('FORBIDDEN', `This requires the ${key} permission.`)
  }

  /** Other accounts exist for a caller only with users:read: to anyone else they are 404, like missing ones. */
  requireVisible(actor: Actor, userId: string): void {
    if (actor.id !== userId && !this.has(actor, 'users:read')) throw notFound('User')
  }

  /** Your own account, or any account with `key`. */
  requireSelfOr(actor: Actor, userId: string, key: UserPermission, doing: string): void {
    this.requireVisible(actor, userId)
    if (actor.id !== userId && !this.has(actor, key)) throw new AppError('FORBIDDEN', `${doing} another account requires the ${key} permission.`)
  }
}

export const isActiveAdmin = (user: Pick<UserRow, 'role' | 'disabled'>): boolean => user.role === 'admin' && !user.disabled

/**
 * Refuses a change that would leave no active administrator. Locks the administrators' rows,
 * so concurrent demotions are decided one after the other. Call inside the change's transaction.
 */
export async function assertAnotherAdminRemains(users: UsersRepository, userId: string): Promise<void> {
  const admins = await users.lockActiveAdmins()
  if (admins.length <= 1 && admins.includes(userId)) {
    throw new AppError('CONFLICT', 'This is the last active administrator: make another account an administrator first.', { userId })
  }
}
