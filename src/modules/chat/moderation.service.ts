import type { Actor } from '../../core/access/actor.js'
import { isUuid } from '../../core/db/columns.js'
import { AppError } from '../../core/errors/app-error.js'
import { decodeCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import type { ChatDeps } from './api.js'
import type { MessageRow } from './db/schema.js'
import type { ChatType } from './domain.js'
import { MessageEdits } from './message-edits.js'
import { reachMessage } from './message-extras.service.js'
import { messageView, messageViews } from './message-views.js'
import type { MessageView } from './message.view.js'
import type { ReportPosition, ReportRow, StatsRow } from './moderation.repository.js'

const REPORT_SORT = 'chat-reports'
const STATS_SORT = 'chat-stats'
const DAY_MS = 86_400_000
/** Longest statistics range, in days. */
export const MAX_STATS_DAYS = 90
/** Default statistics range, in days (ending today, UTC). */
const DEFAULT_STATS_DAYS = 30

/** What the reporter sees of their report. */
export interface ReportView {
  readonly id: string
  readonly messageId: string
  readonly chatId: string
  readonly reason: string
  readonly status: ReportRow['status']
  readonly createdAt: string
}

/** What moderators see: the report, who made it, the message (its tombstone once deleted) and the chat. */
export interface AdminReportView extends ReportView {
  readonly reporter: { id: string; username: string | null; name: string; deleted: boolean }
  readonly resolvedBy: string | null
  readonly resolvedAt: string | null
  readonly message: MessageView | null
  readonly chat: { id: string; type: ChatType; title: string | null; deleted: boolean } | null
}

export interface StatsQuery {
  readonly from?: string
  readonly to?: string
  readonly chatId?: string
  readonly limit?: number
  readonly cursor?: string
}

/** Reports of messages by their readers, and the platform moderators' tools (chat:moderate). */
export class ModerationService {
  private readonly edits: MessageEdits

  constructor(private readonly deps: ChatDeps) {
    this.edits = new MessageEdits(deps, (row: MessageRow) => messageView(row, deps.store.repos.messageList, deps.ctx.users))
  }

  /** Anyone who may read the message reports it, once: a second report answers the first (`created` false). */
  async report(actor: Actor, messageId: string, reason: string): Promise<{ report: ReportView; created: boolean }> {
    const { message } = await reachMessage(this.deps, actor, messageId, 'read')
    if (message.deletedAt) throw new AppError('MESSAGE_DELETED')
    if (reason.trim() === '') throw new AppError('VALIDATION_FAILED', undefined, { reason: 'must not be blank' })
    const repo = this.deps.store.repos.moderation
    const inserted = await repo.insertReport({ messageId: message.id, chatId: message.chatId, reporterId: actor.id, reason, createdAt: new Date() })
    if (inserted) return { report: reportView(inserted), created: true }
    const first = await repo.findReportBy(message.id, actor.id)
    if (!first) throw new AppError('MESSAGE_NOT_FOUND')
    return { report: reportView(first), created: false }
  }

  /** Open reports first, newest first within open and closed. */
  async reports(actor: Actor, query: { status?: ReportRow['status']; limit?: number; cursor?: string }): Promise<{ items: AdminReportView[]; nextCursor: string | null }> {
    this.deps.access.requireModerate(actor)
    const limit = query.limit ?? 50
    const after = query.cursor === undefined ? undefined : reportPosition(query.cursor)
    const repo = this.deps.store.repos.moderation
    const rows = await repo.reportPage({ ...(query.status ? { status: query.status } : {}), ...(after ? { after } : {}), limit: limit + 1 })
    const shown = rows.slice(0, limit)
    const [messageRows, chatRows, reporters] = await Promise.all([
      repo.messagesByIds([...new Set(shown.map((r) => r.messageId))]),
      repo.chatsByIds([...new Set(shown.map((r) => r.chatId))]),
      this.deps.ctx.users.profiles(new Set(shown.map((r) => r.reporterId))),
    ])
    const views = new Map((await messageViews(messageRows, this.deps.store.repos.messageList, this.deps.ctx.users)).map((v) => [v.id, v]))
    const chats = new Map(chatRows.map((c) => [c.id, { id: c.id, type: c.type, title: c.title, deleted: c.deletedAt !== null }]))
    const items = shown.map((r): AdminReportView => {
      const reporter = reporters.get(r.reporterId)
      return {
        ...reportView(r),
        reporter: reporter ? { id: reporter.id, username: reporter.username, name: reporter.name, deleted: reporter.deleted } : { id: r.reporterId, username: null, name: 'Deleted user', deleted: true },
        resolvedBy: r.resolvedBy,
        resolvedAt: r.resolvedAt?.toISOString() ?? null,
        message: views.get(r.messageId) ?? null,
        chat: chats.get(r.chatId) ?? null,
      }
    })
    const last = shown.at(-1)
    const nextCursor = rows.length > limit && last ? encodeCursor({ sort: REPORT_SORT, value: `${last.status === 'open' ? 1 : 0}|${last.createdAt.toISOString()}`, id: last.id }) : null
    return { items, nextCursor }
  }

  /** A moderator closes a report (resolved: acted on; dismissed: nothing wrong). */
  async closeReport(actor: Actor, reportId: string, status: 'resolved' | 'dismissed'): Promise<ReportView & { resolvedBy: string | null; resolvedAt: string | null }> {
    this.deps.access.requireModerate(actor)
    const row = isUuid(reportId) ? await this.deps.store.repos.moderation.setReportStatus(reportId, status, actor.id, new Date()) : undefined
    if (!row) throw new AppError('REPORT_NOT_FOUND')
    return { ...reportView(row), resolvedBy: row.resolvedBy, resolvedAt: row.resolvedAt?.toISOString() ?? null }
  }

  /** A moderator tombstones any message (archived chats included; `message.deleted` as for any delete); its open reports are resolved. */
  async deleteMessage(actor: Actor, messageId: string): Promise<MessageView> {
    this.deps.access.requireModerate(actor)
    const view = await this.edits.remove(actor, messageId)
    await this.deps.store.repos.moderation.resolveOpenReports(view.id, actor.id, new Date())
    return view
  }

  /** Per chat and UTC day: messages sent (not system ones) and distinct senders; at most 90 days. */
  async stats(actor: Actor, query: StatsQuery): Promise<{ from: string; to: string; items: StatsRow[]; nextCursor: string | null }> {
    this.deps.access.requireModerate(actor)
    const to = query.to !== undefined ? day(query.to, 'to') : new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS)
    const from = query.from !== undefined ? day(query.from, 'from') : new Date(to.getTime() - (DEFAULT_STATS_DAYS - 1) * DAY_MS)
    if (from > to) throw new AppError('VALIDATION_FAILED', 'from is after to.', { from: 'must be on or before to' })
    if ((to.getTime() - from.getTime()) / DAY_MS + 1 > MAX_STATS_DAYS) throw new AppError('VALIDATION_FAILED', `At most ${MAX_STATS_DAYS} days at once.`, { to: `at most ${MAX_STATS_DAYS} days after from` })
    if (query.chatId !== undefined && !(await this.deps.store.repos.chats.findById(query.chatId))) throw new AppError('CHAT_NOT_FOUND')
    const limit = query.limit ?? 200
    const after = query.cursor === undefined ? undefined : statsPosition(query.cursor)
    const rows = await this.deps.store.repos.moderation.stats({
      from,
      to: new Date(to.getTime() + DAY_MS),
      ...(query.chatId !== undefined ? { chatId: query.chatId } : {}),
      ...(after ? { after } : {}),
      limit: limit + 1,
    })
    const items = rows.slice(0, limit)
    const last = items.at(-1)
    const nextCursor = rows.length > limit && last ? encodeCursor({ sort: STATS_SORT, value: last.day, id: last.chatId }) : null
    return { from: isoDay(from), to: isoDay(to), items, nextCursor }
  }
}

