import type { PermissionRegistry } from '../access/permissions.js'
import { AuditService } from '../audit/audit.service.js'
import type { Identity } from '../auth/identity.js'
import type { Db } from '../db/client.js'
import type { JobQueue } from '../jobs/index.js'
import type { RealtimePublisher } from '../realtime/index.js'
import { UserAccess } from './user-access.js'
import { userCleanupJobs } from './user-cleanup.job.js'
import { UserDataService, type ModuleUserData } from './user-data.service.js'
import { UsersService } from './users.service.js'
import { usersStore } from './users.store.js'

export interface UserAdministration {
  users: UsersService
  userData: UserDataService
  audit: AuditService
}

/** Wires user administration and the audit log: repositories → services. */
export function createUserAdministration(deps: {
  db: Db
  identity: Identity
  access: PermissionRegistry
  modules: readonly ModuleUserData[]
  /** Defines `users.module-cleanup.<module>` for these modules (before the queue starts) and sends them on each deletion. */
  jobs: JobQueue
  realtime: RealtimePublisher
}): UserAdministration {
  const store = usersStore(deps.db)
  const access = new UserAccess(deps.access)
  deps.jobs.define(userCleanupJobs(deps.modules), { owner: 'users' })
  return {
    users: new UsersService(store, deps.identity.auth, deps.identity.sessions, access, deps.realtime),
    userData: new UserDataService(store, deps.identity.sessions, access, deps.modules, deps.jobs),
    audit: new AuditService(store.repos.audit, deps.access),
  }
}
