import type { preHandlerAsyncHookHandler } from 'fastify'
import type { PermissionRegistry } from '../../core/access/permissions.js'
import type { Cache } from '../../core/cache/cache.js'
import type { ModuleContext } from '../../core/module.js'
import { AdminShipmentsService } from './admin-shipments.service.js'
import { BatchService } from './batch.service.js'
import { CylindersService } from './cylinders.service.js'
import { CylinderNotifier } from './events.js'
import { InventoryRetirement } from './inventory-retirement.js'
import { InventoryService } from './inventory.service.js'
import { LocationsService } from './locations.service.js'
import { CylinderAccess } from './permissions.js'
import { ReportsService } from './reports.service.js'
import type { CylindersSettings } from './settings.js'
import { cylinderStore, type CylinderStore } from './store.js'

/** What the module's routes, jobs and hooks work with. */
export interface CylindersApi {
  readonly access: PermissionRegistry
  /** The module's settings (settings.ts): CYLINDERS_* variables. */
  readonly config: CylindersSettings
  readonly store: CylinderStore
  readonly cache: Cache
  /**
   * Scans and batch moves per account per minute (a scanner stuck in a loop, or someone trying codes),
   * CYLINDERS_SCAN_RATE_LIMIT_PER_MINUTE: the platform's limiter (`ctx.rateLimit`), in Redis when there
   * is one so the limit holds across instances; a no-op when the setting is 0.
   */
  readonly scanLimit: preHandlerAsyncHookHandler
  readonly cylinders: CylindersService
  readonly batches: BatchService
  readonly locations: LocationsService
  readonly inventory: InventoryService
  readonly reports: ReportsService
  readonly adminShipments: AdminShipmentsService
  readonly notifier: CylinderNotifier
  readonly retirement: InventoryRetirement
}

export function createCylindersApi(ctx: ModuleContext<CylindersSettings>): CylindersApi {
  const store = cylinderStore(ctx.db, ctx.users)
  const guard = new CylinderAccess(ctx.access)
  const retirement = new InventoryRetirement(ctx.cache, ctx.log)
  const notifier = new CylinderNotifier(ctx.realtime, retirement, ctx.log)
  return {
    access: ctx.access,
    config: ctx.settings,
    store,
    cache: ctx.cache,
    scanLimit: ctx.rateLimit({ name: 'scan', perMinute: ctx.settings.scanRateLimitPerMinute, message: 'Too many scans' }),
    cylinders: new CylindersService(guard, store, notifier),
    batches: new BatchService(guard, store, notifier, ctx.settings.timeZone),
    locations: new LocationsService(guard, store, notifier),
    inventory: new InventoryService(guard, store.repos.inventory, ctx.cache, ctx.settings.inventoryCacheSeconds * 1000, ctx.log, { retirement }),
    reports: new ReportsService(guard, store.repos.reports, ctx.settings.timeZone),
    adminShipments: new AdminShipmentsService(guard, store.repos.adminShipments, store.repos.shipments),
    notifier,
    retirement,
  }
}
