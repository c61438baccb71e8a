import Type, { type Static } from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../../core/http/schemas.js'
import { ChatListItem } from './chat.view.js'
import { CHAT_TYPES, MAX_USERS_PER_REQUEST, NOTIFICATION_LEVELS } from './domain.js'

const Title = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Required for groups and channels; private chats have none (they show the other person\'s name)' })
const Description = Type.String({ maxLength: 2000 })

export const CreateChatBody = Type.Object(
  {
    type: Type.Enum(CHAT_TYPES),
    title: Type.Optional(Title),
    description: Type.Optional(Description),
    participantIds: Type.Array(Uuid, {
      maxItems: MAX_USERS_PER_REQUEST,
      description: `The people to add besides the creator (at most ${MAX_USERS_PER_REQUEST}); a private chat names exactly one`,
    }),
  },
  { additionalProperties: false },
)
export type CreateChatBody = Static<typeof CreateChatBody>

export const ChatIdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const ChatListQuery = Type.Object(
  {
    ...PaginationQuery,
    type: Type.Optional(Type.Enum(CHAT_TYPES)),
    archived: Type.Optional(Type.Boolean({ description: 'true: only chats in the caller\'s archive; false: only the others; absent: both' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The title contains this (ignoring case)' })),
  },
  { additionalProperties: false },
)
export type ChatListQuery = Static<typeof ChatListQuery>

export const ChatPage = Page(ChatListItem, 'ChatPage', 'The caller\'s chats, newest activity first, and the cursor of the next page')

export const UpdateChatBody = Type.Object(
  {
    version: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'The version you read; a stale one is 409 VERSION_CONFLICT with the current chat' }),
    title: Type.Optional(Title),
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    avatarFileId: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'A file you uploaded; null removes the avatar' })),
    settings: Type.Optional(
      Type.Object(
        {
          slowModeSeconds: Type.Optional(Type.Integer({ format: 'int32', minimum: 0, maximum: 86_400, description: 'Seconds a member waits between two messages; 0: off' })),
          membersCanPost: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    archived: Type.Optional(Type.Boolean({ description: 'Read-only for everyone while true' })),
  },
  { additionalProperties: false },
)
export type UpdateChatBody = Static<typeof UpdateChatBody>

export const DeleteChatQuery = Type.Object(
  { scope: Type.Optional(Type.Enum(['me', 'everyone'], { description: 'everyone: the owner deletes the chat for all; default me: leave (a private chat: hide it)' })) },
  { additionalProperties: false },
)
export type DeleteChatQuery = Static<typeof DeleteChatQuery>

export const ReadBody = Type.Object(
  { seq: Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description: 'The newest seq read; the mark only moves forward' }) },
  { additionalProperties: false },
)
export type ReadBody = Static<typeof ReadBody>

export const PreferencesBody = Type.Object(
  {
    notificationLevel: Type.Optional(Type.Union([Type.Enum(NOTIFICATION_LEVELS), Type.Null()], { description: 'null: your default' })),
    mutedUntil: Type.Optional(Type.Union([Timestamp, Type.Null()], { description: 'No notifications until then; null unmutes' })),
    archived: Type.Optional(Type.Boolean({ description: 'In your archive (your list only)' })),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type PreferencesBody = Static<typeof PreferencesBody>
