import type { Client } from 'openapi-fetch'
import { PlinthError } from './errors.js'
import type { components, operations, paths } from './schema.js'
import type { StoredSession, TokenStore } from './token-store.js'

export type User = components['schemas']['User']
export type SignInBody = operations['postAuthLogin']['requestBody']['content']['application/json']
export type SignUpBody = operations['postAuthRegister']['requestBody']['content']['application/json']

/** What changed about the session: signed in, tokens refreshed, or signed out (by the user, or because the server ended the session). */
export type AuthEvent =
  | { type: 'signedIn'; user: User }
  | { type: 'refreshed' }
  | { type: 'signedOut'; reason: 'signOut' | 'sessionEnded'; error?: PlinthError }

export interface AuthOptions {
  /** An API client that adds no token (the auth routes take none). */
  api: Client<paths>
  store: TokenStore
  /** Refresh at most this long before the access token expires (default 60 s; never more than half its lifetime). */
  refreshAheadMs?: number
  /** The clock (ms since the epoch); tests move it. */
  now?: () => number
}

/** A pair from sign-in or refresh, as the server sends it. */
interface TokenPair {
  accessToken: string
  refreshToken: string
  expiresIn: number
}

/** Refresh refusals after which the session is over: sign in again. */
const SESSION_ENDED = new Set(['INVALID_REFRESH_TOKEN', 'REFRESH_TOKEN_REUSED', 'SESSION_REVOKED', 'ACCOUNT_DISABLED'])

/**
 * Sign-in, sign-up and sign-out, and an access token that stays valid: refreshed ahead of its expiry,
 * with one refresh in flight however many calls need it (they all wait for that one). Refresh tokens
 * rotate, each working once; the server answers one replayed within its grace window with the current
 * pair, so tabs sharing a LocalStorageTokenStore that refresh at the same moment all stay signed in.
 */
export class Auth {
  private readonly api: Client<paths>
  private readonly store: TokenStore
  private readonly refreshAheadMs: number
  private readonly now: () => number
  private readonly listeners = new Set<(event: AuthEvent) => void>()
  private refreshing: Promise<StoredSession | null> | undefined

  constructor(options: AuthOptions) {
    this.api = options.api
    this.store = options.store
    this.refreshAheadMs = options.refreshAheadMs ?? 60_000
    this.now = options.now ?? Date.now
  }

  /** Signs in with `email` or `username` and `password`; the session goes to the token store. */
  async signIn(body: SignInBody): Promise<User> {
    const { data, error, response } = await this.api.POST('/api/auth/login', { body })
    if (!data) throw await PlinthError.fromResponse(response, error)
    await this.start(data)
    return data.user
  }

  /** Creates the account and signs in (403 REGISTRATION_CLOSED where the server takes no sign-ups). */
  async signUp(body: SignUpBody): Promise<User> {
    const { data, error, response } = await this.api.POST('/api/auth/register', { body })
    if (!data) throw await PlinthError.fromResponse(response, error)
    await this.start(data)
    return data.user
  }

  /**
   * Ends the session on the server (its access token is refused at once everywhere) and forgets it
   * here. Offline, it is forgotten here anyway; the server's copy lapses with its refresh token.
   */
  async signOut(): Promise<void> {
    const session = await this.store.get()
    if (!session) return
    try {
      // An expired token would be refused (401) and leave the session open: refresh it first.
      const token = (await this.accessToken()) ?? session.accessToken
      await this.api.POST('/api/auth/logout', { headers: { authorization: `Bearer ${token}` } })
    } catch {
      // Unreachable, or the session already ended: signing out here does not depend on the server.
    }
    if (!(await this.store.get())) return
    await this.store.set(null)
    this.emit({ type: 'signedOut', reason: 'signOut' })
  }

  /** The stored session, or null when signed out. */
  session(): Promise<StoredSession | null> {
    return Promise.resolve(this.store.get())
  }

  /** When the client refreshes this session's access token (ms since the epoch). */
  refreshDueAt(session: StoredSession): number {
    return session.expiresAt - Math.min(this.refreshAheadMs, session.lifetimeMs / 2)
  }

  /**
   * A valid access token, refreshed first when it is due; null when signed out. A refresh that cannot
   * reach the server while the token still works is not the caller's problem: the current token is used.
   */
  async accessToken(): Promise<string | null> {
    const session = await this.store.get()
    if (!session) return null
    if (this.now() < this.refreshDueAt(session)) return session.accessToken
    try {
      return (await this.refresh())?.accessToken ?? null
    } catch (error) {
      if (error instanceof PlinthError && !SESSION_ENDED.has(error.code) && this.now() < session.expiresAt) return session.accessToken
      throw error
    }
  }

  /**
   * Exchanges the refresh token for a new pair, one exchange at a time: concurrent callers share it.
   * `stale`: the access token the server just refused; when the store already holds another one (a
   * concurrent call or another tab refreshed), that one is returned without a new exchange.
   * Resolves null when signed out; rejects with the server's refusal, after which the session is
   * gone (`signedOut` with reason `sessionEnded`), or with NETWORK_ERROR, after which it is kept.
   */
  refresh(stale?: string): Promise<StoredSession | null> {
    this.refreshing ??= this.exchange(stale).finally(() => {
      this.refreshing = undefined
    })
    return this.refreshing
  }

  /** Forgets a session the server has ended (a 401 SESSION_REVOKED, a refused refresh). */
  async ended(error: PlinthError): Promise<void> {
    if (!(await this.store.get())) return
    await this.store.set(null)
    this.emit({ type: 'signedOut', reason: 'sessionEnded', error })
  }

  /** Calls `listener` on every AuthEvent; returns the unsubscribe. */
  onChange(listener: (event: AuthEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private async exchange(stale: string | undefined): Promise<StoredSession | null> {
    const current = await this.store.get()
    if (!current) return null
    const due = stale === undefined ? this.now() >= this.refreshDueAt(current) : current.accessToken === stale
    if (!due) return current
    const { data, error, response } = await this.api.POST('/api/auth/refresh', { body: { refreshToken: current.refreshToken } })
    if (data) {
      const session = this.toSession(data)
      await this.store.set(session)
      this.emit({ type: 'refreshed' })
      return session
    }
    const refused = await PlinthError.fromResponse(response, error)
    if (!SESSION_ENDED.has(refused.code)) throw refused
    // Another tab may have rotated the token past the grace window: its pair is in the store.
    const latest = await this.store.get()
    if (latest && latest.refreshToken !== current.refreshToken) return latest
    await this.ended(refused)
    throw refused
  }

  private async start(pair: TokenPair & { user: User }): Promise<void> {
    await this.store.set(this.toSession(pair))
    this.emit({ type: 'signedIn', user: pair.user })
  }

  private toSession(pair: TokenPair): StoredSession {
    const lifetimeMs = pair.expiresIn * 1000
    return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresAt: this.now() + lifetimeMs, lifetimeMs }
  }

  private emit(event: AuthEvent): void {
    for (const listener of [...this.listeners]) listener(event)
  }
}
