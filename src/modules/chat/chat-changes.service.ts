import type { Actor } from '../../core/access/actor.js'
import { AppError } from '../../core/errors/app-error.js'
import type { Participation } from './access.js'
import type { ChatDeps } from './api.js'
import { presentChat } from './chat-presenter.js'
import { toChatMe, type ChatMe, type ChatView } from './chat.view.js'
import type { ChatChanges, ChatPreferences } from './chats.repository.js'
import type { DeleteChatQuery, PreferencesBody, UpdateChatBody } from './chats.schemas.js'
import type { ChatRow } from './db/schema.js'
import { join } from './participants.service.js'
import { toParticipantView } from './participants.schemas.js'
import { appendSystemMessage, publishSystemMessages } from './system-messages.js'

/** Image types an avatar may be (what the files service recognises by content). */
const AVATAR_TYPES = /^image\//

/**
 * What changes a chat as a whole or the caller's place in it: its settings (owner/admin, optimistic
 * version), leaving or deleting it, joining a channel, the read mark and one's own preferences.
 * Every change is published after its commit.
 */
export class ChatChangesService {
  constructor(private readonly deps: ChatDeps) {}

  /**
   * Title, description, avatar, settings and the chat-wide archive, by the owner or an admin, if the
   * chat is still at `version` (409 VERSION_CONFLICT with the current chat otherwise). A new title
   * writes a `title.changed` system message in the same transaction. Allowed while archived: that is
   * how a chat is unarchived.
   */
  async update(actor: Actor, chatId: string, body: UpdateChatBody): Promise<ChatView> {
    const membership = await this.deps.access.withRole(actor, chatId, 'admin')
    const { chat } = membership
    const changes = await this.changesOf(actor, chat, body)
    if (Object.keys(changes).length === 0) throw new AppError('VALIDATION_FAILED', 'Nothing to change: send at least one field besides version.', { body: 'no field to change' })
    const titleChanged = changes.title !== undefined && changes.title !== chat.title
    const { updated, message } = await this.deps.store.transaction(async (repos) => {
      const at = new Date()
      const row = await repos.chats.update(chat.id, body.version, changes, at)
      if (!row) return { updated: undefined, message: undefined }
      if (!titleChanged) return { updated: row, message: undefined }
      const system = await appendSystemMessage(repos, row, { event: 'title.changed', title: row.title, previousTitle: chat.title, by: actor.id }, at)
      return { updated: { ...row, lastSeq: system.seq, lastMessageAt: at }, message: system }
    })
    if (!updated) {
      const current = await this.deps.access.visible(actor, chatId)
      const view = await presentChat(this.deps, actor.id, current)
      throw new AppError('VERSION_CONFLICT', `The chat is at version ${String(current.chat.version)}; reload and retry.`, { current: view })
    }
    const [view, userIds] = await Promise.all([
      presentChat(this.deps, actor.id, { chat: updated, participant: membership.participant }),
      this.deps.store.repos.participants.userIds(chat.id),
    ])
    const shared = roomView(view)
    this.deps.events.toChat(chat.id, 'chat.updated', shared)
    // Chat lists follow their user rooms, not every chat's room.
    this.deps.events.toUsers(userIds, 'chat.updated', shared)
    if (message) publishSystemMessages(this.deps.events, [message])
    return view
  }

  /**
   * `scope=me` (the default): a group or channel is left (the participant row goes, so does access;
   * a leaving owner hands the chat to the oldest admin, else the oldest member; the last one out
   * deletes it); a private chat is hidden from the caller's list until a new message arrives.
   * `scope=everyone`: the owner (in a private chat either person) deletes the chat for all.
   */
  async remove(actor: Actor, chatId: string, query: DeleteChatQuery): Promise<void> {
    const membership = await this.deps.access.participant(actor, chatId)
    if (query.scope === 'everyone') return this.deleteForEveryone(membership)
    if (membership.chat.type === 'private') {
      await this.deps.store.repos.participants.setHidden(membership.chat.id, actor.id, true)
      this.deps.events.toUsers([actor.id], 'chat.deleted', { id: membership.chat.id, scope: 'me' })
      return
    }
    return this.leave(membership)
  }

