import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses, IdParams } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import { ChatView } from './chat.view.js'
import { CHAT_USE } from './permissions.js'
import * as S from './templates.schemas.js'

const tags = ['chat']
const security = bearer(CHAT_USE)

/** Chat templates: save one from a chat, list and delete yours, make a chat from one. */
export function templatesRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { templates } = api

    app.post(
      '/chats/:id/template',
      {
        schema: {
          tags,
          security,
          summary: "Save a chat's shape as a template",
          description:
            "The chat's title, description and settings, with an optional welcome message, as a template of yours (owner or admin of a group or channel). " +
            'A private chat: 422 CHAT_TEMPLATE_PRIVATE; more than 100 templates: 422 CHAT_TEMPLATE_LIMIT.',
          params: IdParams,
          body: S.SaveTemplateBody,
          response: { 201: S.TemplateView, ...errorResponses(400, 401, 403, 404, 415, 422) },
        },
      },
      async (request, reply) => reply.code(201).send(await templates.save(requireActor(request), request.params.id, request.body)),
    )

    app.get(
      '/chat-templates',
      { schema: { tags, security, summary: 'Your chat templates', description: 'Newest first, at most 100.', response: { 200: S.TemplateList, ...errorResponses(401, 403) } } },
      async (request) => templates.list(requireActor(request)),
    )

    app.delete(
      '/chat-templates/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Delete a template of yours',
          description: 'Chats made from it are unaffected. Not yours or unknown: 404 CHAT_TEMPLATE_NOT_FOUND.',
          params: IdParams,
          response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await templates.remove(requireActor(request), request.params.id)
        return reply.code(204).send(null)
      },
    )

    app.post(
      '/chat-templates/:id/chats',
      {
        schema: {
          tags,
          security,
          summary: 'Make a chat from a template',
          description:
            "A new group or channel with the template's title (or `title`), description and settings, you as its owner and `participantIds` as members; " +
            'the welcome message is its first message, from you. The same rules and refusals as POST /api/chats.',
          params: IdParams,
          body: S.UseTemplateBody,
          response: { 201: ChatView, ...errorResponses(400, 401, 403, 404, 415, 422) },
        },
      },
      async (request, reply) => reply.code(201).send(await templates.use(requireActor(request), request.params.id, request.body)),
    )
  }
}
