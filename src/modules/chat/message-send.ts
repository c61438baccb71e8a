import type { Actor } from '../../core/access/actor.js'
import { newId } from '../../core/db/columns.js'
import { isUniqueViolation } from '../../core/db/pg-errors.js'
import { AppError } from '../../core/errors/app-error.js'
import { assertMayPost, type Participation } from './access.js'
import type { ChatDeps } from './api.js'
import { messageType, ownAttachments, type Attachment } from './attachments.js'
import type { ChatRow, MessageRow, ParticipantRow } from './db/schema.js'
import { isModerator } from './domain.js'
import { resolveMentions } from './mentions.js'
import { toMessageView, type MessageView } from './message.view.js'
import { CLIENT_ID_CONSTRAINT } from './messages.repository.js'
import type { SendMessageBody } from './messages.schemas.js'
import type { ChatRepositories } from './store.js'

export interface SendResult {
  readonly message: MessageView
  /** False when the clientId named a message sent before: that one is returned (200), nothing new stored. */
  readonly created: boolean
}

/**
 * What a caller other than the send route adds (forwarding): the origin the copy names, and the
 * attachments it carries, already checked readable by the caller (instead of `fileIds`, which must be the sender's own).
 */
export interface SendExtras {
  readonly forwardedFrom?: { messageId: string; chatId: string; authorId: string | null }
  readonly attachments?: readonly Attachment[]
}

/** What the send's transaction writes, all decided before it starts. */
interface Prepared {
  readonly id: string
  readonly text: string | null
  readonly type: MessageRow['type']
  readonly attachments: Attachment[]
  readonly mentions: string[]
  readonly replyTo: MessageRow | undefined
  readonly root: MessageRow | undefined
  readonly participantIds: string[]
}

/** Longest text in a `chat.activity` summary: enough for a chat list's line. */
const PREVIEW_LENGTH = 140

/**
 * Sending, in three parts: the checks and lookups (outside any transaction), one short transaction
 * holding the chat row's lock (seq, message, files, thread, the author's read mark), and the
 * events after the commit. A clientId that was used before returns that message, even when two
 * sends with it race (the loser's unique violation is turned into a re-read).
 */
export class MessageSender {
  constructor(
    private readonly deps: ChatDeps,
    private readonly viewOf: (row: MessageRow) => Promise<MessageView>,
  ) {}

  async send(actor: Actor, chatId: string, body: SendMessageBody, extras: SendExtras = {}): Promise<SendResult> {
    const membership = await this.deps.access.participant(actor, chatId)
    const { chat } = membership
    // A resend of a stored message answers it even when posting is no longer allowed (archived, slow mode, blocked).
    if (body.clientId) {
      const earlier = await this.deps.store.repos.messages.findByClientId(chat.id, actor.id, body.clientId)
      if (earlier) return { message: await this.viewOf(earlier), created: false }
    }
    assertMayPost(membership)
    await this.checkBlocked(actor, chat)
    checkSlowMode(chat, membership.participant, new Date())
    const prepared = await this.prepare(actor, membership, body, extras)
    let row: MessageRow
    try {
      row = await this.write(actor, membership, body, prepared, extras)
    } catch (error) {
      if (!(body.clientId && isUniqueViolation(error, CLIENT_ID_CONSTRAINT))) throw error
      const first = await this.deps.store.repos.messages.findByClientId(chat.id, actor.id, body.clientId)
      if (!first) throw error
      return { message: await this.viewOf(first), created: false }
    }
    const view = await this.freshView(row, prepared)
    this.announce(chat, row, view, prepared)
    return { message: view, created: true }
  }