  /** Joins a public channel as a member (a `member.joined` system message); banned people may not. */
  async join(actor: Actor, chatId: string): Promise<ChatView> {
    const { chat, participant } = await this.deps.access.visible(actor, chatId)
    if (participant) throw new AppError('CHAT_ALREADY_MEMBER')
    if (chat.type !== 'channel') throw new AppError('CHAT_NOT_FOUND')
    const banned = await this.deps.store.repos.membership.bannedAmong(chat.id, [actor.id], new Date())
    if (banned.size > 0) throw new AppError('CHAT_BANNED')
    if (chat.archived) throw new AppError('CHAT_ARCHIVED')
    const { added, messages } = await this.deps.store.transaction((repos) => join(repos, chat.id, [{ userId: actor.id, role: 'member', by: null }]))
    const me = added[0]
    if (!me) throw new AppError('CHAT_ALREADY_MEMBER')
    const current = (await this.deps.store.repos.chats.findById(chat.id)) ?? chat
    const view = await presentChat(this.deps, actor.id, { chat: current, participant: me })
    const profiles = await this.deps.ctx.users.profiles([actor.id])
    const joined = toParticipantView(me, profiles)
    this.deps.events.toChat(chat.id, 'participant.added', joined)
    this.deps.events.toUsers([actor.id], 'participant.added', joined)
    publishSystemMessages(this.deps.events, messages)
    return view
  }

  /**
   * Moves the caller's read mark forward to `seq` (never back; past the newest message it stops at
   * it) and recomputes the unread and mention counts from there; `message.read` tells the chat.
   * A mark already there or further changes nothing and answers the state as it is.
   */
  async read(actor: Actor, chatId: string, seq: number): Promise<ChatMe> {
    const { chat, participant } = await this.deps.access.participant(actor, chatId)
    // The participant row first, then the counts (with a snapshot taken after its lock): a delete at the same time is counted once.
    const moved = await this.deps.store.transaction(async (repos) => ((await repos.participants.lock(chat.id, actor.id)) ? repos.chats.readTo(chat.id, actor.id, seq) : undefined))
    const row = moved ?? participant
    const current = moved ? ((await this.deps.store.repos.chats.findById(chat.id)) ?? chat) : chat
    if (moved) this.deps.events.toChat(chat.id, 'message.read', { chatId: chat.id, userId: actor.id, seq: moved.lastReadSeq })
    return toChatMe(current, row)
  }

  /** The caller's notification level, mute and own archive for this chat. */
  async preferences(actor: Actor, chatId: string, body: PreferencesBody): Promise<ChatMe> {
    const { chat } = await this.deps.access.participant(actor, chatId)
    const preferences: ChatPreferences = {
      ...(body.notificationLevel !== undefined ? { notificationLevel: body.notificationLevel } : {}),
      ...(body.mutedUntil !== undefined ? { mutedUntil: body.mutedUntil === null ? null : new Date(body.mutedUntil) } : {}),
      ...(body.archived !== undefined ? { archived: body.archived } : {}),
    }
    const row = await this.deps.store.repos.chats.setPreferences(chat.id, actor.id, preferences)
    if (!row) throw new AppError('CHAT_NOT_FOUND')
    const me = toChatMe(chat, row)
    // The caller's other devices update their list; nobody else learns of it.
    this.deps.events.toUsers([actor.id], 'chat.preferences', { chatId: chat.id, me })
    return me
  }

