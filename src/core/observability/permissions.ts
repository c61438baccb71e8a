import type { PermissionDef } from '../access/permissions.js'

export const PLATFORM_READ = 'platform:read'

export const observabilityPermissions: PermissionDef[] = [
  { key: PLATFORM_READ, description: 'Read the service overview: version, uptime, request and error rates, readiness of each dependency', roles: ['admin'] },
]
