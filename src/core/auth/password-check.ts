import type { UsersRepository } from '../users/users.repository.js'
import type { PasswordHasher } from './passwords.js'

/**
 * `ModuleContext.passwords`: re-confirming the signed-in account's password before something
 * sensitive (revealing a stored secret). The password is never logged or kept.
 */
export interface PasswordCheck {
  /** Whether `password` is the account's; false for a deleted or disabled account or one without a password (same argon2 work). */
  verify(userId: string, password: string): Promise<boolean>
}

export function createPasswordCheck(users: Pick<UsersRepository, 'findById'>, hasher: Pick<PasswordHasher, 'verify'>): PasswordCheck {
  return {
    async verify(userId, password) {
      const user = await users.findById(userId)
      const usable = user !== undefined && !user.disabled
      return (await hasher.verify(usable ? user.passwordHash : undefined, password)) && usable
    },
  }
}
