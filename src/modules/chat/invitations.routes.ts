import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import * as S from './invitations.schemas.js'
import { ChatIdParams } from './participants.schemas.js'
import { CHAT_USE } from './permissions.js'

const tags = ['chat']
const security = bearer(CHAT_USE)

/** Invitations to groups and channels: invite, list your own, accept or decline. */
export function invitationsRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { invitations } = api

    app.post(
      '/chats/:id/invitations',
      {
        schema: {
          tags,
          security,
          summary: 'Invite people to a chat',
          description:
            'The owner or an admin of a group or channel invites people to join as members; each invitee gets `invitation.created` in their own room and a notification. ' +
            'People already in the chat, or already invited (one pending invitation per person), are skipped and left out of the answer: 201 when someone was invited, 200 when nobody was. ' +
            'All or nothing: unknown accounts 422 CHAT_USER_UNKNOWN, banned people 403 CHAT_BANNED, people who blocked you 403 CHAT_BLOCKED. ' +
            'A plain member: 403 CHAT_ROLE_FORBIDDEN; a private chat: 422 CHAT_PRIVATE_MEMBERS; an archived chat: 409 CHAT_ARCHIVED.',
          params: ChatIdParams,
          body: S.InviteBody,
          response: { 200: S.CreatedInvitations, 201: S.CreatedInvitations, ...errorResponses(400, 401, 403, 404, 409, 415, 422) },
        },
      },
      async (request, reply) => {
        const items = await invitations.invite(requireActor(request), request.params.id, request.body.userIds)
        return reply.code(items.length > 0 ? 201 : 200).send({ items })
      },
    )

    app.get(
      '/invitations',
      {
        schema: {
          tags,
          security,
          summary: 'Your pending invitations',
          description: 'Invitations waiting for your answer, newest first, cursor-paginated (answered ones and those to deleted chats are left out).',
          querystring: S.InvitationListQuery,
          response: { 200: S.InvitationPage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit = 50, cursor } = request.query
        return invitations.listPending(requireActor(request), { limit, ...(cursor ? { cursor } : {}) })
      },
    )

    app.post(
      '/invitations/:id/accept',
      {
        schema: {
          tags,
          security,
          summary: 'Accept an invitation',
          description:
            'You join the chat as a member (a `member.joined` system message, `participant.added`). Someone else\'s invitation: 404 INVITATION_NOT_FOUND; ' +
            'one already answered: 409 INVITATION_ANSWERED; banned from the chat since: 403 CHAT_BANNED; the chat archived since: 409 CHAT_ARCHIVED (the invitation stays pending).',
          params: S.InvitationIdParams,
          response: { 200: S.InvitationView, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => invitations.accept(requireActor(request), request.params.id),
    )

    app.post(
      '/invitations/:id/decline',
      {
        schema: {
          tags,
          security,
          summary: 'Decline an invitation',
          description: 'The invitation is closed; the chat may invite you again. Someone else\'s invitation: 404 INVITATION_NOT_FOUND; one already answered: 409 INVITATION_ANSWERED.',
          params: S.InvitationIdParams,
          response: { 200: S.InvitationView, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => invitations.decline(requireActor(request), request.params.id),
    )
  }
}
