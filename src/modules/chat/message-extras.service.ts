import { createHash } from 'node:crypto'
import type { Actor } from '../../core/access/actor.js'
import { isUuid } from '../../core/db/columns.js'
import { AppError } from '../../core/errors/app-error.js'
import { assertMayPost, assertWritable, hasRole } from './access.js'
import type { ChatDeps } from './api.js'
import type { Attachment } from './attachments.js'
import type { ChatRow, MessageRow, ParticipantRow } from './db/schema.js'
import { MAX_REACTION_KINDS } from './domain.js'
import { reactionEmoji } from './emoji.js'
import type { PinRow } from './message-extras.repository.js'
import { checkSlowMode, MessageSender } from './message-send.js'
import { messageView, messageViews } from './message-views.js'
import type { MessageView } from './message.view.js'

/** Most pinned messages a chat holds (its pins list is one page). */
export const MAX_PINS = 50
/** Most chats one forward reaches. */
export const MAX_FORWARD_TARGETS = 10

/**
 * The clientId of a forward's copy in one target chat: the caller's key, the message and the chat,
 * hashed to a fixed length (a send's clientId is at most 100 characters; this is 47), so the same
 * forward retried finds each copy, and the same key used for another message or chat names another copy.
 */
export const forwardClientId = (clientId: string, messageId: string, chatId: string): string =>
  `fwd:${createHash('sha256').update(`${clientId}\n${messageId.toLowerCase()}\n${chatId.toLowerCase()}`).digest('base64url')}`

/** A reaction added or removed: what POST/DELETE answer and what `reaction.added`/`reaction.removed` carry. */
export interface ReactionChange {
  readonly messageId: string
  readonly chatId: string
  readonly emoji: string
  /** Who reacted (or took the reaction back). */
  readonly userId: string
  /** The message with its reactions after the change. */
  readonly message: MessageView
}

export interface PinView {
  readonly chatId: string
  readonly messageId: string
  readonly pinnedBy: string | null
  readonly pinnedAt: string
  readonly message: MessageView
}

/** A message as the actor reaches it. */
export interface ReachedMessage {
  readonly chat: ChatRow
  readonly participant: ParticipantRow | null
  readonly message: MessageRow
}

/**
 * The message `messageId` and its chat as the actor may see them: 404 MESSAGE_NOT_FOUND when there
 * is no such message or its chat is a private or group chat they are not in. With `act`, they must
 * be a participant (a channel they have not joined: 403 CHAT_NOT_PARTICIPANT).
 */
export async function reachMessage(deps: ChatDeps, actor: Actor, messageId: string, mode: 'read' | 'act'): Promise<ReachedMessage> {
  deps.access.requireUse(actor)
  const message = isUuid(messageId) ? await deps.store.repos.messages.findById(messageId) : undefined
  if (!message) throw new AppError('MESSAGE_NOT_FOUND')
  const { chat, participant } = await deps.access.visible(actor, message.chatId).catch((error: unknown) => {
    throw error instanceof AppError && error.code === 'CHAT_NOT_FOUND' ? new AppError('MESSAGE_NOT_FOUND') : error
  })
  if (mode === 'act' && !participant) throw new AppError('CHAT_NOT_PARTICIPANT')
  return { chat, participant, message }
}

/** Reactions, pins and forwarding of messages. */
export class MessageExtrasService {
  private readonly sender: MessageSender
  private readonly viewOf: (row: MessageRow) => Promise<MessageView>

  constructor(private readonly deps: ChatDeps) {
    this.viewOf = (row) => messageView(row, deps.store.repos.messageList, deps.ctx.users)
    this.sender = new MessageSender(deps, this.viewOf)
  }

  /** A participant reacts; reacting again with the same emoji changes nothing (`created` false). */
  async react(actor: Actor, messageId: string, input: string): Promise<{ change: ReactionChange; created: boolean }> {
    const { chat, message } = await this.reach(actor, messageId)
    const emoji = reactionEmoji(input)
    const { row, added } = await this.deps.store.transaction(async (repos) => {
      const current = await repos.messages.lock(message.id)
      if (!current || current.deletedAt) throw new AppError('MESSAGE_DELETED')
      const { kinds, present } = await repos.messageExtras.reactionKinds(current.id, emoji)
      // Views show the first MAX_REACTION_KINDS kinds: a message gains no kind beyond them.
      if (!present && kinds >= MAX_REACTION_KINDS) throw new AppError('REACTION_KINDS_FULL', undefined, { maxKinds: MAX_REACTION_KINDS })
      return { row: current, added: await repos.messageExtras.addReaction(current.id, actor.id, emoji, new Date()) }
    })
    const change = await this.change(chat, row, emoji, actor.id)
    if (added) this.deps.events.toChat(chat.id, 'reaction.added', change)
    return { change, created: added }
  }

