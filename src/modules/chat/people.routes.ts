import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses, IdParams } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import * as S from './people.schemas.js'
import { CHAT_USE } from './permissions.js'

const tags = ['chat']
const security = bearer(CHAT_USE)

/** A person's chat preferences and status: /users/me/preferences, /users/me/status, /users/:id/status. */
export function peopleRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { people } = api

    app.get(
      '/users/me/preferences',
      {
        schema: { tags, security, summary: 'Your chat preferences', description: 'The defaults until you change them: level `all`, e-mail digests on, no quiet hours.', response: { 200: S.PreferencesView, ...errorResponses(401, 403) } },
      },
      async (request) => people.preferences(requireActor(request)),
    )

    app.put(
      '/users/me/preferences',
      {
        schema: {
          tags,
          security,
          summary: 'Change your chat preferences',
          description:
            'The default notification level (for chats where you set none), whether what stays unread is e-mailed, and quiet hours (no push or e-mail between start and end, in your time zone; null turns them off). ' +
            'Only the fields sent change. An unknown time zone: 422 CHAT_TIME_ZONE_UNKNOWN.',
          body: S.PreferencesBody,
          response: { 200: S.PreferencesView, ...errorResponses(400, 401, 403, 415, 422) },
        },
      },
      async (request) => people.setPreferences(requireActor(request), request.body),
    )

    app.put(
      '/users/me/status',
      {
        schema: {
          tags,
          security,
          summary: 'Set your status',
          description:
            'A status text (up to 140 characters; null or blank clears it) and `away` or `busy` (null: online or offline from your sockets again). ' +
            'People who share a chat with you hear `user.status` in their `user:<id>` room.',
          body: S.StatusBody,
          response: { 200: S.StatusView, ...errorResponses(400, 401, 403, 415) },
        },
      },
      async (request) => people.setStatus(requireActor(request), request.body),
    )

    app.get(
      '/users/me/status',
      { schema: { tags, security, summary: 'Your status, presence and last seen', description: 'Presence is offline without an open socket, else what you set (away, busy), else online.', response: { 200: S.StatusView, ...errorResponses(401, 403) } } },
      async (request) => {
        const actor = requireActor(request)
        return people.status(actor, actor.id)
      },
    )

    app.get(
      '/users/:id/status',
      {
        schema: {
          tags,
          security,
          summary: "Someone's status, presence and last seen",
          description: 'Yours, or of someone who shares a chat with you; anyone else: 404 CHAT_USER_NOT_FOUND, as for no account.',
          params: IdParams,
          response: { 200: S.StatusView, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => people.status(requireActor(request), request.params.id),
    )
  }
}
