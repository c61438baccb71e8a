import { Readable } from 'node:stream'
import Type from 'typebox'
import type { Actor } from '../../core/access/actor.js'
import type { ChatDeps } from './api.js'
import { presentChat } from './chat-presenter.js'
import { ChatView } from './chat.view.js'
import { messageViews } from './message-views.js'
import { MessageView } from './message.view.js'
import { ParticipantView, toParticipantView } from './participants.schemas.js'

/** Messages read and written per step: memory stays bounded whatever the chat's length. */
export const EXPORT_BATCH = 500

/** What the export holds (the document is streamed; this is its shape for the API reference). */
export const ChatExport = Type.Object(
  {
    exportedAt: Type.String({ format: 'date-time', maxLength: 40 }),
    chat: ChatView,
    participants: Type.Array(ParticipantView, { maxItems: 1_000_000 }),
    messages: Type.Array(MessageView, { maxItems: 2_147_483_647, description: 'Every message up to the chat\'s lastSeq when the export started, in seq order (deleted ones as tombstones)' }),
  },
  { title: 'ChatExport', description: 'A chat\'s whole history as JSON, streamed' },
)

export interface ChatExportStream {
  readonly chatId: string
  readonly body: Readable
}

/**
 * The chat's whole history for its owner or an admin (403 for members; 404 for a private or group
 * chat the actor is not in). Checked and started before the first byte, so refusals are JSON
 * errors; the messages, up to the lastSeq seen at the start, follow in batches (EXPORT_BATCH).
 */
export async function exportChat(deps: ChatDeps, actor: Actor, chatId: string, batch = EXPORT_BATCH): Promise<ChatExportStream> {
  const membership = await deps.access.withRole(actor, chatId, 'admin')
  const { chat } = membership
  const [view, rows] = await Promise.all([presentChat(deps, actor.id, membership), deps.store.repos.participants.listAll(chat.id)])
  const profiles = await deps.ctx.users.profiles(rows.map((row) => row.userId))
  const head = {
    exportedAt: new Date().toISOString(),
    chat: view,
    participants: rows.map((row) => toParticipantView(row, profiles)),
  }
  const lastSeq = chat.lastSeq
  const list = deps.store.repos.messageList
  async function* document(): AsyncGenerator<string> {
    yield `${JSON.stringify(head).slice(0, -1)},"messages":[`
    let after = 0
    let first = true
    while (after < lastSeq) {
      const page = await list.page({ chatId: chat.id, order: 'asc', after, from: lastSeq, limit: batch })
      if (page.length === 0) break
      const views = await messageViews(page, list, deps.ctx.users)
      yield views.map((message, i) => `${first && i === 0 ? '' : ','}${JSON.stringify(message)}`).join('')
      first = false
      after = page.at(-1)!.seq
    }
    yield ']}'
  }
  return { chatId: chat.id, body: Readable.from(document(), { objectMode: false }) }
}
