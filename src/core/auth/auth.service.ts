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
import { uniqueViolation } from '../users/users.repository.js'
import { toUserView, type UserView } from '../users/user.view.js'
import type { IdentityStore } from './identity-store.js'
import type { LoginThrottle } from './login-throttle.js'
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
  constructor(
    private readonly store: IdentityStore,
    private readonly sessions: SessionService,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly jobs: JobSender,
    private readonly settings: AuthSettings,
    private readonly log: FastifyBaseLogger,
  ) {}

  async register(input: { email: string; password: string; name: string; username?: string }, meta: RequestMeta): Promise<SignedIn> {
    if (this.settings.registration === 'closed') throw new AppError('REGISTRATION_CLOSED')
    const user = await this.createAccount({ ...input, role: 'user' })
    await this.store.repos.audit.append({ action: 'auth.register', actorId: user.id, ...meta })
    await this.sendVerification(user)
    return this.signIn(user, meta)
  }

  /** Also used by administrators to create accounts with a role. */
  async createAccount(input: { email: string; password: string; name: string; username?: string; role: Role }): Promise<UserRow> {
    assertPassword(input.password, input.email)
    const passwordHash = await this.hasher.hash(input.password)
    try {
      return await this.store.repos.users.insert({
        email: input.email.toLowerCase(),
        username: input.username?.toLowerCase() ?? null,
        name: input.name,
        role: input.role,
        passwordHash,
      })
    } catch (error) {
      const field = uniqueViolation(error)
      if (field === 'email') throw new AppError('EMAIL_TAKEN')
      if (field === 'username') throw new AppError('USERNAME_TAKEN')
      throw error
    }
  }

  /** Unknown account and wrong password answer alike, after the same argon2 work. */
  async login(input: { email?: string; username?: string; password: string }, meta: RequestMeta): Promise<SignedIn> {
    const login = (input.email ?? input.username ?? '').toLowerCase()
    const user = await this.store.repos.users.findByLogin(input)
    // Failures count against the account whichever name it is given by (e-mail or username).
    const account = user ? accountKey(user.id) : `login:${login}`
    await this.throttle.attempt(account, meta.ip)
    if (!(await this.hasher.verify(user?.passwordHash, input.password)) || !user) {
      await this.store.repos.audit.append({ action: 'auth.login_failed', actorId: user?.id ?? null, ...meta, details: { login } })
      throw new AppError('INVALID_CREDENTIALS')
    }
    await this.throttle.succeeded(account, meta.ip)
    if (user.disabled) throw new AppError('ACCOUNT_DISABLED')
    if (this.hasher.needsRehash(user.passwordHash!)) {
      await this.store.repos.users.update(user.id, { passwordHash: await this.hasher.hash(input.password) })
    }
    await this.store.repos.audit.append({ action: 'auth.login', actorId: user.id, ...meta })
    return this.signIn(user, meta)
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
    await this.throttle.attempt(accountKey(user.id), meta.ip)
    if (!(await this.hasher.verify(user.passwordHash, input.currentPassword))) throw new AppError('CURRENT_PASSWORD_INCORRECT')
    await this.throttle.succeeded(accountKey(user.id), meta.ip)
    assertPassword(input.newPassword, user.email, 'newPassword')
    await this.store.repos.users.update(user.id, { passwordHash: await this.hasher.hash(input.newPassword) })
    await this.sessions.revoke({ userId: user.id, ...(actor.sessionId ? { exceptSessionId: actor.sessionId } : {}) }, 'password_changed', {
      action: 'auth.password_changed',
      actorId: user.id,
      ...meta,
    })
  }

  async requestEmailVerification(actor: Actor): Promise<void> {
    const user = await this.requireUser(actor.id)
    if (!user.emailVerifiedAt) await this.sendVerification(user)
  }

  async verifyEmail(token: string, meta: RequestMeta): Promise<UserView> {
    const userId = await this.store.repos.emailTokens.consume(hashToken(token), PURPOSE.verify)
    if (!userId) throw new AppError('INVALID_EMAIL_TOKEN')
    const user = await this.store.repos.users.update(userId, { emailVerifiedAt: new Date() })
    if (!user) throw new AppError('INVALID_EMAIL_TOKEN')
    await this.store.repos.audit.append({ action: 'auth.email_verified', actorId: userId, ...meta })
    return toUserView(user)
  }

  /** Answers the same whether or not the account exists; the work happens after the response. */
  forgotPassword(email: string): void {
    void this.sendReset(email.toLowerCase()).catch((err: unknown) => this.log.error({ err }, 'password reset e-mail failed'))
  }

  /** A refused password leaves the link usable: the token is used up only with the change that it allows. */
  async resetPassword(token: string, password: string, meta: RequestMeta): Promise<void> {
    if (passwordProblem(password)) assertPassword(password)
    const tokenHash = hashToken(token)
    const userId = await this.store.repos.emailTokens.findLive(tokenHash, PURPOSE.reset)
    const user = userId ? await this.store.repos.users.findById(userId) : undefined
    if (!user) throw new AppError('INVALID_EMAIL_TOKEN')
    assertPassword(password, user.email)
    const passwordHash = await this.hasher.hash(password)
    const changed = await this.store.transaction(async (repos) => {
      if ((await repos.emailTokens.consume(tokenHash, PURPOSE.reset)) !== user.id) return false
      // The link proved the mailbox is theirs, so the address counts as verified too.
      await repos.users.update(user.id, { passwordHash, emailVerifiedAt: user.emailVerifiedAt ?? new Date() })
      return true
    })
    if (!changed) throw new AppError('INVALID_EMAIL_TOKEN')
    await this.throttle.unlock(accountKey(user.id))
    await this.sessions.revoke({ userId: user.id }, 'password_reset', { action: 'auth.password_reset', actorId: user.id, ...meta })
  }

  private async signIn(user: UserRow, meta: RequestMeta): Promise<SignedIn> {
    const { pair } = await this.sessions.start({ id: user.id, role: user.role as Role }, meta)
    return { user: toUserView(user), ...pair }
  }

  private async requireUser(id: string): Promise<UserRow> {
    const user = await this.store.repos.users.findById(id)
    if (!user) throw new AppError('SESSION_REVOKED')
    return user
  }

  private async sendVerification(user: UserRow): Promise<void> {
    const link = await this.issueLink(user.id, PURPOSE.verify, 24 * HOUR_MS, '/verify-email')
    await this.deliver(verificationEmail(user.email, user.name, link))
  }

  private async sendReset(email: string): Promise<void> {
    const user = await this.store.repos.users.findByLogin({ email })
    if (!user || user.disabled) return
    const link = await this.issueLink(user.id, PURPOSE.reset, HOUR_MS, '/reset-password')
    await this.deliver(passwordResetEmail(user.email, user.name, link))
  }

  private async issueLink(userId: string, purpose: string, ttlMs: number, path: string): Promise<string> {
    const token = randomToken()
    await this.store.transaction(async (repos) => {
      await repos.emailTokens.invalidate(userId, purpose)
      await repos.emailTokens.insert({ tokenHash: hashToken(token), userId, purpose, expiresAt: new Date(Date.now() + ttlMs) })
    })
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

/** The login throttle's key for an existing account, whichever name it signs in with. */
const accountKey = (userId: string): string => `user:${userId}`

function assertPassword(password: string, email?: string, field = 'password'): void {
  const problem = passwordProblem(password, email ? { email } : {})
  if (problem) throw new AppError('VALIDATION_FAILED', `The ${field} ${problem}.`, { [field]: problem })
}
