import type { FastifyBaseLogger } from 'fastify'
import { LRUCache } from 'lru-cache'
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import type { Actor } from '../access/actor.js'
import { isRole } from '../access/roles.js'
import type { AuditRepository } from '../audit/audit.repository.js'
import { hashToken, randomToken } from '../crypto/random-token.js'
import { newId } from '../db/columns.js'
import type { UnitOfWork } from '../db/unit-of-work.js'
import { AppError } from '../errors/app-error.js'
import type { ApiKeysRepository } from './api-keys.repository.js'
import type { RequestMeta } from './request-meta.js'
import type { RevocationList } from './revocations.js'

export const API_KEY_PREFIX = 'plk_'
/** `plk_` and 32 random bytes in base64url. */
const API_KEY_PATTERN = /^plk_[A-Za-z0-9_-]{43}$/
/** Shown in lists: `plk_` and the first 8 characters of the secret. */
const DISPLAY_LENGTH = API_KEY_PREFIX.length + 8

export const isApiKeyToken = (token: string): boolean => token.startsWith(API_KEY_PREFIX)

/** A new secret and what is stored of it. */
export function newApiKeySecret(): { secret: string; prefix: string; tokenHash: string } {
  const secret = API_KEY_PREFIX + randomToken()
  return { secret, prefix: secret.slice(0, DISPLAY_LENGTH), tokenHash: hashToken(secret) }
}

/**
 * Announcements on the revocation channel (revocations.ts), next to the session ids: a revoked key,
 * and an account whose role or state changed (each announcement unique, so a second change within
 * the list's window is still told). Every instance drops what it cached of them.
 */
const REVOKED = 'api-key:'
const OWNER_CHANGED = 'api-key-owner:'
export const apiKeyRevoked = (keyId: string): string => `${REVOKED}${keyId}`
export const apiKeyOwnerChanged = (userId: string): string => `${OWNER_CHANGED}${userId}:${newId()}`

export interface ApiKeyRepos {
  apiKeys: ApiKeysRepository
  audit: AuditRepository
}

export interface ApiKeySettings {
  /** How long a looked-up key (and its owner's role) is reused without reading the database. */
  cacheTtlMs: number
  /** `last_used_at` is written at most this often per key and instance. */
  touchEveryMs: number
  /** A use is written to the audit log at most this often per key (across instances). */
  auditEveryMs: number
  /** Keys found (live or not) kept in memory; unknown keys never take their place. */
  cacheSize: number
  /** Unknown keys remembered (a bounded cache of their own), so a repeated wrong key is not read again. */
  missCacheSize: number
  /**
   * Unknown keys one client IP may try per minute (counted in memory, per instance); past it, its
   * keys not in the cache are refused with 401 API_KEY_INVALID without reading the database.
   */
  unknownKeysPerIpPerMinute: number
}

export const API_KEY_SETTINGS: ApiKeySettings = {
  cacheTtlMs: 30_000,
  touchEveryMs: 60_000,
  auditEveryMs: 3_600_000,
  cacheSize: 10_000,
  missCacheSize: 1_000,
  unknownKeysPerIpPerMinute: 30,
}

type Cached =
  | { found: false }
  | { found: true; id: string; userId: string; scopes: readonly string[]; expiresAt: number | null; revoked: boolean; role: string; disabled: boolean; deleted: boolean }

const MISSING: Cached = { found: false }

/**
 * Resolves `Authorization: Bearer plk_…` to the key's owner, limited to its scopes. Lookups are by
 * the secret's SHA-256 (a unique index) and cached briefly in memory; a revocation or a change of the
 * owner's role or state is announced on the session revocation channel, and every instance drops
 * its copy at once. Uses are written cheaply: `last_used_at` at most once a minute per key and
 * instance, in the background, and an audit entry at most once an hour per key.
 *
 * Random keys cannot push real ones out: unknown keys go to a small cache of their own, and each
 * client IP may cause only `unknownKeysPerIpPerMinute` lookups of keys that turn out unknown.
 */
export class ApiKeyAuthenticator {
  private readonly cache: LRUCache<string, Cached>
  private readonly misses: LRUCache<string, true>
  private readonly unknownPerIp: RateLimiterMemory
  private readonly touched: LRUCache<string, true>
  /** Bumped by every announcement: a lookup that started before one is not cached. */
  private generation = 0
  private readonly pending = new Set<Promise<void>>()
  private readonly unsubscribe: () => void

