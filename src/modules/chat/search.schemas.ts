import Type, { type Static } from 'typebox'
import { Page, PaginationQuery, Uuid } from '../../core/http/schemas.js'
import { ChatView } from './chat.view.js'
import { CHAT_TYPES } from './domain.js'
import { AuthorView, MessageView } from './message.view.js'
import { MAX_SEARCH_TEXT } from './search-query.js'

const Q = Type.String({ minLength: 1, maxLength: MAX_SEARCH_TEXT, description: 'Words to find: each must occur, the last may be the start of a word ("hel wor" finds "hello world"); punctuation only separates words' })

export const MessageSearchQuery = Type.Object(
  {
    q: Q,
    chatId: Type.Optional(Uuid),
    from: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'Only messages by this person (a user id)' })),
    before: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Only messages sent before this time' })),
    after: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Only messages sent after this time' })),
    hasFile: Type.Optional(Type.Boolean({ description: 'true: only messages with files; false: only without' })),
    ...PaginationQuery,
  },
  { additionalProperties: false },
)
export type MessageSearchQuery = Static<typeof MessageSearchQuery>

const ChatRef = Type.Object(
  { id: Uuid, type: Type.Enum(CHAT_TYPES), title: Type.Union([Type.String({ maxLength: 200 }), Type.Null()], { description: "Private chats: the other person's name" }) },
  { title: 'ChatRef' },
)

export const MessageHit = Type.Object({ message: MessageView, chat: ChatRef }, { title: 'ChatMessageHit', description: 'A message that matched, and the chat it is in' })
export type MessageHit = Static<typeof MessageHit>
export const MessageHitPage = Page(MessageHit, 'ChatMessageHitPage', 'Best match first (then newest), and the cursor of the next page')

export const TextSearchQuery = Type.Object({ q: Q, ...PaginationQuery }, { additionalProperties: false })
export type TextSearchQuery = Static<typeof TextSearchQuery>

export const ChatHitPage = Page(ChatView, 'ChatHitPage', 'Best match first (then latest activity), and the cursor of the next page')

export const UserSearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: 100, description: 'Part of a name or username; a whole e-mail address finds its account only on an exact match' }),
    limit: Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: 50, default: 20, description: 'Page size (max 50)' })),
    cursor: PaginationQuery.cursor,
  },
  { additionalProperties: false },
)
export type UserSearchQuery = Static<typeof UserSearchQuery>

export const UserHitPage = Page(AuthorView, 'ChatUserHitPage', 'An exact e-mail match, else the best name and username matches first, and the cursor of the next page')
