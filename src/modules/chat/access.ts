import type { Actor } from '../../core/access/actor.js'
import { isUuid } from '../../core/db/columns.js'
import { AppError } from '../../core/errors/app-error.js'
import type { ChatRow, ParticipantRow } from './db/schema.js'
import { isModerator, type ParticipantRole } from './domain.js'
import { CHAT_MODERATE, CHAT_USE, type ChatPermissions } from './permissions.js'
import type { ChatRepositories } from './store.js'

/** A chat as the actor reaches it: the chat, and their participant row (null: a channel they are not in). */
export interface ChatMembership {
  readonly chat: ChatRow
  readonly participant: ParticipantRow | null
}

/** …where the actor is a participant. */
export interface Participation extends ChatMembership {
  readonly participant: ParticipantRow
}

/**
 * The one place chat decides who reaches what. Every public service method calls one of these
 * first. A private or group chat the actor is not in answers 404 (its existence is not disclosed);
 * a channel is public: anyone may see it, only participants act in it (403 CHAT_NOT_PARTICIPANT).
 */
export class ChatAccess {
  constructor(
    private readonly permissions: ChatPermissions,
    private readonly repos: Pick<ChatRepositories, 'chats' | 'participants' | 'membership'>,
  ) {}

  /** The platform-level permission to use chat at all (API keys need the `chat:use` scope). */
  requireUse(actor: Actor): void {
    this.permissions.require(actor, CHAT_USE)
  }

  /** Platform moderators (admins): reports, any message, bans anywhere, statistics. */
  requireModerate(actor: Actor): void {
    this.permissions.require(actor, CHAT_MODERATE)
  }

  isPlatformModerator(actor: Actor): boolean {
    return this.permissions.has(actor, CHAT_MODERATE)
  }

  /** A chat the actor may see: theirs, or any channel they are not banned from (403 CHAT_BANNED). 404 otherwise. */
  async visible(actor: Actor, chatId: string): Promise<ChatMembership> {
    this.requireUse(actor)
    const chat = isUuid(chatId) ? await this.repos.chats.findById(chatId) : undefined
    if (!chat) throw new AppError('CHAT_NOT_FOUND')
    const participant = (await this.repos.participants.find(chat.id, actor.id)) ?? null
    if (!participant && chat.type !== 'channel') throw new AppError('CHAT_NOT_FOUND')
    // Someone banned from a channel cannot read it either (nor follow its room).
    if (!participant && (await this.repos.membership.bannedAmong(chat.id, [actor.id], new Date())).size > 0) throw new AppError('CHAT_BANNED')
    return { chat, participant }
  }

  /** A chat the actor is in: 404 for a private or group chat they are not in, 403 for a channel. */
  async participant(actor: Actor, chatId: string): Promise<Participation> {
    const membership = await this.visible(actor, chatId)
    if (!membership.participant) throw new AppError('CHAT_NOT_PARTICIPANT')
    return membership as Participation
  }

  /** A participant whose role is at least `role` (owner > admin > member): 403 CHAT_ROLE_FORBIDDEN otherwise. */
  async withRole(actor: Actor, chatId: string, role: 'owner' | 'admin'): Promise<Participation> {
    const membership = await this.participant(actor, chatId)
    if (!hasRole(membership.participant.role, role)) throw new AppError('CHAT_ROLE_FORBIDDEN')
    return membership
  }

  /**
   * A participant who may post now: not archived (409 CHAT_ARCHIVED), in a channel only the owner
   * and admins unless `membersCanPost` (403 CHAT_POST_FORBIDDEN). Slow mode and blocks are the
   * message service's (they depend on what is sent).
   */
  async poster(actor: Actor, chatId: string): Promise<Participation> {
    const membership = await this.participant(actor, chatId)
    assertMayPost(membership)
    return membership
  }
}

/** `poster`'s rules on a participation already read (a resend's clientId is looked up in between). */
export function assertMayPost({ chat, participant }: Participation): void {
  assertWritable(chat)
  if (chat.type === 'channel' && !chat.membersCanPost && !isModerator(participant.role)) throw new AppError('CHAT_POST_FORBIDDEN')
}

/** Archived chats are read-only for everyone. */
export function assertWritable(chat: ChatRow): void {
  if (chat.archived) throw new AppError('CHAT_ARCHIVED')
}

export function hasRole(actual: ParticipantRole, needed: 'owner' | 'admin' | 'member'): boolean {
  if (needed === 'owner') return actual === 'owner'
  if (needed === 'admin') return isModerator(actual)
  return true
}
