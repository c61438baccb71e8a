import Type from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import { MAX_EMOJI_LENGTH } from './domain.js'
import { MAX_FORWARD_TARGETS, MAX_PINS } from './message-extras.service.js'
import { MessageView } from './message.view.js'

const Emoji = Type.String({
  minLength: 1,
  maxLength: MAX_EMOJI_LENGTH,
  description: 'One emoji (skin tones, ZWJ sequences, flags and keycaps included; stored NFC-normalised) or a `:short_name:` of a-z, 0-9, `_`, `+` and `-`',
})

export const ReactionBody = Type.Object({ emoji: Emoji }, { additionalProperties: false })

export const ReactionParams = Type.Object({ id: Uuid, emoji: Emoji }, { additionalProperties: false })

export const ReactionChange = Type.Object(
  {
    messageId: Uuid,
    chatId: Uuid,
    emoji: Type.String({ maxLength: MAX_EMOJI_LENGTH }),
    userId: { ...Uuid, description: 'Who reacted, or took the reaction back' },
    message: { ...MessageView, description: 'The message with its reactions after the change' },
  },
  { title: 'ChatReactionChange', description: 'A reaction added or removed; `reaction.added` / `reaction.removed` carry the same object' },
)

export const PinView = Type.Object(
  {
    chatId: Uuid,
    messageId: Uuid,
    pinnedBy: Type.Union([Uuid, Type.Null()], { description: 'Who pinned it' }),
    pinnedAt: Timestamp,
    message: MessageView,
  },
  { title: 'ChatPin', description: 'A pinned message; `message.pinned` carries the same object' },
)

export const PinList = Type.Object(
  { items: Type.Array(PinView, { maxItems: MAX_PINS, description: `Newest pin first; at most ${MAX_PINS}` }) },
  { title: 'ChatPinList', description: 'The chat\'s pinned messages (deleted ones leave the list)' },
)

export const ForwardBody = Type.Object(
  {
    chatIds: Type.Array(Uuid, { minItems: 1, maxItems: MAX_FORWARD_TARGETS, uniqueItems: true, description: `The chats to copy the message into, 1–${MAX_FORWARD_TARGETS}, each once` }),
    clientId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Your idempotency key: forwarding the same message to a chat again with it returns the copy stored the first time, forever' }),
    ),
  },
  { additionalProperties: false },
)

export const ForwardResult = Type.Object(
  { items: Type.Array(MessageView, { maxItems: MAX_FORWARD_TARGETS, description: 'The copies, in the order of chatIds' }) },
  { title: 'ChatForwardResult', description: 'The copies sent' },
)
