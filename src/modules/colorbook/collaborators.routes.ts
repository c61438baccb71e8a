import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../core/access/require-permission.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import type { ColorbookApi } from './api.js'
import * as S from './collaborators.schemas.js'
import { security, tags } from './projects.routes.js'

const OWNER = 'The owner only (a collaborator: 403 COLORBOOK_OWNER_ONLY; a trashed project: 409 COLORBOOK_PROJECT_TRASHED). Another user’s project is 404.'

/** GET/POST /projects/:id/collaborators, PUT/DELETE …/collaborators/:userId, DELETE …/invitations/:shareId. */
export function collaboratorsRoutes(api: ColorbookApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { collaborators } = api

    app.get(
      '/projects/:id/collaborators',
      {
        schema: {
          tags,
          security,
          summary: 'List a project’s collaborators',
          description: 'Any reader sees who the project is shared with; the owner also sees the pending invitations. Another user’s project is 404.',
          params: IdParams,
          response: { 200: S.CollaboratorList, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => collaborators.list(requireActor(request), request.params.id),
    )

    app.post(
      '/projects/:id/collaborators',
      {
        schema: {
          tags,
          security,
          summary: 'Share a project',
          description: `By e-mail, as editor or viewer. An address with an account is shared at once (201, and an e-mail tells them); another gets an e-mailed invitation to sign up (202), applied once an account with that address verifies it. Already shared or invited: 409 COLORBOOK_ALREADY_SHARED; your own address: 422 COLORBOOK_SHARE_SELF. Past the owner’s plan (\`collaboratorsPerProject\`, collaborators and invitations counted; 0: no sharing): 402 PLAN_LIMIT_REACHED {limit, used, allowed, plan}, nothing stored. ${OWNER}`,
          params: IdParams,
          body: S.ShareBody,
          response: { 201: S.Added, 202: S.Invited, ...errorResponses(400, 401, 402, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        const result = await collaborators.share(requireActor(request), request.params.id, request.body)
        return reply.code(result.status === 'added' ? 201 : 202).send(result)
      },
    )

    app.put(
      '/projects/:id/collaborators/:userId',
      {
        schema: {
          tags,
          security,
          summary: 'Change a collaborator’s role',
          description: `Not a collaborator: 404. ${OWNER}`,
          params: S.CollaboratorParams,
          body: S.RoleBody,
          response: { 200: S.CollaboratorView, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => collaborators.changeRole(requireActor(request), request.params.id, request.params.userId, request.body.role),
    )

    app.delete(
      '/projects/:id/collaborators/:userId',
      {
        schema: {
          tags,
          security,
          summary: 'Remove a collaborator',
          description:
            'The owner removes anyone; a collaborator may remove themselves (leave). Their live subscription to `project:<id>` ends at once. Not a collaborator: 404; someone else, by a collaborator: 403 COLORBOOK_OWNER_ONLY.',
          params: S.CollaboratorParams,
          response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await collaborators.remove(requireActor(request), request.params.id, request.params.userId)
        return reply.code(204).send(null)
      },
    )

    app.delete(
      '/projects/:id/invitations/:shareId',
      {
        schema: {
          tags,
          security,
          summary: 'Withdraw an invitation',
          description: 'An invitation no account has taken up yet (from the `pending` list); the owner only (403 COLORBOOK_OWNER_ONLY). Unknown or taken up: 404.',
          params: S.InvitationParams,
          response: { 204: Type.Null({ description: 'Withdrawn' }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await collaborators.cancelInvitation(requireActor(request), request.params.id, request.params.shareId)
        return reply.code(204).send(null)
      },
    )
  }
}
