import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor, requirePermission } from '../../core/access/require-permission.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import type { CylindersApi } from './api.js'
import { security, tags } from './cylinders-routes.shared.js'
import { toLocationView } from './location.view.js'
import { PATH } from './locations.read.routes.js'
import * as S from './locations.schemas.js'
import { CYLINDERS_LOCATIONS } from './permissions.js'

/** Adding, editing, archiving and deleting customers and refill stations (admin). */
export function locationsWriteRoutes(api: CylindersApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const can = (key: string) => requirePermission(api.access, key)
    const { locations } = api

    app.post(
      PATH,
      {
        preHandler: can(CYLINDERS_LOCATIONS),
        schema: {
          tags,
          security,
          summary: 'Add a location (admin)',
          description: 'A customer or refill station. Names are unique ignoring case: a taken one is 409 LOCATION_NAME_TAKEN.',
          body: S.CreateLocationBody,
          response: { 201: S.Location, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => reply.code(201).send(toLocationView(await locations.create(requireActor(request), request.body))),
    )

    app.patch(
      `${PATH}/:id`,
      {
        preHandler: can(CYLINDERS_LOCATIONS),
        schema: {
          tags,
          security,
          summary: 'Edit a location (admin)',
          description:
            'Send `version` and the fields to change; `active: false` archives it (no new shipments, history kept). A stale version is 409 VERSION_CONFLICT with the current record; a taken name 409 LOCATION_NAME_TAKEN; changing the kind while cylinders are there 409 LOCATION_IN_USE.',
          params: IdParams,
          body: S.EditLocationBody,
          response: { 200: S.Location, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => toLocationView(await locations.edit(requireActor(request), request.params.id, request.body)),
    )

    app.delete(
      `${PATH}/:id`,
      {
        preHandler: can(CYLINDERS_LOCATIONS),
        schema: {
          tags,
          security,
          summary: 'Delete a location (admin)',
          description: 'Only a location no cylinder, shipment or history entry refers to (a mistake); otherwise 409 LOCATION_IN_USE: archive it with `active: false` instead.',
          params: IdParams,
          response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await locations.remove(requireActor(request), request.params.id)
        return reply.code(204).send(null)
      },
    )
  }
}
