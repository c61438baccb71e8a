import type { FastifyPluginAsync } from 'fastify'
import { defineModule } from '../../core/module.js'
import { createColorbookApi, type ColorbookApi } from './api.js'
import { billingRoutes } from './billing.routes.js'
import { billingMailTemplates } from './billing.wiring.js'
import { childrenRoutes } from './children.routes.js'
import { colorbookSettings, type ColorbookSettings } from './settings.js'
import { colorbookErrors } from './errors.js'
import { PROJECT_ROOM_KIND } from './events.js'
import { purgeTrashJob } from './jobs.js'
import { exportJob, usageRollupJob } from './exports.jobs.js'
import { analyticsRoutes } from './analytics.routes.js'
import { exportsRoutes } from './exports.routes.js'
import { colorbookPermissions } from './permissions.js'
import { projectsRoutes } from './projects.routes.js'
import { syncRoutes } from './sync.routes.js'
import { collaboratorMailTemplates } from './collaborators.mail.js'
import { collaboratorsRoutes } from './collaborators.routes.js'
import { autoVersionsJob } from './versions.job.js'
import { versionsRoutes } from './versions.routes.js'
import { brandingRoutes } from './branding.routes.js'
import { charactersRoutes } from './characters.routes.js'
import { templatesRoutes } from './templates.routes.js'
import { aiKeysEncryptedData } from './ai-keys.wiring.js'
import { aiKeysRoutes } from './ai-keys.routes.js'

/** Seed 002: colouring-book projects with stories, images and drawings, shared with collaborators. */
export const colorbookModule = defineModule<ColorbookApi, ColorbookSettings>({
  name: 'colorbook',
  permissions: colorbookPermissions,
  errors: colorbookErrors,
  settings: colorbookSettings,
  createApi: createColorbookApi,
  // `project:<id>`: the project's owner and collaborators (never anyone once it is purged).
  rooms: [PROJECT_ROOM_KIND],
  authorizeRoom: async (actor, room, api) => room.module === PROJECT_ROOM_KIND && room.id !== undefined && api.access.mayWatch(actor, room.id),
  mailTemplates: { ...billingMailTemplates, ...collaboratorMailTemplates },
  // Pending shares to the address become the account's.
  onUserVerified: async (userId, email, api) => {
    await api.collaborators.applyPending(userId, email)
  },
  jobs: (api) => [purgeTrashJob(api), exportJob(api), usageRollupJob(api), autoVersionsJob(api)],
  // The stored AI keys: the boot's key-id check and `rotate-encryption-key` cover them.
  encryptedData: aiKeysEncryptedData,
  // A user's export: projects, collaborations, templates, usage, plan (user-data.service.ts) and AI keys by provider and last4 (never the key); erasure deletes or anonymises them.
  exportUserData: async (userId, api) => ({ ...(await api.userData.export(userId)), aiKeys: await api.aiKeys.exportFor(userId) }),
  onUserDeleted: async (userId, api) => {
    await api.billing.cancelForDeletedAccount(userId)
    await api.userData.erase(userId)
    await api.aiKeys.eraseFor(userId)
  },
  // One plugin per route group, in this order (the OpenAPI document lists the routes so); each area adds its own.
  routes: (api) => async (app) => {
    const groups: ((api: ColorbookApi) => FastifyPluginAsync)[] = [projectsRoutes, childrenRoutes, exportsRoutes, analyticsRoutes, versionsRoutes, collaboratorsRoutes, syncRoutes, billingRoutes, charactersRoutes, templatesRoutes, brandingRoutes, aiKeysRoutes]
    for (const routes of groups) await app.register(routes(api))
  },
})
