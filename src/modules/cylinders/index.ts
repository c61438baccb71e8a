import { defineModule } from '../../core/module.js'
import { createCylindersApi, type CylindersApi } from './api.js'
import { adminRoutes } from './admin.routes.js'
import { toShipmentView } from './cylinder.view.js'
import { cylindersRoutes } from './cylinders.routes.js'
import { importRoutes } from './import.routes.js'
import { inventoryRoutes } from './inventory.routes.js'
import { labelsRoutes } from './labels.routes.js'
import { locationsReadRoutes } from './locations.read.routes.js'
import { locationsWriteRoutes } from './locations.write.routes.js'
import { qrRoutes } from './qr.routes.js'
import { reportsRoutes } from './reports.routes.js'
import { cylinderErrors } from './errors.js'
import { CYLINDERS_ROOM } from './events.js'
import { CYLINDERS_READ, cylinderPermissions } from './permissions.js'
import { cylinderSettings, type CylindersSettings } from './settings.js'

/** Seed 004: gas cylinders with QR labels, batch shipments and refills, compliance, reports, live events. */
export const cylindersModule = defineModule<CylindersApi, CylindersSettings>({
  name: 'cylinders',
  permissions: cylinderPermissions,
  errors: cylinderErrors,
  settings: cylinderSettings,
  createApi: createCylindersApi,
  // One plugin per route group, in this order (the OpenAPI document lists the routes so).
  routes: (api) => async (app) => {
    const groups = [cylindersRoutes, locationsReadRoutes, locationsWriteRoutes, qrRoutes, labelsRoutes, importRoutes, adminRoutes, inventoryRoutes, reportsRoutes]
    for (const routes of groups) await app.register(routes(api))
  },
  // One room for the whole depot: staff who may read cylinders follow every change.
  authorizeRoom: async (actor, room, api) => room.name === CYLINDERS_ROOM && api.access.roleHas(actor.role, CYLINDERS_READ),
  // The batches a worker scanned. They stay when the account is deleted: the depot's records name
  // an anonymised account from then on.
  exportUserData: async (userId, api) => ({
    shipments: (await api.store.repos.shipments.byWorker(userId, EXPORT_LIMIT)).map((s) => {
      const { items, ...shipment } = toShipmentView(s, [])
      void items
      return shipment
    }),
  }),
})

const EXPORT_LIMIT = 10_000
