import type { PermissionDef } from '../access/permissions.js'

export const FILES_MANAGE = 'files:manage'

export const filesPermissions: PermissionDef[] = [{ key: FILES_MANAGE, description: "Read and delete any user's files", roles: ['admin'] }]
