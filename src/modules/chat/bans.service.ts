import type { Actor } from '../../core/access/actor.js'
import { isUuid } from '../../core/db/columns.js'
import { AppError } from '../../core/errors/app-error.js'
import { decodeRowCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import type { Page } from '../../core/http/resource/resource.service.js'
import type { ChatDeps } from './api.js'
import type { ChatRow, MessageRow, ParticipantRow } from './db/schema.js'
import type { ParticipantRole } from './domain.js'
import { toBanView, type BanBody, type BanView } from './bans.schemas.js'
import { outranks } from './newcomers.js'
import { toParticipantView } from './participants.schemas.js'
import { appendMembershipMessage, publishSystemMessages } from './system-messages.js'

const SORT = 'bannedAt'

/** Who acts on a chat's bans: its owner or an admin (with their role), or a platform moderator (any chat, any role but the owner). */
interface Moderation {
  readonly chat: ChatRow
  /** The actor's role in the chat; null for a platform moderator acting from outside. */
  readonly role: ParticipantRole | null
}

/**
 * Bans: an owner or admin (over roles below their own) or a platform moderator (`chat:moderate`, any
 * chat) keeps someone out of a group or channel, for good or until a time. Banning removes them
 * (`participant.removed`, a `member.removed` system message with `banned: true`, their scheduled
 * messages cancelled); the ban then refuses joining, adding, inviting and accepting (CHAT_BANNED),
 * and reading a channel.
 */
export class BansService {
  constructor(
    private readonly deps: ChatDeps,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async ban(actor: Actor, chatId: string, body: BanBody): Promise<{ ban: BanView; created: boolean }> {
    const { chat, role } = await this.moderation(actor, chatId)
    if (chat.type === 'private') throw new AppError('CHAT_PRIVATE_MEMBERS', 'Nobody is banned from a private chat; block the person instead.')
    const userId = body.userId.toLowerCase()
    if (userId === actor.id) throw new AppError('CHAT_BAN_SELF')
    const now = this.clock()
    const until = body.until !== undefined ? new Date(body.until) : null
    if (until && !(until.getTime() > now.getTime())) throw new AppError('CHAT_BAN_INVALID', undefined, { until: 'must be in the future' })
    if (!(await this.deps.ctx.users.exists(userId))) throw new AppError('CHAT_USER_NOT_FOUND')
    const result = await this.deps.store.transaction(async (repos) => {
      // Under the chat row's lock: no join, add or role change of this chat runs meanwhile.
      if (!(await repos.membership.lockChat(chat.id))) throw new AppError('CHAT_NOT_FOUND')
      const target = await repos.participants.find(chat.id, userId)
      assertMayBan(role, target?.role ?? 'member')
      const { ban, renewed } = await repos.bans.upsert({ chatId: chat.id, userId, until, bannedBy: actor.id, at: now })
      let removed: ParticipantRow | undefined
      let message: MessageRow | undefined
      if (target) {
        removed = await repos.membership.removeOne(chat.id, userId, target.role)
        if (!removed) throw new AppError('CONFLICT', 'Their role changed meanwhile; reload and retry.')
        message = await appendMembershipMessage(repos, chat.id, { event: 'member.removed', userId, by: actor.id, banned: true }, now)
      }
      return { ban, renewed, removed, message }
    })
    const profiles = await this.deps.ctx.users.profiles([userId])
    if (result.removed) {
      const view = toParticipantView(result.removed, profiles)
      this.deps.events.toChat(chat.id, 'participant.removed', view)
      this.deps.events.toUsers([userId], 'participant.removed', view)
      publishSystemMessages(this.deps.events, result.message ? [result.message] : [])
      void this.deps.hooks.participantsLeft(chat.id, [userId])
    } else {
      // Not in the chat (a channel's reader): they stop hearing its room too.
      this.deps.events.revoke(chat.id, [userId])
    }
    return { ban: toBanView(result.ban, profiles), created: !result.renewed }
  }

  /** Lifts a ban in force (404 CHAT_BAN_NOT_FOUND otherwise); they may then join or be added again. */
  async unban(actor: Actor, chatId: string, userId: string): Promise<void> {
    const { chat } = await this.moderation(actor, chatId)
    const removed = await this.deps.store.repos.bans.remove(chat.id, userId.toLowerCase(), this.clock())
    if (!removed) throw new AppError('CHAT_BAN_NOT_FOUND')
  }

  /** The bans in force, most recent first. */
  async list(actor: Actor, chatId: string, page: { limit: number; cursor?: string }): Promise<Page<BanView>> {
    const { chat } = await this.moderation(actor, chatId)
    const after = page.cursor ? decodeRowCursor(page.cursor, SORT, 'timestamp') : undefined
    const rows = await this.deps.store.repos.bans.page(chat.id, this.clock(), page.limit + 1, after ? { createdAt: after.at!, userId: after.id } : undefined)
    const items = rows.slice(0, page.limit)
    const last = items.at(-1)
    const nextCursor = rows.length > page.limit && last ? encodeCursor({ sort: SORT, value: last.createdAt.toISOString(), id: last.userId }) : null
    const profiles = await this.deps.ctx.users.profiles(items.map((row) => row.userId))
    return { items: items.map((row) => toBanView(row, profiles)), nextCursor }
  }

  /** A platform moderator reaches any chat (404 only when it does not exist); anyone else must be its owner or an admin. */
  private async moderation(actor: Actor, chatId: string): Promise<Moderation> {
    const { access } = this.deps
    if (access.isPlatformModerator(actor)) {
      access.requireUse(actor)
      const chat = isUuid(chatId) ? await this.deps.store.repos.chats.findById(chatId) : undefined
      if (!chat) throw new AppError('CHAT_NOT_FOUND')
      return { chat, role: null }
    }
    const { chat, participant } = await access.withRole(actor, chatId, 'admin')
    return { chat, role: participant.role }
  }
}

/** Nobody bans the owner; a chat's admin bans only members, its owner admins too; a platform moderator anyone else. */
function assertMayBan(actorRole: ParticipantRole | null, targetRole: ParticipantRole): void {
  if (targetRole === 'owner') throw new AppError('CHAT_ROLE_FORBIDDEN', 'The owner cannot be banned.')
  if (actorRole !== null && !outranks(actorRole, targetRole)) throw new AppError('CHAT_ROLE_FORBIDDEN')
}
