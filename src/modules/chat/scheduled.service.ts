import Type from 'typebox'
import type { Actor } from '../../core/access/actor.js'
import { AppError } from '../../core/errors/app-error.js'
import { defineJob, type JobContext, type JobDefinition } from '../../core/jobs/index.js'
import { assertMayPost } from './access.js'
import type { ChatDeps } from './api.js'
import { messageType, ownAttachments } from './attachments.js'
import type { ChatRow } from './db/schema.js'
import { MessageSender } from './message-send.js'
import { messageView } from './message-views.js'
import type { SendMessageBody } from './messages.schemas.js'
import { MAX_PENDING_PER_CHAT, MAX_SCHEDULE_AHEAD_DAYS, MIN_SCHEDULE_AHEAD_SECONDS, toScheduledView, type ScheduledMessageView, type ScheduledPayload } from './scheduled.schemas.js'

export const SendScheduledPayload = Type.Object({ scheduledId: Type.String({ format: 'uuid' }) })
export const sendScheduledJob = { name: 'chat.send-scheduled', payload: SendScheduledPayload } as const

/** Refusals at sending time that mean the author may no longer send it there: the message is cancelled, not retried. */
const CANCELLING = new Set([
  'CHAT_NOT_FOUND',
  'CHAT_NOT_PARTICIPANT',
  'CHAT_POST_FORBIDDEN',
  'CHAT_ARCHIVED',
  'CHAT_BLOCKED',
  'CHAT_BANNED',
  'FORBIDDEN',
  'MESSAGE_EMPTY',
  'MESSAGE_REFERENCE_INVALID',
  'MESSAGE_FILE_INVALID',
  'MESSAGE_MEDIA_INVALID',
])

/** The clientId a scheduled message is sent with when its author gave none: a retried job finds the message it sent. */
export const scheduledClientId = (scheduledId: string): string => `scheduled:${scheduledId}`

export type ScheduledRun =
  | { readonly status: 'sent'; readonly messageId: string }
  | { readonly status: 'gone' }
  | { readonly status: 'cancelled'; readonly reason: string }
  | { readonly status: 'postponed'; readonly seconds: number }

/**
 * Scheduled messages: `POST /chats/:id/messages` with `scheduledAt` stores a row and queues the
 * `chat.send-scheduled` job for that time, in one transaction (so both survive a restart, and
 * neither exists without the other). The job sends through the normal send path (the seq is
 * allocated then), with a clientId derived from the row, so a retried run never sends twice. The
 * author's pending ones are cancelled when they leave or are removed, and by the job when they may
 * no longer post there.
 */
export class ScheduledService {
  private readonly sender: MessageSender

  constructor(
    private readonly deps: ChatDeps,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.sender = new MessageSender(deps, (row) => messageView(row, deps.store.repos.messageList, deps.ctx.users))
    deps.hooks.onParticipantsLeft(async ({ chatId, userIds }) => {
      await deps.store.repos.scheduled.deletePendingOf(chatId, userIds)
    })
  }

  /**
   * Schedules a send. The checks of a send now apply (participant, may post, not archived, not
   * blocked, the body), and the time must be at least MIN_SCHEDULE_AHEAD_SECONDS and at most
   * MAX_SCHEDULE_AHEAD_DAYS ahead. A clientId of a pending one of yours answers it (created false).
   */
  async schedule(actor: Actor, chatId: string, body: SendMessageBody & { scheduledAt: string }): Promise<{ scheduled: ScheduledMessageView; created: boolean }> {
    const membership = await this.deps.access.participant(actor, chatId)
    const { chat } = membership
    const { scheduled } = this.deps.store.repos
    if (body.clientId) {
      const earlier = await scheduled.findPendingByClientId(chat.id, actor.id, body.clientId)
      if (earlier) return { scheduled: toScheduledView(earlier), created: false }
    }
    const at = this.checkTime(body.scheduledAt)
    assertMayPost(membership)
    await this.checkBlocked(actor, chat)
    await this.checkBody(actor, chat, body)
    const payload = payloadOf(body)
    const { row, created } = await this.deps.store.transaction(async (repos) => {
      // One scheduling of the chat at a time: a clientId retry and the pending limit hold under it.
      if (!(await repos.membership.lockChat(chat.id))) throw new AppError('CHAT_NOT_FOUND')
      if (body.clientId) {
        const earlier = await repos.scheduled.findPendingByClientId(chat.id, actor.id, body.clientId)
        if (earlier) return { row: earlier, created: false }
      }
      if ((await repos.scheduled.countPending(chat.id, actor.id)) >= MAX_PENDING_PER_CHAT) throw new AppError('SCHEDULED_MESSAGE_LIMIT')
      const row = await repos.scheduled.insert({ chatId: chat.id, authorId: actor.id, payload: { ...payload }, scheduledFor: at })
      await this.deps.ctx.jobs.send(sendScheduledJob.name, { scheduledId: row.id }, { startAfter: at, db: repos.scheduled.executor() })
      return { row, created: true }
    })
    return { scheduled: toScheduledView(row), created }
  }

