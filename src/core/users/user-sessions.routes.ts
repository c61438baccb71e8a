import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { requireActor } from '../access/require-permission.js'
import { Revoked } from '../auth/auth.schemas.js'
import { requestMeta } from '../auth/request-meta.js'
import { bearer, IdParams, errorResponses } from '../http/schemas.js'
import { tags, type UsersRouteOptions } from './users-routes.shared.js'

/** DELETE /users/:id/sessions: an administrator signs an account out everywhere. */
export async function userSessionsRoutes(instance: FastifyInstance, { users }: Pick<UsersRouteOptions, 'users'>): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()

  app.delete(
    '/users/:id/sessions',
    {
      schema: {
        tags,
        security: bearer('users:manage'),
        summary: 'End every session of an account',
        description:
          'Signs the account out on every device: its refresh tokens stop working and its access tokens are refused at once, on every instance (audited as `auth.sessions_revoked`, reason `revoked_by_admin`). The account itself stays as it is, and so do its API keys. Requires users:manage.',
        params: IdParams,
        response: { 200: Revoked, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({ revoked: await users.revokeSessions(requireActor(request), request.params.id, requestMeta(request)) }),
  )
}
