import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses, IdParams } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import * as S from './scheduled.schemas.js'
import { CHAT_USE } from './permissions.js'

const tags = ['chat']
const security = bearer(CHAT_USE)
const chatRules = 'A private or group chat you are not in is 404 CHAT_NOT_FOUND; a channel you have not joined 403 CHAT_NOT_PARTICIPANT.'

/** Your scheduled messages: GET /chats/:id/scheduled, DELETE /chats/:id/scheduled/:scheduledId (scheduling is POST /chats/:id/messages with `scheduledAt`). */
export function scheduledRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { scheduled } = api

    app.get(
      '/chats/:id/scheduled',
      {
        schema: {
          tags,
          security,
          summary: 'Your scheduled messages in a chat',
          description: `Those still waiting, soonest first (sent and cancelled ones are not listed). Only yours. ${chatRules}`,
          params: IdParams,
          response: { 200: S.ScheduledList, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => scheduled.list(requireActor(request), request.params.id),
    )

    app.delete(
      '/chats/:id/scheduled/:scheduledId',
      {
        schema: {
          tags,
          security,
          summary: 'Cancel a scheduled message',
          description: `Before it is sent; someone else's, one already sent or cancelled: 404 SCHEDULED_MESSAGE_NOT_FOUND. ${chatRules}`,
          params: S.ScheduledParams,
          response: { 204: Type.Null({ description: 'Cancelled' }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await scheduled.cancel(requireActor(request), request.params.id, request.params.scheduledId)
        return reply.code(204).send(null)
      },
    )
  }
}
