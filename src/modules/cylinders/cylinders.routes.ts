import rateLimit from '@fastify/rate-limit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify'
import { requireActor, requirePermission } from '../../core/access/require-permission.js'
import { AppError } from '../../core/errors/app-error.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import type { CylindersApi } from './api.js'
import type { ActionInput } from './batch.service.js'
import { toCylinderView } from './cylinder.view.js'
import * as S from './cylinders.schemas.js'
import type { MoveType } from './domain.js'
import { CYLINDERS_MANAGE, CYLINDERS_MOVE, CYLINDERS_READ } from './permissions.js'

const tags = ['cylinders']
const security = [{ bearerAuth: [] }]

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

const batchRules =
  'All or nothing: if any cylinder cannot change, the answer is 409 CYLINDER_INVALID_TRANSITION (or CYLINDER_TEST_OVERDUE when that is the only reason) with `details.failures` listing every refused code or id, its status and reason; nothing changes. Repeated codes count once.'

export function cylindersRoutes(api: CylindersApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { access, cylinders, batches } = api
    const can = (key: string) => requirePermission(access, key)
    const limited = await scanLimit(app, api.config.scanRateLimitPerMinute)
    app.addSchema(S.Cylinder)
    app.addSchema(S.Shipment)

    app.post(
      '/cylinders/add',
      {
        preHandler: can(CYLINDERS_MANAGE),
        schema: {
          tags,
          security,
          summary: 'Add cylinders (admin)',
          description: 'Each gets an unguessable QR code. All or nothing: a serial number already in use or repeated is 409 CYLINDER_SERIAL_TAKEN listing them.',
          body: S.AddBody,
          response: { 201: S.CylinderItems, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => reply.code(201).send({ items: (await cylinders.add(requireActor(request), request.body.cylinders)).map(toCylinderView) }),
    )

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
          const result = await batches.move(requireActor(request), route.type, request.body)
          return reply.code(result.replayed ? 200 : 201).header('idempotent-replayed', String(result.replayed)).send(result.shipment)
        },
      )
    }

    const action = (path: string, type: 'quarantine' | 'release' | 'lose' | 'trash', permission: string, body: typeof S.ReasonBody | typeof S.ActionBody | typeof S.ReleaseBody, summary: string, description: string) =>
      app.post(
        path,
        {
          // Workers' scans (quarantine) count against the scan limit like moves do.
          preHandler: permission === CYLINDERS_MOVE ? [can(permission), ...limited] : can(permission),
          schema: { tags, security, summary, description: `${description} ${batchRules}`, body, response: { 200: S.CylinderItems, ...errorResponses(400, 401, 403, 409, 429) } },
        },
        async (request) => ({ items: (await batches.act(requireActor(request), type, request.body as ActionInput)).map(toCylinderView) }),
      )
    action('/cylinders/trash', 'trash', CYLINDERS_MANAGE, S.ReasonBody, 'Trash cylinders (admin)', 'Any status but trashed → trashed, for good. A reason is required.')
    action('/cylinders/quarantine', 'quarantine', CYLINDERS_MOVE, S.ReasonBody, 'Quarantine cylinders', 'Set aside a damaged or suspect cylinder: any status but trashed or quarantined → quarantined. A reason is required.')
    action('/cylinders/release', 'release', CYLINDERS_MANAGE, S.ReleaseBody, 'Release quarantined cylinders (admin)', 'quarantined → returned (empty, at the depot) after a passed test: lastTestOn and nextTestDue (after today) are recorded.')
    action('/cylinders/lost', 'lose', CYLINDERS_MANAGE, S.ActionBody, 'Mark cylinders as lost (admin)', 'sent → lost. A lost cylinder that comes back in a return batch is found.')

    app.post(
      '/cylinders/reprint',
      {
        preHandler: can(CYLINDERS_MANAGE),
        schema: {
          tags,
          security,
          summary: 'Reprint a label (admin)',
          description: 'Gives the cylinder a new QR code; scanning the old one afterwards answers 410 CYLINDER_QR_RETIRED.',
          body: S.ReprintBody,
          response: { 200: S.CylinderRef, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => toCylinderView(await cylinders.reprint(requireActor(request), request.body.cylinderId, request.body.reason)),
    )

    app.get(
      '/cylinders',
      {
        preHandler: can(CYLINDERS_READ),
        schema: { tags, security, summary: 'List cylinders', description: 'Newest first, cursor-paginated, with filters.', querystring: S.ListQuery, response: { 200: S.CylinderPage, ...errorResponses(400, 401, 403) } },
      },
      async (request) => {
        const { limit = 50, cursor, ...filters } = request.query
        return cylinders.list(filters, { limit, ...(cursor ? { cursor } : {}) })
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
      async (request) => toCylinderView(await cylinders.scan(request.params.qrCode)),
    )

    app.get(
      '/cylinders/:id',
      { preHandler: can(CYLINDERS_READ), schema: { tags, security, summary: 'A cylinder', description: 'Its details, status and where it is.', params: IdParams, response: { 200: S.CylinderRef, ...errorResponses(400, 401, 403, 404) } } },
      async (request) => toCylinderView(await cylinders.get(request.params.id)),
    )

    app.patch(
      '/cylinders/:id',
      {
        preHandler: can(CYLINDERS_MANAGE),
        schema: {
          tags,
          security,
          summary: 'Edit a cylinder (admin)',
          description: 'Details only (status changes through moves and actions); each change is recorded in the history. A stale version is 409 VERSION_CONFLICT with the current record.',
          params: IdParams,
          body: S.EditBody,
          response: { 200: S.CylinderRef, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => toCylinderView(await cylinders.edit(requireActor(request), request.params.id, request.body)),
    )

    app.get(
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
      async (request) => cylinders.history(request.params.id, { limit: request.query.limit ?? 50, ...(request.query.cursor ? { cursor: request.query.cursor } : {}) }),
    )
  }
}

/**
 * Scans and batch moves per account per minute (a scanner stuck in a loop, or someone trying codes):
 * counted in Redis when there is one, so the limit holds across instances.
 */
async function scanLimit(app: FastifyInstance, perMinute: number): Promise<preHandlerAsyncHookHandler[]> {
  if (perMinute === 0) return []
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    ...(app.platform.redis ? { redis: app.platform.redis, nameSpace: 'plinth:cylinder-scan:' } : {}),
  })
  return [
    app.rateLimit({
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => request.actor?.id ?? request.ip,
      errorResponseBuilder: (_request, context) =>
        new AppError('RATE_LIMITED', `Too many scans; retry in ${Math.ceil(context.ttl / 1000)} s.`, { limitPerMinute: context.max }),
    }),
  ]
}
