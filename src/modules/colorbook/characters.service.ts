import type { Actor } from '../../core/access/actor.js'
import { newId } from '../../core/db/columns.js'
import { AppError, notFound } from '../../core/errors/app-error.js'
import type { FilesApi } from '../../core/files/index.js'
import type { ProjectAccess } from './access.js'
import { toImageView } from './child.view.js'
import type { CharacterChanges, CharacterRow, StylePresetChanges, StylePresetRow } from './characters.repository.js'
import { toCharacterView, toStyleView } from './characters.schemas.js'
import { MAX_CHILDREN } from './children.service.js'
import { expectedVersion, staleVersion, type Precondition } from './concurrency.js'
import type { ImageRow } from './db/schema.js'
import type { ColorbookEvents, PendingEvent } from './events.js'
import type { ColorbookRepositories, ColorbookStore } from './store.js'

export interface CharacterInput {
  name: string
  description?: string | null
  referenceFileIds?: string[]
}
export interface StyleInput {
  name: string
  promptFragment?: string | null
  palette?: string[]
  lineWeight?: number | null
}

const trimmedOrNull = (value: string | null | undefined) => (value === undefined || value === null ? null : value.trim() || null)

/**
 * A project's characters and style presets: readers list and read them, the owner and editors write
 * them (never in a trashed project). Deleting one takes it off the project's images, which get a new
 * version each (sync log rows, `image.updated` events). PUT replaces: omitted fields go back to empty.
 * Every write is a row of the sync log (entity `character` or `style`), in its transaction.
 */
export class CharactersService {
  constructor(
    private readonly access: ProjectAccess,
    private readonly store: ColorbookStore,
    private readonly files: Pick<FilesApi, 'find'>,
    private readonly events: ColorbookEvents,
  ) {}

  async listCharacters(actor: Actor, projectId: string) {
    await this.access.check(actor, this.store.repos, projectId, 'read')
    return (await this.store.repos.characters.characterList(projectId)).map(toCharacterView)
  }

  async listStyles(actor: Actor, projectId: string) {
    await this.access.check(actor, this.store.repos, projectId, 'read')
    return (await this.store.repos.characters.styleList(projectId)).map(toStyleView)
  }

  async getCharacter(actor: Actor, id: string) {
    const row = (await this.store.repos.characters.findCharacter(id)) ?? missing('Character')
    await this.access.check(actor, this.store.repos, row.projectId, 'read').catch((error: unknown) => missingAs(error, 'Character'))
    return toCharacterView(row)
  }

  async getStyle(actor: Actor, id: string) {
    const row = (await this.store.repos.characters.findStyle(id)) ?? missing('Style preset')
    await this.access.check(actor, this.store.repos, row.projectId, 'read').catch((error: unknown) => missingAs(error, 'Style preset'))
    return toStyleView(row)
  }

  /** `options.id`: the device's id for a synced create (docs/colorbook-sync.md). */
  async createCharacter(actor: Actor, projectId: string, input: CharacterInput, options: { id?: string } = {}) {
    const row = await this.store.transaction(async (repos) => {
      await this.access.check(actor, repos, projectId, 'edit', { lock: true })
      await this.checkCount(repos, 'character', projectId)
      const values = await this.characterValues(actor, input, [])
      const row = await repos.characters.insertCharacter({ id: options.id ?? newId(), projectId, ...values })
      await repos.changes.record([{ projectId, entity: 'character', entityId: row.id, op: 'create', version: row.version }])
      await repos.projects.touch(projectId, new Date())
      return row
    })
    this.events.publish([{ projectId, event: 'character.created', data: toCharacterView(row) }])
    return toCharacterView(row)
  }

  async createStyle(actor: Actor, projectId: string, input: StyleInput, options: { id?: string } = {}) {
    const row = await this.store.transaction(async (repos) => {
      await this.access.check(actor, repos, projectId, 'edit', { lock: true })
      await this.checkCount(repos, 'style', projectId)
      const row = await repos.characters.insertStyle({ id: options.id ?? newId(), projectId, ...styleValues(input) })
      await repos.changes.record([{ projectId, entity: 'style', entityId: row.id, op: 'create', version: row.version }])
      await repos.projects.touch(projectId, new Date())
      return row
    })
    this.events.publish([{ projectId, event: 'style.created', data: toStyleView(row) }])
    return toStyleView(row)
  }

  async replaceCharacter(actor: Actor, id: string, input: CharacterInput, precondition: Precondition) {
    const expected = expectedVersion(precondition)
    const row = await this.store.transaction(async (repos) => {
      const current = (await repos.characters.findCharacter(id)) ?? missing('Character')
      await this.access.check(actor, repos, current.projectId, 'edit', { lock: true }).catch((error: unknown) => missingAs(error, 'Character'))
      const locked = (await repos.characters.findCharacter(id, { lock: true })) ?? missing('Character')
      if (locked.version !== expected) throw staleVersion(precondition, 'The character', locked.version, toCharacterView(locked))
      const row = (await repos.characters.updateCharacter(id, expected, await this.characterValues(actor, input, locked.referenceFileIds), new Date()))!
      await repos.changes.record([{ projectId: row.projectId, entity: 'character', entityId: id, op: 'update', version: row.version }])
      await repos.projects.touch(row.projectId, new Date())
      return row
    })
    this.events.publish([{ projectId: row.projectId, event: 'character.updated', data: toCharacterView(row) }])
    return toCharacterView(row)
  }

