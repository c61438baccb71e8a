import { createAuditRepository } from '../audit/audit.repository.js'
import type { Db } from '../db/client.js'
import { unitOfWork, type UnitOfWork } from '../db/unit-of-work.js'
import { createUsersRepository } from '../users/users.repository.js'
import { createApiKeysRepository } from './api-keys.repository.js'
import { createEmailTokensRepository, createSessionsRepository } from './sessions.repository.js'

/** The identity tables' repositories, usable together in one transaction. */
export function identityStore(db: Db) {
  return unitOfWork(db, (handle) => ({
    users: createUsersRepository(handle),
    sessions: createSessionsRepository(handle),
    emailTokens: createEmailTokensRepository(handle),
    audit: createAuditRepository(handle),
    apiKeys: createApiKeysRepository(handle),
  }))
}

export type IdentityStore = ReturnType<typeof identityStore>
export type IdentityRepos = IdentityStore extends UnitOfWork<infer R> ? R : never
