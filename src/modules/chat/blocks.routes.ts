import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import * as S from './blocks.schemas.js'
import { CHAT_USE } from './permissions.js'

const tags = ['chat']
const security = bearer(CHAT_USE)
const done = Type.Null({ description: 'Done (also when it already was so)' })

/**
 * Blocking: POST/DELETE /users/:id/block and GET /users/me/blocks. Core's admin routes are
 * /users/:id and /users/:id/export; `me` is a static segment, so the router prefers
 * /users/me/blocks over a parameter there and core's routes are unaffected.
 */
export function blocksRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { blocks } = api

    app.post(
      '/users/:id/block',
      {
        schema: {
          tags,
          security,
          summary: 'Block someone',
          description:
            'They can no longer open a private chat with you, nor add or invite you to a chat. Idempotent: blocking again answers 204 and keeps the first block. ' +
            'Yourself: 422 CHAT_BLOCK_SELF; an id that is no (or no longer an) account: 404 CHAT_USER_NOT_FOUND.',
          params: S.UserIdParams,
          response: { 204: done, ...errorResponses(400, 401, 403, 404, 422) },
        },
      },
      async (request, reply) => {
        await blocks.block(requireActor(request), request.params.id)
        return reply.code(204).send(null)
      },
    )

    app.delete(
      '/users/:id/block',
      {
        schema: {
          tags,
          security,
          summary: 'Unblock someone',
          description: 'Idempotent: 204 also when they were not blocked. Yourself: 422 CHAT_BLOCK_SELF; an id that is no account (and not blocked): 404 CHAT_USER_NOT_FOUND.',
          params: S.UserIdParams,
          response: { 204: done, ...errorResponses(400, 401, 403, 404, 422) },
        },
      },
      async (request, reply) => {
        await blocks.unblock(requireActor(request), request.params.id)
        return reply.code(204).send(null)
      },
    )

    app.get(
      '/users/me/blocks',
      {
        schema: {
          tags,
          security,
          summary: 'The people you blocked',
          description: 'Most recently blocked first, cursor-paginated, each with their public profile.',
          querystring: S.BlockListQuery,
          response: { 200: S.BlockPage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit = 50, cursor } = request.query
        return blocks.list(requireActor(request), { limit, ...(cursor ? { cursor } : {}) })
      },
    )
  }
}
