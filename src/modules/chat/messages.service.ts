import type { Actor } from '../../core/access/actor.js'
import { AppError } from '../../core/errors/app-error.js'
import { decodeCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import type { ChatDeps } from './api.js'
import type { MessageRow } from './db/schema.js'
import { MessageEdits } from './message-edits.js'
import type { MessageRange } from './message-list.repository.js'
import { MessageSender, type SendResult } from './message-send.js'
import { messageView, messageViews } from './message-views.js'
import type { MessageView } from './message.view.js'
import type { EditMessageBody, MessageListQuery, SendMessageBody } from './messages.schemas.js'
import { toPrefixTsQuery } from './search-query.js'

const DEFAULT_LIMIT = 50
/** Cursors name the direction they continue in; the chat's id binds them to it. */
const SORTS = { desc: 'chat-messages:desc', asc: 'chat-messages:asc' } as const

export interface MessagePage {
  readonly items: MessageView[]
  readonly nextCursor: string | null
}

/**
 * Messages of a chat: send, list (by seq, around a seq, in a thread, searched), edit, delete and
 * the edit history. It also lets the chat's participants read the files on its messages.
 */
export class MessagesService {
  private readonly sender: MessageSender
  private readonly edits: MessageEdits

  constructor(private readonly deps: ChatDeps) {
    const viewOf = (row: MessageRow) => messageView(row, deps.store.repos.messageList, deps.ctx.users)
    this.sender = new MessageSender(deps, viewOf)
    this.edits = new MessageEdits(deps, viewOf)
    // An attachment is readable by the participants of a chat where it is on a message that is not deleted.
    deps.ctx.files.allowReads('chat', (actor, file) => deps.store.repos.messageList.fileReadable(file.id, actor.id))
  }

  send(actor: Actor, chatId: string, body: SendMessageBody): Promise<SendResult> {
    return this.sender.send(actor, chatId, body)
  }

  edit(actor: Actor, messageId: string, body: EditMessageBody): Promise<MessageView> {
    return this.edits.edit(actor, messageId, body)
  }

  remove(actor: Actor, messageId: string): Promise<MessageView> {
    return this.edits.remove(actor, messageId)
  }

  history(actor: Actor, messageId: string, page: { limit?: number; cursor?: string }) {
    return this.edits.history(actor, messageId, page)
  }

  /**
   * A page of the chat's messages. Newest first (`before` a seq, or from the newest); `after` a seq
   * is oldest first, for catching up; `around` a seq is about half before it (it included) and half
   * after, newest first, continuing to older ones. `threadRootId` keeps a thread's replies, `q` the
   * messages matching a full-text search. The cursor continues in the page's direction.
   */
  async list(actor: Actor, chatId: string, query: MessageListQuery): Promise<MessagePage> {
    // A channel is public: anyone may read it before joining (its room is open to them too).
    const { chat } = await this.deps.access.visible(actor, chatId)
    const positions = [query.before, query.after, query.around, query.cursor].filter((v) => v !== undefined)
    if (positions.length > 1) throw new AppError('VALIDATION_FAILED', 'Give at most one of before, after, around and cursor.', { query: 'before, after, around and cursor exclude each other' })
    const limit = query.limit ?? DEFAULT_LIMIT
    const base = { chatId: chat.id, limit: limit + 1, ...(await this.filters(chat.id, query)) }
    if (query.around !== undefined) return this.around(base, query.around, limit)
    const range: MessageRange = query.cursor !== undefined ? { ...base, ...fromCursor(query.cursor, chat.id) } : query.after !== undefined ? { ...base, order: 'asc', after: query.after } : { ...base, order: 'desc', ...(query.before !== undefined ? { before: query.before } : {}) }
    const rows = await this.deps.store.repos.messageList.page(range)
    return this.toPage(rows, limit, range.order, chat.id)
  }

  private async filters(chatId: string, query: MessageListQuery): Promise<Pick<MessageRange, 'threadRootId' | 'query'>> {
    const filters: { threadRootId?: string; query?: string } = {}
    if (query.threadRootId !== undefined) {
      const [root] = await this.deps.store.repos.messageList.inChat(chatId, [query.threadRootId])
      if (!root) throw new AppError('MESSAGE_REFERENCE_INVALID', undefined, { threadRootId: 'no such message in this chat' })
      filters.threadRootId = root.id
    }
    if (query.q !== undefined) {
      const tsQuery = toPrefixTsQuery(query.q)
      if (tsQuery === null) throw new AppError('VALIDATION_FAILED', 'The search has no words.', { q: 'needs at least one word' })
      filters.query = tsQuery
    }
    return filters
  }

  private async around(base: Omit<MessageRange, 'order'>, seq: number, limit: number): Promise<MessagePage> {
    const older = Math.ceil(limit / 2)
    const newer = limit - older
    const list = this.deps.store.repos.messageList
    const [down, up] = await Promise.all([
      list.page({ ...base, order: 'desc', before: seq + 1, limit: older + 1 }),
      newer > 0 ? list.page({ ...base, order: 'asc', after: seq, limit: newer }) : Promise.resolve([]),
    ])
    const page = await this.toPage(down, older, 'desc', base.chatId)
    const items = [...(await messageViews([...up].reverse(), list, this.deps.ctx.users)), ...page.items]
    return { items, nextCursor: page.nextCursor }
  }

  private async toPage(rows: MessageRow[], limit: number, order: 'asc' | 'desc', chatId: string): Promise<MessagePage> {
    const shown = rows.slice(0, limit)
    const last = shown.at(-1)
    const nextCursor = rows.length > limit && last ? encodeCursor({ sort: SORTS[order], value: last.seq, id: chatId }) : null
    return { items: await messageViews(shown, this.deps.store.repos.messageList, this.deps.ctx.users), nextCursor }
  }
}

/** A cursor of this chat's list: where the page continues, and in which direction. */
function fromCursor(cursor: string, chatId: string): Pick<MessageRange, 'order' | 'before' | 'after'> {
  for (const order of ['desc', 'asc'] as const) {
    let position
    try {
      position = decodeCursor(cursor, SORTS[order])
    } catch {
      continue
    }
    if (position.id !== chatId || typeof position.value !== 'number' || !Number.isInteger(position.value)) break
    return order === 'desc' ? { order, before: position.value } : { order, after: position.value }
  }
  throw new AppError('INVALID_CURSOR', undefined, { cursor: 'does not belong to this list and sort order' })
}
