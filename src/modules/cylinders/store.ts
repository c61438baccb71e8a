import type { Db } from '../../core/db/client.js'
import { unitOfWork, type UnitOfWork } from '../../core/db/unit-of-work.js'
import type { UserDirectory } from '../../core/users/directory.js'
import { createAdminShipmentsRepository } from './admin-shipments.repository.js'
import { createCylindersRepository } from './cylinders.repository.js'
import { createInventoryRepository } from './inventory.repository.js'
import { createLocationsRepository } from './locations.repository.js'
import { createReportsRepository } from './reports.repository.js'
import { createShipmentsRepository } from './shipments.repository.js'

/**
 * The module's repositories, together so one transaction can use them all. `users` (ctx.users) names
 * the workers of the admins' shipment list; it reads outside any transaction.
 */
export const cylinderRepositories = (db: Db, users: Pick<UserDirectory, 'contacts'>) => ({
  cylinders: createCylindersRepository(db),
  shipments: createShipmentsRepository(db),
  locations: createLocationsRepository(db),
  adminShipments: createAdminShipmentsRepository(db, users),
  inventory: createInventoryRepository(db),
  reports: createReportsRepository(db),
})

export type CylinderRepositories = ReturnType<typeof cylinderRepositories>
export type CylinderStore = UnitOfWork<CylinderRepositories>

export const cylinderStore = (db: Db, users: Pick<UserDirectory, 'contacts'>): CylinderStore => unitOfWork(db, (handle) => cylinderRepositories(handle, users))
