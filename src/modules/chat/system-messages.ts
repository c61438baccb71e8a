import { AppError } from '../../core/errors/app-error.js'
import type { ChatRow, MessageRow } from './db/schema.js'
import type { ChatEvents } from './events.js'
import { toMessageView, type MessageView } from './message.view.js'
import type { ChatRepositories } from './store.js'

/**
 * A system message (member joined or left, title changed), written with the caller's repositories
 * — pass the ones of the transaction that made the change, so both commit together. It takes the
 * next seq like any message but does not count as unread (countedSeq unchanged), mentions no one,
 * and has no author. Publish it after the commit with `publishSystemMessages`.
 */
export async function appendSystemMessage(repos: Pick<ChatRepositories, 'chats' | 'messages'>, chat: Pick<ChatRow, 'id'>, system: Record<string, unknown>, at = new Date()): Promise<MessageRow> {
  const seqs = await repos.chats.allocateSeq(chat.id, false, at)
  if (!seqs) throw new AppError('CHAT_NOT_FOUND')
  return repos.messages.insert({ chatId: chat.id, seq: seqs.seq, authorId: null, type: 'system', text: null, system, createdAt: at })
}

/** `appendSystemMessage` by chat id. */
export const appendMembershipMessage = (repos: Pick<ChatRepositories, 'chats' | 'messages'>, chatId: string, system: Record<string, unknown>, at = new Date()): Promise<MessageRow> =>
  appendSystemMessage(repos, { id: chatId }, system, at)

const none = new Map<string, never>()

/** A system message as the API shows it: no author, files or reactions, so no lookups. */
export const systemMessageView = (row: MessageRow): MessageView => toMessageView(row, { authors: none, files: none, reactions: none })

/** After the commit: each system message to its chat's room as `message.sent`, in seq order. */
export function publishSystemMessages(events: ChatEvents, messages: readonly MessageRow[]): void {
  for (const row of [...messages].sort((a, b) => a.seq - b.seq)) events.toChat(row.chatId, 'message.sent', systemMessageView(row))
}
