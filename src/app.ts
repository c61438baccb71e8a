import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Config } from './config/index.js'
import { startupWarnings } from './config/warnings.js'
import type { Actor, Authenticator } from './core/access/actor.js'
import { createPresence, createRealtime, installGateway, type RealtimePublisher, type RoomOwner } from './core/realtime/index.js'
import type { PresenceReader } from './core/realtime/presence.js'
import { authRoutes } from './core/auth/auth.routes.js'
import { UserView } from './core/auth/auth.schemas.js'
import { createIdentity, type Identity } from './core/auth/identity.js'
import { auditRoutes } from './core/audit/audit.routes.js'
import { backupJobs } from './core/backup/backup.job.js'
import { createJobs, type Jobs } from './core/jobs/index.js'
import { createCache, type Cache } from './core/cache/cache.js'
import { cylindersModule } from './modules/cylinders/index.js'
import { createFiles, filesRoutes, type FilesApi } from './core/files/index.js'
import { ensureAdmin } from './core/users/admin-bootstrap.js'
import { corePermissions } from './core/users/permissions.js'
import { createUserAdministration } from './core/users/user-administration.js'
import type { ModuleUserData } from './core/users/user-data.service.js'
import { usersRoutes } from './core/users/users.routes.js'
import { PermissionRegistry } from './core/access/permissions.js'
import { createDatabase, type Database } from './core/db/client.js'
import { projectRoot } from './core/db/paths.js'
import { AppError } from './core/errors/app-error.js'
import { registerErrorCodes } from './core/errors/catalog.js'
import { installErrorHandler } from './core/errors/error-handler.js'
import { clientErrorHandler, httpServerFactory } from './core/http/http-server.js'
import { installClosingGuard } from './core/http/closing.js'
import { installNotFound } from './core/http/not-found.js'
import { installOpenApi } from './core/http/openapi.js'
import { rootRoutes } from './core/http/root.routes.js'
import { installSecurity } from './core/http/security.js'
import { ajvOptions, requestValidation } from './core/http/validation.js'
import { ShutdownBudget } from './core/lifecycle.js'
import { selectModules, type ModuleDefinition } from './core/module.js'
import { healthRoutes } from './core/observability/health.routes.js'
import { RequestLogController, logDestination, loggerOptions, requestIdFrom } from './core/observability/logger.js'
import { installMetrics } from './core/observability/metrics.js'
import { installPlatformMetrics } from './core/observability/platform-metrics.js'
import { installRateLimit } from './core/rate-limit/rate-limit.js'
import { closeRedis, createRedis, firstConnection } from './core/redis/client.js'
import { retentionJobs } from './core/retention/retention.js'
import { resolveBootSecrets } from './core/secrets/boot-secrets.js'

/** Every module Plinth ships, in registration order. `MODULES` selects among them. */
export const availableModules: readonly ModuleDefinition[] = [cylindersModule]

export interface AppOptions {
  /** A database to use instead of opening one from config; the caller closes it. */
  database?: Database
  /** Apply migrations at boot (default true). */
  migrate?: boolean
  /** Replaces `availableModules` (tests add fixture modules). */
  modules?: readonly ModuleDefinition[]
  authenticate?: Authenticator
  logStream?: NodeJS.WritableStream
}

export interface Platform {
  readonly config: Config
  readonly database: Database
  readonly redis: Redis | undefined
  readonly access: PermissionRegistry
  readonly identity: Identity
  readonly jobs: Jobs
  /** SHUTDOWN_TIMEOUT_MS as one deadline, started when the app begins to close. */
  readonly shutdown: ShutdownBudget
}

declare module 'fastify' {
  interface FastifyInstance {
    platform: Platform
  }
}

