import type { Actor } from '../../core/access/actor.js'
import { isUuid } from '../../core/db/columns.js'
import { AppError } from '../../core/errors/app-error.js'
import type { ChatDeps } from './api.js'
import type { ChatView } from './chat.view.js'
import type { ChatsService } from './chats.service.js'
import { resolveMentions } from './mentions.js'
import { MessageSender } from './message-send.js'
import { messageView } from './message-views.js'
import type { MessageView } from './message.view.js'
import { MAX_TEMPLATES_PER_USER, type SaveTemplateBody, type TemplateView, type UseTemplateBody } from './templates.schemas.js'
import type { TemplateRow } from './templates.repository.js'

/**
 * Chat templates: a group's or channel's title, description and settings, and a welcome message,
 * saved by its owner or an admin; a new chat made from one starts with them (the welcome message
 * posted by its creator). Templates are private to the person who saved them.
 */
export class TemplatesService {
  private readonly sender: MessageSender

  constructor(
    private readonly deps: ChatDeps,
    private readonly chats: ChatsService,
  ) {
    this.sender = new MessageSender(deps, (row) => messageView(row, deps.store.repos.messageList, deps.ctx.users))
  }

  async save(actor: Actor, chatId: string, body: SaveTemplateBody): Promise<TemplateView> {
    const { chat } = await this.deps.access.withRole(actor, chatId, 'admin')
    if (chat.type === 'private') throw new AppError('CHAT_TEMPLATE_PRIVATE')
    const repo = this.deps.store.repos.templates
    if ((await repo.countByOwner(actor.id)) >= MAX_TEMPLATES_PER_USER) throw new AppError('CHAT_TEMPLATE_LIMIT', undefined, { limit: MAX_TEMPLATES_PER_USER })
    const row = await repo.insert({
      ownerId: actor.id,
      name: body.name.trim(),
      type: chat.type,
      title: chat.title,
      description: chat.description,
      settings: { slowModeSeconds: chat.slowModeSeconds, membersCanPost: chat.membersCanPost },
      welcomeMessage: body.welcomeMessage ?? null,
    })
    return toView(row)
  }

  async list(actor: Actor): Promise<{ items: TemplateView[] }> {
    this.deps.access.requireUse(actor)
    return { items: (await this.deps.store.repos.templates.listByOwner(actor.id, MAX_TEMPLATES_PER_USER)).map(toView) }
  }

  async remove(actor: Actor, id: string): Promise<void> {
    this.deps.access.requireUse(actor)
    if (!(await this.deps.store.repos.templates.removeOwned(id, actor.id))) throw new AppError('CHAT_TEMPLATE_NOT_FOUND')
  }

  /**
   * A new chat from the template, in one transaction: the chat with the template's shape and
   * settings, its participants and the welcome message (posted by the caller) are all stored, or
   * nothing is. Its events and notifications follow the commit.
   */
  async use(actor: Actor, id: string, body: UseTemplateBody): Promise<ChatView> {
    this.deps.access.requireUse(actor)
    const template = isUuid(id) ? await this.deps.store.repos.templates.findOwned(id, actor.id) : undefined
    if (!template) throw new AppError('CHAT_TEMPLATE_NOT_FOUND')
    const title = body.title ?? template.title ?? template.name
    const welcome = template.welcomeMessage !== null && template.welcomeMessage.trim() !== '' ? template.welcomeMessage : null
    // @mentions among the people the chat will have (a blocker left out is simply not mentioned).
    const mentions = welcome === null ? [] : await resolveMentions(this.deps.ctx.users, welcome, new Set([actor.id, ...body.participantIds]), actor.id)
    let announceWelcome: (() => Promise<MessageView>) | undefined
    const input = { type: template.type === 'channel' ? ('channel' as const) : ('group' as const), title, ...(template.description ? { description: template.description } : {}), participantIds: body.participantIds }
    const view = await this.chats.createWith(actor, input, template.settings, async (repos, chat, participantIds) => {
      if (welcome === null) return
      announceWelcome = await this.sender.writeFirst(repos, actor, chat, participantIds, welcome, mentions.filter((userId) => participantIds.includes(userId)))
    })
    if (!announceWelcome) return view
    await announceWelcome()
    return this.chats.get(actor, view.id)
  }
}

function toView(row: TemplateRow): TemplateView {
  return {
    id: row.id,
    name: row.name,
    type: row.type === 'channel' ? 'channel' : 'group',
    title: row.title,
    description: row.description,
    settings: row.settings,
    welcomeMessage: row.welcomeMessage,
    createdAt: row.createdAt.toISOString(),
  }
}
