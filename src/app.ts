import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Config } from './config/index.js'
import { startupWarnings } from './config/warnings.js'
import { installHttp } from './boot/http.js'
import { installCoreRoutes } from './boot/core-routes.js'
import { installModuleRoutes, loadModules } from './boot/modules.js'
import { installJobRunner, installPlatform } from './boot/platform.js'
import { createSharedServices } from './boot/services.js'
import { encryptedDataSources } from './boot/encrypted-data.js'
import { checkStoredKeyIds } from './core/crypto/encrypted-data.js'
import type { Authenticator } from './core/access/actor.js'
import { createDatabase, type Database } from './core/db/client.js'
import { projectRoot } from './core/db/paths.js'
import { adminConsole, defaultAdminDist } from './core/http/admin-console.js'
import { clientErrorHandler, httpServerFactory } from './core/http/http-server.js'
import { ajvOptions, requestValidation } from './core/http/validation.js'
import { selectModules, type ModuleDefinition } from './core/module.js'
import { RequestLogController, logDestination, loggerOptions, requestIdFrom } from './core/observability/logger.js'
import { closeRedis, createRedis } from './core/redis/client.js'
import { chatModule } from './modules/chat/index.js'
import { cylindersModule } from './modules/cylinders/index.js'
import { colorbookModule } from './modules/colorbook/index.js'

export type { Platform } from './boot/platform.js'

/** Every module Plinth ships, in registration order. `MODULES` selects among them. */
export const availableModules: readonly ModuleDefinition[] = [cylindersModule, chatModule, colorbookModule]

export interface AppOptions {
  /** A database to use instead of opening one from config; the caller closes it. */
  database?: Database
  /** Apply migrations at boot (default true). */
  migrate?: boolean
  /** Replaces `availableModules` (tests add fixture modules). */
  modules?: readonly ModuleDefinition[]
  authenticate?: Authenticator
  logStream?: NodeJS.WritableStream
  /** The built admin console to serve at /admin (default packages/admin/dist; tests use a fixture). */
  adminConsoleDir?: string
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
    // Fastify's 10 s default is short for starting the job queue when several instances boot at once.
    pluginTimeout: config.startupTimeoutMs,
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

/** The install steps, in order: each uses what the earlier ones made. */
async function configure(app: FastifyInstance, config: Config, options: AppOptions, database: Database, redis: Redis | undefined): Promise<void> {
  const platform = await installPlatform(app, config, database, redis, options.migrate !== false)
  const metrics = await installHttp(app, platform, options.authenticate ?? platform.identity.authenticate, version)
  const services = await createSharedServices(app, platform)
  const modules = loadModules(app, selectModules(options.modules ?? availableModules, platform.config.modules), platform, services)
  app.decorate('encryptedData', encryptedDataSources(platform, modules))
  await checkStoredKeyIds(platform.keyring, app.encryptedData)
  await installCoreRoutes(app, platform, services, modules, { metrics, version })
  await installModuleRoutes(app, modules)
  if (config.adminConsole) {
    await app.register(adminConsole, { distDir: options.adminConsoleDir ?? defaultAdminDist(), modules: modules.map(({ definition }) => definition.name), version })
  }
  installJobRunner(app, platform)
}
