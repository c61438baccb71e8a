import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import { CHAT_USE } from './permissions.js'
import * as S from './search.schemas.js'

const tags = ['chat']
const security = bearer(CHAT_USE)
const ranked = 'Ranked, cursor-paginated; a cursor belongs to its query (another query\'s: 400 INVALID_CURSOR). Text with no word in it finds nothing.'

/** GET /search/messages, /search/chats, /search/users: full text (PostgreSQL `simple`, prefix on the last word). */
export function searchRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { search } = api

    app.get(
      '/search/messages',
      {
        schema: {
          tags,
          security,
          summary: 'Search messages',
          description:
            'Messages of the chats you are in now (never of one you left or were removed from, nor deleted messages), best match first, then newest. ' +
            'Narrow by chat (`chatId`), author (`from`), time (`before`, `after`) and `hasFile`. ' + ranked,
          querystring: S.MessageSearchQuery,
          response: { 200: S.MessageHitPage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => search.messages(requireActor(request), request.query),
    )

    app.get(
      '/search/chats',
      {
        schema: {
          tags,
          security,
          summary: 'Search chats',
          description: 'Your chats and every public channel by title and description; your private chats by the other person\'s name. ' + ranked,
          querystring: S.TextSearchQuery,
          response: { 200: S.ChatHitPage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => search.chats(requireActor(request), request.query),
    )

    app.get(
      '/search/users',
      {
        schema: {
          tags,
          security,
          summary: 'Search people',
          description:
            'Active accounts by name or username (exact first, then starting with the text, then a word starting with it, then containing it). ' +
            'A text that is an e-mail address finds its account only when it is exactly that address; addresses are never shown. Cursor-paginated.',
          querystring: S.UserSearchQuery,
          response: { 200: S.UserHitPage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => search.users(requireActor(request), request.query),
    )
  }
}
