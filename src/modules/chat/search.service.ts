import { createHash } from 'node:crypto'
import type { Static } from 'typebox'
import type { Actor } from '../../core/access/actor.js'
import { AppError } from '../../core/errors/app-error.js'
import { decodeCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import type { Page } from '../../core/http/resource/resource.service.js'
import type { UserProfile } from '../../core/users/directory.js'
import type { ChatDeps } from './api.js'
import { presentChats } from './chat-presenter.js'
import type { ChatView } from './chat.view.js'
import { messageViews } from './message-views.js'
import type { AuthorView } from './message.view.js'
import type { MessageHit, MessageSearchQuery, TextSearchQuery, UserSearchQuery } from './search.schemas.js'
import { toPrefixTsQuery } from './search-query.js'
import type { RankedPosition } from './search.repository.js'

type Author = Static<typeof AuthorView>
/** Private chats found by the other person's name: at most this many names are looked up. */
const NAME_MATCHES = 50
const USER_PAGE_DEFAULT = 20

/**
 * Search across what the caller may read: messages of chats they are in now (never of a chat they
 * left or were removed from), chats (theirs and public channels), people. Ranked; cursors belong to
 * one query (another query's cursor is 400 INVALID_CURSOR). Text with no word in it finds nothing.
 */
export class SearchService {
  constructor(private readonly deps: ChatDeps) {}

  async messages(actor: Actor, query: MessageSearchQuery): Promise<Page<MessageHit>> {
    this.deps.access.requireUse(actor)
    const tsquery = toPrefixTsQuery(query.q)
    if (!tsquery) return { items: [], nextCursor: null }
    const limit = query.limit ?? 50
    const sort = sortKey('messages', [tsquery, query.chatId, query.from, query.before, query.after, query.hasFile])
    const rows = await this.deps.store.repos.search.messages({
      userId: actor.id,
      query: tsquery,
      limit: limit + 1,
      ...(query.chatId ? { chatId: query.chatId } : {}),
      ...(query.from ? { authorId: query.from } : {}),
      ...(query.before ? { before: new Date(query.before) } : {}),
      ...(query.after ? { after: new Date(query.after) } : {}),
      ...(query.hasFile !== undefined ? { hasFile: query.hasFile } : {}),
      ...(query.cursor ? { from: readPosition(query.cursor, sort) } : {}),
    })
    const page = rows.slice(0, limit)
    const [views, titles] = await Promise.all([
      messageViews(page.map((hit) => hit.row), this.deps.store.repos.messageList, this.deps.ctx.users),
      this.privateTitles(actor.id, page.filter((hit) => hit.chat.type === 'private').map((hit) => hit.chat.id)),
    ])
    const items = page.map((hit, i) => ({ message: views[i]!, chat: { ...hit.chat, title: titles.get(hit.chat.id) ?? hit.chat.title } }))
    const last = page.at(-1)
    return { items, nextCursor: rows.length > limit && last ? writePosition(sort, { rank: last.rank, at: last.row.createdAt, id: last.row.id }) : null }
  }

  async chats(actor: Actor, query: TextSearchQuery): Promise<Page<ChatView>> {
    this.deps.access.requireUse(actor)
    const tsquery = toPrefixTsQuery(query.q)
    if (!tsquery) return { items: [], nextCursor: null }
    const limit = query.limit ?? 50
    const sort = sortKey('chats', [tsquery, query.q.trim().toLowerCase()])
    const privateWith = (await this.deps.ctx.users.search(query.q, { limit: NAME_MATCHES })).map((user) => user.id).filter((id) => id !== actor.id)
    const rows = await this.deps.store.repos.search.chats({ userId: actor.id, query: tsquery, privateWith, limit: limit + 1, ...(query.cursor ? { from: readPosition(query.cursor, sort) } : {}) })
    const page = rows.slice(0, limit)
    const items = await presentChats(this.deps, actor.id, page)
    const last = page.at(-1)
    return { items, nextCursor: rows.length > limit && last ? writePosition(sort, { rank: last.rank, at: last.chat.lastMessageAt ?? last.chat.createdAt, id: last.chat.id }) : null }
  }

  /** Name and username (best match first); a whole e-mail address only finds its account on an exact match. */
  async users(actor: Actor, query: UserSearchQuery): Promise<Page<Author>> {
    this.deps.access.requireUse(actor)
    const limit = query.limit ?? USER_PAGE_DEFAULT
    const sort = sortKey('users', [query.q.trim().toLowerCase()])
    const offset = query.cursor ? readOffset(query.cursor, sort) : 0
    if (query.q.includes('@') && !query.q.trim().startsWith('@')) {
      const exact = offset === 0 ? await this.deps.ctx.users.byEmail(query.q.trim()) : null
      return { items: exact ? [author(exact)] : [], nextCursor: null }
    }
    const found = await this.deps.ctx.users.search(query.q.replace(/^@/, ''), { limit: limit + 1, offset })
    const items = found.slice(0, limit).map(author)
    return { items, nextCursor: found.length > limit ? encodeCursor({ sort, value: offset + limit, id: '' }) : null }
  }

  private async privateTitles(viewerId: string, chatIds: string[]): Promise<Map<string, string>> {
    const others = await this.deps.store.repos.participants.othersOf([...new Set(chatIds)], viewerId)
    const profiles = others.size > 0 ? await this.deps.ctx.users.profiles(new Set(others.values())) : new Map<string, UserProfile>()
    return new Map([...others].map(([chatId, userId]) => [chatId, profiles.get(userId)?.name ?? 'Deleted user']))
  }
}

const author = (profile: UserProfile): Author => ({ id: profile.id, username: profile.username, name: profile.name, avatarUrl: profile.avatarUrl, deleted: profile.deleted })

/** A cursor names its query: a page of one search never continues another. */
function sortKey(kind: string, parts: unknown[]): string {
  return `${kind}:${createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16)}`
}

function writePosition(sort: string, position: RankedPosition): string {
  return encodeCursor({ sort, value: `${position.rank}|${position.at.toISOString()}`, id: position.id })
}

function readPosition(cursor: string, sort: string): RankedPosition {
  const position = decodeCursor(cursor, sort)
  const [rank, at] = typeof position.value === 'string' ? position.value.split('|') : []
  const time = at ? new Date(at) : undefined
  if (!rank || !/^\d+(\.\d+)?$/.test(rank) || !time || Number.isNaN(time.getTime()) || !/^[0-9a-f-]{36}$/i.test(position.id)) throw invalidCursor()
  return { rank, at: time, id: position.id }
}

function readOffset(cursor: string, sort: string): number {
  const { value } = decodeCursor(cursor, sort)
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidCursor()
  return value
}

const invalidCursor = () => new AppError('INVALID_CURSOR', undefined, { cursor: 'does not belong to this search' })
