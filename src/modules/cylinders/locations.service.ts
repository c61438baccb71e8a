import type { Actor } from '../../core/access/actor.js'
import { isUuid, newId } from '../../core/db/columns.js'
import { isForeignKeyViolation, isUniqueViolation } from '../../core/db/pg-errors.js'
import { AppError, notFound } from '../../core/errors/app-error.js'
import { decodeCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import type { LocationRow } from './db/schema.js'
import type { LocationKind } from './domain.js'
import { toLocationView, type LocationView } from './location.view.js'
import type { LocationChanges, LocationFilters } from './locations.repository.js'
import type { CylinderNotifier } from './events.js'
import { CYLINDERS_LOCATIONS, CYLINDERS_READ, type CylinderAccess } from './permissions.js'
import type { CylinderStore } from './store.js'
import type { Page } from '../../core/http/resource/resource.service.js'

/** What an admin gives for a location; optional texts may be null (or blank) to leave them empty. */
export interface LocationInput {
  name: string
  kind: LocationKind
  contactName?: string | null
  phone?: string | null
  email?: string | null
  address?: string | null
  notes?: string | null
  active?: boolean
}

export type LocationEdit = Partial<LocationInput> & { version: number }


const SORT = 'name'
const TEXTS = ['contactName', 'phone', 'email', 'address', 'notes'] as const
const NAME_KEY = 'cylinder_locations_name_key'

/** Customers and refill stations: admins keep the list (cylinders:locations), workers pick from it (cylinders:read). */
export class LocationsService {
  constructor(
    private readonly access: CylinderAccess,
    private readonly store: CylinderStore,
    private readonly notifier: CylinderNotifier,
  ) {}

  async list(actor: Actor, filters: LocationFilters, page: { limit: number; cursor?: string }): Promise<Page<LocationView>> {
    this.access.require(actor, CYLINDERS_READ)
    const after = page.cursor ? positionOf(page.cursor) : undefined
    const rows = await this.store.repos.locations.list(filters, page.limit + 1, after)
    const items = rows.slice(0, page.limit)
    const last = items.at(-1)
    const more = rows.length > page.limit && last
    return { items: items.map(toLocationView), nextCursor: more ? encodeCursor({ sort: SORT, value: last.name, id: last.id }) : null }
  }

  async get(actor: Actor, id: string): Promise<LocationRow> {
    this.access.require(actor, CYLINDERS_READ)
    const row = await this.store.repos.locations.findById(id)
    if (!row) throw notFound('Location')
    return row
  }

  async create(actor: Actor, input: LocationInput): Promise<LocationRow> {
    this.access.require(actor, CYLINDERS_LOCATIONS)
    const row = { ...normalize(input), id: newId(), name: input.name.trim(), kind: input.kind, active: input.active ?? true }
    return this.store.repos.locations.insert(row).catch(nameTaken(input.name))
  }

  /** Edits at `version`; a kind change is refused while cylinders are there (they would be at the wrong kind of place). */
  async edit(actor: Actor, id: string, edit: LocationEdit): Promise<LocationRow> {
    this.access.require(actor, CYLINDERS_LOCATIONS)
    const { version, ...fields } = edit
    const changes = normalize(fields)
    const updated = await this.store
      .transaction(async (repos) => {
        const current = await repos.locations.lock(id)
        if (!current) throw notFound('Location')
        if (current.version !== version) throw conflict(current)
        const diff = changed(current, changes)
        if (Object.keys(diff).length === 0) return current
        if (diff.kind) {
          const { cylinders } = await repos.locations.usage(id)
          if (cylinders > 0) throw new AppError('LOCATION_IN_USE', `${cylinders} cylinders are at ${current.name}; bring them back before changing its kind.`, { cylinders })
        }
        const updated = await repos.locations.update(id, version, diff)
        if (!updated) throw conflict(current)
        return updated
      })
      .catch(nameTaken(fields.name))
    // The inventory names locations: a rename must not wait for the cache to expire.
    if (updated.version !== version) this.notifier.inventoryChanged()
    return updated
  }

  /** Only a location nothing ever referenced can go; history keeps the others, which are archived instead. */
  async remove(actor: Actor, id: string): Promise<void> {
    this.access.require(actor, CYLINDERS_LOCATIONS)
    const { locations } = this.store.repos
    try {
      if (!(await locations.delete(id))) throw notFound('Location')
    } catch (error) {
      if (!isForeignKeyViolation(error)) throw error
      const usage = await locations.usage(id)
      throw new AppError('LOCATION_IN_USE', 'Cylinders, shipments or history refer to this location; archive it with `active: false` instead.', usage)
    }
  }
}

/** Trimmed texts; a blank optional text is stored as null. */
function normalize(input: Partial<LocationInput>): LocationChanges {
  const out: LocationChanges = {}
  if (input.name !== undefined) out.name = input.name.trim()
  if (input.kind !== undefined) out.kind = input.kind
  if (input.active !== undefined) out.active = input.active
  for (const key of TEXTS) {
    const value = input[key]
    if (value !== undefined) out[key] = value?.trim() || null
  }
  return out
}

/** Only the fields that differ, so a no-op edit keeps the version. */
function changed(current: LocationRow, changes: LocationChanges): LocationChanges {
  return Object.fromEntries(Object.entries(changes).filter(([key, value]) => current[key as keyof LocationChanges] !== value))
}

const conflict = (current: LocationRow): AppError =>
  new AppError('VERSION_CONFLICT', `The location is at version ${current.version}; reload and retry.`, { current: toLocationView(current) })

const nameTaken =
  (name: string | undefined) =>
  (error: unknown): never => {
    if (isUniqueViolation(error, NAME_KEY)) throw new AppError('LOCATION_NAME_TAKEN', undefined, { name: name?.trim() })
    throw error
  }

/** The cursor's position; one not made by this list is refused as INVALID_CURSOR. */
function positionOf(cursor: string): { name: string; id: string } {
  const position = decodeCursor(cursor, SORT)
  if (typeof position.value !== 'string' || !isUuid(position.id)) throw new AppError('INVALID_CURSOR', undefined, { cursor: 'does not belong to this list' })
  return { name: position.value, id: position.id }
}

