import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../access/actor.js'
import type { Role } from '../access/roles.js'
import { hashToken, randomToken } from '../crypto/random-token.js'
import { SendEmail } from '../email/email.job.js'
import type { EmailMessage } from '../email/mailer.js'
import { passwordResetEmail, verificationEmail } from '../email/templates.js'
import { AppError } from '../errors/app-error.js'
import type { JobSender } from '../jobs/index.js'
import type { UserRow } from '../users/db/schema.js'
import { uniqueViolation, type NewUser, type UsersRepository } from '../users/users.repository.js'
import { toUserView, type UserView } from '../users/user.view.js'
import type { ApiKeyAuthenticator } from './api-key-authenticator.js'
import type { IdentityRepos, IdentityStore } from './identity-store.js'
import type { LoginThrottle, ThrottledAccount } from './login-throttle.js'
import { passwordProblem } from './password-policy.js'
import type { PasswordHasher } from './passwords.js'
import type { RequestMeta } from './request-meta.js'
import type { SessionService, TokenPair } from './session.service.js'

export interface AuthSettings {
  registration: 'open' | 'closed'
  publicUrl: string
}

export interface SignedIn extends TokenPair {
  user: UserView
}

const HOUR_MS = 3_600_000
const PURPOSE = { verify: 'verify_email', reset: 'reset_password' } as const

/** Registration, sign-in and -out, password changes and the e-mailed flows. */
export class AuthService {
  private readonly verifiedHooks: ((userId: string, email: string) => Promise<void>)[] = []

  constructor(
    private readonly store: IdentityStore,
    private readonly sessions: SessionService,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly jobs: JobSender,
    private readonly settings: AuthSettings,
    private readonly log: FastifyBaseLogger,
    private readonly apiKeys: Pick<ApiKeyAuthenticator, 'announceRevoked'>,
  ) {}

  /** The account, its audit entry, its verification link and its first session commit together, or none of them. */
  async register(input: { email: string; password: string; name: string; username?: string }, meta: RequestMeta): Promise<SignedIn> {
    if (this.settings.registration === 'closed') throw new AppError('REGISTRATION_CLOSED')
    const account = await this.prepareAccount({ ...input, role: 'user' })
    const { signedIn, verification } = await this.store.transaction(async (repos) => {
      const user = await insertAccount(repos.users, account)
      await repos.audit.append({ action: 'auth.register', actorId: user.id, ...meta })
      const link = await this.issueLinkIn(repos, user.id, PURPOSE.verify, 24 * HOUR_MS, '/verify-email')
      return { signedIn: await this.signIn(user, meta, repos), verification: verificationEmail(user.email, user.name, link) }
    })
    await this.deliver(verification)
    return signedIn
  }

  /**
   * Checks the password policy and hashes the password: the slow part of creating an account, done
   * before any transaction opens. `insertAccount` then writes it.
   */
  async prepareAccount(input: { email: string; password: string; name: string; username?: string; role: Role; emailVerifiedAt?: Date }): Promise<NewUser> {
    assertPassword(input.password, input.email)
    return {
      email: input.email.toLowerCase(),
      username: input.username?.toLowerCase() ?? null,
      name: input.name,
      role: input.role,
      passwordHash: await this.hasher.hash(input.password),
      ...(input.emailVerifiedAt ? { emailVerifiedAt: input.emailVerifiedAt } : {}),
    }
  }

  /** An account on its own (the first administrator); administrators' creations go with their audit entry (UsersService). */
  async createAccount(input: { email: string; password: string; name: string; username?: string; role: Role; emailVerifiedAt?: Date }): Promise<UserRow> {
    return insertAccount(this.store.repos.users, await this.prepareAccount(input))
  }

  /** Unknown account and wrong password answer alike, after the same argon2 work. */
  async login(input: { email?: string; username?: string; password: string }, meta: RequestMeta): Promise<SignedIn> {
    const login = (input.email ?? input.username ?? '').toLowerCase()
    const user = await this.store.repos.users.findByLogin(input)
    // Failures count against the account whichever name it is given by (e-mail or username).
    const account = user ? throttled(user) : { key: `login:${login}` }
    await this.throttle.attempt(account, meta.ip)
    if (!(await this.hasher.verify(user?.passwordHash, input.password)) || !user) {
      await this.store.repos.audit.append({ action: 'auth.login_failed', actorId: user?.id ?? null, ...meta, details: { login } })
      throw new AppError('INVALID_CREDENTIALS')
    }
    await this.throttle.succeeded(account, meta.ip)
    if (user.disabled) throw new AppError('ACCOUNT_DISABLED')
    // The session and its audit entry (and a rehashed password) commit together: without a rehash,
    // in one statement (one round trip; the sign-in's writes were a third of its non-hashing time).
    if (!this.hasher.needsRehash(user.passwordHash!)) {
      const { pair } = await this.sessions.startAudited({ id: user.id, role: user.role as Role }, meta, 'auth.login')
      return { user: toUserView(user), ...pair }
    }
    const rehashed = await this.hasher.hash(input.password)
    return this.store.transaction(async (repos) => {
      await repos.users.update(user.id, { passwordHash: rehashed })
      await repos.audit.append({ action: 'auth.login', actorId: user.id, ...meta })
      return this.signIn(user, meta, repos)
    })
  }

