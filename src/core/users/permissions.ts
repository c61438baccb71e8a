import type { PermissionDef } from '../access/permissions.js'

/** Core's permissions; modules declare theirs in their manifests. */
export const corePermissions: PermissionDef[] = [
  { key: 'users:read', description: 'List and read any account', roles: ['admin'] },
  { key: 'users:manage', description: 'Create accounts, change roles, disable and delete any account', roles: ['admin'] },
  { key: 'api-keys:manage', description: "List, create and revoke any account's API keys", roles: ['admin'] },
  { key: 'audit:read', description: 'Read the audit log', roles: ['admin'] },
]
