import type { Actor } from '../access/actor.js'
import type { PermissionRegistry } from '../access/permissions.js'
import type { Role } from '../access/roles.js'
import type { AuditRepository } from '../audit/audit.repository.js'
import { newId } from '../db/columns.js'
import type { UnitOfWork } from '../db/unit-of-work.js'
import { AppError, notFound } from '../errors/app-error.js'
import type { UsersRepository } from '../users/users.repository.js'
import { newApiKeySecret, type ApiKeyAuthenticator } from './api-key-authenticator.js'
import type { ApiKeysRepository } from './api-keys.repository.js'
import type { ApiKeyRow } from './db/schema.js'
import type { RequestMeta } from './request-meta.js'

export const MANAGE_PERMISSION = 'api-keys:manage'
/** Permissions a key can never carry: keys do not manage keys. */
const NOT_DELEGABLE = new Set([MANAGE_PERMISSION])
/** Active (neither revoked nor expired) keys one account may have. */
export const MAX_ACTIVE_KEYS = 50
/** Lists show the newest keys, revoked and expired ones included. */
export const MAX_LISTED_KEYS = 100
/** As GitHub's fine-grained tokens: an expiry, when given, is at most a year and a day away. */
export const MAX_LIFETIME_DAYS = 366
const DAY_MS = 86_400_000

export interface ApiKeyView {
  id: string
  label: string
  prefix: string
  scopes: string[]
  createdAt: string
  expiresAt: string | null
  lastUsedAt: string | null
  revokedAt: string | null
}

export interface NewApiKeyInput {
  label: string
  scopes: string[]
  expiresAt?: string
}

export interface ApiKeyStoreRepos {
  apiKeys: ApiKeysRepository
  audit: AuditRepository
  users: UsersRepository
}

export const toApiKeyView = (row: ApiKeyRow): ApiKeyView => ({
  id: row.id,
  label: row.label,
  prefix: row.prefix,
  scopes: row.scopes,
  createdAt: row.createdAt.toISOString(),
  expiresAt: row.expiresAt?.toISOString() ?? null,
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  revokedAt: row.revokedAt?.toISOString() ?? null,
})

/**
 * Creating, listing and revoking API keys: your own, or any account's with `api-keys:manage`. A key
 * gets only permissions its owner's role has; the secret is returned once and only its hash kept.
 */
export class ApiKeyService {
  constructor(
    private readonly store: UnitOfWork<ApiKeyStoreRepos>,
    private readonly access: PermissionRegistry,
    private readonly keys: ApiKeyAuthenticator,
  ) {
    access.assertKnown(MANAGE_PERMISSION)
  }

  async create(actor: Actor, ownerId: string, input: NewApiKeyInput, meta: RequestMeta): Promise<ApiKeyView & { secret: string }> {
    this.requireAccess(actor, ownerId)
    const expiresAt = expiry(input.expiresAt)
    const scopes = [...new Set(input.scopes)]
    const { secret, prefix, tokenHash } = newApiKeySecret()
    const row = await this.store.transaction(async (repos) => {
      if (!(await repos.apiKeys.lockOwner(ownerId))) throw notFound('User')
      const owner = await repos.users.findById(ownerId)
      if (!owner) throw notFound('User')
      this.checkScopes(scopes, owner.role as Role)
      if ((await repos.apiKeys.countLive(ownerId)) >= MAX_ACTIVE_KEYS) throw new AppError('API_KEY_LIMIT_REACHED', undefined, { limit: MAX_ACTIVE_KEYS })
      const created = await repos.apiKeys.insert({ id: newId(), userId: ownerId, label: input.label, prefix, tokenHash, scopes, expiresAt, createdBy: actor.id })
      await repos.audit.append({ action: 'api_key.created', actorId: actor.id, targetId: ownerId, ...meta, details: { apiKeyId: created.id, prefix, scopes, expiresAt: expiresAt?.toISOString() ?? null } })
      return created
    })
    return { ...toApiKeyView(row), secret }
  }

  async list(actor: Actor, ownerId: string): Promise<ApiKeyView[]> {
    this.requireAccess(actor, ownerId)
    if (ownerId !== actor.id && !(await this.store.repos.users.findById(ownerId))) throw notFound('User')
    return (await this.store.repos.apiKeys.listOf(ownerId, MAX_LISTED_KEYS)).map(toApiKeyView)
  }

  /** Refused at once on every instance. Revoking a revoked key changes nothing; keys of other accounts are 404. */
  async revoke(actor: Actor, ownerId: string, keyId: string, meta: RequestMeta): Promise<void> {
    this.requireAccess(actor, ownerId)
    const revoked = await this.store.transaction(async (repos) => {
      const result = await repos.apiKeys.revoke(keyId, ownerId)
      if (!result) throw notFound('API key')
      if (result.revokedNow) await repos.audit.append({ action: 'api_key.revoked', actorId: actor.id, targetId: ownerId, ...meta, details: { apiKeyId: keyId, prefix: result.row.prefix } })
      return result.revokedNow
    })
    if (revoked) await this.keys.announceRevoked([keyId])
  }

  /** Your own keys, or anyone's with api-keys:manage; other accounts do not exist for anyone else (404). */
  private requireAccess(actor: Actor, ownerId: string): void {
    if (actor.id !== ownerId && !this.access.allows(actor, MANAGE_PERMISSION)) throw notFound('User')
  }

  private checkScopes(scopes: readonly string[], role: Role): void {
    const known = new Set(this.access.list().map((def) => def.key))
    const unknown = scopes.filter((scope) => !known.has(scope))
    if (unknown.length > 0) throw new AppError('VALIDATION_FAILED', `Unknown permission ${unknown.join(', ')}.`, { scopes: `unknown permission: ${unknown.join(', ')}` })
    const refused = scopes.filter((scope) => NOT_DELEGABLE.has(scope))
    if (refused.length > 0) throw new AppError('VALIDATION_FAILED', `${refused.join(', ')} cannot be given to an API key.`, { scopes: `not for API keys: ${refused.join(', ')}` })
    const missing = scopes.filter((scope) => !this.access.roleHas(role, scope))
    if (missing.length > 0) throw new AppError('API_KEY_SCOPE_NOT_HELD', `The owner's role (${role}) does not have ${missing.join(', ')}.`, { scopes: missing })
  }
}

function expiry(value: string | undefined): Date | null {
  if (value === undefined) return null
  const at = new Date(value)
  const now = Date.now()
  if (Number.isNaN(at.getTime())) throw new AppError('VALIDATION_FAILED', 'expiresAt is not a valid time.', { expiresAt: 'is not a valid time' })
  if (at.getTime() <= now) throw new AppError('VALIDATION_FAILED', 'expiresAt must be in the future.', { expiresAt: 'must be in the future' })
  if (at.getTime() > now + MAX_LIFETIME_DAYS * DAY_MS) throw new AppError('VALIDATION_FAILED', `expiresAt must be at most ${MAX_LIFETIME_DAYS} days away.`, { expiresAt: `must be at most ${MAX_LIFETIME_DAYS} days away` })
  return at
}
