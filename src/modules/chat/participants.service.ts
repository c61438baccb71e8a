import type { Actor } from '../../core/access/actor.js'
import { AppError } from '../../core/errors/app-error.js'
import { decodeRowCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import type { Page } from '../../core/http/resource/resource.service.js'
import type { Participation } from './access.js'
import type { ChatDeps } from './api.js'
import type { MessageRow, ParticipantRow } from './db/schema.js'
import type { ParticipantRole } from './domain.js'
import { assertMayBringIn, outranks, screenNewcomers } from './newcomers.js'
import { toParticipantView, type ParticipantView } from './participants.schemas.js'
import type { ChatRepositories } from './store.js'
import { appendMembershipMessage, publishSystemMessages } from './system-messages.js'

const SORT = 'joinedAt'

/**
 * Who is in a chat and with which role: listing, adding (owner/admin), role changes, removals and
 * leaving. Every change writes its system message in the same transaction and is announced after
 * the commit (`participant.*` to the chat's room and to the person's own room).
 */
export class ParticipantsService {
  constructor(private readonly deps: ChatDeps) {}

  /** Anyone who may see the chat (a channel: anyone) sees who is in it. */
  async list(actor: Actor, chatId: string, page: { limit: number; cursor?: string }): Promise<Page<ParticipantView>> {
    const { chat } = await this.deps.access.visible(actor, chatId)
    const after = page.cursor ? decodeRowCursor(page.cursor, SORT, 'timestamp') : undefined
    const rows = await this.deps.store.repos.membership.page(chat.id, page.limit + 1, after ? { joinedAt: after.at!, userId: after.id } : undefined)
    const items = rows.slice(0, page.limit)
    const last = items.at(-1)
    const nextCursor = rows.length > page.limit && last ? encodeCursor({ sort: SORT, value: last.joinedAt.toISOString(), id: last.userId }) : null
    return { items: await this.views(items), nextCursor }
  }

  /**
   * Adds people at once (no invitation). All or nothing: anyone unknown, banned or who blocked the
   * actor refuses the whole request. People already in are left as they are (and out of the answer).
   */
  async add(actor: Actor, chatId: string, input: { userIds: readonly string[]; role?: 'admin' | 'member' }): Promise<ParticipantView[]> {
    const membership = await this.deps.access.participant(actor, chatId)
    const role = input.role ?? 'member'
    assertMayBringIn(membership, role)
    const userIds = await screenNewcomers(this.deps, actor, chatId, input.userIds)
    const { added, messages } = await this.deps.store.transaction((repos) => join(repos, membership.chat.id, userIds.map((userId) => ({ userId, role, by: actor.id }))))
    const views = await this.views(added)
    this.announce('participant.added', views)
    publishSystemMessages(this.deps.events, messages)
    return views
  }

  /**
   * Changes a role. The owner sets admins and members; an admin may set only `member`, and only on
   * members (so never grants admin); nobody changes their own role. `owner` (the owner only)
   * transfers the ownership: the target becomes the owner, the caller an admin, in one transaction.
   */
  async updateRole(actor: Actor, chatId: string, userId: string, role: ParticipantRole): Promise<ParticipantView[]> {
    const { chat, participant: me } = await this.deps.access.participant(actor, chatId)
    const target = await this.target(chat.id, userId)
    if (target.userId === me.userId) throw new AppError('CHAT_ROLE_FORBIDDEN', 'Nobody changes their own role; the owner may hand ownership to someone else.')
    const allowed = role === 'owner' ? me.role === 'owner' : outranks(me.role, target.role) && outranks(me.role, role)
    if (!allowed) throw new AppError('CHAT_ROLE_FORBIDDEN')
    if (role === target.role) return this.views([target])
    const changed = await this.deps.store.transaction(async (repos) => {
      // Membership changes of one chat queue on its row, so a role never changes under a removal or a leaving owner's hand-over.
      if (!(await repos.membership.lockChat(chat.id))) throw new AppError('CHAT_NOT_FOUND')
      const rows = [await repos.membership.setRole(chat.id, target.userId, target.role, role)]
      if (role === 'owner') rows.push(await repos.membership.setRole(chat.id, me.userId, 'owner', 'admin'))
      if (rows.some((row) => !row)) throw new AppError('CONFLICT', 'Someone changed these roles meanwhile; reload and retry.')
      return rows as ParticipantRow[]
    })
    const views = await this.views(changed)
    this.announce('participant.updated', views)
    return views
  }

  /** Removes someone of a lower role (owner/admin), or, for the caller's own id, leaves. */
  async remove(actor: Actor, chatId: string, userId: string): Promise<void> {
    const membership = await this.deps.access.participant(actor, chatId)
    if (userId.toLowerCase() === actor.id) return this.leaveChat(membership)
    const { chat, participant: me } = membership
    if (chat.type === 'private') throw new AppError('CHAT_PRIVATE_MEMBERS')
    const target = await this.target(chat.id, userId)
    if (!outranks(me.role, target.role)) throw new AppError('CHAT_ROLE_FORBIDDEN')
    const message = await this.deps.store.transaction(async (repos) => {
      if (!(await repos.membership.lockChat(chat.id))) throw new AppError('CHAT_NOT_FOUND')
      if (!(await repos.membership.removeOne(chat.id, target.userId, target.role))) await refuseChanged(repos, chat.id, target.userId, 'Their role changed meanwhile; reload and retry.')
      return appendMembershipMessage(repos, chat.id, { event: 'member.removed', userId: target.userId, by: me.userId }, new Date())
    })
    await this.leftAnnounced(target, [message])
  }

  /**
   * The caller leaves a group or channel (a private chat is left by deleting it for oneself:
   * DELETE /api/chats/:id). A leaving owner hands the ownership to the oldest admin, else the
   * oldest member; the chats area's DELETE /api/chats/:id can call this.
   */
  async leave(actor: Actor, chatId: string): Promise<void> {
    return this.leaveChat(await this.deps.access.participant(actor, chatId))
  }

  private async leaveChat({ chat, participant: me }: Participation): Promise<void> {
    if (chat.type === 'private') throw new AppError('CHAT_PRIVATE_MEMBERS', 'A private chat is left by deleting it for yourself (DELETE /api/chats/{id}).')
    const { gone, heir, message } = await this.deps.store.transaction(async (repos) => {
      if (!(await repos.membership.lockChat(chat.id))) throw new AppError('CHAT_NOT_FOUND')
      // The role as it is under the lock (an owner leaving at once may just have made this admin the owner).
      const current = await repos.participants.find(chat.id, me.userId)
      const gone = current ? await repos.membership.removeOne(chat.id, me.userId, current.role) : undefined
      if (!gone) throw new AppError('CHAT_PARTICIPANT_NOT_FOUND', 'You are no longer in this chat.')
      const successor = gone.role === 'owner' ? await repos.membership.successor(chat.id) : undefined
      const heir = successor ? await repos.membership.setRole(chat.id, successor.userId, successor.role, 'owner') : undefined
      return { gone, heir, message: await appendMembershipMessage(repos, chat.id, { event: 'member.left', userId: me.userId }, new Date()) }
    })
    await this.leftAnnounced(gone, [message])
    if (heir) this.announce('participant.updated', await this.views([heir]))
  }

  private async target(chatId: string, userId: string): Promise<ParticipantRow> {
    const target = await this.deps.store.repos.participants.find(chatId, userId.toLowerCase())
    if (!target) throw new AppError('CHAT_PARTICIPANT_NOT_FOUND')
    return target
  }

  private async leftAnnounced(gone: ParticipantRow, messages: MessageRow[]): Promise<void> {
    this.announce('participant.removed', await this.views([gone]))
    publishSystemMessages(this.deps.events, messages)
    // Scheduled messages of those who left are cancelled by their listeners, after the response.
    void this.deps.hooks.participantsLeft(gone.chatId, [gone.userId])
  }

  async views(rows: readonly ParticipantRow[]): Promise<ParticipantView[]> {
    if (rows.length === 0) return []
    const profiles = await this.deps.ctx.users.profiles(rows.map((row) => row.userId))
    return rows.map((row) => toParticipantView(row, profiles))
  }

  /** To the chat's room, and to each person's own room (they may not follow the chat's room: just added, or removed). */
  announce(event: 'participant.added' | 'participant.updated' | 'participant.removed', views: readonly ParticipantView[]): void {
    for (const view of views) {
      this.deps.events.toChat(view.chatId, event, view)
      this.deps.events.toUsers([view.userId], event, view)
    }
  }
}

/** A removal that found the row changed under the chat's lock: gone meanwhile (404), or its role changed (409). */
async function refuseChanged(repos: ChatRepositories, chatId: string, userId: string, message: string): Promise<never> {
  if (!(await repos.participants.find(chatId, userId))) throw new AppError('CHAT_PARTICIPANT_NOT_FOUND')
  throw new AppError('CONFLICT', message)
}

/**
 * Adds the people to the chat inside the caller's transaction, under the chat row's lock: each
 * starts with everything before read (no unread backlog) and gets a `member.joined` system message
 * (one per person, the same shape as a channel join). Those already in are skipped.
 */
export async function join(
  repos: ChatRepositories,
  chatId: string,
  people: readonly { userId: string; role: 'admin' | 'member'; by: string | null }[],
): Promise<{ added: ParticipantRow[]; messages: MessageRow[] }> {
  const counters = await repos.membership.lockChat(chatId)
  if (!counters) throw new AppError('CHAT_NOT_FOUND')
  const at = new Date()
  // Checked again under the lock a ban takes too: a ban committed since the caller's check still counts.
  const banned = await repos.membership.bannedAmong(chatId, people.map((person) => person.userId), at)
  if (banned.size > 0) throw new AppError('CHAT_BANNED', undefined, { userIds: [...banned] })
  const added = await repos.membership.insertMany(
    people.map(({ userId, role }) => ({ chatId, userId, role, joinedAt: at, joinedSeq: counters.lastSeq, lastReadSeq: counters.lastSeq, readCount: counters.countedSeq })),
  )
  const by = new Map(people.map((person) => [person.userId, person.by]))
  const messages: MessageRow[] = []
  for (const row of added) messages.push(await appendMembershipMessage(repos, chatId, { event: 'member.joined', userId: row.userId, by: by.get(row.userId) ?? null }, at))
  return { added, messages }
}
