import type { Actor } from '../../core/access/actor.js'
import { AppError } from '../../core/errors/app-error.js'
import { decodeRowCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import type { Page } from '../../core/http/resource/resource.service.js'
import type { ChatDeps } from './api.js'
import type { BlockRow } from './blocks.repository.js'
import type { BlockView } from './blocks.schemas.js'

const SORT = 'blocked'

/**
 * Blocking people: what the blocker keeps. The consequences (no private chat, not added or invited
 * by them) are enforced where chats and participants are made, through `repos.blocks`.
 */
export class BlocksService {
  constructor(private readonly deps: ChatDeps) {}

  /** Idempotent: blocking someone again keeps the first block and its date. */
  async block(actor: Actor, userId: string): Promise<void> {
    this.deps.access.requireUse(actor)
    if (userId === actor.id) throw new AppError('CHAT_BLOCK_SELF')
    await this.requireAccount(userId)
    await this.deps.store.repos.blocks.insert(actor.id, userId, new Date())
  }

  /** Idempotent too: unblocking someone not blocked is no error. */
  async unblock(actor: Actor, userId: string): Promise<void> {
    this.deps.access.requireUse(actor)
    if (userId === actor.id) throw new AppError('CHAT_BLOCK_SELF')
    // Only when nothing was removed: a block on an account is lifted even if the account is gone.
    if (!(await this.deps.store.repos.blocks.remove(actor.id, userId))) await this.requireAccount(userId)
  }

  async list(actor: Actor, page: { limit: number; cursor?: string }): Promise<Page<BlockView>> {
    this.deps.access.requireUse(actor)
    const cursor = page.cursor ? decodeRowCursor(page.cursor, SORT, 'timestamp') : undefined
    const rows = await this.deps.store.repos.blocks.listByBlocker(actor.id, page.limit + 1, cursor ? { createdAt: cursor.at!, blockedId: cursor.id } : undefined)
    const items = rows.slice(0, page.limit)
    const last = items.at(-1)
    const nextCursor = rows.length > page.limit && last ? encodeCursor({ sort: SORT, value: last.createdAt.toISOString(), id: last.blockedId }) : null
    return { items: await this.views(items), nextCursor }
  }

  /** The user's part of their data export: whom they blocked, and when. */
  async exportOf(userId: string): Promise<{ userId: string; blockedAt: string }[]> {
    const rows = await this.deps.store.repos.blocks.listAllByBlocker(userId)
    return rows.map((row) => ({ userId: row.blockedId, blockedAt: row.createdAt.toISOString() }))
  }

  private async requireAccount(userId: string): Promise<void> {
    if (!(await this.deps.ctx.users.exists(userId))) throw new AppError('CHAT_USER_NOT_FOUND')
  }

  private async views(rows: BlockRow[]): Promise<BlockView[]> {
    const profiles = await this.deps.ctx.users.profiles(rows.map((row) => row.blockedId))
    return rows.map((row) => {
      const profile = profiles.get(row.blockedId)
      const user = profile
        ? { id: profile.id, username: profile.username, name: profile.name, avatarUrl: profile.avatarUrl, deleted: profile.deleted }
        : { id: row.blockedId, username: null, name: 'Deleted user', avatarUrl: null, deleted: true }
      return { user, blockedAt: row.createdAt.toISOString() }
    })
  }
}