  /** Takes one's reaction back; idempotent (no reaction: the same answer, no event). */
  async unreact(actor: Actor, messageId: string, input: string): Promise<ReactionChange> {
    const { chat, message } = await this.reach(actor, messageId)
    const emoji = reactionEmoji(input)
    const removed = await this.deps.store.repos.messageExtras.removeReaction(message.id, actor.id, emoji)
    const change = await this.change(chat, message, emoji, actor.id)
    if (removed) this.deps.events.toChat(chat.id, 'reaction.removed', change)
    return change
  }

  /** Owners and admins pin (in a private chat either person); pinning again answers the first pin (`created` false). */
  async pin(actor: Actor, messageId: string): Promise<{ pin: PinView; created: boolean }> {
    const { chat, message } = await this.reachToPin(actor, messageId)
    if (message.deletedAt) throw new AppError('MESSAGE_DELETED')
    const { pin, row, created } = await this.deps.store.transaction(async (repos) => {
      if (!(await repos.messageExtras.lockChat(chat.id))) throw new AppError('MESSAGE_NOT_FOUND')
      const current = await repos.messages.lock(message.id)
      if (!current || current.deletedAt) throw new AppError('MESSAGE_DELETED')
      const existing = await repos.messageExtras.findPin(chat.id, current.id)
      if (existing) return { pin: existing, row: current, created: false }
      if ((await repos.messageExtras.countPins(chat.id)) >= MAX_PINS) throw new AppError('CHAT_PINS_FULL', undefined, { maxPins: MAX_PINS })
      const pinned = await repos.messageExtras.pin(chat.id, current.id, actor.id, new Date())
      return { pin: pinned!, row: current, created: true }
    })
    const view = pinView(pin, await this.viewOf(row))
    if (created) this.deps.events.toChat(chat.id, 'message.pinned', view)
    return { pin: view, created }
  }

  /** Same rule as pinning; idempotent. */
  async unpin(actor: Actor, messageId: string): Promise<void> {
    const { chat, message } = await this.reachToPin(actor, messageId)
    const removed = await this.deps.store.repos.messageExtras.unpin(chat.id, message.id)
    if (removed) this.deps.events.toChat(chat.id, 'message.unpinned', { chatId: chat.id, messageId: message.id, unpinnedBy: actor.id })
  }

  /** The chat's pinned messages (not deleted ones), newest pin first. Anyone who may read the chat. */
  async pins(actor: Actor, chatId: string): Promise<{ items: PinView[] }> {
    const { chat } = await this.deps.access.visible(actor, chatId)
    const rows = await this.deps.store.repos.messageExtras.pinned(chat.id, MAX_PINS)
    const views = await messageViews(
      rows.map((r) => r.message),
      this.deps.store.repos.messageList,
      this.deps.ctx.users,
    )
    return { items: rows.map((r, i) => pinView(r.pin, views[i]!)) }
  }

