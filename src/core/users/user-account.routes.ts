import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { requireActor } from '../access/require-permission.js'
import { UserRef } from '../auth/auth.schemas.js'
import { requestMeta } from '../auth/request-meta.js'
import { IdParams, errorResponses } from '../http/schemas.js'
import { security, tags, type UsersRouteOptions } from './users-routes.shared.js'
import * as S from './users.schemas.js'

/** GET, PUT and PATCH /users/:id: reading and editing one account. */
export async function userAccountRoutes(instance: FastifyInstance, { users }: Pick<UsersRouteOptions, 'users'>): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()

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
}
