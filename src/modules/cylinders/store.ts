import type { Db } from '../../core/db/client.js'
import { unitOfWork, type UnitOfWork } from '../../core/db/unit-of-work.js'
import { createCylindersRepository } from './cylinders.repository.js'
import { createLocationsRepository } from './locations.repository.js'
import { createShipmentsRepository } from './shipments.repository.js'

/** The module's repositories, together so one transaction can use them all. */
export const cylinderRepositories = (db: Db) => ({
  cylinders: createCylindersRepository(db),
  shipments: createShipmentsRepository(db),
  locations: createLocationsRepository(db),
})

export type CylinderRepositories = ReturnType<typeof cylinderRepositories>
export type CylinderStore = UnitOfWork<CylinderRepositories>

export const cylinderStore = (db: Db): CylinderStore => unitOfWork(db, cylinderRepositories)
