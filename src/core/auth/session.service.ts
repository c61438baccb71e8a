import type { Role } from '../access/roles.js'
import type { Keyring } from '../crypto/keyring.js'
import { hashToken, randomToken } from '../crypto/random-token.js'
import { newId } from '../db/columns.js'
import { AppError } from '../errors/app-error.js'
import type { AuditRepository } from '../audit/audit.repository.js'
import type { AccessTokens } from './access-tokens.js'
import { apiKeyOwnerChanged } from './api-key-authenticator.js'
import type { IdentityStore } from './identity-store.js'
import type { RequestMeta } from './request-meta.js'
import type { RevocationList } from './revocations.js'
import type { SessionRow } from './db/schema.js'
import type { NewSession, SessionsRepository } from './sessions.repository.js'

/** The repositories sessions write, from whichever store's transaction they join. */
export interface SessionRepos {
  sessions: SessionsRepository
  audit: AuditRepository
}

export type RevokeFilter = { sessionId?: string; userId?: string; exceptSessionId?: string }
export type RevokeAudit = { action: string; actorId: string | null; targetId?: string; ip: string; userAgent: string | null }

export interface TokenPair {
  accessToken: string
  refreshToken: string
  tokenType: 'Bearer'
  expiresIn: number
}

export interface SessionSettings {
  refreshTokenTtlDays: number
  reuseGraceSeconds: number
}

const DAY_MS = 86_400_000

/**
 * What `revokeIn` returned for an account-wide revocation (a role, disabled, deleted or reset
 * account), and whose: `announce` then also tells every instance to read that account's API keys
 * again, so a key never keeps the power of a role its owner lost.
 */
const accountWide = new WeakMap<readonly string[], string>()

/**
 * Sessions and their rotating refresh tokens. A refresh token is used once: the exchange
 * returns a new pair. A concurrent tab presenting the token it just lost the race with, within
 * the grace window, gets the session's current pair instead of being logged out; the same
 * token presented after the window is theft, and ends the whole session.
 */
export class SessionService {
  constructor(
    private readonly store: IdentityStore,
    private readonly accessTokens: AccessTokens,
    private readonly sealer: Keyring,
    private readonly revocations: RevocationList,
    private readonly settings: SessionSettings,
  ) {}

  /**
   * A new session and its first refresh token, in one transaction: the caller's (`repos`), so that
   * what causes the sign-in (a registration, its audit entry) commits with it or not at all, or
   * one of its own.
   */
  async start(user: { id: string; role: Role }, meta: RequestMeta, repos?: SessionRepos): Promise<{ pair: TokenPair; session: SessionRow }> {
    if (!repos) return this.store.transaction((tx) => this.start(user, meta, tx))
    const { values, refreshToken } = this.newSession(user.id, meta)
    const session = await repos.sessions.insert(values)
    return { pair: await this.pair(user.id, values.id, user.role, refreshToken), session }
  }

  /**
   * `start` with the sign-in's audit entry (`action`, by the user, from `meta`) written in the same
   * single statement: one round trip instead of a transaction's five, committed together or not at all.
   */
  async startAudited(user: { id: string; role: Role }, meta: RequestMeta, action: string): Promise<{ pair: TokenPair; session: SessionRow }> {
    const { values, refreshToken } = this.newSession(user.id, meta)
    const session = await this.store.repos.sessions.insertWithAudit(values, { action, actorId: user.id, ip: meta.ip, userAgent: meta.userAgent })
    return { pair: await this.pair(user.id, values.id, user.role, refreshToken), session }
  }

  private newSession(userId: string, meta: RequestMeta): { values: NewSession; refreshToken: string } {
    const id = newId()
    const refreshToken = randomToken()
    const values = {
      id,
      userId,
      tokenHash: hashToken(refreshToken),
      currentTokenSealed: this.sealer.seal(refreshToken, id),
      ip: meta.ip,
      userAgent: meta.userAgent,
      expiresAt: this.expiry(),
    }
    return { values, refreshToken }
  }