  async logout(actor: Actor, meta: RequestMeta): Promise<void> {
    if (!actor.sessionId) return
    await this.sessions.revoke({ sessionId: actor.sessionId }, 'logout', { action: 'auth.logout', actorId: actor.id, ...meta })
  }

  /**
   * Other sessions end; the current one stays signed in. Wrong current passwords count like failed
   * sign-ins, so a stolen access token cannot be used to guess the password and take the account.
   */
  async changePassword(actor: Actor, input: { currentPassword: string; newPassword: string }, meta: RequestMeta): Promise<void> {
    const user = await this.requireUser(actor.id)
    await this.throttle.attempt(throttled(user), meta.ip)
    if (!(await this.hasher.verify(user.passwordHash, input.currentPassword))) throw new AppError('CURRENT_PASSWORD_INCORRECT')
    await this.throttle.succeeded(throttled(user), meta.ip)
    assertPassword(input.newPassword, user.email, 'newPassword')
    const passwordHash = await this.hasher.hash(input.newPassword)
    // The new password and the end of the other sessions commit together, or neither does.
    const revoked = await this.store.transaction(async (repos) => {
      await repos.users.update(user.id, { passwordHash })
      return this.sessions.revokeIn(repos, { userId: user.id, ...(actor.sessionId ? { exceptSessionId: actor.sessionId } : {}) }, 'password_changed', {
        action: 'auth.password_changed',
        actorId: user.id,
        ...meta,
      })
    })
    await this.sessions.announce(revoked)
  }

  async requestEmailVerification(actor: Actor): Promise<void> {
    const user = await this.requireUser(actor.id)
    if (user.emailVerifiedAt) return
    const link = await this.store.transaction((repos) => this.issueLinkIn(repos, user.id, PURPOSE.verify, 24 * HOUR_MS, '/verify-email'))
    await this.deliver(verificationEmail(user.email, user.name, link))
  }

  /** The token is used up only together with the verification it records, and its audit entry. */
  async verifyEmail(token: string, meta: RequestMeta): Promise<UserView> {
    const user = await this.store.transaction(async (repos) => {
      const userId = await repos.emailTokens.consume(hashToken(token), PURPOSE.verify)
      if (!userId) throw new AppError('INVALID_EMAIL_TOKEN')
      const verified = await repos.users.update(userId, { emailVerifiedAt: new Date() })
      if (!verified) throw new AppError('INVALID_EMAIL_TOKEN')
      await repos.audit.append({ action: 'auth.email_verified', actorId: userId, ...meta })
      return verified
    })
    await this.announceVerified(user.id, user.email)
    return toUserView(user)
  }

  /** `hook` runs after each commit that verifies an address (the modules' `onUserVerified`). */
  onEmailVerified(hook: (userId: string, email: string) => Promise<void>): void {
    this.verifiedHooks.push(hook)
  }

  private async announceVerified(userId: string, email: string): Promise<void> {
    for (const hook of this.verifiedHooks) await hook(userId, email).catch((err: unknown) => this.log.error({ err, userId }, 'onUserVerified hook failed'))
  }

  /** Answers the same whether or not the account exists; the work happens after the response. */
  forgotPassword(email: string): void {
    void this.sendReset(email.toLowerCase()).catch((err: unknown) => this.log.error({ err }, 'password reset e-mail failed'))
  }

