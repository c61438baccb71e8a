import type { UserProfile } from '../../core/users/directory.js'
import type { ChatDeps } from './api.js'
import { toChatView, type ChatView } from './chat.view.js'
import type { ChatRow, ParticipantRow } from './db/schema.js'

export interface ChatWithMe {
  readonly chat: ChatRow
  readonly participant: ParticipantRow | null
}

/**
 * Chat views for one viewer, for any number of chats in a fixed number of queries: participant
 * counts in one, the other person of every private chat in one, their names in one.
 */
export async function presentChats(deps: ChatDeps, viewerId: string, rows: readonly ChatWithMe[]): Promise<ChatView[]> {
  const { chats, participants } = deps.store.repos
  const ids = rows.map((row) => row.chat.id)
  const privateIds = rows.filter((row) => row.chat.type === 'private').map((row) => row.chat.id)
  const [counts, others] = await Promise.all([chats.participantCounts(ids), participants.othersOf(privateIds, viewerId)])
  const profiles = others.size > 0 ? await deps.ctx.users.profiles(new Set(others.values())) : new Map<string, UserProfile>()
  return rows.map(({ chat, participant }) => {
    const other = others.get(chat.id)
    const title = other ? (profiles.get(other)?.name ?? 'Deleted user') : null
    return toChatView(chat, participant, { participantCount: counts.get(chat.id) ?? 0, title })
  })
}

export async function presentChat(deps: ChatDeps, viewerId: string, row: ChatWithMe): Promise<ChatView> {
  const [view] = await presentChats(deps, viewerId, [row])
  return view!
}