  async refresh(refreshToken: string, meta: RequestMeta): Promise<TokenPair> {
    const tokenHash = hashToken(refreshToken)
    const found = await this.store.repos.sessions.findToken(tokenHash)
    const session = found?.session
    if (!found || !session || session.revokedAt || session.expiresAt.getTime() <= Date.now()) throw new AppError('INVALID_REFRESH_TOKEN')
    if (found.user.disabled || found.user.deletedAt) throw new AppError('ACCOUNT_DISABLED')
    const role = found.user.role as Role

    if (!found.rotatedAt) {
      const next = randomToken()
      const outcome = await this.store.transaction(async (repos) => {
        // The session row before its tokens, the order revocation locks them in: a logout racing
        // a refresh then waits for it instead of deadlocking with it.
        if (!(await repos.sessions.lockLive(session.id))) return 'ended'
        if (!(await repos.sessions.markRotated(tokenHash))) return 'lost'
        await repos.sessions.addToken(session.id, hashToken(next), this.sealer.seal(next, session.id), { ...meta, expiresAt: this.expiry() })
        return 'rotated'
      })
      if (outcome === 'ended') throw new AppError('INVALID_REFRESH_TOKEN')
      if (outcome === 'rotated') return this.pair(session.userId, session.id, role, next)
    }
    // Rotated already — by a concurrent request a moment ago, or long ago.
    const current = await this.store.repos.sessions.findToken(tokenHash)
    const rotatedAt = current?.rotatedAt?.getTime() ?? 0
    if (Date.now() - rotatedAt <= this.settings.reuseGraceSeconds * 1000) {
      const live = await this.store.repos.sessions.findLive(session.id)
      if (!live) throw new AppError('INVALID_REFRESH_TOKEN')
      return this.pair(session.userId, session.id, role, this.sealer.open(live.currentTokenSealed, session.id))
    }
    await this.revoke({ sessionId: session.id }, 'refresh_token_reused', {
      action: 'auth.refresh_reused',
      actorId: session.userId,
      ...meta,
    })
    throw new AppError('REFRESH_TOKEN_REUSED')
  }

  /**
   * Revokes matching sessions, records why, and makes every instance refuse their access tokens
   * at once. Returns the ids revoked.
   */
  async revoke(filter: RevokeFilter, reason: string, audit?: RevokeAudit): Promise<string[]> {
    const ids = await this.store.transaction((repos) => this.revokeIn(repos, filter, reason, audit))
    await this.announce(ids)
    return ids
  }

  /**
   * Revokes matching sessions inside the caller's transaction, so the change that ends them (a new
   * password, a role, a disabled or deleted account) and their end commit together: once the
   * change is visible, no refresh token of those sessions works on any instance, whatever happens
   * to the announcement. If this fails, the change is rolled back with it. After the commit, pass
   * the ids returned to `announce`.
   */
  async revokeIn(repos: SessionRepos, filter: RevokeFilter, reason: string, audit?: RevokeAudit): Promise<string[]> {
    const revoked = await repos.sessions.revoke(filter, reason)
    await repos.sessions.deleteTokensOf(revoked)
    if (audit) await repos.audit.append({ ...audit, details: { reason, sessions: revoked.length } })
    if (filter.userId && !filter.sessionId && !filter.exceptSessionId) accountWide.set(revoked, filter.userId)
    return revoked
  }

  /**
   * After the revocation committed: this instance refuses the sessions' access tokens at once, and
   * the others are told over Redis (after an account-wide one, its API keys are read again too). A
   * lost announcement is caught up by their periodic reload.
   */
  announce(sessionIds: readonly string[]): Promise<void> {
    const owner = accountWide.get(sessionIds)
    return this.revocations.publish(owner ? [...sessionIds, apiKeyOwnerChanged(owner)] : sessionIds)
  }

  list(userId: string): Promise<SessionRow[]> {
    return this.store.repos.sessions.listLive(userId)
  }

  private async pair(userId: string, sessionId: string, role: Role, refreshToken: string): Promise<TokenPair> {
    const accessToken = await this.accessTokens.issue({ userId, sessionId, role })
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.accessTokens.ttlSeconds }
  }

  private expiry(): Date {
    return new Date(Date.now() + this.settings.refreshTokenTtlDays * DAY_MS)
  }
}
