import Type, { type Static } from 'typebox'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import { MAX_FILES_PER_MESSAGE, MAX_TEXT_LENGTH } from './domain.js'
import { MediaBody } from './messages.schemas.js'
import type { ScheduledRow } from './scheduled.repository.js'

/** Soonest a message may be scheduled: further ahead than this (sooner: just send it). */
export const MIN_SCHEDULE_AHEAD_SECONDS = 10
/** Furthest a message may be scheduled ahead. */
export const MAX_SCHEDULE_AHEAD_DAYS = 365
/** Most messages one person has waiting in one chat. */
export const MAX_PENDING_PER_CHAT = 100


/** A message waiting to be sent (no seq yet: it gets one when sent). */
export const ScheduledMessageView = Type.Object(
  {
    id: Uuid,
    chatId: Uuid,
    authorId: Uuid,
    text: Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()]),
    fileIds: Type.Array(Uuid, { maxItems: MAX_FILES_PER_MESSAGE }),
    replyToId: Type.Union([Uuid, Type.Null()]),
    threadRootId: Type.Union([Uuid, Type.Null()]),
    media: Type.Union([MediaBody, Type.Null()]),
    clientId: Type.Union([Type.String({ maxLength: 100, description: 'Yours, when you gave one: scheduling again with it answers this one' }), Type.Null()]),
    scheduledAt: { ...Timestamp, description: 'When it is sent' },
    createdAt: Timestamp,
  },
  { title: 'ChatScheduledMessage', description: 'A message you scheduled: sent at `scheduledAt` (then it gets its seq), unless you cancel it, leave the chat or may no longer post' },
)
export type ScheduledMessageView = Static<typeof ScheduledMessageView>

export const ScheduledList = Type.Object(
  { items: Type.Array(ScheduledMessageView, { maxItems: MAX_PENDING_PER_CHAT, description: `All of yours still waiting, soonest first (at most ${MAX_PENDING_PER_CHAT})` }) },
  { title: 'ChatScheduledMessages', description: 'Your scheduled messages in this chat, soonest first' },
)

export const ScheduledParams = Type.Object({ id: Uuid, scheduledId: Uuid }, { additionalProperties: false })

/** What a scheduled row keeps of the send body (scheduledAt is the row's own column). */
export interface ScheduledPayload {
  text?: string
  clientId?: string
  fileIds?: string[]
  replyToId?: string
  threadRootId?: string
  media?: { durationMs: number; waveform?: number[] }
}

export function toScheduledView(row: ScheduledRow): ScheduledMessageView {
  const p = row.payload as ScheduledPayload
  return {
    id: row.id,
    chatId: row.chatId,
    authorId: row.authorId,
    text: p.text ?? null,
    fileIds: p.fileIds ?? [],
    replyToId: p.replyToId ?? null,
    threadRootId: p.threadRootId ?? null,
    media: p.media ?? null,
    clientId: p.clientId ?? null,
    scheduledAt: row.scheduledFor.toISOString(),
    createdAt: row.createdAt.toISOString(),
  }
}