  /**
   * A new chat's first message by its creator (a template's welcome), written with the caller's
   * repositories inside the transaction that creates the chat, so both commit or neither does. The
   * mentions are resolved by the caller before that transaction. Returns what to call after the
   * commit: the events and notifications of any send.
   */
  async writeFirst(repos: ChatRepositories, actor: Actor, chat: ChatRow, participantIds: string[], text: string, mentions: string[]): Promise<() => Promise<MessageView>> {
    const at = new Date()
    const seqs = await repos.chats.allocateSeq(chat.id, true, at)
    if (!seqs) throw new AppError('CHAT_NOT_FOUND')
    const row = await repos.messages.insert({ id: newId(), chatId: chat.id, seq: seqs.seq, authorId: actor.id, type: 'text', text, mentions, createdAt: at })
    await repos.messages.countMentions(chat.id, mentions, seqs.seq)
    await repos.participants.markRead(chat.id, actor.id, seqs.seq, seqs.countedSeq, at)
    const prepared: Prepared = { id: row.id, text, type: 'text', attachments: [], mentions, replyTo: undefined, root: undefined, participantIds }
    return async () => {
      const view = await this.freshView(row, prepared)
      this.announce(chat, row, view, prepared)
      return view
    }
  }

  /** A message just written has no reactions and the files the send named: only its author is looked up. */
  private async freshView(row: MessageRow, p: Prepared): Promise<MessageView> {
    const authors = await this.deps.ctx.users.profiles(row.authorId ? [row.authorId] : [])
    const files = new Map([[row.id, p.attachments.map((a) => ({ id: a.fileId, name: a.name, contentType: a.contentType, size: a.size }))]])
    return toMessageView(row, { authors, files, reactions: new Map() })
  }

  /** In a private chat, the other person may have blocked the sender. */
  private async checkBlocked(actor: Actor, chat: ChatRow): Promise<void> {
    if (chat.type !== 'private' || !chat.pairKey) return
    const other = chat.pairKey.split(':').find((id) => id !== actor.id)
    if (other && (await this.deps.store.repos.messageList.blocked(other, actor.id))) throw new AppError('CHAT_BLOCKED')
  }

  private async prepare(actor: Actor, { chat }: Participation, body: SendMessageBody, extras: SendExtras = {}): Promise<Prepared> {
    const text = body.text !== undefined && body.text.trim() !== '' ? body.text : null
    const fileIds = body.fileIds ?? []
    if (text === null && fileIds.length === 0 && (extras.attachments?.length ?? 0) === 0) throw new AppError('MESSAGE_EMPTY')
    const references = [body.replyToId, body.threadRootId].filter((id): id is string => id !== undefined)
    const [attachments, participantIds, found] = await Promise.all([
      extras.attachments ? Promise.resolve([...extras.attachments]) : ownAttachments(this.deps.ctx.files, actor.id, fileIds),
      this.deps.store.repos.participants.userIds(chat.id),
      this.deps.store.repos.messageList.inChat(chat.id, references),
    ])
    const type = messageType(text, attachments, body.media)
    const replyTo = reference(found, body.replyToId, 'replyToId')
    const root = reference(found, body.threadRootId, 'threadRootId')
    if (root && root.threadRootId !== null) throw new AppError('MESSAGE_REFERENCE_INVALID', undefined, { threadRootId: 'is a reply in a thread; use its root' })
    const mentions = await resolveMentions(this.deps.ctx.users, text, new Set(participantIds), actor.id)
    return { id: newId(), text, type, attachments, mentions, replyTo, root, participantIds }
  }

