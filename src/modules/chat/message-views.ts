import type { Static } from 'typebox'
import type { UserDirectory } from '../../core/users/directory.js'
import type { MessageRow } from './db/schema.js'
import { MAX_REACTION_KINDS } from './domain.js'
import type { MessageListRepository } from './message-list.repository.js'
import { toMessageView, type AttachmentView, type MessageView, type ReactionSummary } from './message.view.js'

/**
 * Views of a page of messages with a constant number of queries: one for the authors (the user
 * directory), one for the attachments, one for the reactions, whatever the page's size.
 */
export async function messageViews(rows: readonly MessageRow[], list: MessageListRepository, users: Pick<UserDirectory, 'profiles'>): Promise<MessageView[]> {
  if (rows.length === 0) return []
  const ids = rows.map((row) => row.id)
  const authorIds = new Set(rows.flatMap((row) => (row.authorId ? [row.authorId] : [])))
  const [authors, attachmentRows, reactionRows] = await Promise.all([users.profiles(authorIds), list.attachments(ids), list.reactions(ids)])
  const files = new Map<string, Static<typeof AttachmentView>[]>()
  for (const a of attachmentRows) push(files, a.messageId, { id: a.fileId, name: a.name, contentType: a.contentType, size: a.size })
  const reactions = new Map<string, Static<typeof ReactionSummary>[]>()
  // The first MAX_REACTION_KINDS kinds each (oldest first): a view stays bounded however many emoji a message collects.
  for (const r of reactionRows) if ((reactions.get(r.messageId)?.length ?? 0) < MAX_REACTION_KINDS) push(reactions, r.messageId, { emoji: r.emoji, count: r.count, userIds: r.userIds })
  return rows.map((row) => toMessageView(row, { authors, files, reactions }))
}

export const messageView = async (row: MessageRow, list: MessageListRepository, users: Pick<UserDirectory, 'profiles'>): Promise<MessageView> =>
  (await messageViews([row], list, users))[0]!

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const items = map.get(key)
  if (items) items.push(value)
  else map.set(key, [value])
}
