import type { Actor } from '../../core/access/actor.js'
import { isUniqueViolation } from '../../core/db/pg-errors.js'
import { AppError } from '../../core/errors/app-error.js'
import type { ChatDeps } from './api.js'
import type { UserProfile } from '../../core/users/directory.js'
import { decodeRowCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import type { Page } from '../../core/http/resource/resource.service.js'
import { ChatChangesService } from './chat-changes.service.js'
import { exportChat, type ChatExportStream } from './chat-export.js'
import { activityOf, type ChatListPosition } from './chat-list.repository.js'
import { presentChat, presentChats } from './chat-presenter.js'
import { toChatView, type ChatListItem, type ChatMe, type ChatView } from './chat.view.js'
import type { ChatListQuery, CreateChatBody, DeleteChatQuery, PreferencesBody, UpdateChatBody } from './chats.schemas.js'
import { messageViews } from './message-views.js'
import type { ChatRow, ParticipantRow } from './db/schema.js'
import { pairKey } from './domain.js'
import type { ChatRepositories } from './store.js'

const PAIR_KEY = 'chat_chats_pair_key'
const LIST_SORT = 'chat-activity'
const DEFAULT_LIMIT = 50
/** How many people whose name matches `q` a chat list search considers for private chats. */
const NAME_MATCHES = 50

interface NewChat {
  readonly chat: ChatRow
  readonly rows: readonly ParticipantRow[]
}

export interface CreatedChat {
  readonly view: ChatView
  /** False: the private chat of this pair already existed and is returned as it is. */
  readonly created: boolean
}

/** Creating, listing and reading chats; the changes are `ChatChangesService`'s. */
export class ChatsService {
  private readonly changes: ChatChangesService

  constructor(private readonly deps: ChatDeps) {
    this.changes = new ChatChangesService(deps)
    // A chat's avatar is readable by whoever may see the chat (its participants; anyone for a channel).
    deps.ctx.files.allowReads('chat-avatar', (actor, file) => deps.store.repos.chats.avatarReadable(file.id, actor.id))
  }

  /**
   * The caller's chats (not those they hid), newest activity first, each with its newest message
   * and the caller's counters. A fixed number of queries whatever the page holds: the page with its
   * last messages in one, then the views' lookups (participant counts, private chats' other people,
   * names, and the messages' authors, files and reactions) one each; `q` adds one name search.
   */
  async list(actor: Actor, query: ChatListQuery): Promise<Page<ChatListItem>> {
    this.deps.access.requireUse(actor)
    const limit = query.limit ?? DEFAULT_LIMIT
    let after: ChatListPosition | undefined
    if (query.cursor !== undefined) {
      const position = decodeRowCursor(query.cursor, LIST_SORT, 'timestamp')
      after = { at: position.at!, id: position.id }
    }
    const q = query.q === undefined ? undefined : { text: query.q, otherIds: (await this.deps.ctx.users.search(query.q, { limit: NAME_MATCHES })).map((user) => user.id) }
    const rows = await this.deps.store.repos.chatList.page({
      userId: actor.id,
      limit: limit + 1,
      ...(query.type ? { type: query.type } : {}),
      ...(query.archived !== undefined ? { archived: query.archived } : {}),
      ...(q ? { q } : {}),
      ...(after ? { after } : {}),
    })
    const shown = rows.slice(0, limit)
    const lastMessages = shown.flatMap((row) => (row.lastMessage ? [row.lastMessage] : []))
    const [views, messages] = await Promise.all([
      presentChats(this.deps, actor.id, shown),
      messageViews(lastMessages, this.deps.store.repos.messageList, this.deps.ctx.users),
    ])
    const byChat = new Map(messages.map((message) => [message.chatId, message]))
    const last = shown.at(-1)
    return {
      items: views.map((view) => ({ ...view, lastMessage: byChat.get(view.id) ?? null })),
      nextCursor: rows.length > limit && last ? encodeCursor({ sort: LIST_SORT, value: activityOf(last.chat).toISOString(), id: last.chat.id }) : null,
    }
  }

  update(actor: Actor, chatId: string, body: UpdateChatBody): Promise<ChatView> {
    return this.changes.update(actor, chatId, body)
  }

  remove(actor: Actor, chatId: string, query: DeleteChatQuery): Promise<void> {
    return this.changes.remove(actor, chatId, query)
  }

  join(actor: Actor, chatId: string): Promise<ChatView> {
    return this.changes.join(actor, chatId)
  }

  read(actor: Actor, chatId: string, seq: number): Promise<ChatMe> {
    return this.changes.read(actor, chatId, seq)
  }

  preferences(actor: Actor, chatId: string, body: PreferencesBody): Promise<ChatMe> {
    return this.changes.preferences(actor, chatId, body)
  }

  /** The whole history as a JSON stream, for the owner or an admin. */
  export(actor: Actor, chatId: string): Promise<ChatExportStream> {
    return exportChat(this.deps, actor, chatId)
  }

  /**
   * A private chat (the creator and one other person; at most one per pair), a group or a channel.
   * The creator is the owner, the others members; no system messages for these first members.
   */
  async create(actor: Actor, input: CreateChatBody): Promise<CreatedChat> {
    this.deps.access.requireUse(actor)
    const { others, blockers } = await this.checkPeople(actor, input)
    if (input.type === 'private') return this.openPrivate(actor, others[0]!, blockers.size > 0)
    // Someone who blocked the creator is not added: the creator cannot reach them, and is not told.
    const members = others.filter((id) => !blockers.has(id))
    const created = await this.insert(actor, { type: input.type, title: input.title!.trim(), description: input.description ?? null, pairKey: null }, members)
    return { view: await this.announce(actor, created), created: true }
  }

  /**
   * A group or channel as `create` makes it (the same checks), with its settings, and whatever
   * `within` writes in the same transaction (a template's welcome message): the chat, its
   * participants and that are all stored, or none of it. The creator's view, announced to the others.
   */
  async createWith(
    actor: Actor,
    input: CreateChatBody & { type: 'group' | 'channel' },
    settings: Pick<ChatRow, 'slowModeSeconds' | 'membersCanPost'>,
    within: (repos: ChatRepositories, chat: ChatRow, participantIds: string[]) => Promise<void>,
  ): Promise<ChatView> {
    this.deps.access.requireUse(actor)
    const { others, blockers } = await this.checkPeople(actor, input)
    const members = others.filter((id) => !blockers.has(id))
    const created = await this.insert(actor, { type: input.type, title: input.title!.trim(), description: input.description ?? null, pairKey: null, ...settings }, members, within)
    return this.announce(actor, created)
  }

  /** The others named (not the caller), each an account, and those among them who blocked the caller. */
  private async checkPeople(actor: Actor, input: CreateChatBody): Promise<{ others: string[]; blockers: Set<string> }> {
    const others = [...new Set(input.participantIds)].filter((id) => id !== actor.id)
    checkShape(input, others)
    const known = await this.deps.ctx.users.existing(others)
    const unknown = others.filter((id) => !known.has(id))
    if (unknown.length > 0) throw new AppError('CHAT_USER_UNKNOWN', undefined, { userIds: unknown })
    return { others, blockers: await this.deps.store.repos.chats.blockersOf(actor.id, others) }
  }

  /** A chat the caller may see: theirs, or any channel (404 otherwise, never saying it exists). */
  async get(actor: Actor, chatId: string): Promise<ChatView> {
    const membership = await this.deps.access.visible(actor, chatId)
    return presentChat(this.deps, actor.id, membership)
  }

  /** Realtime: `chat:<id>` is for its participants, and for channels anyone who may see them. */
  async mayWatch(actor: Actor, chatId: string): Promise<boolean> {
    if (!this.deps.permissions.has(actor, 'chat:use')) return false
    try {
      await this.deps.access.visible(actor, chatId)
      return true
    } catch (error) {
      if (error instanceof AppError) return false
      throw error
    }
  }

  private async openPrivate(actor: Actor, otherId: string, blocked: boolean): Promise<CreatedChat> {
    if (blocked) throw new AppError('CHAT_BLOCKED')
    const key = pairKey(actor.id, otherId)
    const existing = await this.deps.store.repos.chats.findByPairKey(key)
    if (existing) return this.reopen(actor, existing)
    try {
      const created = await this.insert(actor, { type: 'private', title: null, description: null, pairKey: key }, [otherId])
      return { view: await this.announce(actor, created), created: true }
    } catch (error) {
      // Both people opened it at once: the other request's chat is the one.
      if (!isUniqueViolation(error, PAIR_KEY)) throw error
      const winner = await this.deps.store.repos.chats.findByPairKey(key)
      if (!winner) throw error
      return this.reopen(actor, winner)
    }
  }

  /** The pair's chat again: back in the caller's list if they had deleted it for themselves. */
  private async reopen(actor: Actor, chat: ChatRow): Promise<CreatedChat> {
    const { participants } = this.deps.store.repos
    await participants.setHidden(chat.id, actor.id, false)
    const participant = (await participants.find(chat.id, actor.id)) ?? null
    return { view: await presentChat(this.deps, actor.id, { chat, participant }), created: false }
  }

  private insert(
    actor: Actor,
    fields: Pick<ChatRow, 'type' | 'title' | 'description' | 'pairKey'> & Partial<Pick<ChatRow, 'slowModeSeconds' | 'membersCanPost'>>,
    memberIds: readonly string[],
    within?: (repos: ChatRepositories, chat: ChatRow, participantIds: string[]) => Promise<void>,
  ): Promise<NewChat> {
    return this.deps.store.transaction(async (repos) => {
      const chat = await repos.chats.insert({ ...fields, createdBy: actor.id })
      const rows = await repos.participants.insertMany([
        { chatId: chat.id, userId: actor.id, role: 'owner' },
        ...memberIds.map((userId) => ({ chatId: chat.id, userId, role: 'member' as const })),
      ])
      if (within) await within(repos, chat, rows.map((row) => row.userId))
      return { chat, rows }
    })
  }

  /**
   * The creator's view of a new chat; each other member's list gains it (their own view) through
   * their user room. Built from the rows just written: a private chat's title is the other person's
   * name, so one lookup of both names.
   */
  private async announce(actor: Actor, { chat, rows }: NewChat): Promise<ChatView> {
    const names = chat.type === 'private' ? await this.deps.ctx.users.profiles(rows.map((row) => row.userId)) : new Map<string, UserProfile>()
    const viewOf = (participant: ParticipantRow): ChatView => {
      const other = rows.find((row) => row.userId !== participant.userId)
      const title = chat.type === 'private' && other ? (names.get(other.userId)?.name ?? 'Deleted user') : null
      return toChatView(chat, participant, { participantCount: rows.length, title })
    }
    for (const row of rows) if (row.userId !== actor.id) this.deps.events.toUsers([row.userId], 'chat.created', viewOf(row))
    return viewOf(rows.find((row) => row.userId === actor.id)!)
  }
}

/** What each type needs: a private chat exactly one other person and no title; the others a title. */
function checkShape(input: CreateChatBody, others: readonly string[]): void {
  if (input.type === 'private') {
    if (others.length !== 1) throw new AppError('CHAT_PRIVATE_MEMBERS', 'A private chat names exactly one other person in participantIds.', { participantIds: others.length })
    if (input.title !== undefined || input.description !== undefined) {
      throw new AppError('VALIDATION_FAILED', 'A private chat has no title or description: it shows the other person\'s name.', Object.fromEntries(['title', 'description'].filter((f) => f in input).map((f) => [f, 'not for a private chat'])))
    }
    return
  }
  if (input.title === undefined) throw new AppError('VALIDATION_FAILED', `A ${input.type} needs a title.`, { title: 'is required' })
}
