import { Readable } from 'node:stream'
import Type, { type Static } from 'typebox'
import type { Actor } from '../../core/access/actor.js'
import { SIGNATURE_ALG } from '../../core/crypto/signatures.js'
import { Timestamp, Uuid } from '../../core/http/schemas.js'
import type { ChatDeps } from './api.js'
import { presentChat } from './chat-presenter.js'
import { ChatView } from './chat.view.js'
import type { FullReactions } from './chat-backup.repository.js'
import { MAX_EMOJI_LENGTH, MAX_REACTION_KINDS } from './domain.js'
import { MAX_PINS } from './message-extras.service.js'
import { messageViews } from './message-views.js'
import { MessageView } from './message.view.js'
import { ParticipantView, toParticipantView } from './participants.schemas.js'

/** Messages read and written per step: memory stays bounded whatever the chat's length. */
export const EXPORT_BATCH = 500
/** The purpose the export's MAC is made for (`ctx.signatures`): an import checks it with the same one. */
export const EXPORT_SIGNATURE_PURPOSE = 'chat.export'
/** How many people one reaction may list in an export (every reactor; a chat has at most this many participants). */
const MAX_PARTICIPANTS = 1_000_000

export const ExportReaction = Type.Object(
  {
    emoji: Type.String({ maxLength: MAX_EMOJI_LENGTH }),
    count: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647 }),
    userIds: Type.Array(Uuid, { maxItems: MAX_PARTICIPANTS, description: 'Everyone who reacted so, oldest first (not only the first 25)' }),
  },
  { title: 'ChatExportReaction' },
)

export const ExportMessage = Type.Object(
  { ...MessageView.properties, reactions: Type.Array(ExportReaction, { maxItems: MAX_REACTION_KINDS, description: 'Every kind, with every reactor' }) },
  { title: 'ChatExportMessage', description: 'A message as the API shows it, with all its reactions' },
)

export const ExportPin = Type.Object({ messageId: Uuid, pinnedBy: Type.Union([Uuid, Type.Null()]), pinnedAt: Timestamp }, { title: 'ChatExportPin' })

export const ExportIntegrity = Type.Object(
  {
    alg: Type.Literal(SIGNATURE_ALG),
    keyId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_-]{1,32}$', description: 'The id of the master key the MAC was made under (ENCRYPTION_KEY_ID at export time); exports made before it was recorded have none' }),
    ),
    mac: Type.String({ minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]{43}$', description: 'base64url HMAC-SHA256 of the document\'s bytes before `,"integrity":`' }),
  },
  { title: 'ChatExportIntegrity', description: 'The server\'s MAC over the bytes before this member: an import checks it, so nothing in the document can be changed' },
)

/** What the export holds (the document is streamed; this is its shape for the API reference and the import). */
export const ChatExport = Type.Object(
  {
    exportedAt: Type.String({ format: 'date-time', maxLength: 40 }),
    exportedBy: Type.String({ format: 'uuid', maxLength: 36, description: 'The user id of the owner or admin who exported it' }),
    chat: ChatView,
    participants: Type.Array(ParticipantView, { maxItems: MAX_PARTICIPANTS }),
    pins: Type.Array(ExportPin, { maxItems: MAX_PINS, description: 'The pinned messages, oldest pin first' }),
    messages: Type.Array(ExportMessage, { maxItems: 2_147_483_647, description: 'Every message up to the chat\'s lastSeq when the export started, in seq order (deleted ones as tombstones)' }),
    integrity: ExportIntegrity,
  },
  { title: 'ChatExport', description: 'A chat\'s whole history as JSON, streamed, and signed by the server (`integrity`, last)' },
)
export type ChatExport = Static<typeof ChatExport>

export interface ChatExportStream {
  readonly chatId: string
  readonly body: Readable
}

/**
 * The chat's whole history for its owner or an admin (403 for members; 404 for a private or group
 * chat the actor is not in). Checked and started before the first byte, so refusals are JSON
 * errors; the messages, up to the lastSeq seen at the start, follow in batches (EXPORT_BATCH). Every
 * byte goes through the MAC as it is written; the `integrity` member that ends the document carries it.
 */
export async function exportChat(deps: ChatDeps, actor: Actor, chatId: string, batch = EXPORT_BATCH): Promise<ChatExportStream> {
  const membership = await deps.access.withRole(actor, chatId, 'admin')
  const { chat } = membership
  const { backup, participants, messageList: list } = deps.store.repos
  const [view, rows, pins] = await Promise.all([presentChat(deps, actor.id, membership), participants.listAll(chat.id), backup.pins(chat.id)])
  const profiles = await deps.ctx.users.profiles(rows.map((row) => row.userId))
  const head = {
    exportedAt: new Date().toISOString(),
    exportedBy: actor.id,
    chat: view,
    participants: rows.map((row) => toParticipantView(row, profiles)),
    pins: pins.map((pin) => ({ messageId: pin.messageId, pinnedBy: pin.pinnedBy, pinnedAt: pin.pinnedAt.toISOString() })),
  }
  const lastSeq = chat.lastSeq
  const mac = deps.ctx.signatures.start(EXPORT_SIGNATURE_PURPOSE)
  const signed = (text: string): string => {
    mac.update(text)
    return text
  }
  async function* document(): AsyncGenerator<string> {
    yield signed(`${JSON.stringify(head).slice(0, -1)},"messages":[`)
    let after = 0
    let first = true
    while (after < lastSeq) {
      const page = await list.page({ chatId: chat.id, order: 'asc', after, from: lastSeq, limit: batch })
      if (page.length === 0) break
      const [views, reactions] = await Promise.all([messageViews(page, list, deps.ctx.users), backup.reactions(page.flatMap((row) => (row.deletedAt ? [] : [row.id])))])
      const byMessage = groupReactions(reactions)
      yield signed(views.map((message, i) => `${first && i === 0 ? '' : ','}${JSON.stringify({ ...message, reactions: byMessage.get(message.id) ?? [] })}`).join(''))
      first = false
      after = page.at(-1)!.seq
    }
    yield signed(']')
    yield `,"integrity":${JSON.stringify({ alg: SIGNATURE_ALG, keyId: mac.keyId, mac: mac.digest() })}}`
  }
  return { chatId: chat.id, body: Readable.from(document(), { objectMode: false }) }
}

function groupReactions(rows: readonly FullReactions[]): Map<string, Static<typeof ExportReaction>[]> {
  const out = new Map<string, Static<typeof ExportReaction>[]>()
  for (const row of rows) {
    const list = out.get(row.messageId) ?? []
    if (list.length === 0) out.set(row.messageId, list)
    list.push({ emoji: row.emoji, count: row.userIds.length, userIds: row.userIds })
  }
  return out
}
