import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../../core/access/actor.js'
import type { ModuleAudit, ModuleAuditEntry } from '../../core/audit/module-audit.js'
import type { PasswordCheck } from '../../core/auth/password-check.js'
import type { RequestMeta } from '../../core/auth/request-meta.js'
import type { RewrapBatch, RewrapResult } from '../../core/crypto/encrypted-data.js'
import type { Keyring } from '../../core/crypto/keyring.js'
import type { Db } from '../../core/db/client.js'
import { newId } from '../../core/db/columns.js'
import { unitOfWork, type UnitOfWork } from '../../core/db/unit-of-work.js'
import { AppError, notFound } from '../../core/errors/app-error.js'
import { decodeRowCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import type { ProjectAccess } from './access.js'
import { createAiKeysRepository, type AiKeyRow, type AiKeysRepository, type AiKeySummary } from './ai-keys.repository.js'
import type { AI_PROVIDERS } from './domain.js'

export type AiProvider = (typeof AI_PROVIDERS)[number]
export interface AiKeyInput {
  provider: AiProvider
  label?: string
  key: string
}

const CURSOR_SORT = 'ai-keys'

/**
 * The associated data a key is sealed with: its owner and record id, so a ciphertext copied to
 * another row or another user does not open.
 */
export const aiKeyAad = (userId: string, id: string): string => `colorbook.ai_keys:${userId}:${id}`

interface AiKeysRepos {
  keys: AiKeysRepository
  audit(entry: ModuleAuditEntry): Promise<void>
}

/**
 * Users' own AI provider keys: stored sealed (ctx.crypto, envelope encryption), listed by provider,
 * label and last four characters, revealed in clear only to their owner after re-confirming the
 * password (limited per hour by the route, audited). The key itself is never logged, audited or
 * exported.
 */
export class AiKeysService {
  private readonly store: UnitOfWork<AiKeysRepos>

  constructor(
    private readonly access: Pick<ProjectAccess, 'permit'>,
    db: Db,
    private readonly deps: { crypto: Keyring; passwords: PasswordCheck; audit: ModuleAudit; log: FastifyBaseLogger },
  ) {
    this.store = unitOfWork(db, (handle) => ({ keys: createAiKeysRepository(handle), audit: (entry) => deps.audit.record(entry, handle) }))
  }

  async list(actor: Actor, page: { limit: number; cursor?: string }): Promise<{ items: AiKeyView[]; nextCursor: string | null }> {
    this.access.permit(actor)
    const before = page.cursor === undefined ? undefined : decodeRowCursor(page.cursor, CURSOR_SORT).id
    const rows = await this.store.repos.keys.list(actor.id, page.limit + 1, before)
    const items = rows.slice(0, page.limit)
    const nextCursor = rows.length > page.limit ? encodeCursor({ sort: CURSOR_SORT, value: null, id: items.at(-1)!.id }) : null
    return { items: items.map(toAiKeyView), nextCursor }
  }

  async create(actor: Actor, input: AiKeyInput, meta: RequestMeta): Promise<AiKeyView> {
    this.access.permit(actor)
    const id = newId()
    const sealed = this.deps.crypto.sealRecord(input.key, aiKeyAad(actor.id, id))
    const values = { id, userId: actor.id, provider: input.provider, label: input.label?.trim() ?? null, last4: input.key.slice(-4) }
    return this.store.transaction(async (repos) => {
      const row = await repos.keys.insert({ ...values, ciphertext: sealed.ciphertext, wrappedDataKey: sealed.wrappedKey, keyId: sealed.keyId })
      await repos.audit(entry('created', actor, row, meta))
      return toAiKeyView(row)
    })
  }

  async remove(actor: Actor, id: string, meta: RequestMeta): Promise<void> {
    this.access.permit(actor)
    await this.store.transaction(async (repos) => {
      const row = await repos.keys.remove(id, actor.id)
      if (!row) throw notFound('The AI key')
      await repos.audit(entry('deleted', actor, row, meta))
    })
  }

  /**
   * The key in clear, to its owner only (another user's key: 404) and only with the account's
   * password (403 COLORBOOK_PASSWORD_INCORRECT, audited). A record that no longer opens answers
   * 409 COLORBOOK_KEY_UNREADABLE. The reveal's time and audit entry commit before the key is sent.
   */
  async reveal(actor: Actor, id: string, password: string, meta: RequestMeta): Promise<{ key: string }> {
    this.access.permit(actor)
    const row = await this.store.repos.keys.find(id, actor.id)
    if (!row) throw notFound('The AI key')
    if (!(await this.deps.passwords.verify(actor.id, password))) {
      await this.store.repos.audit(entry('reveal_refused', actor, row, meta, { reason: 'password_incorrect' }))
      throw new AppError('COLORBOOK_PASSWORD_INCORRECT')
    }
    const key = this.open(row)
    await this.store.transaction(async (repos) => {
      if (!(await repos.keys.markRevealed(row.id, actor.id, new Date()))) throw notFound('The AI key')
      await repos.audit(entry('revealed', actor, row, meta))
    })
    return { key }
  }

  /** The user's data export: each key by provider, label and last four characters, never the key. */
  async exportFor(userId: string) {
    return (await this.store.repos.keys.allOf(userId)).map(toAiKeyView)
  }

  /** Erasure: every key of the account goes. Idempotent. */
  async eraseFor(userId: string): Promise<void> {
    await this.store.repos.keys.removeAllOf(userId)
  }

  /** Rotation (the manifest's `encryptedData`): the master key ids the stored keys name. */
  keyIdsInUse(): Promise<string[]> {
    return this.store.repos.keys.keyIds()
  }

  /** Rotation: one batch of keys moved under the current master key, each with a conditional UPDATE; the ciphertexts stay. */
  async rewrap(keyring: Keyring, { limit, after }: RewrapBatch): Promise<RewrapResult> {
    const rows = await this.store.repos.keys.notUnder(keyring.currentKeyId, after, limit)
    let rewrapped = 0
    let failed = 0
    for (const row of rows) {
      let moved: { wrappedKey: string; keyId: string }
      try {
        moved = keyring.rewrap(row.wrappedDataKey, row.keyId)
      } catch {
        failed += 1
        continue
      }
      if (await this.store.repos.keys.replaceWrapped(row.id, { wrappedKey: row.wrappedDataKey, keyId: row.keyId }, moved)) rewrapped += 1
    }
    return { rewrapped, failed, next: rows.length < limit ? null : rows.at(-1)!.id }
  }

  private open(row: AiKeyRow): string {
    try {
      return this.deps.crypto.openRecord({ ciphertext: row.ciphertext, wrappedKey: row.wrappedDataKey, keyId: row.keyId }, aiKeyAad(row.userId, row.id))
    } catch (err) {
      // The keyring's errors never hold a key or a plaintext.
      this.deps.log.error({ err, aiKeyId: row.id, keyId: row.keyId }, 'a stored AI key does not open')
      throw new AppError('COLORBOOK_KEY_UNREADABLE', undefined, { id: row.id })
    }
  }
}

export type AiKeyView = ReturnType<typeof toAiKeyView>

export function toAiKeyView(row: AiKeySummary) {
  return { id: row.id, provider: row.provider, label: row.label, last4: row.last4, createdAt: row.createdAt.toISOString(), lastRevealedAt: row.lastRevealedAt?.toISOString() ?? null }
}

function entry(what: string, actor: Actor, row: Pick<AiKeySummary, 'id' | 'provider'>, meta: RequestMeta, details: Record<string, unknown> = {}): ModuleAuditEntry {
  return { action: `colorbook.ai_key.${what}`, actorId: actor.id, ip: meta.ip, userAgent: meta.userAgent, details: { aiKeyId: row.id, provider: row.provider, ...details } }
}