  /**
   * A refused password leaves the link usable: the token is used up only with the change that it allows.
   * A reset is an account recovery: it ends every session and revokes every API key (a password
   * change by the signed-in owner keeps the keys, as GitHub keeps tokens).
   */
  async resetPassword(token: string, password: string, meta: RequestMeta): Promise<void> {
    if (passwordProblem(password)) assertPassword(password)
    const tokenHash = hashToken(token)
    const userId = await this.store.repos.emailTokens.findLive(tokenHash, PURPOSE.reset)
    const user = userId ? await this.store.repos.users.findById(userId) : undefined
    if (!user) throw new AppError('INVALID_EMAIL_TOKEN')
    assertPassword(password, user.email)
    const passwordHash = await this.hasher.hash(password)
    // The token, the new password, the end of every session and of every API key commit together, or none of them.
    const revoked = await this.store.transaction(async (repos) => {
      if ((await repos.emailTokens.consume(tokenHash, PURPOSE.reset)) !== user.id) return undefined
      // The link proved the mailbox is theirs, so the address counts as verified too.
      await repos.users.update(user.id, { passwordHash, emailVerifiedAt: user.emailVerifiedAt ?? new Date() })
      const sessions = await this.sessions.revokeIn(repos, { userId: user.id }, 'password_reset', { action: 'auth.password_reset', actorId: user.id, ...meta })
      const keys = await repos.apiKeys.revokeAllOf(user.id)
      for (const key of keys) {
        await repos.audit.append({ action: 'api_key.revoked', actorId: user.id, targetId: user.id, ...meta, details: { apiKeyId: key.id, prefix: key.prefix, reason: 'password_reset' } })
      }
      return { sessions, keyIds: keys.map((key) => key.id) }
    })
    if (!revoked) throw new AppError('INVALID_EMAIL_TOKEN')
    if (user.emailVerifiedAt === null) await this.announceVerified(user.id, user.email)
    await this.sessions.announce(revoked.sessions)
    if (revoked.keyIds.length > 0) await this.apiKeys.announceRevoked(revoked.keyIds)
    await this.throttle.unlock(accountKey(user.id))
  }

  private async signIn(user: UserRow, meta: RequestMeta, repos: IdentityRepos): Promise<SignedIn> {
    const { pair } = await this.sessions.start({ id: user.id, role: user.role as Role }, meta, repos)
    return { user: toUserView(user), ...pair }
  }

  private async requireUser(id: string): Promise<UserRow> {
    const user = await this.store.repos.users.findById(id)
    if (!user) throw new AppError('SESSION_REVOKED')
    return user
  }

  private async sendReset(email: string): Promise<void> {
    const user = await this.store.repos.users.findByLogin({ email })
    if (!user || user.disabled) return
    const link = await this.store.transaction((repos) => this.issueLinkIn(repos, user.id, PURPOSE.reset, HOUR_MS, '/reset-password'))
    await this.deliver(passwordResetEmail(user.email, user.name, link))
  }

  /** A new link, superseding older ones of its purpose: two writes, in the caller's transaction. */
  private async issueLinkIn(repos: IdentityRepos, userId: string, purpose: string, ttlMs: number, path: string): Promise<string> {
    const token = randomToken()
    await repos.emailTokens.invalidate(userId, purpose)
    await repos.emailTokens.insert({ tokenHash: hashToken(token), userId, purpose, expiresAt: new Date(Date.now() + ttlMs) })
    return `${this.settings.publicUrl}${path}?token=${token}`
  }

  /**
   * Queued as an `email.send` job, which retries delivery. A queue failure must not fail the request
   * that caused it: it is logged for the operator.
   */
  private async deliver(message: EmailMessage): Promise<void> {
    try {
      await this.jobs.send(SendEmail, message)
    } catch (err) {
      this.log.error({ err, to: message.to, subject: message.subject }, 'e-mail could not be queued')
    }
  }
}

/** Writes a prepared account; a taken e-mail or username is 409. */
export async function insertAccount(users: UsersRepository, account: NewUser): Promise<UserRow> {
  try {
    return await users.insert(account)
  } catch (error) {
    const field = uniqueViolation(error)
    if (field === 'email') throw new AppError('EMAIL_TAKEN')
    if (field === 'username') throw new AppError('USERNAME_TAKEN')
    throw error
  }
}

/** The login throttle's key for an existing account, whichever name it signs in with. */
const accountKey = (userId: string): string => `user:${userId}`

/**
 * An existing account for the login throttle. Its epoch is derived from the stored password hash,
 * so a new password (reset or change) starts the per-IP counts over: guesses at the old password
 * say nothing about the new one.
 */
const throttled = (user: UserRow): ThrottledAccount => ({
  key: accountKey(user.id),
  ...(user.passwordHash ? { epoch: hashToken(user.passwordHash).slice(0, 16) } : {}),
})

function assertPassword(password: string, email?: string, field = 'password'): void {
  const problem = passwordProblem(password, email ? { email } : {})
  if (problem) throw new AppError('VALIDATION_FAILED', `The ${field} ${problem}.`, { [field]: problem })
}
