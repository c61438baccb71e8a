import Type from 'typebox'
import { Page, PaginationQuery, Uuid } from '../../core/http/schemas.js'
import { NotificationView } from './notification.view.js'

export const NotificationListQuery = Type.Object(
  {
    unread: Type.Optional(Type.Boolean({ description: '`true`: only the unread ones' })),
    ...PaginationQuery,
  },
  { additionalProperties: false },
)

export const NotificationParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const NotificationPage = Page(NotificationView, 'ChatNotificationPage', 'Newest first, and the cursor of the next (older) page')

export const ReadAllResult = Type.Object(
  {
    updated: Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description: 'How many notifications this call marked read' }),
    unread: Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description: 'How many are unread now (0, unless new ones arrived meanwhile)' }),
  },
  { title: 'ChatNotificationsReadAll', description: 'How many were marked read, and how many are unread now' },
)
