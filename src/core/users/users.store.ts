import { createAuditRepository } from '../audit/audit.repository.js'
import { createApiKeysRepository } from '../auth/api-keys.repository.js'
import { createSessionsRepository } from '../auth/sessions.repository.js'
import type { Db } from '../db/client.js'
import { unitOfWork, type UnitOfWork } from '../db/unit-of-work.js'
import { createUserDataRepository } from './user-data.repository.js'
import { createUsersRepository } from './users.repository.js'

/**
 * The repositories user administration writes together, in one transaction when needed; sessions
 * are here so that ending an account's sessions commits with the change that ends them.
 */
export function usersStore(db: Db) {
  return unitOfWork(db, (handle) => ({
    users: createUsersRepository(handle),
    audit: createAuditRepository(handle),
    sessions: createSessionsRepository(handle),
    userData: createUserDataRepository(handle),
    apiKeys: createApiKeysRepository(handle),
  }))
}

export type UsersStore = ReturnType<typeof usersStore>
export type UsersRepos = UsersStore extends UnitOfWork<infer R> ? R : never
