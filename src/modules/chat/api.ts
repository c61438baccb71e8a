import type { FastifyBaseLogger } from 'fastify'
import type { ModuleContext } from '../../core/module.js'
import { ChatAccess } from './access.js'
import { BlocksService } from './blocks.service.js'
import { ChatsService } from './chats.service.js'
import { ChatImportService } from './chat-import.service.js'
import { ChatEvents } from './events.js'
import { ChatHooks } from './hooks.js'
import { InvitationsService } from './invitations.service.js'
import { ParticipantsService } from './participants.service.js'
import { MessagesService } from './messages.service.js'
import { MessageExtrasService } from './message-extras.service.js'
import { ModerationService } from './moderation.service.js'
import { PeopleService } from './people.service.js'
import { SearchService } from './search.service.js'
import { TemplatesService } from './templates.service.js'
import { Typing } from './typing.js'
import { UserDataService } from './user-data.service.js'
import { createNotify, type NotifyServices } from './notify.js'
import { ChatPermissions } from './permissions.js'
import type { ChatSettings } from './settings.js'
import { chatStore, type ChatStore } from './store.js'
import { ScheduledService } from './scheduled.service.js'
import { BansService } from './bans.service.js'

/**
 * What every chat service is built from: the platform's context (only what chat uses), the module's
 * store, access rules, events and hooks. Services take the whole bag, so adding one touches only
 * its own line in `createChatApi`.
 */
export interface ChatDeps {
  readonly settings: ChatSettings
  readonly ctx: Pick<ModuleContext<ChatSettings>, 'users' | 'files' | 'jobs' | 'presence' | 'realtime' | 'cache' | 'mail' | 'rateLimit' | 'platform' | 'signatures'>
  readonly log: FastifyBaseLogger
  readonly permissions: ChatPermissions
  readonly access: ChatAccess
  readonly store: ChatStore
  readonly events: ChatEvents
  readonly hooks: ChatHooks
}

/** What the module's routes, jobs and hooks work with: one service per area (each adds its line). */
export interface ChatApi {
  readonly deps: ChatDeps
  /** Notifications, Web Push, the e-mail digest. */
  readonly notify: NotifyServices
  readonly participants: ParticipantsService
  readonly invitations: InvitationsService
  readonly messages: MessagesService
  readonly blocks: BlocksService
  readonly chats: ChatsService
  /** Status, presence, preferences. */
  readonly people: PeopleService
  /** Typing indicators (client events). */
  readonly typing: Typing
  readonly search: SearchService
  /** Reactions, pins, forwarding. */
  readonly extras: MessageExtrasService
  /** Reports and the platform moderators' tools. */
  readonly moderation: ModerationService
  /** The user's data export and the erasure of a deleted account. */
  readonly userData: UserDataService
  /** Scheduled messages (and their `chat.send-scheduled` job). */
  readonly scheduled: ScheduledService
  readonly bans: BansService
  readonly templates: TemplatesService
  /** Backup and restore: an export imported again as a new chat. */
  readonly backup: ChatImportService
}

export function createChatApi(ctx: ModuleContext<ChatSettings>): ChatApi {
  const store = chatStore(ctx.db)
  const permissions = new ChatPermissions(ctx.access)
  const deps: ChatDeps = {
    settings: ctx.settings,
    ctx,
    log: ctx.log,
    permissions,
    access: new ChatAccess(permissions, store.repos),
    store,
    events: new ChatEvents(ctx.realtime, ctx.log),
    hooks: new ChatHooks(ctx.log),
  }
  // Whoever leaves a chat, is removed or banned, or loses it to a deletion stops hearing its room at once.
  deps.hooks.onParticipantsLeft(({ chatId, userIds }) => deps.events.revoke(chatId, userIds))
  const chats = new ChatsService(deps)
  const messages = new MessagesService(deps)
  return {
    deps,
    notify: createNotify(deps),
    participants: new ParticipantsService(deps),
    invitations: new InvitationsService(deps),
    messages,
    blocks: new BlocksService(deps),
    chats,
    people: new PeopleService(deps),
    typing: new Typing(deps),
    search: new SearchService(deps),
    extras: new MessageExtrasService(deps),
    moderation: new ModerationService(deps),
    userData: new UserDataService(deps),
    scheduled: new ScheduledService(deps),
    bans: new BansService(deps),
    templates: new TemplatesService(deps, chats),
    backup: new ChatImportService(deps),
  }
}
