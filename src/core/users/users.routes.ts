import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireActor } from '../access/require-permission.js'
import { UserRef } from '../auth/auth.schemas.js'
import { requestMeta } from '../auth/request-meta.js'
import { IdParams, bearer, errorResponses } from '../http/schemas.js'
import type { UserAdministration } from './user-administration.js'
import * as S from './users.schemas.js'

export type UsersRouteOptions = Pick<UserAdministration, 'users' | 'userData'>

const tags = ['users']
const security = [{ bearerAuth: [] }]

export async function usersRoutes(instance: FastifyInstance, { users, userData }: UsersRouteOptions): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  // Anonymous callers learn nothing, not even which inputs are valid.
  app.addHook('preValidation', async (request) => void requireActor(request))

  app.get(
    '/users',
    {
      schema: {
        tags,
        security: bearer('users:read'),
        summary: 'List accounts',
        description: 'Oldest first, cursor-paginated; filter by role, search by name, e-mail or username. Requires users:read.',
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

  app.get(
    '/users/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Get an account',
        description: 'Your own account, or any with users:read; other accounts are 404, as if they did not exist.',
        params: IdParams,
        response: { 200: UserRef, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => users.get(requireActor(request), request.params.id),
  )

  const edits = [
    ['PUT', S.ReplaceUserBody, 'replace', 'Replace the editable fields of an account'],
    ['PATCH', S.PatchUserBody, 'patch', 'Change fields of an account'],
  ] as const
  for (const [method, body, mode, summary] of edits) {
    app.route({
      method,
      url: '/users/:id',
      schema: {
        tags,
        security,
        summary,
        description:
          'You may change your own name and avatarUrl; with users:manage, any account and also role and disabled (403 otherwise). Send the `version` you edit: a stale one is 409 VERSION_CONFLICT with the current account. A role change or disabling ends all the account’s sessions. The last active administrator cannot be demoted or disabled (409 CONFLICT).',
        params: IdParams,
        body,
        response: { 200: UserRef, ...errorResponses(400, 401, 403, 404, 409) },
      },
      handler: async (request) => {
        const { version, ...edit } = request.body
        return users.update(requireActor(request), request.params.id, edit, version, mode, requestMeta(request))
      },
    })
  }

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