  /**
   * Copies a message the actor may read into chats they may post in, through the send path (seq,
   * events, notifications as for any message). Every target is checked first: if any refuses, 403
   * MESSAGE_FORWARD_REFUSED names each one with its reason and nothing is sent. With a `clientId`,
   * each copy is sent with a clientId derived from it, the message and the target (`forwardClientId`),
   * so a retry stores nothing twice: the targets that already have their copy are not checked again
   * and answer it; `created` is false when every copy was there already.
   */
  async forward(actor: Actor, messageId: string, chatIds: readonly string[], clientId?: string): Promise<{ items: MessageView[]; created: boolean }> {
    const keys = chatIds.map((chatId) => (clientId === undefined ? undefined : forwardClientId(clientId, messageId, chatId)))
    const earlier = await Promise.all(chatIds.map((chatId, i) => (keys[i] === undefined ? Promise.resolve(undefined) : this.deps.store.repos.messages.findByClientId(chatId, actor.id, keys[i]))))
    const missing = chatIds.filter((_, i) => earlier[i] === undefined)
    if (missing.length === 0) {
      // Every copy was stored by an earlier try: answer them (each through the send path's participation check).
      const items = await Promise.all(chatIds.map(async (chatId, i) => (await this.sender.send(actor, chatId, { clientId: keys[i]! })).message))
      return { items, created: false }
    }
    const { message } = await reachMessage(this.deps, actor, messageId, 'read')
    if (message.deletedAt) throw new AppError('MESSAGE_DELETED')
    if (message.type === 'system') throw new AppError('MESSAGE_NOT_FORWARDABLE')
    const refused = (await Promise.all(missing.map((chatId) => this.refusal(actor, chatId)))).filter((r) => r !== null)
    if (refused.length > 0) throw new AppError('MESSAGE_FORWARD_REFUSED', undefined, { chats: refused })
    const attachments: Attachment[] = (await this.deps.store.repos.messageList.attachments([message.id])).map((a, position) => ({
      fileId: a.fileId,
      position,
      name: a.name,
      contentType: a.contentType,
      size: a.size,
    }))
    // A file deleted since (by its owner) cannot travel: 422 naming it, nothing sent.
    const found = await Promise.all(attachments.map((a) => this.deps.ctx.files.find(a.fileId)))
    const gone = attachments.filter((_, i) => !found[i]).map((a) => a.fileId)
    if (gone.length > 0) throw new AppError('MESSAGE_FILE_INVALID', 'Some files of the message were deleted.', { fileIds: gone })
    // A forward of a forward names the first origin.
    const forwardedFrom = message.forwardedFrom ?? { messageId: message.id, chatId: message.chatId, authorId: message.authorId }
    const items: MessageView[] = []
    let created = false
    for (const [i, chatId] of chatIds.entries()) {
      const body = { ...(message.text !== null ? { text: message.text } : {}), ...(message.media ? { media: message.media } : {}), ...(keys[i] !== undefined ? { clientId: keys[i] } : {}) }
      const sent = await this.sender.send(actor, chatId, body, { forwardedFrom, attachments })
      created ||= sent.created
      items.push(sent.message)
    }
    return { items, created }
  }

  /** Why the actor may not post in `chatId` now (null: they may). */
  private async refusal(actor: Actor, chatId: string): Promise<{ chatId: string; code: string } | null> {
    try {
      const membership = await this.deps.access.participant(actor, chatId)
      assertMayPost(membership)
      const { chat } = membership
      if (chat.type === 'private' && chat.pairKey) {
        const other = chat.pairKey.split(':').find((id) => id !== actor.id)
        if (other && (await this.deps.store.repos.messageList.blocked(other, actor.id))) throw new AppError('CHAT_BLOCKED')
      }
      checkSlowMode(chat, membership.participant, new Date())
      return null
    } catch (error) {
      if (error instanceof AppError) return { chatId, code: error.code }
      throw error
    }
  }

  /** A participant acting on a message of a chat that is not archived (409), the message not deleted (410). */
  private async reach(actor: Actor, messageId: string): Promise<ReachedMessage> {
    const reached = await reachMessage(this.deps, actor, messageId, 'act')
    assertWritable(reached.chat)
    if (reached.message.deletedAt) throw new AppError('MESSAGE_DELETED')
    return reached
  }

  private async reachToPin(actor: Actor, messageId: string): Promise<ReachedMessage> {
    const reached = await reachMessage(this.deps, actor, messageId, 'act')
    if (reached.chat.type !== 'private' && !hasRole(reached.participant!.role, 'admin')) {
      throw new AppError('CHAT_ROLE_FORBIDDEN', 'Only the chat\'s owner and admins may pin messages.')
    }
    assertWritable(reached.chat)
    return reached
  }

  private async change(chat: ChatRow, row: MessageRow, emoji: string, userId: string): Promise<ReactionChange> {
    return { messageId: row.id, chatId: chat.id, emoji, userId, message: await this.viewOf(row) }
  }
}

function pinView(pin: PinRow, message: MessageView): PinView {
  return { chatId: pin.chatId, messageId: pin.messageId, pinnedBy: pin.pinnedBy, pinnedAt: pin.pinnedAt.toISOString(), message }
}
