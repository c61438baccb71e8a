import type { Actor } from '../../core/access/actor.js'
import { AppError } from '../../core/errors/app-error.js'
import { assertWritable, type Participation } from './access.js'
import type { ChatDeps } from './api.js'
import { ROLE_RANK, type ParticipantRole } from './domain.js'

/** Whether `actor` ranks above `other` (owner > admin > member): one manages only roles below one's own. */
export const outranks = (actor: ParticipantRole, other: ParticipantRole): boolean => ROLE_RANK[actor] > ROLE_RANK[other]

/**
 * Whether the actor may bring people into the chat (adding or inviting) with `role`: not a private
 * chat (422), not archived (409), and only into a role below their own (403: a member adds nobody,
 * an admin adds members, the owner adds admins too).
 */
export function assertMayBringIn(membership: Participation, role: ParticipantRole): void {
  if (membership.chat.type === 'private') throw new AppError('CHAT_PRIVATE_MEMBERS')
  if (!outranks(membership.participant.role, role)) throw new AppError('CHAT_ROLE_FORBIDDEN', role === 'member' ? undefined : 'Only the owner may make admins.')
  assertWritable(membership.chat)
}

/**
 * The people an owner or admin wants to add or invite, refused all together when any of them may
 * not come (nothing is stored): unknown or deleted accounts (422 CHAT_USER_UNKNOWN), people banned
 * from the chat (403 CHAT_BANNED), people who blocked the actor (403 CHAT_BLOCKED); `details.userIds`
 * names them. Returns the ids, each once.
 */
export async function screenNewcomers(deps: ChatDeps, actor: Actor, chatId: string, userIds: readonly string[]): Promise<string[]> {
  const ids = [...new Set(userIds.map((id) => id.toLowerCase()))]
  const existing = await deps.ctx.users.existing(ids)
  const unknown = ids.filter((id) => !existing.has(id))
  if (unknown.length > 0) throw new AppError('CHAT_USER_UNKNOWN', undefined, { userIds: unknown })
  const others = ids.filter((id) => id !== actor.id)
  const [banned, blockers] = await Promise.all([
    deps.store.repos.membership.bannedAmong(chatId, others, new Date()),
    deps.store.repos.blocks.blockersAmong(others, actor.id),
  ])
  if (banned.size > 0) throw new AppError('CHAT_BANNED', 'Some of these people are banned from this chat.', { userIds: [...banned] })
  if (blockers.size > 0) throw new AppError('CHAT_BLOCKED', 'Some of these people cannot be added by you.', { userIds: [...blockers] })
  return ids
}
