import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { errorResponses } from '../../core/http/schemas.js'
import * as S from './cylinders.schemas.js'
import { batchRules, security, tags, type CylinderRouteContext } from './cylinders-routes.shared.js'
import type { MoveType } from './domain.js'
import { CYLINDERS_MOVE } from './permissions.js'

// Moves to a destination take locationId or sentTo; moves back to the depot take neither (400).
const MOVE_ROUTES: { path: string; type: MoveType; summary: string; description: string; body: typeof S.MoveBody | typeof S.DepotMoveBody }[] = [
  { path: '/cylinders/ship', type: 'ship', summary: 'Ship cylinders to a customer', description: 'available → sent. Needs locationId (a customer) or sentTo.', body: S.MoveBody },
  {
    path: '/cylinders/return',
    type: 'return',
    summary: 'Mark cylinders as returned',
    description: 'sent → returned, back at the depot, so the body names no destination. A lost cylinder in the batch is found: it is returned like the others.',
    body: S.DepotMoveBody,
  },
  {
    path: '/cylinders/refill/send',
    type: 'refill_send',
    summary: 'Send cylinders for refill',
    description: 'returned → in_refill. Needs locationId (a refill station) or sentTo. Overdue tests are refused (CYLINDER_TEST_OVERDUE).',
    body: S.MoveBody,
  },
  {
    path: '/cylinders/refill/receive',
    type: 'refill_receive',
    summary: 'Receive refilled cylinders',
    description: 'in_refill → available, back at the depot, so the body names no destination. Overdue tests are refused (CYLINDER_TEST_OVERDUE).',
    body: S.DepotMoveBody,
  },
]

/** Batch moves: ship, return, send to and receive from refill. Scans count against the scan limit. */
export function moveRoutes(instance: FastifyInstance, { api, can, limited }: CylinderRouteContext): void {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  for (const route of MOVE_ROUTES) {
    app.post(
      route.path,
      {
        preHandler: [can(CYLINDERS_MOVE), ...limited],
        schema: {
          tags,
          security,
          summary: route.summary,
          description: `${route.description} ${batchRules} With clientBatchId, a resend returns the original shipment with 200 and moves nothing; the same id with other cylinders or destination is 409 CYLINDER_BATCH_ID_REUSED.`,
          body: route.body,
          response: { 200: S.ShipmentRef, 201: S.ShipmentRef, ...errorResponses(400, 401, 403, 409, 422, 429) },
        },
      },
      async (request, reply) => {
        const result = await api.batches.move(requireActor(request), route.type, request.body)
        return reply.code(result.replayed ? 200 : 201).header('idempotent-replayed', String(result.replayed)).send(result.shipment)
      },
    )
  }
}
