import type { FastifyInstance } from 'fastify'
import { auditRoutes } from '../core/audit/audit.routes.js'
import { apiKeyRoutes } from '../core/auth/api-keys.routes.js'
import { ApiKeyService } from '../core/auth/api-keys.service.js'
import { authRoutes } from '../core/auth/auth.routes.js'
import { UserView } from '../core/auth/auth.schemas.js'
import { filesRoutes } from '../core/files/index.js'
import { rootRoutes } from '../core/http/root.routes.js'
import { healthRoutes } from '../core/observability/health.routes.js'
import type { Metrics } from '../core/observability/metrics.js'
import { installPlatformMetrics } from '../core/observability/platform-metrics.js'
import { installGateway, installPresenceHooks } from '../core/realtime/index.js'
import { createUserAdministration } from '../core/users/user-administration.js'
import { usersRoutes } from '../core/users/users.routes.js'
import { presenceHooksOf, roomOwnerOf, userDataOf, type LoadedModule } from './modules.js'
import type { Platform } from './platform.js'
import type { SharedServices } from './services.js'

/**
 * Step 5: the platform's own routes (health, `/`, auth, API keys, users, audit, files) and the realtime gateway,
 * which ask the loaded modules about their rooms (and client events in them), their users' presence
 * changes and their part of a user's data.
 */
export async function installCoreRoutes(
  app: FastifyInstance,
  { config, database, redis, access, identity, jobs }: Platform,
  services: SharedServices,
  modules: readonly LoadedModule[],
  context: { metrics: Metrics; version: string },
): Promise<void> {
  const { realtime, presence, files } = services
  await app.register(healthRoutes, { database, redis, metrics: context.metrics })
  await app.register(rootRoutes, { version: context.version })
  app.addSchema(UserView)
  await app.register(authRoutes, { prefix: '/api', identity, rateLimitPerMinute: config.auth.rateLimitPerMinute })
  await app.register(apiKeyRoutes, { prefix: '/api', apiKeys: new ApiKeyService(identity.store, access, identity.apiKeys) })
  installPresenceHooks(presence, presenceHooksOf(modules), app.log.child({ component: 'presence' }))
  for (const { definition, api } of modules) if (definition.onUserVerified) identity.auth.onEmailVerified((userId, email) => definition.onUserVerified!(userId, email, api))
  const gateway = installGateway(app, { realtime, presence, identity }, modules.map(roomOwnerOf), config)
  installPlatformMetrics(context.metrics.registry, { jobs, gateway })
  const userAdmin = createUserAdministration({ db: database.db, identity, access, modules: [...modules.map(userDataOf), files.userData], jobs, realtime })
  await app.register(usersRoutes, { prefix: '/api', users: userAdmin.users, userData: userAdmin.userData })
  await app.register(auditRoutes, { prefix: '/api', audit: userAdmin.audit })
  await app.register(filesRoutes, { prefix: '/api', files: files.service, maxUploadBytes: files.maxUploadBytes, uploadRateLimitPerMinute: files.uploadRateLimitPerMinute })
}
