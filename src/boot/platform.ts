import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Config } from '../config/index.js'
import { PermissionRegistry } from '../core/access/permissions.js'
import { createIdentity, type Identity } from '../core/auth/identity.js'
import { keyringFromSecrets, type Keyring } from '../core/crypto/keyring.js'
import type { Database } from '../core/db/client.js'
import { createJobs, type Jobs } from '../core/jobs/index.js'
import { ShutdownBudget } from '../core/lifecycle.js'
import { firstConnection } from '../core/redis/client.js'
import { resolveBootSecrets } from '../core/secrets/boot-secrets.js'
import { ensureAdmin } from '../core/users/admin-bootstrap.js'
import { corePermissions } from '../core/users/permissions.js'

export interface Platform {
  readonly config: Config
  readonly database: Database
  readonly redis: Redis | undefined
  readonly access: PermissionRegistry
  readonly identity: Identity
  /** ENCRYPTION_KEY and ENCRYPTION_KEYS_PREVIOUS, checked against the database (src/core/secrets). */
  readonly keyring: Keyring
  readonly jobs: Jobs
  /** SHUTDOWN_TIMEOUT_MS as one deadline, started when the app begins to close. */
  readonly shutdown: ShutdownBudget
}

declare module 'fastify' {
  interface FastifyInstance {
    platform: Platform
  }
}

/**
 * Step 1: the schema migrated, secrets resolved, Redis reached, then the services every later step
 * uses (permissions, the job queue, identity), decorated on the app as `app.platform`.
 */
export async function installPlatform(app: FastifyInstance, bootConfig: Config, database: Database, redis: Redis | undefined, migrate: boolean): Promise<Platform> {
  if (migrate) await database.migrate()
  // Before anything signs or encrypts: secrets kept in the database, and the ENCRYPTION_KEY check.
  const config = await resolveBootSecrets(bootConfig, database.db)
  if (redis) await firstConnection(redis)

  const access = new PermissionRegistry()
  access.declare(...corePermissions)
  const { timeouts } = config.database
  const jobs = createJobs({ database, connectTimeoutMs: timeouts.connectMs, statementTimeoutMs: timeouts.statementMs, waitTimeoutMs: timeouts.waitMs, ...config.jobs, log: app.log.child({ component: 'jobs' }) })
  const identity = await createIdentity(config, database.db, redis, app.log, jobs)
  app.addHook('onClose', () => identity.close())
  if (config.auth.admin) await ensureAdmin(config.auth.admin, identity.auth, identity.store.repos.users, app.log)
  const shutdown = new ShutdownBudget(config.shutdownTimeoutMs)
  app.addHook('preClose', async () => shutdown.start())
  const platform: Platform = { config, database, redis, access, identity, jobs, shutdown, keyring: keyringFromSecrets(config.secrets) }
  app.decorate('platform', platform)
  return platform
}

/**
 * The last step: jobs start once the app is ready. Added last so it runs first on close (onClose hooks
 * run in reverse): running jobs still have the mailer, files and database. Jobs get what draining
 * requests left of the shutdown budget, less a margin for closing Redis and the database; unfinished
 * jobs are marked failed (and retried) before exit.
 */
export function installJobRunner(app: FastifyInstance, { jobs, shutdown }: Platform): void {
  app.addHook('onReady', () => jobs.start())
  app.addHook('onClose', () => jobs.stop(shutdown.jobsStop()))
}