const version = (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version

export async function buildApp(config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const destination = options.logStream ? undefined : logDestination()
  const app = Fastify({
    logger: loggerOptions(config.logLevel, options.logStream ?? destination!),
    logController: new RequestLogController(),
    genReqId: requestIdFrom,
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    serverFactory: httpServerFactory(config.requestTimeoutMs),
    clientErrorHandler,
    // Answered by installClosingGuard instead, in the error shape and with Retry-After.
    return503OnClosing: false,
    // Bodies are never coerced; query strings, params and headers are (src/core/http/validation.ts).
    ajv: ajvOptions,
    schemaController: requestValidation(),
  })
  // JSON bodies only (routes that take CSV or multipart add their parser): Fastify's own text/plain
  // parser would hand a string to a JSON schema, a 400 where the answer is 415.
  app.removeContentTypeParser('text/plain')
  for (const warning of startupWarnings(config)) app.log.warn(warning)

  const database =
    options.database ??
    (await createDatabase({
      ...config.database,
      dataDir: config.dataDir,
      log: app.log.child({ component: 'database' }),
      onPoolDropped: (reason) => app.log.warn({ reason }, 'database connections dropped; reconnecting'),
    }))
  const redis = config.redisUrl ? createRedis(config.redisUrl, app.log, config.redisCommandTimeoutMs) : undefined
  const release = async (): Promise<void> => {
    await closeRedis(redis)
    if (!options.database) await database.close()
  }
  app.addHook('onClose', release)
  if (destination) app.addHook('onClose', async () => destination.flushSync())
  try {
    await configure(app, config, options, database, redis)
  } catch (error) {
    await release()
    throw error
  }
  return app
}

async function configure(app: FastifyInstance, config: Config, options: AppOptions, database: Database, redis: Redis | undefined): Promise<void> {
  if (options.migrate !== false) await database.migrate()
  // Before anything signs or encrypts: secrets kept in the database, and the ENCRYPTION_KEY check.
  config = await resolveBootSecrets(config, database.db)
  if (redis) await firstConnection(redis)

  const access = new PermissionRegistry()
  access.declare(...corePermissions)
  const jobs = createJobs({ database, connectTimeoutMs: config.database.timeouts.connectMs, statementTimeoutMs: config.database.timeouts.statementMs, waitTimeoutMs: config.database.timeouts.waitMs, ...config.jobs, log: app.log.child({ component: 'jobs' }) })
  const identity = await createIdentity(config, database.db, redis, app.log, jobs)
  app.addHook('onClose', () => identity.close())
  if (config.auth.admin) await ensureAdmin(config.auth.admin, identity.auth, identity.store.repos.users, app.log)
  const shutdown = new ShutdownBudget(config.shutdownTimeoutMs)
  app.addHook('preClose', async () => shutdown.start())
  app.decorate('platform', { config, database, redis, access, identity, jobs, shutdown })
  app.decorateRequest('actor', null)
  app.decorateRequest('authError', null)
  installClosingGuard(app)
  const authenticate = options.authenticate ?? identity.authenticate
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
    // A bad token matters only to routes that need an actor: sign-in and refresh must still work.
    try {
      request.actor = await authenticate(request)
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 401) throw error
      request.authError = error
    }
  })

  installErrorHandler(app)
  installNotFound(app)
  await installSecurity(app, config)
  // After authentication (keyed by account) and CORS (a browser can read the 429).
  await installRateLimit(app, { perMinute: config.rateLimitPerMinute, redis })
  await installOpenApi(app, version)
  const metrics = installMetrics(app, database)
  await app.register(healthRoutes, { database, redis, metrics })
  await app.register(rootRoutes, { version })
  app.addSchema(UserView)
  await app.register(authRoutes, { prefix: '/api', identity, rateLimitPerMinute: config.auth.rateLimitPerMinute })
  const realtime = await createRealtime(config, redis, app)
  const presence = await createPresence(config, redis, app)
  const files = createFiles({ config, db: database.db, access, jobs, realtime, log: app.log.child({ component: 'files' }) })
  jobs.define(files.jobs, { owner: 'files' })
  jobs.define(retentionJobs(database.db, config), { owner: 'retention' })
  jobs.define(backupJobs({ url: database.url, storage: files.storage, ...config.backup }), { owner: 'backup' })
  app.addHook('onClose', () => files.close())
  // Module apis exist before any route: user export and deletion call into every enabled module.
  const modules = createModules(app, selectModules(options.modules ?? availableModules, config.modules), { realtime, presence, files: files.api, cache: createCache(redis) })
  const gateway = installGateway(app, { realtime, presence, identity }, modules.map(roomOwnerOf), config)
  installPlatformMetrics(metrics.registry, { jobs, gateway })
  const userAdmin = createUserAdministration({ db: database.db, identity, access, modules: [...modules.map(userDataOf), files.userData], realtime, log: app.log })
  await app.register(usersRoutes, { prefix: '/api', users: userAdmin.users, userData: userAdmin.userData })
  await app.register(auditRoutes, { prefix: '/api', audit: userAdmin.audit })
  await app.register(filesRoutes, { prefix: '/api', files: files.service, maxUploadBytes: files.maxUploadBytes, uploadRateLimitPerMinute: files.uploadRateLimitPerMinute })
  for (const { definition, api } of modules) await app.register(definition.routes(api), { prefix: '/api' })
  // Added last so it runs first on close (onClose hooks run in reverse): running jobs still have the
  // mailer, files and database. Jobs get what draining requests left of the shutdown budget, less a margin
  // for closing Redis and the database; unfinished jobs are marked failed (and retried) before exit.
  app.addHook('onReady', () => jobs.start())
  app.addHook('onClose', () => jobs.stop(shutdown.jobsStop()))
}

interface LoadedModule {
  definition: ModuleDefinition
  api: unknown
}

/** Declares every module's permissions and error codes, then wires each one's api. */
function createModules(app: FastifyInstance, definitions: ModuleDefinition[], live: { realtime: RealtimePublisher; presence: PresenceReader; files: FilesApi; cache: Cache }): LoadedModule[] {
  const { config, database, access, jobs } = app.platform
  for (const definition of definitions) access.declare(...definition.permissions)
  return definitions.map((definition) => {
    if (definition.errors) registerErrorCodes(definition.errors)
    const api = definition.createApi({ config, db: database.db, log: app.log.child({ module: definition.name }), access, jobs, ...live })
    if (definition.jobs) jobs.define(definition.jobs(api), { owner: definition.name })
    return { definition, api }
  })
}

/** A module's say on its realtime rooms, bound to its api. */
function roomOwnerOf({ definition, api }: LoadedModule): RoomOwner {
  return {
    name: definition.name,
    ...(definition.authorizeRoom ? { authorizeRoom: (actor: Actor, room: string) => definition.authorizeRoom!(actor, room, api) } : {}),
  }
}

/** A module's export and deletion hooks, bound to its api. */
function userDataOf({ definition, api }: LoadedModule): ModuleUserData {
  return {
    name: definition.name,
    ...(definition.exportUserData ? { exportUserData: (userId: string) => definition.exportUserData!(userId, api) } : {}),
    ...(definition.onUserDeleted ? { onUserDeleted: (userId: string) => definition.onUserDeleted!(userId, api) } : {}),
  }
}