  /** The caller's pending ones in the chat, soonest first. */
  async list(actor: Actor, chatId: string): Promise<{ items: ScheduledMessageView[] }> {
    const { chat } = await this.deps.access.participant(actor, chatId)
    const rows = await this.deps.store.repos.scheduled.pending(chat.id, actor.id, MAX_PENDING_PER_CHAT)
    return { items: rows.map(toScheduledView) }
  }

  /** Cancels one of the caller's pending ones: 404 SCHEDULED_MESSAGE_NOT_FOUND when it is not theirs, or sent or cancelled already. */
  async cancel(actor: Actor, chatId: string, scheduledId: string): Promise<void> {
    const { chat } = await this.deps.access.participant(actor, chatId)
    const row = await this.deps.store.repos.scheduled.deletePending(scheduledId.toLowerCase(), chat.id, actor.id)
    if (!row) throw new AppError('SCHEDULED_MESSAGE_NOT_FOUND')
  }

  /**
   * The job: takes the row (`claim`: from then on a DELETE answers 404, and a DELETE that came first
   * leaves nothing to take), sends the message as its author through the normal send path, then marks
   * the row sent. Gone (cancelled) or sent already: nothing. The author's account deleted or disabled,
   * or the author may no longer post there (left, removed, banned, archived, blocked, files gone):
   * cancelled (the row is deleted; the reason is logged and returned). Slow mode: given back and
   * postponed until it allows. Anything else throws, and the job retries: a row taken by a run that
   * did not finish is sent again with the same clientId, which returns the message if it was stored.
   */
  async run(scheduledId: string, job?: Pick<JobContext, 'log'>): Promise<ScheduledRun> {
    const { scheduled } = this.deps.store.repos
    const found = await scheduled.findById(scheduledId)
    if (!found || (found.sentMessageId !== null && found.sentMessageId !== found.id)) return { status: 'gone' }
    // Pending: take it now. Taken by an unfinished run (a crash, or a run at the same time): carry on with it.
    const row = found.sentMessageId === null ? await scheduled.claim(found.id) : found
    if (!row) return this.run(scheduledId, job)
    const cancel = async (reason: string): Promise<ScheduledRun> => {
      await scheduled.cancel(row.id)
      job?.log.info({ scheduledId: row.id, chatId: row.chatId, reason }, 'scheduled message cancelled')
      return { status: 'cancelled', reason }
    }
    if (!(await this.deps.ctx.users.exists(row.authorId))) return cancel('AUTHOR_DELETED')
    if ((await this.deps.ctx.users.active([row.authorId])).size === 0) return cancel('AUTHOR_DISABLED')
    const payload = row.payload as ScheduledPayload
    const clientId = payload.clientId ?? scheduledClientId(row.id)
    // Chat decides who may post by participation; every platform role may use chat.
    const author: Actor = { id: row.authorId, role: 'user' }
    try {
      const { message } = await this.sender.send(author, row.chatId, { ...payload, clientId })
      await scheduled.markSent(row.id, message.id)
      return { status: 'sent', messageId: message.id }
    } catch (error) {
      if (!(error instanceof AppError)) {
        // Nothing stored: pending (and cancellable) again until the retry. Stored: the retry marks it.
        if (!(await this.deps.store.repos.messages.findByClientId(row.chatId, row.authorId, clientId))) await scheduled.release(row.id)
        throw error
      }
      if (error.code === 'CHAT_SLOW_MODE') {
        const seconds = Math.max(1, Number(error.details.retryAfterSeconds) || 1)
        await scheduled.release(row.id)
        await this.deps.ctx.jobs.send(sendScheduledJob.name, { scheduledId: row.id }, { startAfter: seconds })
        return { status: 'postponed', seconds }
      }
      if (CANCELLING.has(error.code)) return cancel(error.code)
      throw error
    }
  }

