import Type, { type Static } from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import type { ChatRow, ParticipantRow } from './db/schema.js'
import { CHAT_TYPES, NOTIFICATION_LEVELS, PARTICIPANT_ROLES } from './domain.js'
import { MessageView } from './message.view.js'

export const ChatSettingsView = Type.Object(
  {
    slowModeSeconds: Type.Integer({ format: 'int32', minimum: 0, maximum: 86_400, description: 'Seconds a member waits between two messages; 0: off. Owners and admins are exempt' }),
    membersCanPost: Type.Boolean({ description: 'Channels: whether plain members may post (owners and admins always may)' }),
  },
  { title: 'ChatSettings' },
)

/** The caller's own place in the chat. */
export const ChatMeView = Type.Object(
  {
    role: Type.Enum(PARTICIPANT_ROLES),
    lastReadSeq: Type.Integer({ format: 'int32', maximum: 2_147_483_647, minimum: 0 }),
    unreadCount: Type.Integer({ format: 'int32', maximum: 2_147_483_647, minimum: 0, description: 'Messages after the read mark, not counting system messages' }),
    mentionCount: Type.Integer({ format: 'int32', maximum: 2_147_483_647, minimum: 0, description: 'Unread messages mentioning the caller' }),
    notificationLevel: Type.Union([Type.Enum(NOTIFICATION_LEVELS), Type.Null()], { description: 'Null: the caller\'s default (user preferences)' }),
    mutedUntil: Type.Union([Timestamp, Type.Null()]),
    archived: Type.Boolean({ description: 'In the caller\'s archive (their list only)' }),
  },
  { title: 'ChatMe', description: 'Your own place in the chat: role, read mark, counters and preferences' },
)

export const ChatView = Type.Object(
  {
    id: Uuid,
    type: Type.Enum(CHAT_TYPES),
    title: Type.Union([Type.String({ maxLength: 200 }), Type.Null()], { description: 'Private chats: the other person\'s name' }),
    description: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
    avatarFileId: Type.Union([Uuid, Type.Null()]),
    settings: ChatSettingsView,
    archived: Type.Boolean({ description: 'Read-only for everyone (set by the owner or an admin)' }),
    lastSeq: Type.Integer({ format: 'int32', maximum: 2_147_483_647, minimum: 0, description: 'The seq of the newest message' }),
    lastMessageAt: Type.Union([Timestamp, Type.Null()]),
    version: Type.Integer({ format: 'int32', maximum: 2_147_483_647, minimum: 1, description: 'Send it back with PUT; a stale one is 409' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    me: Type.Union([ChatMeView, Type.Null()], { description: 'Null: a channel the caller is not in' }),
    participantCount: Type.Integer({ format: 'int32', maximum: 2_147_483_647, minimum: 0 }),
  },
  { title: 'Chat', description: 'A chat as you see it' },
)
export type ChatView = Static<typeof ChatView>

export const ChatListItem = Type.Object(
  { ...ChatView.properties, lastMessage: Type.Union([MessageView, Type.Null()]) },
  { title: 'ChatListItem', description: 'A chat in the caller\'s list, with its newest message' },
)
export type ChatListItem = Static<typeof ChatListItem>

/** What a chat view needs besides its rows. */
export interface ChatViewExtras {
  readonly participantCount: number
  /** Private chats: the other person's name (their title). */
  readonly title?: string | null
}

export const unreadOf = (chat: Pick<ChatRow, 'countedSeq'>, participant: Pick<ParticipantRow, 'readCount'>): number =>
  Math.max(0, chat.countedSeq - participant.readCount)

export type ChatMe = Static<typeof ChatMeView>

/** The viewer's own state: their role, read mark, counters (stored, never counted) and preferences. */
export function toChatMe(chat: Pick<ChatRow, 'countedSeq'>, participant: ParticipantRow): ChatMe {
  return {
    role: participant.role,
    lastReadSeq: participant.lastReadSeq,
    unreadCount: unreadOf(chat, participant),
    mentionCount: participant.mentionCount,
    notificationLevel: participant.notificationLevel,
    mutedUntil: participant.mutedUntil?.toISOString() ?? null,
    archived: participant.archived,
  }
}

export function toChatView(chat: ChatRow, participant: ParticipantRow | null, extras: ChatViewExtras): ChatView {
  return {
    id: chat.id,
    type: chat.type,
    title: chat.type === 'private' ? (extras.title ?? null) : chat.title,
    description: chat.description,
    avatarFileId: chat.avatarFileId,
    settings: { slowModeSeconds: chat.slowModeSeconds, membersCanPost: chat.membersCanPost },
    archived: chat.archived,
    lastSeq: chat.lastSeq,
    lastMessageAt: chat.lastMessageAt?.toISOString() ?? null,
    version: chat.version,
    createdAt: chat.createdAt.toISOString(),
    updatedAt: chat.updatedAt.toISOString(),
    me: participant ? toChatMe(chat, participant) : null,
    participantCount: extras.participantCount,
  }
}
