import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { requireActor } from '../access/require-permission.js'
import { UserRef } from '../auth/auth.schemas.js'
import { requestMeta } from '../auth/request-meta.js'
import { bearer, errorResponses } from '../http/schemas.js'
import { tags, type UsersRouteOptions } from './users-routes.shared.js'
import * as S from './users.schemas.js'

/** GET and POST /users: the account list and creating an account with a role. */
export async function userListRoutes(instance: FastifyInstance, { users }: Pick<UsersRouteOptions, 'users'>): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()

  app.get(
    '/users',
    {
      schema: {
        tags,
        security: bearer('users:read'),
        summary: 'List accounts',
        description: 'Oldest first, cursor-paginated (no total: the table is never counted); filter by role, status (active or disabled) and e-mail verification, search by name, e-mail or username. Requires users:read.',
        querystring: S.UserListQuery,
        response: { 200: S.UserPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit = 50, ...filters } = request.query
      return users.list(requireActor(request), { limit, ...filters })
    },
  )

  app.post(
    '/users',
    {
      schema: {
        tags,
        security: bearer('users:manage'),
        summary: 'Create an account with a role',
        description: 'Administrators create accounts (also when registration is closed). The password policy of sign-up applies; a taken e-mail or username is 409. Requires users:manage.',
        body: S.CreateUserBody,
        response: { 201: UserRef, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await users.create(requireActor(request), request.body, requestMeta(request))),
  )
}