  private checkTime(value: string): Date {
    const at = new Date(value)
    const now = this.clock().getTime()
    if (Number.isNaN(at.getTime())) throw new AppError('SCHEDULED_TIME_INVALID', undefined, { scheduledAt: 'is not a date-time' })
    if (at.getTime() < now + MIN_SCHEDULE_AHEAD_SECONDS * 1000) throw new AppError('SCHEDULED_TIME_INVALID', undefined, { scheduledAt: `must be at least ${MIN_SCHEDULE_AHEAD_SECONDS} seconds ahead` })
    if (at.getTime() > now + MAX_SCHEDULE_AHEAD_DAYS * 86_400_000) throw new AppError('SCHEDULED_TIME_INVALID', undefined, { scheduledAt: `must be at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead` })
    return at
  }

  /** In a private chat, the other person may have blocked the author (as for a send now). */
  private async checkBlocked(actor: Actor, chat: ChatRow): Promise<void> {
    if (chat.type !== 'private' || !chat.pairKey) return
    const other = chat.pairKey.split(':').find((id) => id !== actor.id)
    if (other && (await this.deps.store.repos.messageList.blocked(other, actor.id))) throw new AppError('CHAT_BLOCKED')
  }

  /** The body as a send now would check it: text or files, own files, media that fits them, references in this chat. */
  private async checkBody(actor: Actor, chat: ChatRow, body: SendMessageBody): Promise<void> {
    const text = body.text !== undefined && body.text.trim() !== '' ? body.text : null
    const fileIds = body.fileIds ?? []
    if (text === null && fileIds.length === 0) throw new AppError('MESSAGE_EMPTY')
    const attachments = await ownAttachments(this.deps.ctx.files, actor.id, fileIds)
    messageType(text, attachments, body.media)
    const references = { replyToId: body.replyToId, threadRootId: body.threadRootId }
    const ids = Object.values(references).filter((id): id is string => id !== undefined)
    const found = await this.deps.store.repos.messageList.inChat(chat.id, ids)
    for (const [field, id] of Object.entries(references)) {
      if (id === undefined) continue
      const row = found.find((m) => m.id === id)
      if (!row || row.type === 'system' || row.deletedAt !== null) throw new AppError('MESSAGE_REFERENCE_INVALID', undefined, { [field]: 'no such message in this chat' })
      if (field === 'threadRootId' && row.threadRootId !== null) throw new AppError('MESSAGE_REFERENCE_INVALID', undefined, { threadRootId: 'is a reply in a thread; use its root' })
    }
  }
}

/** What the row keeps: the send body without `scheduledAt` (the row's own column). */
function payloadOf(body: SendMessageBody): ScheduledPayload {
  const { text, clientId, fileIds, replyToId, threadRootId, media } = body
  return {
    ...(text !== undefined ? { text } : {}),
    ...(clientId !== undefined ? { clientId } : {}),
    ...(fileIds !== undefined ? { fileIds } : {}),
    ...(replyToId !== undefined ? { replyToId } : {}),
    ...(threadRootId !== undefined ? { threadRootId } : {}),
    ...(media !== undefined ? { media: media.waveform !== undefined ? { durationMs: media.durationMs, waveform: media.waveform } : { durationMs: media.durationMs } } : {}),
  }
}

export function scheduledJobDefinition(service: ScheduledService): JobDefinition<typeof SendScheduledPayload> {
  return defineJob({
    ...sendScheduledJob,
    retryLimit: 5,
    retryDelaySeconds: 10,
    timeoutSeconds: 60,
    handle: async ({ scheduledId }, job) => {
      await service.run(scheduledId, job)
    },
  })
}
