import type { Actor } from '../../core/access/actor.js'
import { isUuid } from '../../core/db/columns.js'
import { AppError } from '../../core/errors/app-error.js'
import { decodeRowCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import type { Page } from '../../core/http/resource/resource.service.js'
import { assertWritable } from './access.js'
import type { ChatDeps } from './api.js'
import type { ChatRow, InvitationRow } from './db/schema.js'
import { assertMayBringIn, screenNewcomers } from './newcomers.js'
import { toInvitationView, type InvitationView } from './invitations.schemas.js'
import { join, ParticipantsService } from './participants.service.js'
import { publishSystemMessages } from './system-messages.js'

const SORT = 'id'

/**
 * Invitations to groups and channels: an owner or admin invites, the invitee accepts (joining as a
 * member) or declines. Only the invitee sees or answers an invitation; anyone else gets 404.
 */
export class InvitationsService {
  private readonly participants: ParticipantsService

  constructor(private readonly deps: ChatDeps) {
    this.participants = new ParticipantsService(deps)
  }

  /**
   * Invites people (the same refusals as adding them, all or nothing). People already in the chat,
   * or with a pending invitation to it, are skipped. Each invitee hears `invitation.created` in their
   * own room, and the notifications area is told through `hooks.invitationCreated`.
   */
  async invite(actor: Actor, chatId: string, userIds: readonly string[]): Promise<InvitationView[]> {
    const membership = await this.deps.access.participant(actor, chatId)
    assertMayBringIn(membership, 'member')
    const { chat } = membership
    const ids = await screenNewcomers(this.deps, actor, chat.id, userIds)
    const present = await this.deps.store.repos.membership.present(chat.id, ids)
    const at = new Date()
    const stored = await this.deps.store.repos.invitations.insertMany(
      ids.filter((id) => !present.has(id)).map((userId) => ({ chatId: chat.id, userId, invitedBy: actor.id, createdAt: at })),
    )
    const views = await this.views(stored.map((invitation) => ({ invitation, chat })))
    for (const [i, view] of views.entries()) {
      this.deps.events.toUsers([view.userId], 'invitation.created', view)
      void this.deps.hooks.invitationCreated({ chat, invitation: stored[i]! })
    }
    return views
  }

  /** The caller's pending invitations, newest first. */
  async listPending(actor: Actor, page: { limit: number; cursor?: string }): Promise<Page<InvitationView>> {
    this.deps.access.requireUse(actor)
    const before = page.cursor ? decodeRowCursor(page.cursor, SORT).id : undefined
    const rows = await this.deps.store.repos.invitations.pendingOf(actor.id, page.limit + 1, before)
    const items = rows.slice(0, page.limit)
    const last = items.at(-1)
    const nextCursor = rows.length > page.limit && last ? encodeCursor({ sort: SORT, value: null, id: last.invitation.id }) : null
    return { items: await this.views(items), nextCursor }
  }

  /**
   * Joins the chat as a member (a `member.joined` system message naming the inviter, and
   * `participant.added`). Still refused when the invitee was banned since (403 CHAT_BANNED) or the
   * chat is archived (409 CHAT_ARCHIVED; the invitation stays pending).
   */
  async accept(actor: Actor, id: string): Promise<InvitationView> {
    this.deps.access.requireUse(actor)
    const { invitation, chat } = await this.pending(actor, id)
    assertWritable(chat)
    const banned = await this.deps.store.repos.membership.bannedAmong(chat.id, [actor.id], new Date())
    if (banned.size > 0) throw new AppError('CHAT_BANNED')
    const { answered, added, messages } = await this.deps.store.transaction(async (repos) => {
      const answered = await repos.invitations.answer(invitation.id, 'accepted', new Date())
      if (!answered) throw new AppError('INVITATION_ANSWERED')
      return { answered, ...(await join(repos, chat.id, [{ userId: actor.id, role: 'member', by: invitation.invitedBy }])) }
    })
    this.participants.announce('participant.added', await this.participants.views(added))
    publishSystemMessages(this.deps.events, messages)
    return (await this.views([{ invitation: answered, chat }]))[0]!
  }

  async decline(actor: Actor, id: string): Promise<InvitationView> {
    this.deps.access.requireUse(actor)
    const { invitation, chat } = await this.pending(actor, id)
    const answered = await this.deps.store.repos.invitations.answer(invitation.id, 'declined', new Date())
    if (!answered) throw new AppError('INVITATION_ANSWERED')
    return (await this.views([{ invitation: answered, chat }]))[0]!
  }

  /** The caller's own invitation, still pending: someone else's is 404, an answered one 409. */
  private async pending(actor: Actor, id: string): Promise<{ invitation: InvitationRow; chat: ChatRow }> {
    const found = isUuid(id) ? await this.deps.store.repos.invitations.findWithChat(id) : undefined
    if (!found || found.invitation.userId !== actor.id) throw new AppError('INVITATION_NOT_FOUND')
    if (found.invitation.status !== 'pending') throw new AppError('INVITATION_ANSWERED', undefined, { status: found.invitation.status })
    return found
  }

  private async views(rows: readonly { invitation: InvitationRow; chat: ChatRow }[]): Promise<InvitationView[]> {
    if (rows.length === 0) return []
    const profiles = await this.deps.ctx.users.profiles(rows.flatMap(({ invitation }) => (invitation.invitedBy ? [invitation.invitedBy] : [])))
    return rows.map(({ invitation, chat }) => toInvitationView(invitation, chat, profiles))
  }
}
