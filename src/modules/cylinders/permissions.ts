import type { PermissionDef } from '../../core/access/permissions.js'

export const CYLINDERS_READ = 'cylinders:read'
export const CYLINDERS_MOVE = 'cylinders:move'
export const CYLINDERS_MANAGE = 'cylinders:manage'
export const CYLINDERS_LOCATIONS = 'cylinders:locations'
export const CYLINDERS_REPORTS = 'cylinders:reports'

export const cylinderPermissions: PermissionDef[] = [
  { key: CYLINDERS_READ, description: 'Look up cylinders, their history, labels and locations; follow the cylinders room', roles: ['admin', 'worker'] },
  { key: CYLINDERS_MOVE, description: 'Scan batches: ship, return, send to and receive from refill; quarantine', roles: ['admin', 'worker'] },
  { key: CYLINDERS_MANAGE, description: 'Add, import and edit cylinders; release, mark lost, trash; reprint labels and print label sheets', roles: ['admin'] },
  { key: CYLINDERS_LOCATIONS, description: 'Create, edit and archive customers and refill stations', roles: ['admin'] },
  { key: CYLINDERS_REPORTS, description: 'Read /api/admin/shipments, /inventory and /reports', roles: ['admin'] },
]
