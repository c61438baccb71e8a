import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import { toCylinderView } from './cylinder.view.js'
import * as S from './cylinders.schemas.js'
import { security, tags, type CylinderRouteContext } from './cylinders-routes.shared.js'
import { CYLINDERS_MANAGE } from './permissions.js'

// Admins' changes to the register itself: adding cylinders, reprinting a label, editing details.

/** POST /cylinders/add. */
export function addRoute(instance: FastifyInstance, { api, can }: CylinderRouteContext): void {
  instance.withTypeProvider<TypeBoxTypeProvider>().post(
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
    async (request, reply) => reply.code(201).send({ items: (await api.cylinders.add(requireActor(request), request.body.cylinders)).map(toCylinderView) }),
  )
}

/** POST /cylinders/reprint. */
export function reprintRoute(instance: FastifyInstance, { api, can }: CylinderRouteContext): void {
  instance.withTypeProvider<TypeBoxTypeProvider>().post(
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
    async (request) => toCylinderView(await api.cylinders.reprint(requireActor(request), request.body.cylinderId, request.body.reason)),
  )
}

/** PATCH /cylinders/:id. */
export function editRoute(instance: FastifyInstance, { api, can }: CylinderRouteContext): void {
  instance.withTypeProvider<TypeBoxTypeProvider>().patch(
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
    async (request) => toCylinderView(await api.cylinders.edit(requireActor(request), request.params.id, request.body)),
  )
}
