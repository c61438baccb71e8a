import Type, { type Static } from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import type { UserProfile } from '../../core/users/directory.js'
import type { MessageRow } from './db/schema.js'
import { MAX_EMOJI_LENGTH, MAX_FILES_PER_MESSAGE, MAX_MENTIONS, MAX_REACTION_KINDS, MAX_TEXT_LENGTH, MAX_WAVEFORM_SAMPLES, MESSAGE_TYPES } from './domain.js'

/** Who wrote a message, as anyone in the chat sees them; a deleted account shows as `deleted`. */
export const AuthorView = Type.Object(
  {
    id: Uuid,
    username: Type.Union([Type.String({ maxLength: 32 }), Type.Null()]),
    name: Type.String({ maxLength: 100 }),
    avatarUrl: Type.Union([Type.String({ maxLength: 2048 }), Type.Null()]),
    deleted: Type.Boolean({ description: 'The account was deleted: its name reads "Deleted user"' }),
  },
  { title: 'ChatAuthor' },
)

export const AttachmentView = Type.Object(
  { id: Uuid, name: Type.String({ maxLength: 200 }), contentType: Type.String({ maxLength: 100 }), size: Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) },
  { title: 'ChatAttachment', description: 'A file on the message; its content is at /api/files/{id}/content for the chat\'s participants' },
)

export const ReactionSummary = Type.Object(
  {
    emoji: Type.String({ maxLength: MAX_EMOJI_LENGTH }),
    count: Type.Integer({ format: 'int32', maximum: 2_147_483_647, minimum: 1 }),
    userIds: Type.Array(Uuid, { maxItems: 25, description: 'Who reacted so, the first 25' }),
  },
  { title: 'ChatReactionSummary' },
)

export const MessageView = Type.Object(
  {
    id: Uuid,
    chatId: Uuid,
    seq: Type.Integer({ format: 'int32', maximum: 2_147_483_647, minimum: 1, description: 'Per chat, gapless: the order and the cursor' }),
    type: Type.Enum(MESSAGE_TYPES),
    text: Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()], { description: 'Null for a deleted message, and for one with only files' }),
    author: Type.Union([AuthorView, Type.Null()], { description: 'Null for system messages' }),
    files: Type.Array(AttachmentView, { maxItems: MAX_FILES_PER_MESSAGE }),
    replyToId: Type.Union([Uuid, Type.Null()]),
    threadRootId: Type.Union([Uuid, Type.Null()]),
    replyCount: Type.Integer({ format: 'int32', maximum: 2_147_483_647, minimum: 0, description: 'Replies in the thread this message starts' }),
    lastReplyAt: Type.Union([Timestamp, Type.Null()]),
    forwardedFrom: Type.Union([Type.Object({ messageId: Uuid, chatId: Uuid, authorId: Type.Union([Uuid, Type.Null()]) }), Type.Null()]),
    mentions: Type.Array(Uuid, { maxItems: MAX_MENTIONS,  description: 'The user ids mentioned (`@username` in the text is resolved on send)' }),
    media: Type.Union([Type.Object({ durationMs: Type.Integer({ format: 'int32', maximum: 2_147_483_647, minimum: 0 }), waveform: Type.Optional(Type.Array(Type.Number(), { maxItems: MAX_WAVEFORM_SAMPLES })) }), Type.Null()]),
    system: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { description: 'System messages: what happened, e.g. {"event":"member.joined","userId":…}' }),
    reactions: Type.Array(ReactionSummary, { maxItems: MAX_REACTION_KINDS, description: `By emoji, the first ${MAX_REACTION_KINDS} kinds` }),
    clientId: Type.Union([Type.String({ maxLength: 100 }), Type.Null()], { description: 'The sender\'s idempotency key (shown to everyone; it is not a secret)' }),
    version: Type.Integer({ format: 'int32', maximum: 2_147_483_647, minimum: 1 }),
    createdAt: Timestamp,
    editedAt: Type.Union([Timestamp, Type.Null()]),
    deletedAt: Type.Union([Timestamp, Type.Null()]),
  },
  { title: 'ChatMessage', description: 'A message, as every chat route and event shows it' },
)
export type MessageView = Static<typeof MessageView>

/** What a message view needs besides its row: looked up in batches for a whole page. */
export interface MessageExtras {
  readonly authors: ReadonlyMap<string, UserProfile>
  readonly files: ReadonlyMap<string, Static<typeof AttachmentView>[]>
  readonly reactions: ReadonlyMap<string, Static<typeof ReactionSummary>[]>
}

const deletedAuthor = (id: string): Static<typeof AuthorView> => ({ id, username: null, name: 'Deleted user', avatarUrl: null, deleted: true })

export function toMessageView(row: MessageRow, extras: MessageExtras): MessageView {
  const author = row.authorId ? (extras.authors.get(row.authorId) ?? deletedAuthor(row.authorId)) : null
  const deleted = row.deletedAt !== null
  return {
    id: row.id,
    chatId: row.chatId,
    seq: row.seq,
    type: row.type,
    text: deleted ? null : row.text,
    author: author ? { id: author.id, username: author.username, name: author.name, avatarUrl: author.avatarUrl, deleted: author.deleted } : null,
    files: deleted ? [] : (extras.files.get(row.id) ?? []),
    replyToId: row.replyToId,
    threadRootId: row.threadRootId,
    replyCount: row.replyCount,
    lastReplyAt: row.lastReplyAt?.toISOString() ?? null,
    forwardedFrom: row.forwardedFrom ?? null,
    mentions: deleted ? [] : row.mentions,
    media: deleted ? null : (row.media ?? null),
    system: row.system ?? null,
    reactions: deleted ? [] : (extras.reactions.get(row.id) ?? []),
    clientId: row.clientId,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    editedAt: row.editedAt?.toISOString() ?? null,
    deletedAt: row.deletedAt?.toISOString() ?? null,
  }
}
