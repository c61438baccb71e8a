import Type, { type Static } from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import { NOTIFICATION_LEVELS, PRESENCE_STATUSES } from './domain.js'

export const MAX_STATUS_TEXT_LENGTH = 140

const HhMm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', maxLength: 5, description: '24-hour local time, HH:MM' })

export const QuietHours = Type.Object(
  {
    start: HhMm,
    end: HhMm,
    timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'An IANA time zone, e.g. Europe/Paris (422 CHAT_TIME_ZONE_UNKNOWN otherwise)' }),
  },
  { additionalProperties: false, title: 'ChatQuietHours', description: 'No push and no e-mail between start and end (may cross midnight; start = end: none)' },
)

export const PreferencesView = Type.Object(
  {
    defaultNotificationLevel: Type.Enum(NOTIFICATION_LEVELS, { description: 'For chats where you set no level of your own' }),
    emailDigests: Type.Boolean({ description: 'Whether what stays unread is e-mailed to you' }),
    quietHours: Type.Union([QuietHours, Type.Null()]),
  },
  { title: 'ChatPreferences', description: 'Your chat preferences' },
)
export type PreferencesView = Static<typeof PreferencesView>

export const PreferencesBody = Type.Object(
  {
    defaultNotificationLevel: Type.Optional(PreferencesView.properties.defaultNotificationLevel),
    emailDigests: Type.Optional(Type.Boolean()),
    quietHours: Type.Optional(Type.Union([QuietHours, Type.Null()], { description: 'null turns quiet hours off' })),
  },
  { additionalProperties: false, minProperties: 1, description: 'Only the fields given change' },
)
export type PreferencesBody = Static<typeof PreferencesBody>

const Presence = Type.Enum(['online', 'away', 'busy', 'offline'] as const, {
  description: 'offline without an open socket; otherwise what the user set (away, busy), else online',
})

export const StatusView = Type.Object(
  {
    userId: Uuid,
    presence: Presence,
    statusText: Type.Union([Type.String({ maxLength: MAX_STATUS_TEXT_LENGTH }), Type.Null()]),
    lastSeenAt: Type.Union([Timestamp, Type.Null()], { description: 'When their last socket closed; null if never seen' }),
  },
  { title: 'ChatUserStatus', description: 'Status text, presence and last seen' },
)
export type StatusView = Static<typeof StatusView>

export const StatusBody = Type.Object(
  {
    statusText: Type.Optional(Type.Union([Type.String({ maxLength: MAX_STATUS_TEXT_LENGTH }), Type.Null()], { description: 'null or blank clears it' })),
    presence: Type.Optional(Type.Union([Type.Enum(PRESENCE_STATUSES), Type.Null()], { description: 'away or busy; null: back to online/offline from sockets' })),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type StatusBody = Static<typeof StatusBody>
