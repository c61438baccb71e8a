import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import * as S from './participants.schemas.js'
import { CHAT_USE } from './permissions.js'

const tags = ['chat']
const security = bearer(CHAT_USE)
const PATH = '/chats/:id/participants'

/** Who is in a chat: list, add, change roles, remove or leave. */
export function participantsRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { participants } = api

    app.get(
      PATH,
      {
        schema: {
          tags,
          security,
          summary: 'List a chat\'s participants',
          description:
            'Everyone in the chat, longest in it first, with their profile, role, when they joined and how far they have read; cursor-paginated. ' +
            'Any channel\'s list is public; a private or group chat you are not in is 404.',
          params: S.ChatIdParams,
          querystring: S.ParticipantListQuery,
          response: { 200: S.ParticipantPage, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { limit = 50, cursor } = request.query
        return participants.list(requireActor(request), request.params.id, { limit, ...(cursor ? { cursor } : {}) })
      },
    )

    app.post(
      PATH,
      {
        schema: {
          tags,
          security,
          summary: 'Add participants',
          description:
            'The owner or an admin adds people at once (no invitation), as members, or as admins when the owner adds them; each gets a `member.joined` system message and a `participant.added` event. ' +
            'All or nothing: unknown accounts 422 CHAT_USER_UNKNOWN, people banned from the chat 403 CHAT_BANNED, people who blocked you 403 CHAT_BLOCKED (`details.userIds` names them), and nobody is added. ' +
            'People already in are left as they are and out of the answer: 201 when someone was added, 200 when nobody was. A plain member, or an admin adding admins: 403 CHAT_ROLE_FORBIDDEN; ' +
            'a private chat: 422 CHAT_PRIVATE_MEMBERS; an archived chat: 409 CHAT_ARCHIVED.',
          params: S.ChatIdParams,
          body: S.AddParticipantsBody,
          response: { 200: S.AddedParticipants, 201: S.AddedParticipants, ...errorResponses(400, 401, 403, 404, 409, 415, 422) },
        },
      },
      async (request, reply) => {
        const items = await participants.add(requireActor(request), request.params.id, request.body)
        return reply.code(items.length > 0 ? 201 : 200).send({ items })
      },
    )

    app.put(
      `${PATH}/:userId`,
      {
        schema: {
          tags,
          security,
          summary: 'Change a participant\'s role',
          description:
            'The owner makes admins and members; an admin may only keep members members (admins never grant admin); nobody changes their own role (403 CHAT_ROLE_FORBIDDEN). ' +
            '`owner` transfers the ownership (the owner only): the participant becomes the owner and you an admin; both are in the answer and get `participant.updated`. ' +
            'Someone not in the chat: 404 CHAT_PARTICIPANT_NOT_FOUND. Setting the role they have changes nothing.',
          params: S.ParticipantParams,
          body: S.UpdateParticipantBody,
          response: { 200: S.UpdatedParticipants, ...errorResponses(400, 401, 403, 404, 409, 415) },
        },
      },
      async (request) => ({ items: await participants.updateRole(requireActor(request), request.params.id, request.params.userId, request.body.role) }),
    )

    app.delete(
      `${PATH}/:userId`,
      {
        schema: {
          tags,
          security,
          summary: 'Remove a participant, or leave',
          description:
            'The owner removes admins and members, an admin removes members (`member.removed` system message); your own id leaves the chat (`member.left`; a leaving owner hands ownership to the oldest admin, else the oldest member). ' +
            'Access ends at once; the person gets `participant.removed` in their own room. A private chat: 422 CHAT_PRIVATE_MEMBERS (delete it for yourself with DELETE /api/chats/{id}). ' +
            'Someone not in the chat: 404 CHAT_PARTICIPANT_NOT_FOUND; someone of your role or above: 403 CHAT_ROLE_FORBIDDEN.',
          params: S.ParticipantParams,
          response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        await participants.remove(requireActor(request), request.params.id, request.params.userId)
        return reply.code(204).send(null)
      },
    )
  }
}