  /**
   * One statement for a plain message, else one transaction; either way the chat row stays locked from
   * the seq's allocation to the end, so only INSERTs and UPDATEs by key follow it.
   */
  private async write(actor: Actor, { chat, participant }: Participation, body: SendMessageBody, p: Prepared, extras: SendExtras = {}): Promise<MessageRow> {
    const slowMode = chat.slowModeSeconds > 0 && !isModerator(participant.role)
    // Most messages: the seq, the row and the read mark in one statement (one round trip, no transaction).
    if (p.attachments.length === 0 && !p.root && p.mentions.length === 0 && chat.type !== 'private' && !slowMode) {
      const row = await this.deps.store.repos.messages.appendPlain({
        id: p.id,
        chatId: chat.id,
        authorId: actor.id,
        type: p.type,
        text: p.text,
        media: body.media ?? null,
        replyToId: p.replyTo?.id ?? null,
        clientId: body.clientId ?? null,
        forwardedFrom: extras.forwardedFrom ?? null,
        createdAt: new Date(),
      })
      if (!row) throw new AppError('CHAT_NOT_FOUND')
      return row
    }
    return this.deps.store.transaction(async (repos) => {
      const at = new Date()
      const seqs = await repos.chats.allocateSeq(chat.id, true, at)
      if (!seqs) throw new AppError('CHAT_NOT_FOUND')
      // Slow mode again under the chat row's lock: two sends at once cannot both pass the check above.
      if (slowMode) {
        const me = await repos.participants.find(chat.id, actor.id)
        if (!me) throw new AppError(chat.type === 'channel' ? 'CHAT_NOT_PARTICIPANT' : 'CHAT_NOT_FOUND')
        checkSlowMode(chat, me, at)
      }
      const row = await repos.messages.insert({
        id: p.id,
        chatId: chat.id,
        seq: seqs.seq,
        authorId: actor.id,
        type: p.type,
        text: p.text,
        media: body.media ?? null,
        replyToId: p.replyTo?.id ?? null,
        threadRootId: p.root?.id ?? null,
        mentions: p.mentions,
        clientId: body.clientId ?? null,
        forwardedFrom: extras.forwardedFrom ?? null,
        createdAt: at,
      })
      await repos.messages.insertFiles(row.id, p.attachments)
      if (p.root) await repos.messages.countReply(p.root.id, at)
      await repos.messages.countMentions(chat.id, p.mentions, seqs.seq)
      if (chat.type === 'private') await repos.messages.unhide(chat.id)
      await repos.participants.markRead(chat.id, actor.id, seqs.seq, seqs.countedSeq, at)
      return row
    })
  }

  /** After the commit: the chat's room, each participant's own room, and the other areas (notifications). */
  private announce(chat: ChatRow, row: MessageRow, view: MessageView, p: Prepared): void {
    const { events, hooks } = this.deps
    events.toChat(chat.id, 'message.sent', view)
    events.toUsers(p.participantIds, 'chat.activity', activity(view))
    const recipientIds = p.participantIds.filter((id) => id !== row.authorId)
    const repliedTo = p.replyTo?.authorId ?? p.root?.authorId ?? null
    void hooks.messageSent({
      chat,
      message: row,
      view,
      recipientIds,
      mentionedIds: p.mentions,
      repliedToAuthorId: repliedTo && repliedTo !== row.authorId && recipientIds.includes(repliedTo) ? repliedTo : null,
    })
  }
}

/** The message a reference names in this chat, or 422 (a system message or a deleted one cannot be answered). */
function reference(found: readonly MessageRow[], id: string | undefined, field: string): MessageRow | undefined {
  if (id === undefined) return undefined
  const row = found.find((m) => m.id === id)
  if (!row || row.type === 'system' || row.deletedAt !== null) throw new AppError('MESSAGE_REFERENCE_INVALID', undefined, { [field]: 'no such message in this chat' })
  return row
}

/** Slow mode: a member waits `slowModeSeconds` between two messages; owners and admins never do. */
export function checkSlowMode(chat: ChatRow, participant: ParticipantRow, now: Date): void {
  if (chat.slowModeSeconds === 0 || isModerator(participant.role) || !participant.lastPostedAt) return
  const waitMs = participant.lastPostedAt.getTime() + chat.slowModeSeconds * 1000 - now.getTime()
  if (waitMs <= 0) return
  const seconds = String(Math.ceil(waitMs / 1000))
  throw new AppError('CHAT_SLOW_MODE', `Slow mode is on: wait ${seconds} s before posting again.`, { retryAfterSeconds: Number(seconds), slowModeSeconds: chat.slowModeSeconds }, { 'retry-after': seconds })
}

/** The small summary each participant's `user:<id>` room gets, so a chat list updates without subscribing to every chat. */
export function activity(view: MessageView) {
  const preview = view.text === null ? null : view.text.length > PREVIEW_LENGTH ? `${view.text.slice(0, PREVIEW_LENGTH - 1)}…` : view.text
  return {
    chatId: view.chatId,
    seq: view.seq,
    lastMessage: { id: view.id, seq: view.seq, type: view.type, authorId: view.author?.id ?? null, authorName: view.author?.name ?? null, preview, fileCount: view.files.length, createdAt: view.createdAt },
    at: view.createdAt,
  }
}
