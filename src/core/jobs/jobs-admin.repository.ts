import { createAuditRepository } from '../audit/audit.repository.js'
import type { Db } from '../db/client.js'
import { sqlExecutor } from '../db/sql-executor.js'
import { unitOfWork, type UnitOfWork } from '../db/unit-of-work.js'
import type { JobConnection } from './jobs.js'

/**
 * What an operator's retry or discard writes together: the job (pg-boss's SQL on this handle's
 * connection) and its audit entry, so that one is never recorded without the other.
 */
export function jobsAdminStore(db: Db) {
  return unitOfWork(db, (handle) => ({
    audit: createAuditRepository(handle),
    jobConnection: (): JobConnection => sqlExecutor(handle),
  }))
}

export type JobsAdminStore = ReturnType<typeof jobsAdminStore>
export type JobsAdminRepos = JobsAdminStore extends UnitOfWork<infer R> ? R : never
