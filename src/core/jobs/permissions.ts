import type { PermissionDef } from '../access/permissions.js'

export const JOBS_READ = 'jobs:read'
export const JOBS_MANAGE = 'jobs:manage'

export const jobsPermissions: PermissionDef[] = [
  { key: JOBS_READ, description: 'See the job queues (depth, running jobs) and their dead letters', roles: ['admin'] },
  { key: JOBS_MANAGE, description: 'Retry and discard dead-lettered jobs', roles: ['admin'] },
]