  private async changesOf(actor: Actor, chat: ChatRow, body: UpdateChatBody): Promise<ChatChanges> {
    if (chat.type === 'private') {
      const refused = (['title', 'description', 'avatarFileId'] as const).filter((field) => body[field] !== undefined)
      if (refused.length > 0) {
        throw new AppError('VALIDATION_FAILED', 'A private chat has no title, description or avatar: it shows the other person.', Object.fromEntries(refused.map((f) => [f, 'not for a private chat'])))
      }
    }
    if (body.avatarFileId) {
      const file = await this.deps.ctx.files.find(body.avatarFileId)
      if (file?.ownerId !== actor.id || !AVATAR_TYPES.test(file.contentType)) throw new AppError('CHAT_AVATAR_INVALID', undefined, { avatarFileId: body.avatarFileId })
    }
    return {
      ...(body.title !== undefined ? { title: body.title.trim() } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.avatarFileId !== undefined ? { avatarFileId: body.avatarFileId } : {}),
      ...(body.settings?.slowModeSeconds !== undefined ? { slowModeSeconds: body.settings.slowModeSeconds } : {}),
      ...(body.settings?.membersCanPost !== undefined ? { membersCanPost: body.settings.membersCanPost } : {}),
      ...(body.archived !== undefined ? { archived: body.archived } : {}),
    }
  }

  /** Leaves a group or channel under the chat's lock; the last one out deletes it. */
  private async leave({ chat, participant: me }: Participation): Promise<void> {
    const outcome = await this.deps.store.transaction(async (repos) => {
      if (!(await repos.membership.lockChat(chat.id))) throw new AppError('CHAT_NOT_FOUND')
      if (!(await repos.membership.removeOne(chat.id, me.userId, me.role))) throw new AppError('CONFLICT', 'Your role changed meanwhile; reload and retry.')
      const at = new Date()
      if ((await repos.chats.participantCount(chat.id)) === 0) {
        await repos.chats.softDelete(chat.id, at)
        return { deleted: true, heir: undefined, message: undefined }
      }
      const successor = me.role === 'owner' ? await repos.membership.successor(chat.id) : undefined
      const heir = successor ? await repos.membership.setRole(chat.id, successor.userId, successor.role, 'owner') : undefined
      const message = await appendSystemMessage(repos, chat, { event: 'member.left', userId: me.userId }, at)
      return { deleted: false, heir, message }
    })
    const profiles = await this.deps.ctx.users.profiles(outcome.heir ? [me.userId, outcome.heir.userId] : [me.userId])
    const gone = toParticipantView(me, profiles)
    this.deps.events.toChat(chat.id, 'participant.removed', gone)
    this.deps.events.toUsers([me.userId], 'participant.removed', gone)
    if (outcome.message) publishSystemMessages(this.deps.events, [outcome.message])
    if (outcome.heir) {
      const heir = toParticipantView(outcome.heir, profiles)
      this.deps.events.toChat(chat.id, 'participant.updated', heir)
      this.deps.events.toUsers([heir.userId], 'participant.updated', heir)
    }
    if (outcome.deleted) this.deps.events.toChat(chat.id, 'chat.deleted', { id: chat.id, scope: 'everyone' })
    void this.deps.hooks.participantsLeft(chat.id, [me.userId])
  }

  /** The owner (either person of a private chat) deletes the chat for all: gone for everyone at once. */
  private async deleteForEveryone({ chat, participant: me }: Participation): Promise<void> {
    if (chat.type !== 'private' && me.role !== 'owner') throw new AppError('CHAT_ROLE_FORBIDDEN', 'Only the owner deletes a chat for everyone.')
    const userIds = await this.deps.store.transaction(async (repos) => {
      if (!(await repos.membership.lockChat(chat.id))) throw new AppError('CHAT_NOT_FOUND')
      const ids = await repos.participants.userIds(chat.id)
      if (!(await repos.chats.softDelete(chat.id, new Date()))) throw new AppError('CHAT_NOT_FOUND')
      return ids
    })
    const event = { id: chat.id, scope: 'everyone' as const }
    this.deps.events.toChat(chat.id, 'chat.deleted', event)
    this.deps.events.toUsers(userIds, 'chat.deleted', event)
    void this.deps.hooks.participantsLeft(chat.id, userIds)
  }
}

/**
 * The chat as its room sees it: everyone's shared view, so no `me` (each person's own state is
 * theirs) and, for a private chat, no title (each side shows the other person's name).
 */
export function roomView(view: ChatView): ChatView {
  return { ...view, me: null, title: view.type === 'private' ? null : view.title }
}
