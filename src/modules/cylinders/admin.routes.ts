import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor, requirePermission } from '../../core/access/require-permission.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import * as S from './admin.schemas.js'
import type { CylindersApi } from './api.js'
import { CYLINDERS_REPORTS } from './permissions.js'

const tags = ['cylinders-admin']
const security = [{ bearerAuth: [] }]

/** The admin area under /api/admin: shipments (inventory.routes.ts and reports.routes.ts add the rest). */
export function adminRoutes(api: CylindersApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    await shipmentsAdminRoutes(api, instance)
  }
}

/** GET /admin/shipments and /admin/shipments/:id. */
async function shipmentsAdminRoutes(api: CylindersApi, instance: FastifyInstance): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const admin = requirePermission(api.access, CYLINDERS_REPORTS)
  const shipments = api.adminShipments

  app.get(
    '/admin/shipments',
    {
      preHandler: admin,
      schema: {
        tags,
        security,
        summary: 'List shipments (admin)',
        description:
          'Every scanned batch, newest first (scannedAt, then id), with the worker and the location; cursor-paginated. Filter by worker, move type, location and a scannedAt range [from, to). from ≥ to is 400.',
        querystring: S.AdminShipmentQuery,
        response: { 200: S.AdminShipmentPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, ...filters } = request.query
      return shipments.list(requireActor(request), filters, { limit, ...(cursor ? { cursor } : {}) })
    },
  )

  app.get(
    '/admin/shipments/:id',
    {
      preHandler: admin,
      schema: {
        tags,
        security,
        summary: 'A shipment with its cylinders (admin)',
        description: 'The batch, its worker and location, and every cylinder it moved with the status before and after.',
        params: IdParams,
        response: { 200: S.AdminShipmentDetail, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => shipments.get(requireActor(request), request.params.id),
  )
}
