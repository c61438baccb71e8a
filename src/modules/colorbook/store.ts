import type { Db } from '../../core/db/client.js'
import { unitOfWork, type UnitOfWork } from '../../core/db/unit-of-work.js'
import { createBillingRepository } from './billing.repository.js'
import { createCollaboratorsRepository } from './collaborators.repository.js'
import { createVersionsRepository } from './versions.repository.js'
import { createChangesRepository } from './changes.repository.js'
import { createChildRepository, createDrawingRepository, createReferencesRepository } from './children.repository.js'
import { createDuplicateRepository } from './duplicate.repository.js'
import { createExportsRepository } from './exports.repository.js'
import { createPlansRepository } from './plans.repository.js'
import { createProjectsRepository } from './projects.repository.js'
import { createUsageRepository } from './usage.repository.js'
import { createBrandingRepository } from './branding.repository.js'
import { createCharactersRepository } from './characters.repository.js'
import { createTemplatesRepository } from './templates.repository.js'
import { createUserDataRepository } from './user-data.repository.js'
import { createStoryEditRepository } from './story-edit.repository.js'

/**
 * The module's repositories, together so one transaction can use them all. Each area adds its
 * repository here (one line) and keeps its SQL in its own `*.repository.ts`.
 */
export const colorbookRepositories = (db: Db) => ({
  projects: createProjectsRepository(db),
  story: createChildRepository(db, 'story'),
  storyEdit: createStoryEditRepository(db),
  image: createChildRepository(db, 'image'),
  drawing: createDrawingRepository(db),
  references: createReferencesRepository(db),
  duplicate: createDuplicateRepository(db),
  changes: createChangesRepository(db),
  plans: createPlansRepository(db),
  versions: createVersionsRepository(db),
  collaborators: createCollaboratorsRepository(db),
  billing: createBillingRepository(db),
  exports: createExportsRepository(db),
  usage: createUsageRepository(db),
  templates: createTemplatesRepository(db),
  characters: createCharactersRepository(db),
  branding: createBrandingRepository(db),
  userData: createUserDataRepository(db),
})

export type ColorbookRepositories = ReturnType<typeof colorbookRepositories>
export type ColorbookStore = UnitOfWork<ColorbookRepositories>

export const colorbookStore = (db: Db): ColorbookStore => unitOfWork(db, colorbookRepositories)
