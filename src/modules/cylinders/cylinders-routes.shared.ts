import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify'
import type { CylindersApi } from './api.js'

/** What every cylinder route group is registered with (see cylinders.routes.ts). */
export interface CylinderRouteContext {
  api: CylindersApi
  /** A preHandler requiring one of the module's permissions. */
  can: (key: string) => preHandlerAsyncHookHandler
  /** The scan limit's preHandler (`api.scanLimit`; lets everything through when switched off). */
  limited: preHandlerAsyncHookHandler[]
}

/** A route group: adds its routes to the plugin it is given. */
export type CylinderRouteGroup = (app: FastifyInstance, context: CylinderRouteContext) => void

export const tags = ['cylinders']
export const adminTags = ['cylinders-admin']
export const security = [{ bearerAuth: [] }]

export const batchRules =
  'All or nothing: if any cylinder cannot change, the answer is 409 CYLINDER_INVALID_TRANSITION (or CYLINDER_TEST_OVERDUE when that is the only reason) with `details.failures` listing every refused code or id, its status and reason; nothing changes. Repeated codes count once.'

/** A binary body of at most `maxBytes` (generous: a QR image is a few kB, a full label sheet about 0.5 MB). */
export const bytes = (contentType: string, description: string, maxBytes: number) => ({
  description,
  content: { [contentType]: { schema: { type: 'string', format: 'binary', maxLength: maxBytes } } },
})
