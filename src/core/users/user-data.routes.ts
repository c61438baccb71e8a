import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireActor } from '../access/require-permission.js'
import { requestMeta } from '../auth/request-meta.js'
import { IdParams, errorResponses } from '../http/schemas.js'
import { security, tags, type UsersRouteOptions } from './users-routes.shared.js'
import * as S from './users.schemas.js'

/** DELETE /users/:id and GET /users/:id/export: erasing and exporting what is stored about an account. */
export async function userDataRoutes(instance: FastifyInstance, { userData }: Pick<UsersRouteOptions, 'userData'>): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()

  app.delete(
    '/users/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Delete an account',
        description:
          'Your own, or any with users:manage. Personal data is erased, every session ends at once and every part of the service (such as cylinder tracking) erases what it holds about the account; the account is 404 afterwards. The last active administrator cannot be deleted (409).',
        params: IdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await userData.remove(requireActor(request), request.params.id, requestMeta(request))
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/users/:id/export',
    {
      schema: {
        tags,
        security,
        summary: 'Export everything stored about an account',
        description: 'Your own, or any with users:read (audited). The account, its sessions (no token material), audit entries about it and what each part of the service (such as cylinder tracking) holds about it.',
        params: IdParams,
        response: { 200: S.UserExport, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const data = await userData.export(requireActor(request), request.params.id, requestMeta(request))
      return reply.header('content-disposition', `attachment; filename="user-${request.params.id}.json"`).send(data)
    },
  )
}
