import { describe, expect, it } from 'vitest'
import type { Actor } from '../../core/access/actor.js'
import { PermissionRegistry } from '../../core/access/permissions.js'
import { MemoryCache } from '../../core/cache/cache.js'
import { AdminShipmentsService } from './admin-shipments.service.js'
import { BatchService } from './batch.service.js'
import { CylindersService } from './cylinders.service.js'
import type { CylinderNotifier } from './events.js'
import { CylinderImporter } from './import.service.js'
import { InventoryService } from './inventory.service.js'
import { LocationsService } from './locations.service.js'
import { CylinderAccess, cylinderPermissions } from './permissions.js'
import { ReportsService } from './reports.service.js'
import type { CylinderStore } from './store.js'

const registry = new PermissionRegistry()
registry.declare(...cylinderPermissions)
const access = new CylinderAccess(registry)

const user: Actor = { id: 'user-1', role: 'user' }
const worker: Actor = { id: 'worker-1', role: 'worker' }

/** Throws on any use, and remembers it: a refused call must not have touched the store first. */
const touched: string[] = []
function untouchable<T>(name: string): T {
  return new Proxy({}, {
    get: (_target, property) => {
      touched.push(`${name}.${String(property)}`)
      throw new Error(`${name}.${String(property)} was used before the access check`)
    },
  }) as T
}

const store = untouchable<CylinderStore>('store')
const notifier = untouchable<CylinderNotifier>('notifier')
const cylinders = new CylindersService(access, store, notifier)
const services = {
  cylinders,
  batches: new BatchService(access, store, notifier),
  locations: new LocationsService(access, store, notifier),
  inventory: new InventoryService(access, untouchable('inventoryRepository'), new MemoryCache(), 60_000),
  reports: new ReportsService(access, untouchable('reportsRepository')),
  adminShipments: new AdminShipmentsService(access, untouchable('adminShipmentsRepository'), untouchable('shipmentsRepository')),
  importer: new CylinderImporter(access, store, cylinders),
}

const id = '0190c0de-0000-7000-8000-000000000001'
const page = { limit: 10 }
const params = services.reports.params({})

/** Every public service method, the permission it needs, and an actor without it. */
const calls: [string, string, Actor, () => Promise<unknown>][] = [
  ['CylindersService.add', 'cylinders:manage', worker, () => services.cylinders.add(worker, [{ serialNumber: 'SN-1', gasType: 'CO2' }])],
  ['CylindersService.get', 'cylinders:read', user, () => services.cylinders.get(user, id)],
  ['CylindersService.scan', 'cylinders:read', user, () => services.cylinders.scan(user, 'ABC')],
  ['CylindersService.list', 'cylinders:read', user, () => services.cylinders.list(user, {}, page)],
  ['CylindersService.history', 'cylinders:read', user, () => services.cylinders.history(user, id, page)],
  ['CylindersService.edit', 'cylinders:manage', worker, () => services.cylinders.edit(worker, id, { version: 1, notes: 'x' })],
  ['CylindersService.reprint', 'cylinders:manage', worker, () => services.cylinders.reprint(worker, id)],
  ['CylindersService.many', 'cylinders:manage', worker, () => services.cylinders.many(worker, [id])],
  ['BatchService.move', 'cylinders:move', user, () => services.batches.move(user, 'ship', { qrCodes: ['ABC'], sentTo: 'Site 1' })],
  ['BatchService.act (quarantine)', 'cylinders:move', user, () => services.batches.act(user, 'quarantine', { qrCodes: ['ABC'], reason: 'dent' })],
  ['BatchService.act (release)', 'cylinders:manage', worker, () => services.batches.act(worker, 'release', { cylinderIds: [id], lastTestOn: '2026-01-01', nextTestDue: '2031-01-01' })],
  ['BatchService.act (lose)', 'cylinders:manage', worker, () => services.batches.act(worker, 'lose', { cylinderIds: [id] })],
  ['BatchService.act (trash)', 'cylinders:manage', worker, () => services.batches.act(worker, 'trash', { cylinderIds: [id], reason: 'worn out' })],
  ['LocationsService.list', 'cylinders:read', user, () => services.locations.list(user, {}, page)],
  ['LocationsService.get', 'cylinders:read', user, () => services.locations.get(user, id)],
  ['LocationsService.create', 'cylinders:locations', worker, () => services.locations.create(worker, { name: 'Acme', kind: 'customer' })],
  ['LocationsService.edit', 'cylinders:locations', worker, () => services.locations.edit(worker, id, { version: 1, name: 'Acme 2' })],
  ['LocationsService.remove', 'cylinders:locations', worker, () => services.locations.remove(worker, id)],
  ['InventoryService.get', 'cylinders:reports', worker, () => services.inventory.get(worker)],
  ['ReportsService.all', 'cylinders:reports', worker, () => services.reports.all(worker, {})],
  ['ReportsService.section', 'cylinders:reports', worker, () => services.reports.section(worker, 'holdings', params)],
  ['AdminShipmentsService.list', 'cylinders:reports', worker, () => services.adminShipments.list(worker, {}, page)],
  ['AdminShipmentsService.get', 'cylinders:reports', worker, () => services.adminShipments.get(worker, id)],
  ['CylinderImporter.import', 'cylinders:manage', worker, () => services.importer.import(worker, 'serialNumber,gasType\nSN-1,CO2\n')],
]

describe('cylinder services check access first', () => {
  it.each(calls)('%s refuses an actor without %s with 403 FORBIDDEN, before touching anything', async (_name, permission, actor, call) => {
    touched.length = 0
    await expect(call()).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN', message: `This requires the ${permission} permission.` })
    expect(touched).toEqual([])
    // The actor really lacks it (the next test shows a holder gets past the check).
    expect(access.has(actor, permission as never)).toBe(false)
  })

  it('refuses an API key whose scopes lack the permission, though its owner has it', async () => {
    touched.length = 0
    const key: Actor = { id: 'admin-1', role: 'admin', apiKey: { id: 'key-1', scopes: ['cylinders:read'] } }
    await expect(services.inventory.get(key)).rejects.toMatchObject({ status: 403, code: 'API_KEY_SCOPE_MISSING', details: { permission: 'cylinders:reports' } })
    expect(touched).toEqual([])
  })

  it('lets a holder of the permission through the check (the call goes on to the store)', async () => {
    touched.length = 0
    await expect(services.cylinders.get(worker, id)).rejects.toThrow('was used before the access check')
    expect(touched).toEqual(['store.repos'])
  })
})