  constructor(
    private readonly store: UnitOfWork<ApiKeyRepos>,
    private readonly revocations: RevocationList,
    private readonly log: FastifyBaseLogger,
    private readonly settings: ApiKeySettings = API_KEY_SETTINGS,
  ) {
    this.cache = new LRUCache<string, Cached>({ max: settings.cacheSize, ttl: settings.cacheTtlMs })
    this.misses = new LRUCache<string, true>({ max: settings.missCacheSize, ttl: settings.cacheTtlMs })
    this.unknownPerIp = new RateLimiterMemory({ keyPrefix: 'api-key-unknown', points: settings.unknownKeysPerIpPerMinute, duration: 60 })
    this.touched = new LRUCache<string, true>({ max: settings.cacheSize, ttl: settings.touchEveryMs })
    this.unsubscribe = revocations.onRevoked((id) => this.heard(id))
  }

  /** The owner as the actor, with the key's scopes; 401 for a malformed, unknown, revoked or expired key. */
  async verify(token: string, meta: RequestMeta): Promise<Actor> {
    if (!API_KEY_PATTERN.test(token)) throw new AppError('API_KEY_INVALID', 'An API key is "plk_" followed by 43 base64url characters.')
    const tokenHash = hashToken(token)
    const key = this.cache.get(tokenHash) ?? (await this.lookUp(tokenHash, meta.ip))
    if (!key.found || key.deleted) throw new AppError('API_KEY_INVALID')
    if (key.revoked || this.revocations.isRevoked(apiKeyRevoked(key.id))) throw new AppError('API_KEY_REVOKED')
    if (key.expiresAt !== null && key.expiresAt <= Date.now()) throw new AppError('API_KEY_EXPIRED')
    if (key.disabled) throw new AppError('API_KEY_OWNER_DISABLED')
    if (!isRole(key.role)) throw new AppError('API_KEY_INVALID')
    this.used(key.id, key.userId, meta)
    return { id: key.userId, role: key.role, apiKey: { id: key.id, scopes: key.scopes } }
  }

  /** After a revocation committed: refused here at once, and on the other instances as soon as they hear. */
  announceRevoked(keyIds: readonly string[]): Promise<void> {
    return this.revocations.publish(keyIds.map(apiKeyRevoked))
  }

  /** After an account's role or state changed: every instance reads its keys' owner again. */
  announceOwnerChanged(userId: string): Promise<void> {
    return this.revocations.publish([apiKeyOwnerChanged(userId)])
  }

  /** Resolves once the background writes of uses started so far are done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }

  async close(): Promise<void> {
    this.unsubscribe()
    await this.idle()
  }

  /**
   * A key not in the cache. Each lookup spends one of the IP's unknown-key points up front (so a
   * concurrent burst is bounded too), given back when the key exists; with none left, no lookup.
   */
  private async lookUp(tokenHash: string, ip: string): Promise<Cached> {
    if (this.misses.has(tokenHash)) return MISSING
    try {
      await this.unknownPerIp.consume(ip)
    } catch (refused) {
      if (refused instanceof RateLimiterRes) return MISSING
      throw refused
    }
    const key = await this.load(tokenHash)
    if (key.found) await this.unknownPerIp.reward(ip)
    return key
  }

  private async load(tokenHash: string): Promise<Cached> {
    const generation = this.generation
    const row = await this.store.repos.apiKeys.findByHash(tokenHash)
    const key: Cached = row
      ? {
          found: true,
          id: row.id,
          userId: row.userId,
          scopes: row.scopes,
          expiresAt: row.expiresAt?.getTime() ?? null,
          revoked: row.revokedAt !== null,
          role: row.owner.role,
          disabled: row.owner.disabled,
          deleted: row.owner.deletedAt !== null,
        }
      : MISSING
    if (!key.found) this.misses.set(tokenHash, true)
    else if (generation === this.generation) this.cache.set(tokenHash, key)
    return key
  }

  private heard(id: string): void {
    const keyId = id.startsWith(REVOKED) ? id.slice(REVOKED.length) : undefined
    const userId = id.startsWith(OWNER_CHANGED) ? id.slice(OWNER_CHANGED.length).split(':')[0] : undefined
    if (keyId === undefined && userId === undefined) return
    this.generation++
    for (const [hash, key] of this.cache.entries()) {
      if (key.found && (key.id === keyId || key.userId === userId)) this.cache.delete(hash)
    }
  }

  private used(keyId: string, userId: string, meta: RequestMeta): void {
    if (this.touched.has(keyId)) return
    this.touched.set(keyId, true)
    const write = this.record(keyId, userId, meta)
      .catch((err: unknown) => this.log.warn({ err, apiKeyId: keyId }, 'could not record an API key use'))
      .finally(() => this.pending.delete(write))
    this.pending.add(write)
  }

  private async record(keyId: string, userId: string, meta: RequestMeta): Promise<void> {
    await this.store.transaction(async (repos) => {
      const touched = await repos.apiKeys.touch(keyId, this.settings.auditEveryMs)
      if (touched.audit) await repos.audit.append({ action: 'api_key.used', actorId: userId, targetId: userId, ip: meta.ip, userAgent: meta.userAgent, details: { apiKeyId: keyId } })
    })
  }
}
