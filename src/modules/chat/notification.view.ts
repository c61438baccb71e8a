import Type, { type Static } from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import type { NotificationRow } from './db/schema.js'

/** Why a user was notified; one notification per user and message, the first of these that applies. */
export const NOTIFICATION_TYPES = ['mention', 'reply', 'message', 'invitation'] as const
export type NotificationType = (typeof NOTIFICATION_TYPES)[number]

/** Longest notification body, in characters (a message's text is cut there). */
export const NOTIFICATION_BODY_MAX = 200
/** Longest title, in characters (a name and a chat title fit; longer is cut). */
export const NOTIFICATION_TITLE_MAX = 400

const Seq = Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'The message\'s seq: open the chat around it' })

export const NotificationData = Type.Object(
  {
    chatId: Uuid,
    messageId: Type.Optional(Uuid),
    seq: Type.Optional(Seq),
    invitationId: Type.Optional(Uuid),
  },
  { title: 'ChatNotificationData', description: 'What the notification is about: the chat, and the message (mention, reply, message) or the invitation' },
)
export type NotificationData = Static<typeof NotificationData>

export const NotificationView = Type.Object(
  {
    id: Uuid,
    type: Type.Enum(NOTIFICATION_TYPES, { description: '`mention` (you were @mentioned), `reply` (to your message), `message` (in a private chat), `invitation` (to a group or channel)' }),
    title: Type.String({ maxLength: NOTIFICATION_TITLE_MAX, description: 'e.g. "Ada mentioned you in #general"' }),
    body: Type.String({ maxLength: NOTIFICATION_BODY_MAX, description: 'The message\'s text, cut at 200 characters' }),
    data: NotificationData,
    readAt: Type.Union([Timestamp, Type.Null()]),
    createdAt: Timestamp,
  },
  { title: 'ChatNotification', description: 'A notification of yours' },
)
export type NotificationView = Static<typeof NotificationView>

export function toNotificationView(row: NotificationRow): NotificationView {
  return {
    id: row.id,
    type: row.type as NotificationType,
    title: row.title,
    body: row.body,
    data: row.data as NotificationData,
    readAt: row.readAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  }
}