function reportView(row: ReportRow): ReportView {
  return { id: row.id, messageId: row.messageId, chatId: row.chatId, reason: row.reason, status: row.status, createdAt: row.createdAt.toISOString() }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

/** A `YYYY-MM-DD` day as its UTC start; an impossible date (2026-02-30) is 400. */
function day(value: string, field: string): Date {
  const at = new Date(`${value}T00:00:00.000Z`)
  if (!DAY.test(value) || Number.isNaN(at.getTime()) || isoDay(at) !== value) throw new AppError('VALIDATION_FAILED', undefined, { [field]: 'a day as YYYY-MM-DD' })
  return at
}

const isoDay = (at: Date): string => at.toISOString().slice(0, 10)

function reportPosition(cursor: string): ReportPosition {
  const position = decodeCursor(cursor, REPORT_SORT)
  const [rank, at] = typeof position.value === 'string' ? position.value.split('|') : []
  const createdAt = new Date(at ?? '')
  if ((rank !== '0' && rank !== '1') || Number.isNaN(createdAt.getTime()) || !isUuid(position.id)) throw new AppError('INVALID_CURSOR')
  return { open: rank === '1', createdAt, id: position.id }
}

function statsPosition(cursor: string): { day: string; chatId: string } {
  const position = decodeCursor(cursor, STATS_SORT)
  if (typeof position.value !== 'string' || !DAY.test(position.value) || !isUuid(position.id)) throw new AppError('INVALID_CURSOR')
  return { day: position.value, chatId: position.id }
}
