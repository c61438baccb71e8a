import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import { toCylinderView } from './cylinder.view.js'
import * as S from './cylinders.schemas.js'
import { security, tags, type CylinderRouteContext } from './cylinders-routes.shared.js'
import { CYLINDERS_READ } from './permissions.js'

/** GET /cylinders, /cylinders/scan/:qrCode (counted against the scan limit) and /cylinders/:id. */
export function lookupRoutes(instance: FastifyInstance, { api, can, limited }: CylinderRouteContext): void {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const { cylinders } = api

  app.get(
    '/cylinders',
    {
      preHandler: can(CYLINDERS_READ),
      schema: { tags, security, summary: 'List cylinders', description: 'Newest first, cursor-paginated, with filters.', querystring: S.ListQuery, response: { 200: S.CylinderPage, ...errorResponses(400, 401, 403) } },
    },
    async (request) => {
      const { limit = 50, cursor, ...filters } = request.query
      return cylinders.list(requireActor(request), filters, { limit, ...(cursor ? { cursor } : {}) })
    },
  )

  app.get(
    '/cylinders/scan/:qrCode',
    {
      preHandler: [can(CYLINDERS_READ), ...limited],
      schema: {
        tags,
        security,
        summary: 'Look up a scanned code',
        description: '404 for a code never issued, 410 CYLINDER_QR_RETIRED for one a reprint replaced. Rate-limited per account.',
        params: S.CodeParams,
        response: { 200: S.CylinderRef, ...errorResponses(400, 401, 403, 404, 410, 429) },
      },
    },
    async (request) => toCylinderView(await cylinders.scan(requireActor(request), request.params.qrCode)),
  )

  app.get(
    '/cylinders/:id',
    { preHandler: can(CYLINDERS_READ), schema: { tags, security, summary: 'A cylinder', description: 'Its details, status and where it is.', params: IdParams, response: { 200: S.CylinderRef, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => toCylinderView(await cylinders.get(requireActor(request), request.params.id)),
  )
}

/** GET /cylinders/:id/history. */
export function historyRoute(instance: FastifyInstance, { api, can }: CylinderRouteContext): void {
  instance.withTypeProvider<TypeBoxTypeProvider>().get(
    '/cylinders/:id/history',
    {
      preHandler: can(CYLINDERS_READ),
      schema: {
        tags,
        security,
        summary: 'A cylinder’s history',
        description: 'Every move, edit, reprint, quarantine and trash, oldest first, with who and why. Append-only.',
        params: IdParams,
        querystring: S.HistoryQuery,
        response: { 200: S.HistoryPage, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => api.cylinders.history(requireActor(request), request.params.id, { limit: request.query.limit ?? 50, ...(request.query.cursor ? { cursor: request.query.cursor } : {}) }),
  )
}
