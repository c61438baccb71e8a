import type { ModuleContext } from '../../core/module.js'
import { ProjectAccess } from './access.js'
import { ChildrenService } from './children.service.js'
import { UploadsService } from './uploads.service.js'
import { ColorbookEvents } from './events.js'
import { ExportsService } from './exports.service.js'
import { ImportService } from './import.service.js'
import { UsageService, ANALYTICS_EVENTS_PER_MINUTE } from './usage.service.js'
import { ColorbookPermissions } from './permissions.js'
import { ProjectsService } from './projects.service.js'
import { CollaboratorsService } from './collaborators.service.js'
import { VersionsService } from './versions.service.js'
import { createSyncRepository } from './sync.repository.js'
import { SyncService } from './sync.service.js'
import { colorbookStore, type ColorbookStore } from './store.js'
import { createTemplatesArea, type TemplatesArea } from './templates.wiring.js'
import { createBilling } from './billing.wiring.js'
import type { BillingService } from './billing.service.js'
import type { BillingWebhooks } from './billing.webhook.js'
import type { ColorbookSettings } from './settings.js'
import { createAiKeysArea, type AiKeysArea } from './ai-keys.wiring.js'
import { UserDataService } from './user-data.service.js'

/** What the module's routes, jobs and hooks work with: one service per area (each adds its line). */
export interface ColorbookApi extends TemplatesArea, AiKeysArea {
  readonly store: ColorbookStore
  readonly access: ProjectAccess
  readonly events: ColorbookEvents
  readonly projects: ProjectsService
  /** Stories, images and drawings. */
  readonly children: ChildrenService
  /** Images uploaded as multipart forms, drawing previews. */
  readonly uploads: UploadsService
  /** Usage events (what other areas call `record` on) and analytics. */
  readonly usage: UsageService
  readonly exports: ExportsService
  readonly imports: ImportService
  readonly versions: VersionsService
  readonly collaborators: CollaboratorsService
  /** Offline sync: the change feed and pushed mutations. */
  readonly sync: SyncService
  /** Plans, subscriptions, Stripe Checkout and portal; the Stripe webhook. */
  readonly billing: BillingService
  readonly billingWebhooks: BillingWebhooks
  /** The user's data export and erasure (the manifest's hooks). */
  readonly userData: UserDataService
}

export function createColorbookApi(ctx: ModuleContext<ColorbookSettings>): ColorbookApi {
  const store = colorbookStore(ctx.db)
  const access = new ProjectAccess(new ColorbookPermissions(ctx.access), store.repos)
  const events = new ColorbookEvents(ctx.realtime, ctx.log)
  // A project's readers may read the files it uses (cover, images, drawing previews), whoever uploaded them.
  ctx.files.allowReads('colorbook', (actor, file) => store.repos.projects.fileVisibleTo(file.id, actor.id))
  const children = new ChildrenService(access, store, ctx.files, events)
  const usage = new UsageService(new ColorbookPermissions(ctx.access), store, ctx.rateLimit({ name: 'analytics-events', perMinute: ANALYTICS_EVENTS_PER_MINUTE }))
  return {
    store,
    access,
    events,
    projects: new ProjectsService(access, store, ctx.files, events),
    children,
    uploads: new UploadsService(access, store, children, ctx.files, ctx.log),
    usage,
    exports: new ExportsService(access, store, ctx.files, ctx.jobs, usage, events, ctx.log),
    imports: new ImportService(access, store, ctx.files, usage),
    versions: new VersionsService(access, store, events),
    collaborators: new CollaboratorsService(access, store, events, { users: ctx.users, mail: ctx.mail, realtime: ctx.realtime, publicUrl: ctx.platform.publicUrl, log: ctx.log }),
    ...createBilling(ctx, store),
    ...createTemplatesArea(ctx, access, store, events, usage),
    ...createAiKeysArea(ctx, access),
    userData: new UserDataService(store, events),
    sync: new SyncService(access, store, createSyncRepository(ctx.db), ctx.log),
  }
}
