import type { Actor } from '../../core/access/actor.js'
import { newId } from '../../core/db/columns.js'
import { AppError } from '../../core/errors/app-error.js'
import type { Signatures } from '../../core/crypto/signatures.js'
import type { ChatDeps } from './api.js'
import { EXPORT_SIGNATURE_PURPOSE } from './chat-export.js'
import type { ImportChatBody, ImportedChat, ImportSummary } from './chat-import.schemas.js'
import { presentChat } from './chat-presenter.js'
import { toChatView } from './chat.view.js'
import type { ChatRow, ParticipantRow } from './db/schema.js'

/**
 * How a signed export ends: the MAC covers every byte before it, and nothing may follow. The key id
 * names the master key it was made under (a key since rotated to ENCRYPTION_KEYS_PREVIOUS still
 * checks); exports written before key ids were recorded have none.
 */
const TRAILER = /,"integrity":\{"alg":"HMAC-SHA256"(?:,"keyId":"([A-Za-z0-9_-]{1,32})")?,"mac":"([A-Za-z0-9_-]{43})"\}\}$/
/** Files looked up at once (each is one primary-key read). */
const FILE_LOOKUPS = 50

type Message = ImportChatBody['messages'][number]
type Skipped = ImportSummary['skippedParticipants'][number]

/**
 * Whether `raw` is an export this server signed, unchanged: the `integrity` trailer's MAC over the
 * bytes before it (constant-time). The parsed document is trusted only after this.
 */
export function signedExport(signatures: Signatures, raw: Buffer): boolean {
  const tail = raw.subarray(Math.max(0, raw.length - 200)).toString('latin1')
  const match = TRAILER.exec(tail)
  if (!match) return false
  return signatures.verify(EXPORT_SIGNATURE_PURPOSE, raw.subarray(0, raw.length - match[0].length), match[2]!, match[1])
}

/** Backup and restore: an export imported again as a new chat, by the owner it lists. */
export class ChatImportService {
  constructor(private readonly deps: ChatDeps) {}

  /**
   * Checks the MAC, then who imports and what, then writes the whole chat in one transaction
   * (batched INSERTs) and announces it to the other participants as chat creation does.
   */
  async import(actor: Actor, raw: Buffer, doc: ImportChatBody): Promise<ImportedChat> {
    this.deps.access.requireUse(actor)
    if (!signedExport(this.deps.ctx.signatures, raw)) throw new AppError('CHAT_IMPORT_INVALID', undefined, { integrity: 'missing, or not the MAC of this document' })
    const owner = doc.participants.find((p) => p.role === 'owner')
    if (owner?.userId !== actor.id) throw new AppError('CHAT_IMPORT_FORBIDDEN')
    if (doc.chat.type === 'private') throw new AppError('CHAT_IMPORT_PRIVATE')
    checkOrder(doc)
    const { kept, skipped } = await this.people(actor, doc)
    const authors = new Set(doc.messages.flatMap((m) => (m.author ? [m.author.id] : [])))
    const known = await this.deps.ctx.users.profiles(authors)
    const unknown = [...authors].filter((id) => !known.has(id))
    if (unknown.length > 0) throw new AppError('CHAT_USER_UNKNOWN', 'Some authors of this export have no account on this server.', { userIds: unknown.slice(0, 100) })
    const files = await this.existingFiles(doc.messages)
    const { chat, rows, summary } = await this.write(actor, doc, kept, files)
    const ownRow = rows.find((row) => row.userId === actor.id)!
    for (const row of rows) if (row.userId !== actor.id) this.deps.events.toUsers([row.userId], 'chat.created', toChatView(chat, row, { participantCount: rows.length, title: null }))
    return { chat: await presentChat(this.deps, actor.id, { chat, participant: ownRow }), summary: { ...summary, skippedParticipants: skipped } }
  }

  /** The participants kept (the owner; others with an active account who do not block the owner), and those skipped. */
  private async people(actor: Actor, doc: ImportChatBody): Promise<{ kept: Map<string, ImportChatBody['participants'][number]>; skipped: Skipped[] }> {
    const others = [...new Set(doc.participants.map((p) => p.userId))].filter((id) => id !== actor.id)
    const [active, existing, blockers] = await Promise.all([
      this.deps.ctx.users.active(others),
      this.deps.ctx.users.existing(others),
      this.deps.store.repos.chats.blockersOf(actor.id, others),
    ])
    const kept = new Map<string, ImportChatBody['participants'][number]>()
    const skipped: Skipped[] = []
    for (const p of doc.participants) {
      if (kept.has(p.userId)) continue
      const reason = p.userId === actor.id ? null : !existing.has(p.userId) ? 'deleted' : !active.has(p.userId) ? 'disabled' : blockers.has(p.userId) ? 'blocked' : null
      if (reason) skipped.push({ userId: p.userId, reason })
      else kept.set(p.userId, p)
    }
    return { kept, skipped }
  }