  async replaceStyle(actor: Actor, id: string, input: StyleInput, precondition: Precondition) {
    const expected = expectedVersion(precondition)
    const row = await this.store.transaction(async (repos) => {
      const current = (await repos.characters.findStyle(id)) ?? missing('Style preset')
      await this.access.check(actor, repos, current.projectId, 'edit', { lock: true }).catch((error: unknown) => missingAs(error, 'Style preset'))
      const locked = (await repos.characters.findStyle(id, { lock: true })) ?? missing('Style preset')
      if (locked.version !== expected) throw staleVersion(precondition, 'The style preset', locked.version, toStyleView(locked))
      const row = (await repos.characters.updateStyle(id, expected, styleValues(input), new Date()))!
      await repos.changes.record([{ projectId: row.projectId, entity: 'style', entityId: id, op: 'update', version: row.version }])
      await repos.projects.touch(row.projectId, new Date())
      return row
    })
    this.events.publish([{ projectId: row.projectId, event: 'style.updated', data: toStyleView(row) }])
    return toStyleView(row)
  }

  /** Deleted, and taken off the project's images (each a new version, logged and published). */
  async removeCharacter(actor: Actor, id: string): Promise<void> {
    const published = await this.store.transaction(async (repos) => {
      const current = (await repos.characters.findCharacter(id)) ?? missing('Character')
      await this.access.check(actor, repos, current.projectId, 'edit', { lock: true }).catch((error: unknown) => missingAs(error, 'Character'))
      const row: CharacterRow = (await repos.characters.deleteCharacter(id)) ?? missing('Character')
      await repos.changes.record([{ projectId: row.projectId, entity: 'character', entityId: id, op: 'delete', version: row.version + 1 }])
      const at = new Date()
      const changed = await repos.characters.dropCharacterFromImages(row.projectId, id, at)
      return [...(await imagesChanged(repos, row.projectId, changed, at)), { projectId: row.projectId, event: 'character.deleted' as const, data: { id, projectId: row.projectId } }]
    })
    this.events.publish(published)
  }

  async removeStyle(actor: Actor, id: string): Promise<void> {
    const published = await this.store.transaction(async (repos) => {
      const current = (await repos.characters.findStyle(id)) ?? missing('Style preset')
      await this.access.check(actor, repos, current.projectId, 'edit', { lock: true }).catch((error: unknown) => missingAs(error, 'Style preset'))
      const at = new Date()
      // The images first, so they get their version (the foreign key would clear style_id silently).
      const changed = await repos.characters.dropStyleFromImages(current.projectId, id, at)
      const row: StylePresetRow = (await repos.characters.deleteStyle(id)) ?? missing('Style preset')
      await repos.changes.record([{ projectId: row.projectId, entity: 'style', entityId: id, op: 'delete', version: row.version + 1 }])
      return [...(await imagesChanged(repos, row.projectId, changed, at)), { projectId: row.projectId, event: 'style.deleted' as const, data: { id, projectId: row.projectId } }]
    })
    this.events.publish(published)
  }

  private async checkCount(repos: ColorbookRepositories, kind: 'character' | 'style', projectId: string): Promise<void> {
    if ((await repos.characters.countOf(kind, projectId)) >= MAX_CHILDREN) throw new AppError('COLORBOOK_CHILD_LIMIT', undefined, { kind, limit: MAX_CHILDREN })
  }

  /** Reference images: each new one must be the caller's own file; those the character already has stay. */
  private async characterValues(actor: Actor, input: CharacterInput, kept: readonly string[]): Promise<Required<CharacterChanges>> {
    const referenceFileIds = [...new Set(input.referenceFileIds ?? [])]
    const refused: string[] = []
    for (const fileId of referenceFileIds) {
      if (kept.includes(fileId)) continue
      const file = await this.files.find(fileId)
      if (file?.ownerId !== actor.id) refused.push(fileId)
    }
    if (refused.length > 0) throw new AppError('COLORBOOK_FILE_INVALID', undefined, { referenceFileIds: refused })
    return { name: input.name.trim(), description: trimmedOrNull(input.description), referenceFileIds }
  }
}

function styleValues(input: StyleInput): Required<StylePresetChanges> {
  return { name: input.name.trim(), promptFragment: trimmedOrNull(input.promptFragment), palette: (input.palette ?? []).map((color) => color.toLowerCase()), lineWeight: input.lineWeight ?? null }
}

/** The images a deletion changed: their sync rows and `image.updated` events (the project counts as updated). */
async function imagesChanged(repos: ColorbookRepositories, projectId: string, changed: ImageRow[], at: Date): Promise<PendingEvent[]> {
  await repos.changes.record(changed.map((image) => ({ projectId, entity: 'image' as const, entityId: image.id, op: 'update' as const, version: image.version })))
  await repos.projects.touch(projectId, at)
  return changed.map((image) => ({ projectId, event: 'image.updated' as const, data: toImageView(image) }))
}

function missing(what: string): never {
  throw notFound(what)
}

/** A character or preset of a project the caller may not see is missing as itself. */
function missingAs(error: unknown, what: string): never {
  if (error instanceof AppError && error.code === 'NOT_FOUND') throw notFound(what)
  throw error
}
