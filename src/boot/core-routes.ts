import type { FastifyInstance } from 'fastify'
import { auditRoutes } from '../core/audit/audit.routes.js'
import { apiKeyRoutes } from '../core/auth/api-keys.routes.js'
import { ApiKeyService } from '../core/auth/api-keys.service.js'
import { authRoutes } from '../core/auth/auth.routes.js'
import { UserView } from '../core/auth/auth.schemas.js'
import { filesAdminRoutes, filesRoutes } from '../core/files/index.js'
import { jobsAdminStore } from '../core/jobs/jobs-admin.repository.js'
import { jobsAdminRoutes } from '../core/jobs/jobs-admin.routes.js'
import { JobsAdminService } from '../core/jobs/jobs-admin.service.js'
import { jobsPermissions } from '../core/jobs/permissions.js'
import { rootRoutes } from '../core/http/root.routes.js'
import { dependencyChecks } from '../core/observability/health-routes.shared.js'
import { healthRoutes } from '../core/observability/health.routes.js'
import type { Metrics } from '../core/observability/metrics.js'
import { overviewRoutes } from '../core/observability/overview.routes.js'
import { OverviewService } from '../core/observability/overview.service.js'
import { observabilityPermissions } from '../core/observability/permissions.js'
import { installPlatformMetrics } from '../core/observability/platform-metrics.js'
import { installGateway, installPresenceHooks } from '../core/realtime/index.js'
import { createUserAdministration } from '../core/users/user-administration.js'
import { installVerifiedHooks } from '../core/users/user-verified.job.js'
import { usersRoutes } from '../core/users/users.routes.js'
import { presenceHooksOf, roomOwnerOf, userDataOf, type LoadedModule } from './modules.js'
import type { Platform } from './platform.js'
import type { SharedServices } from './services.js'

/**
 * Step 5: the platform's own routes (health, `/`, auth, API keys, users, audit, files, the admin
 * overview and job queue) and the realtime gateway,
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
  installVerifiedHooks(
    modules.flatMap(({ definition, api }) => (definition.onUserVerified ? [{ name: definition.name, onUserVerified: (userId: string, email: string) => definition.onUserVerified!(userId, email, api) }] : [])),
    { onEmailVerified: (hook) => identity.auth.onEmailVerified(hook), jobs, verifiedAddress: (userId) => verifiedAddress(identity, userId), log: app.log.child({ component: 'users' }) },
  )
  const gateway = installGateway(app, { realtime, presence, identity }, modules.map(roomOwnerOf), config)
  installPlatformMetrics(context.metrics.registry, { jobs, gateway })
  const userAdmin = createUserAdministration({ db: database.db, identity, access, modules: [...modules.map(userDataOf), files.userData], jobs, realtime })
  await app.register(usersRoutes, { prefix: '/api', users: userAdmin.users, userData: userAdmin.userData })
  await app.register(auditRoutes, { prefix: '/api', audit: userAdmin.audit })
  await app.register(filesRoutes, { prefix: '/api', files: files.service, maxUploadBytes: files.maxUploadBytes, uploadRateLimitPerMinute: files.uploadRateLimitPerMinute })
  await installAdminRoutes(app, { database, redis, access, jobs }, services, modules, context)
}

/** The account's address while it is verified (a deleted account is not found). */
async function verifiedAddress(identity: Platform['identity'], userId: string): Promise<string | undefined> {
  const user = await identity.store.repos.users.findById(userId)
  return user?.emailVerifiedAt ? user.email : undefined
}

/** /api/admin: the overview of this instance, the job queue, and every owner's files. */
async function installAdminRoutes(
  app: FastifyInstance,
  { database, redis, access, jobs }: Pick<Platform, 'database' | 'redis' | 'access' | 'jobs'>,
  { files }: SharedServices,
  modules: readonly LoadedModule[],
  { metrics, version }: { metrics: Metrics; version: string },
): Promise<void> {
  access.declare(...jobsPermissions, ...observabilityPermissions)
  const checkDependencies = dependencyChecks({ database, redis }, app.log)
  const overview = new OverviewService({ version, modules: modules.map(({ definition }) => definition.name), rates: metrics.rates, checkDependencies }, access)
  await app.register(overviewRoutes, { prefix: '/api', overview, access })
  await app.register(jobsAdminRoutes, { prefix: '/api', jobsAdmin: new JobsAdminService(jobs, jobsAdminStore(database.db), access), access })
  await app.register(filesAdminRoutes, { prefix: '/api', filesAdmin: files.admin, access })
}