  /** The attached files that still exist (a deleted file is left out of its message). */
  private async existingFiles(messages: readonly Message[]): Promise<Set<string>> {
    const ids = [...new Set(messages.flatMap((m) => m.files.map((f) => f.id)))]
    const found = new Set<string>()
    for (let i = 0; i < ids.length; i += FILE_LOOKUPS) {
      const batch = ids.slice(i, i + FILE_LOOKUPS)
      const files = await Promise.all(batch.map((id) => this.deps.ctx.files.find(id)))
      for (const file of files) if (file) found.add(file.id)
    }
    return found
  }

  private write(actor: Actor, doc: ImportChatBody, kept: ReadonlyMap<string, ImportChatBody['participants'][number]>, files: ReadonlySet<string>) {
    const last = doc.messages.at(-1)
    const lastSeq = last?.seq ?? 0
    const countedSeq = doc.messages.filter((m) => m.type !== 'system').length
    return this.deps.store.transaction(async (repos) => {
      const chat: ChatRow = await repos.chats.insert({
        type: doc.chat.type,
        title: doc.chat.title,
        description: doc.chat.description,
        slowModeSeconds: doc.chat.settings.slowModeSeconds,
        membersCanPost: doc.chat.settings.membersCanPost,
        createdBy: actor.id,
        pairKey: null,
        lastSeq,
        countedSeq,
        lastMessageAt: last ? new Date(last.createdAt) : null,
      })
      // Nothing is unread in a restored chat: everyone's mark is at its newest message.
      const rows: ParticipantRow[] = await repos.backup.insertParticipants(
        [...kept.values()].map((p) => ({ chatId: chat.id, userId: p.userId, role: p.role, joinedAt: new Date(p.joinedAt), lastReadSeq: lastSeq, readCount: countedSeq })),
      )
      const ids = new Map(doc.messages.map((m) => [m.id, newId()]))
      await repos.backup.insertMessages(doc.messages.map((m) => messageRow(chat.id, m, ids)))
      const attachments = doc.messages.flatMap((m) => m.files.filter((f) => files.has(f.id)).map((f, position) => ({ messageId: ids.get(m.id)!, fileId: f.id, position, name: f.name, contentType: f.contentType, size: f.size })))
      await repos.backup.insertFiles(attachments)
      await repos.backup.insertReactions(
        doc.messages.flatMap((m) => m.reactions.flatMap((r) => [...new Set(r.userIds)].filter((userId) => kept.has(userId)).map((userId) => ({ messageId: ids.get(m.id)!, userId, emoji: r.emoji })))),
      )
      const pins = doc.pins.filter((pin) => ids.has(pin.messageId))
      await repos.backup.insertPins(pins.map((pin) => ({ chatId: chat.id, messageId: ids.get(pin.messageId)!, pinnedBy: pin.pinnedBy && kept.has(pin.pinnedBy) ? pin.pinnedBy : null, pinnedAt: new Date(pin.pinnedAt) })))
      const allFiles = doc.messages.reduce((n, m) => n + m.files.length, 0)
      return { chat, rows, summary: { messages: doc.messages.length, participants: rows.length, skippedFiles: allFiles - attachments.length, pins: pins.length } }
    })
  }
}

/** A message row of the new chat: a new id, links to other messages remapped (dropped if they point outside the export). */
function messageRow(chatId: string, m: Message, ids: ReadonlyMap<string, string>) {
  return {
    id: ids.get(m.id)!,
    chatId,
    seq: m.seq,
    authorId: m.author?.id ?? null,
    type: m.type,
    text: m.deletedAt ? null : m.text,
    system: m.system,
    media: m.media,
    replyToId: m.replyToId ? (ids.get(m.replyToId) ?? null) : null,
    threadRootId: m.threadRootId ? (ids.get(m.threadRootId) ?? null) : null,
    replyCount: m.replyCount,
    lastReplyAt: m.lastReplyAt ? new Date(m.lastReplyAt) : null,
    forwardedFrom: m.forwardedFrom,
    mentions: m.mentions,
    clientId: m.clientId,
    version: m.version,
    createdAt: new Date(m.createdAt),
    editedAt: m.editedAt ? new Date(m.editedAt) : null,
    deletedAt: m.deletedAt ? new Date(m.deletedAt) : null,
  }
}

/**
 * What a signed export always is, checked anyway before anything is written: one owner, messages
 * in strictly increasing seq with distinct ids, links only to earlier messages.
 */
function checkOrder(doc: ImportChatBody): void {
  const seen = new Set<string>()
  let previous = 0
  for (const m of doc.messages) {
    if (m.seq <= previous || seen.has(m.id)) throw new AppError('CHAT_IMPORT_INVALID', 'The messages are not in strictly increasing seq order.', { seq: m.seq })
    for (const link of [m.replyToId, m.threadRootId]) if (link && !seen.has(link)) throw new AppError('CHAT_IMPORT_INVALID', 'A message links to one that is not before it in the export.', { seq: m.seq })
    seen.add(m.id)
    previous = m.seq
  }
  if (doc.participants.filter((p) => p.role === 'owner').length !== 1) throw new AppError('CHAT_IMPORT_INVALID', 'An export lists exactly one owner.', { participants: 'one owner' })
}
