import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses, IdParams } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import * as S from './bans.schemas.js'
import { CHAT_USE } from './permissions.js'

const tags = ['chat']
const security = bearer(CHAT_USE)
const who =
  'The chat\'s owner and admins, and platform moderators (`chat:moderate`) on any chat. A private or group chat you are not in is 404 CHAT_NOT_FOUND; a channel you are not in 403 CHAT_NOT_PARTICIPANT; a plain member 403 CHAT_ROLE_FORBIDDEN.'

/** Bans: POST/GET /chats/:id/bans, DELETE /chats/:id/bans/:userId. */
export function bansRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { bans } = api

    app.post(
      '/chats/:id/bans',
      {
        schema: {
          tags,
          security,
          summary: 'Ban someone from a chat',
          description: [
            'Removes them when they are in the chat (`participant.removed`, a `member.removed` system message with `banned: true`; their scheduled messages are cancelled) and keeps them out until `until`, or for good: they cannot join, be added, be invited or accept an invitation (403 CHAT_BANNED), nor read a channel.',
            'Banning again replaces `until` (200); a new ban is 201. Someone not in the chat may be banned too.',
            `${who} An admin bans only members, the owner admins too; nobody bans the owner (403 CHAT_ROLE_FORBIDDEN). Yourself: 422 CHAT_BAN_SELF; a private chat: 422 CHAT_PRIVATE_MEMBERS; \`until\` not in the future: 422 CHAT_BAN_INVALID; no such account: 404 CHAT_USER_NOT_FOUND.`,
          ].join('\n\n'),
          params: IdParams,
          body: S.BanBody,
          response: { 200: { ...S.BanView, description: 'The ban, renewed' }, 201: S.BanView, ...errorResponses(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        const { ban, created } = await bans.ban(requireActor(request), request.params.id, request.body)
        return reply.code(created ? 201 : 200).send(ban)
      },
    )

    app.delete(
      '/chats/:id/bans/:userId',
      {
        schema: {
          tags,
          security,
          summary: 'Lift a ban',
          description: `They may join or be added again (they are not brought back). No ban in force: 404 CHAT_BAN_NOT_FOUND. ${who}`,
          params: S.BanParams,
          response: { 204: Type.Null({ description: 'Lifted' }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await bans.unban(requireActor(request), request.params.id, request.params.userId)
        return reply.code(204).send(null)
      },
    )

    app.get(
      '/chats/:id/bans',
      {
        schema: {
          tags,
          security,
          summary: 'A chat\'s bans',
          description: `The bans in force (expired ones are left out), most recent first, cursor-paginated. ${who}`,
          params: IdParams,
          querystring: S.BanListQuery,
          response: { 200: S.BanPage, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { limit = 50, cursor } = request.query
        return bans.list(requireActor(request), request.params.id, { limit, ...(cursor ? { cursor } : {}) })
      },
    )
  }
}
