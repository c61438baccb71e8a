import type { Actor } from '../../core/access/actor.js'
import { isUuid } from '../../core/db/columns.js'
import { AppError } from '../../core/errors/app-error.js'
import { decodeRowCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import type { ChatDeps } from './api.js'
import type { ChatRow, NotificationRow } from './db/schema.js'
import type { EmailDigestService } from './email-digest.service.js'
import type { CreatedInvitation, SentMessage } from './hooks.js'
import { NOTIFICATION_BODY_MAX, NOTIFICATION_TITLE_MAX, toNotificationView, type NotificationData, type NotificationType, type NotificationView } from './notification.view.js'
import { DELIVERED_TYPES, type RecipientPreferences } from './notifications.repository.js'
import type { PushService } from './push.service.js'

const CURSOR_SORT = 'notifications.newest'

export interface NotificationListQuery {
  readonly unread?: boolean
  readonly limit?: number
  readonly cursor?: string
}

/**
 * The user's notifications: stored for mentions, replies to their messages, messages in their private
 * chats and invitations, whether or not they are online; published to their `user:<id>` room, pushed
 * to their browsers when they have no socket open, e-mailed when still unread after the delay.
 */
export class NotificationsService {
  constructor(
    private readonly deps: ChatDeps,
    private readonly delivery: { readonly push: PushService; readonly digests: EmailDigestService },
    private readonly clock: () => Date = () => new Date(),
  ) {
    deps.hooks.onMessageSent((sent) => this.notifyMessage(sent).then(() => undefined))
    deps.hooks.onInvitationCreated((created) => this.notifyInvitation(created).then(() => undefined))
  }

  async list(actor: Actor, query: NotificationListQuery): Promise<{ items: NotificationView[]; nextCursor: string | null }> {
    this.deps.access.requireUse(actor)
    const limit = query.limit ?? 50
    const beforeId = query.cursor ? decodeRowCursor(query.cursor, CURSOR_SORT).id : undefined
    const rows = await this.deps.store.repos.notifications.list(actor.id, { unread: query.unread === true, limit, ...(beforeId ? { beforeId } : {}) })
    const page = rows.slice(0, limit)
    const last = page.at(-1)
    return { items: await this.views(page), nextCursor: rows.length > limit && last ? encodeCursor({ sort: CURSOR_SORT, value: null, id: last.id }) : null }
  }

  /** Someone else's notification is 404, as one that does not exist. Reading twice keeps the first time. */
  async markRead(actor: Actor, id: string): Promise<NotificationView> {
    this.deps.access.requireUse(actor)
    const row = isUuid(id) ? await this.deps.store.repos.notifications.markRead(actor.id, id, this.clock()) : undefined
    if (!row) throw new AppError('NOTIFICATION_NOT_FOUND')
    return (await this.views([row]))[0]!
  }

  /** The views; one about a message deleted since keeps its title but shows no text. */
  private async views(rows: readonly NotificationRow[]): Promise<NotificationView[]> {
    const deleted = await this.deps.store.repos.notifications.aboutDeletedMessages(rows)
    return rows.map((row) => toNotificationView(deleted.has(row.id) ? { ...row, body: '' } : row))
  }

  async markAllRead(actor: Actor): Promise<{ updated: number; unread: number }> {
    this.deps.access.requireUse(actor)
    const updated = await this.deps.store.repos.notifications.markAllRead(actor.id, this.clock())
    return { updated, unread: await this.deps.store.repos.notifications.unreadCount(actor.id) }
  }

  /**
   * Who hears about a message, one notification each: a mention, else a reply to their message,
   * else any message of a private chat. Never the author, never for system messages; a participant's
   * level (`none`: nothing, `mentions`: mentions and replies) and mute are honoured.
   */
  async notifyMessage(sent: SentMessage): Promise<NotificationView[]> {
    const { chat, message } = sent
    const authorId = message.authorId
    if (message.type === 'system' || !authorId) return []
    const reasons = new Map<string, NotificationType>()
    for (const userId of sent.mentionedIds) reasons.set(userId, 'mention')
    if (sent.repliedToAuthorId && !reasons.has(sent.repliedToAuthorId)) reasons.set(sent.repliedToAuthorId, 'reply')
    if (chat.type === 'private') for (const userId of sent.recipientIds) if (!reasons.has(userId)) reasons.set(userId, 'message')
    reasons.delete(authorId)
    if (reasons.size === 0) return []
    const now = this.clock()
    const preferences = await this.deps.store.repos.notifications.recipients(chat.id, [...reasons.keys()])
    const wanted = preferences.filter((p) => wants(p, reasons.get(p.userId)!, now))
    const author = sent.view.author?.name ?? 'Someone'
    const data: NotificationData = { chatId: chat.id, messageId: message.id, seq: message.seq }
    const body = truncate(message.text ?? attachmentSummary(sent))
    const rows = await this.deps.store.repos.notifications.insertMany(
      wanted.map(({ userId }) => ({ userId, type: reasons.get(userId)!, title: truncate(messageTitle(reasons.get(userId)!, author, chat), NOTIFICATION_TITLE_MAX), body, data, createdAt: now })),
    )
    return this.delivered(rows, new Map(wanted.map((p) => [p.userId, p])), now)
  }

  /** An invitation is always stored (it waits for an answer); it is not pushed nor e-mailed. */
  async notifyInvitation({ chat, invitation }: CreatedInvitation): Promise<NotificationView[]> {
    const now = this.clock()
    const inviter = invitation.invitedBy ? (await this.deps.ctx.users.profiles([invitation.invitedBy])).get(invitation.invitedBy)?.name : undefined
    const rows = await this.deps.store.repos.notifications.insertMany([
      {
        userId: invitation.userId,
        type: 'invitation',
        title: truncate(`${inviter ?? 'Someone'} invited you to ${chatName(chat)}`, NOTIFICATION_TITLE_MAX),
        body: truncate(chat.description ?? ''),
        data: { chatId: chat.id, invitationId: invitation.id } satisfies NotificationData,
        createdAt: now,
      },
    ])
    return this.delivered(rows, new Map(), now)
  }

  /**
   * Publishes each new notification to its user's room; those of the delivered types to users with no
   * socket open are then pushed and e-mailed. A failure there loses neither the others nor the stored rows.
   */
  private async delivered(rows: NotificationRow[], preferences: ReadonlyMap<string, RecipientPreferences>, now: Date): Promise<NotificationView[]> {
    const views = rows.map(toNotificationView)
    rows.forEach((row, i) => this.deps.events.toUsers([row.userId], 'notification.created', views[i]))
    const deliverable = rows.filter((row) => (DELIVERED_TYPES as readonly string[]).includes(row.type))
    if (deliverable.length === 0) return views
    const { presence } = this.deps.ctx
    const offline = new Set<string>()
    for (const userId of new Set(deliverable.map((row) => row.userId))) if (!(await presence.isOnline(userId))) offline.add(userId)
    const forOffline = deliverable.filter((row) => offline.has(row.userId))
    if (forOffline.length === 0) return views
    const results = await Promise.allSettled([
      this.delivery.push.queue(forOffline, preferences, now),
      this.delivery.digests.schedule(forOffline, new Map([...preferences].map(([userId, p]) => [userId, p.emailDigests]))),
    ])
    for (const result of results) if (result.status === 'rejected') this.deps.log.error({ err: result.reason }, 'notification delivery not queued')
    return views
  }
}

function wants(preferences: RecipientPreferences, type: NotificationType, now: Date): boolean {
  if (preferences.mutedUntil && preferences.mutedUntil > now) return false
  if (preferences.level === 'none') return false
  if (preferences.level === 'mentions') return type === 'mention' || type === 'reply'
  return true
}

const chatName = (chat: ChatRow): string => (chat.title ? `#${chat.title}` : chat.type === 'channel' ? 'a channel' : 'a group')

function messageTitle(type: NotificationType, author: string, chat: ChatRow): string {
  const where = chat.type === 'private' ? '' : ` in ${chatName(chat)}`
  if (type === 'mention') return `${author} mentioned you${where}`
  if (type === 'reply') return `${author} replied to you${where}`
  return `New message from ${author}`
}

function attachmentSummary({ message, view }: SentMessage): string {
  if (message.type === 'voice') return 'Voice message'
  if (message.type === 'video') return 'Video message'
  const files = view.files.length
  return files === 0 ? '' : files === 1 ? `Sent a file: ${view.files[0]!.name}` : `Sent ${files} files`
}

/** Cut at `max` characters (code points, so an emoji is never split), with an ellipsis. */
function truncate(text: string, max = NOTIFICATION_BODY_MAX): string {
  const chars = [...text]
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`
}
