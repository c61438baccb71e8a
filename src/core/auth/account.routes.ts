import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { requireActor } from '../access/require-permission.js'
import { AppError } from '../errors/app-error.js'
import { errorResponses } from '../http/schemas.js'
import { toUserView } from '../users/user.view.js'
import { security, tags, type AuthGroupOptions } from './auth-routes.shared.js'
import * as S from './auth.schemas.js'
import { requestMeta } from './request-meta.js'

/** The signed-in account, and changing its password. */
export async function accountRoutes(instance: FastifyInstance, { identity }: AuthGroupOptions): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()

  app.get(
    '/auth/me',
    // Reads of the signed-in account are not limited per IP: many users may share one (NAT).
    { config: { rateLimit: false }, schema: { tags, security, summary: 'The signed-in account', description: 'The account of the access token. Not subject to the per-IP limit of /api/auth.', response: { 200: S.UserRef, ...errorResponses(401) } } },
    async (request) => {
      const user = await identity.store.repos.users.findById(requireActor(request).id)
      if (!user) throw new AppError('SESSION_REVOKED')
      return toUserView(user)
    },
  )

  app.put(
    '/auth/password',
    {
      schema: { tags, security, summary: 'Change the password', description: 'Ends every other session of the account. Wrong current passwords count as failed sign-ins (429 past the limit).', body: S.ChangePasswordBody, response: { 204: { type: 'null', description: 'Changed' }, ...errorResponses(400, 401, 429) } },
    },
    async (request, reply) => {
      await identity.auth.changePassword(requireActor(request), request.body, requestMeta(request))
      return reply.code(204).send(null)
    },
  )
}
