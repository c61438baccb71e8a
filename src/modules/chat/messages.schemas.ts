import Type, { type Static } from 'typebox'
import { Page, PaginationQuery, Timestamp, Uuid } from '../../core/http/schemas.js'
import { MAX_FILES_PER_MESSAGE, MAX_TEXT_LENGTH, MAX_WAVEFORM_SAMPLES } from './domain.js'
import { MessageView } from './message.view.js'

const Seq = (description: string) => Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description })
const Id = (description: string) => Type.String({ format: 'uuid', maxLength: 36, description })
const MessageText = Type.String({ maxLength: MAX_TEXT_LENGTH, description: `At most ${MAX_TEXT_LENGTH} characters; \`@username\` mentions a participant` })


export const MediaBody = Type.Object(
  {
    durationMs: Type.Integer({ format: 'int32', minimum: 0, maximum: 86_400_000, description: 'Length of the recording, in milliseconds' }),
    waveform: Type.Optional(
      Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { maxItems: MAX_WAVEFORM_SAMPLES, description: 'Voice only: amplitudes 0–1 the client measured, for drawing; a waveform marks a WebM/MP4 recording as voice' }),
    ),
  },
  { additionalProperties: false, description: 'Voice and video messages (one audio or video file): what the client measured' },
)

export const SendMessageBody = Type.Object(
  {
    text: Type.Optional(MessageText),
    clientId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Your idempotency key: sending again with it returns the first message (200), forever' }),
    ),
    fileIds: Type.Optional(Type.Array(Uuid, { maxItems: MAX_FILES_PER_MESSAGE, uniqueItems: true, description: `Your own uploaded files, at most ${MAX_FILES_PER_MESSAGE}` })),
    replyToId: Type.Optional(Id('The message of this chat you answer')),
    threadRootId: Type.Optional(Id('Post in the thread this message of the chat starts (a root, not a reply)')),
    media: Type.Optional(MediaBody),
    scheduledAt: Type.Optional({ ...Timestamp, description: 'Send it later, at this time (10 s to 365 days ahead): answers 202 with the scheduled message, no seq yet' }),
  },
  { additionalProperties: false },
)
export type SendMessageBody = Static<typeof SendMessageBody>

export const EditMessageBody = Type.Object(
  {
    text: MessageText,
    version: Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'The version you read; a stale one is 409 VERSION_CONFLICT with the current message' })),
  },
  { additionalProperties: false },
)
export type EditMessageBody = Static<typeof EditMessageBody>

export const MessageListQuery = Type.Object(
  {
    ...PaginationQuery,
    before: Type.Optional(Seq('Messages with a smaller seq, newest first')),
    after: Type.Optional(Seq('Messages with a larger seq, OLDEST first (catching up)')),
    around: Type.Optional(Seq('About half the page before this seq (it included), half after; newest first')),
    threadRootId: Type.Optional(Id('Only the replies in this thread, by seq')),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Full-text search within the chat (every word; the last one as a prefix)' })),
  },
  { additionalProperties: false },
)
export type MessageListQuery = Static<typeof MessageListQuery>

export const MessagePage = Page(MessageView, 'ChatMessagePage', 'A page of messages (newest first, oldest first with `after`) and the cursor of the next')

export const MessageVersionView = Type.Object(
  {
    version: Type.Integer({ format: 'int32', maximum: 2_147_483_647, minimum: 1, description: 'The message version this text was' }),
    text: Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()]),
    writtenAt: Timestamp,
  },
  { title: 'ChatMessageVersion' },
)
export const MessageHistory = Page(MessageVersionView, 'ChatMessageHistory', 'The earlier texts of the message, oldest first (the current text is the message itself)')
export const HistoryQuery = Type.Object({ ...PaginationQuery }, { additionalProperties: false })
