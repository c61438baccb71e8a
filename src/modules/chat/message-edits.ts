import type { Actor } from '../../core/access/actor.js'
import { isUuid } from '../../core/db/columns.js'
import { AppError } from '../../core/errors/app-error.js'
import { encodeCursor, decodeCursor } from '../../core/http/resource/cursor.js'
import { assertWritable, hasRole } from './access.js'
import type { ChatDeps } from './api.js'
import type { ChatRow, MessageRow } from './db/schema.js'
import { resolveMentions } from './mentions.js'
import type { MessageView } from './message.view.js'
import type { EditMessageBody } from './messages.schemas.js'

const HISTORY_SORT = 'message-versions'

/** Editing, deleting and the edit history of one message. */
export class MessageEdits {
  constructor(
    private readonly deps: ChatDeps,
    private readonly viewOf: (row: MessageRow) => Promise<MessageView>,
  ) {}

  /** The author edits the text; earlier texts are kept; mentions are resolved again. */
  async edit(actor: Actor, messageId: string, body: EditMessageBody): Promise<MessageView> {
    const { chat, message } = await this.reach(actor, messageId)
    assertWritable(chat)
    if (message.authorId !== actor.id || message.type === 'system') throw new AppError('MESSAGE_NOT_AUTHOR')
    if (message.deletedAt) throw new AppError('MESSAGE_DELETED')
    const text = body.text.trim() === '' ? null : body.text
    const participantIds = new Set(await this.deps.store.repos.participants.userIds(chat.id))
    const mentions = await resolveMentions(this.deps.ctx.users, text, participantIds, actor.id)
    const { row, changed } = await this.deps.store.transaction(async (repos) => {
      const current = await repos.messages.lock(message.id)
      if (!current || current.deletedAt) throw new AppError('MESSAGE_DELETED')
      if (body.version !== undefined && body.version !== current.version) {
        throw new AppError('VERSION_CONFLICT', `The message is at version ${current.version}; reload and retry.`, { current: await this.viewOf(current) })
      }
      const hasFiles = (await repos.messageList.attachments([current.id])).length > 0
      if (text === null && !hasFiles) throw new AppError('MESSAGE_EMPTY')
      if (text === current.text) return { row: current, changed: false }
      const type = current.type === 'text' || current.type === 'file' ? (text === null ? 'file' : 'text') : current.type
      const edited = await repos.messages.edit(current, { text, type, mentions }, new Date())
      const added = mentions.filter((id) => !current.mentions.includes(id))
      await repos.messages.countMentions(chat.id, added, current.seq)
      return { row: edited, changed: true }
    })
    const view = await this.viewOf(row)
    if (changed) this.deps.events.toChat(chat.id, 'message.updated', view)
    return view
  }

  /**
   * The author, the chat's owner or admins, or a platform moderator (chat:moderate) delete a message:
   * a tombstone keeps its seq. Deleting a deleted message answers its tombstone again.
   */
  async remove(actor: Actor, messageId: string): Promise<MessageView> {
    const { chat, message, moderator } = await this.reach(actor, messageId, { moderate: true })
    if (message.type === 'system' && !moderator) throw new AppError('CHAT_ROLE_FORBIDDEN')
    if (message.authorId !== actor.id && !moderator) throw new AppError('CHAT_ROLE_FORBIDDEN', 'Only the author, the chat\'s owner and admins may delete this message.')
    if (message.deletedAt) return this.viewOf(message)
    if (!this.deps.access.isPlatformModerator(actor)) assertWritable(chat)
    const { row, changed } = await this.deps.store.transaction(async (repos) => {
      const current = await repos.messages.lock(message.id)
      if (!current || current.deletedAt) return { row: current ?? message, changed: false }
      return { row: await repos.messages.tombstone(current, new Date()), changed: true }
    })
    const view = await this.viewOf(row)
    if (changed) this.deps.events.toChat(chat.id, 'message.deleted', view)
    return view
  }

  /** The earlier texts, oldest first; the current one is the message. Participants only. */
  async history(actor: Actor, messageId: string, page: { limit?: number; cursor?: string }) {
    const { message } = await this.reach(actor, messageId, { read: true })
    const limit = page.limit ?? 50
    const after = page.cursor === undefined ? 0 : afterVersion(page.cursor)
    const rows = await this.deps.store.repos.messageList.versions(message.id, after, limit + 1)
    const items = rows.slice(0, limit).map((v) => ({ version: v.version, text: v.text, writtenAt: v.writtenAt.toISOString() }))
    const last = items.at(-1)
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ sort: HISTORY_SORT, value: last.version, id: message.id }) : null }
  }

  /**
   * The message and its chat as the actor reaches them: a participant of the chat (404 for a
   * private or group chat they are not in, 403 in a channel; with `read` anyone may reach a
   * channel's), or with `moderate` a platform moderator anywhere. `moderator`: may delete others' messages here.
   */
  private async reach(actor: Actor, messageId: string, options: { moderate?: boolean; read?: boolean } = {}): Promise<{ chat: ChatRow; message: MessageRow; moderator: boolean }> {
    this.deps.access.requireUse(actor)
    const message = isUuid(messageId) ? await this.deps.store.repos.messages.findById(messageId) : undefined
    if (!message) throw new AppError('MESSAGE_NOT_FOUND')
    if (options.moderate && this.deps.access.isPlatformModerator(actor)) {
      const chat = await this.deps.store.repos.chats.findById(message.chatId)
      if (!chat) throw new AppError('MESSAGE_NOT_FOUND')
      return { chat, message, moderator: true }
    }
    const reached = options.read ? this.deps.access.visible(actor, message.chatId) : this.deps.access.participant(actor, message.chatId)
    const { chat, participant } = await reached.catch((error: unknown) => {
      throw error instanceof AppError && error.code === 'CHAT_NOT_FOUND' ? new AppError('MESSAGE_NOT_FOUND') : error
    })
    return { chat, message, moderator: participant !== null && hasRole(participant.role, 'admin') }
  }
}

function afterVersion(cursor: string): number {
  const position = decodeCursor(cursor, HISTORY_SORT)
  if (typeof position.value !== 'number' || !Number.isInteger(position.value)) throw new AppError('INVALID_CURSOR')
  return position.value
}
