import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import type { Config } from '../../config/index.js'
import type { Actor, Authenticator } from '../access/actor.js'
import { keyringFromSecrets } from '../crypto/keyring.js'
import type { Db } from '../db/client.js'
import { sendEmailJob } from '../email/email.job.js'
import { mailedLinksLogged, outboxMailer, smtpMailer, type Mailer } from '../email/mailer.js'
import { createOutboxRepository } from '../email/outbox.repository.js'
import { InlineJobs, type JobQueue } from '../jobs/index.js'
import { AccessTokens } from './access-tokens.js'
import { ApiKeyAuthenticator } from './api-key-authenticator.js'
import { AuthService } from './auth.service.js'
import { expiringTokenVerifier, jwtAuthenticator } from './authenticate.js'
import { identityStore, type IdentityStore } from './identity-store.js'
import { LoginThrottle } from './login-throttle.js'
import { OWASP_PARAMETERS, PasswordHasher, TEST_PARAMETERS } from './passwords.js'
import { RevocationList } from './revocations.js'
import { SessionService } from './session.service.js'

export interface Identity {
  readonly store: IdentityStore
  readonly hasher: PasswordHasher
  readonly tokens: AccessTokens
  readonly revocations: RevocationList
  readonly sessions: SessionService
  readonly auth: AuthService
  readonly mailer: Mailer
  /** `Authorization: Bearer plk_…`: API keys, their cache and their revocation announcements. */
  readonly apiKeys: ApiKeyAuthenticator
  readonly authenticate: Authenticator
  /** For connections that are not HTTP requests (WebSocket upgrades): the actor, and when the token expires. */
  readonly verifyAccessToken: (token: string) => Promise<{ actor: Actor; expiresAt: number }>
  close(): Promise<void>
}

/**
 * Wires the identity core: repositories → services, with Redis where configured. E-mails go through
 * `jobs` (the app's queue, where `email.send` is defined); without one (the CLI) they are sent inline.
 */
export async function createIdentity(
  config: Config,
  db: Db,
  redis: Redis | undefined,
  log: FastifyBaseLogger,
  jobs: JobQueue = new InlineJobs(log),
): Promise<Identity> {
  const store = identityStore(db)
  const hasher = new PasswordHasher(config.auth.passwordHashing === 'owasp' ? OWASP_PARAMETERS : TEST_PARAMETERS)
  const tokens = new AccessTokens(config.secrets.jwtSecret, config.auth.accessTokenTtlSeconds)
  // A revoked session's access tokens live at most one TTL longer; a minute of margin for clock skew.
  const windowMs = (config.auth.accessTokenTtlSeconds + 60) * 1000
  const revocations = new RevocationList(windowMs, (ms) => store.repos.sessions.revokedSince(ms), log, redis)
  await revocations.start()
  const apiKeys = new ApiKeyAuthenticator(store, revocations, log)
  const sessions = new SessionService(store, tokens, keyringFromSecrets(config.secrets), revocations, {
    refreshTokenTtlDays: config.auth.refreshTokenTtlDays,
    reuseGraceSeconds: config.auth.refreshReuseGraceSeconds,
  })
  const throttle = new LoginThrottle(
    {
      maxFailures: config.auth.loginMaxFailures,
      maxFailuresPerIp: config.auth.loginMaxFailuresPerIp,
      maxFailuresPerAccount: config.auth.loginMaxFailuresPerAccount,
      lockoutSeconds: config.auth.loginLockoutSeconds,
    },
    redis,
  )
  const mailer = config.mail.smtpUrl
    ? smtpMailer(config.mail.smtpUrl, config.mail.from)
    : outboxMailer(createOutboxRepository(db), log, mailedLinksLogged(config.env, config.mail.smtpUrl))
  jobs.define([sendEmailJob(mailer)])
  const auth = new AuthService(store, sessions, hasher, throttle, jobs, { registration: config.auth.registration, publicUrl: config.publicUrl }, log, apiKeys)
  return {
    store,
    hasher,
    tokens,
    revocations,
    sessions,
    auth,
    mailer,
    apiKeys,
    authenticate: jwtAuthenticator(tokens, revocations, apiKeys),
    verifyAccessToken: expiringTokenVerifier(tokens, revocations),
    close: async () => {
      await apiKeys.close()
      await revocations.stop()
      mailer.close()
    },
  }
}
