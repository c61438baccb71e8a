import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { bearer, errorResponses } from '../../core/http/schemas.js'
import type { ChatApi } from './api.js'
import { NotificationView } from './notification.view.js'
import * as S from './notifications.schemas.js'
import { CHAT_USE } from './permissions.js'

const tags = ['chat']
const security = bearer(CHAT_USE)

/** The caller's notifications: GET /notifications, PUT /notifications/read-all, PUT /notifications/:id/read. */
export function notificationsRoutes(api: ChatApi): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    const { notifications } = api.notify

    app.get(
      '/notifications',
      {
        schema: {
          tags,
          security,
          summary: 'List your notifications',
          description:
            'Mentions, replies to your messages, messages in your private chats and invitations, newest first, cursor-paginated; `unread=true` for the unread ones. ' +
            'Each names its chat and message (or invitation) in `data`. New ones also arrive live as `notification.created` in your `user:<id>` room.',
          querystring: S.NotificationListQuery,
          response: { 200: S.NotificationPage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => notifications.list(requireActor(request), request.query),
    )

    // Registered before `/:id/read`; a static segment wins anyway, but the order reads as the router decides.
    app.put(
      '/notifications/read-all',
      {
        schema: {
          tags,
          security,
          summary: 'Mark all your notifications read',
          description: 'Marks every unread notification of yours read and answers how many changed. Calling it again changes nothing (`updated: 0`).',
          response: { 200: S.ReadAllResult, ...errorResponses(401, 403) },
        },
      },
      async (request) => notifications.markAllRead(requireActor(request)),
    )

    app.put(
      '/notifications/:id/read',
      {
        schema: {
          tags,
          security,
          summary: 'Mark a notification read',
          description: 'Answers the notification with `readAt` set (reading it again keeps the first time). Someone else\'s notification is 404 NOTIFICATION_NOT_FOUND, as one that does not exist.',
          params: S.NotificationParams,
          response: { 200: NotificationView, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => notifications.markRead(requireActor(request), request.params.id),
    )
  }
}
