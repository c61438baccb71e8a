import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { requestMeta } from '../../core/auth/request-meta.js'
import { errorResponses, IdParams } from '../../core/http/schemas.js'
import * as S from './ai-keys.schemas.js'
import type { AiKeysArea } from './ai-keys.wiring.js'
import { AI_KEY_REVEALS_PER_HOUR } from './ai-keys.wiring.js'
import { security, tags } from './projects.routes.js'

const OWNER = 'Only your own keys: another user’s key is 404.'

/** /ai-keys: your AI provider keys, stored sealed; listed without the key, revealed with your password. */
export function aiKeysRoutes(api: AiKeysArea): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { aiKeys } = api

    app.get(
      '/ai-keys',
      {
        schema: {
          tags,
          security,
          summary: 'List your AI keys',
          description: 'Provider, label, last four characters and dates of each key you stored, newest first; never the key.',
          querystring: S.AiKeyListQuery,
          response: { 200: S.AiKeyPage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => aiKeys.list(requireActor(request), { limit: request.query.limit ?? 50, ...(request.query.cursor ? { cursor: request.query.cursor } : {}) }),
    )

    app.post(
      '/ai-keys',
      {
        schema: {
          tags,
          security,
          summary: 'Store an AI key',
          description: 'Seals the key with the platform keyring (a data key of its own, bound to you and the record); answers without it (201).',
          body: S.CreateAiKeyBody,
          response: { 201: S.AiKeyView, ...errorResponses(400, 401, 403) },
        },
      },
      async (request, reply) => reply.code(201).send(await aiKeys.create(requireActor(request), request.body, requestMeta(request))),
    )

    app.delete(
      '/ai-keys/:id',
      {
        schema: { tags, security, summary: 'Delete an AI key', description: `Audited. ${OWNER}`, params: IdParams, response: { 204: { description: 'Deleted' }, ...errorResponses(400, 401, 403, 404) } },
      },
      async (request, reply) => {
        await aiKeys.remove(requireActor(request), request.params.id, requestMeta(request))
        return reply.code(204).send()
      },
    )

    app.post(
      '/ai-keys/:id/reveal',
      {
        preHandler: api.aiKeyRevealLimit,
        schema: {
          tags,
          security,
          summary: 'Reveal an AI key',
          description:
            `The key in clear (not cached), after re-confirming your password: a wrong one is 403 COLORBOOK_PASSWORD_INCORRECT. At most ${AI_KEY_REVEALS_PER_HOUR} attempts an hour (429 RATE_LIMITED with Retry-After). ` +
            `Every reveal and refusal is audited (never the key). A record that no longer decrypts is 409 COLORBOOK_KEY_UNREADABLE: delete it and store it again. ${OWNER}`,
          params: IdParams,
          body: S.RevealBody,
          response: { 200: S.RevealedKey, ...errorResponses(400, 401, 403, 404, 409, 429) },
        },
      },
      async (request, reply) => {
        const revealed = await aiKeys.reveal(requireActor(request), request.params.id, request.body.password, requestMeta(request))
        return reply.header('cache-control', 'no-store').send(revealed)
      },
    )
  }
}
