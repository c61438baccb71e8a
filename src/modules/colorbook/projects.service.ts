import type { Actor } from '../../core/access/actor.js'
import { isUuid, newId } from '../../core/db/columns.js'
import { AppError } from '../../core/errors/app-error.js'
import { decodeCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import type { Page } from '../../core/http/resource/resource.service.js'
import type { FilesApi } from '../../core/files/index.js'
import type { ProjectAccess } from './access.js'
import { toDrawingViewOf, toImageView, toStoryView } from './child.view.js'
import { expectedVersion, staleVersion, type Precondition } from './concurrency.js'
import type { NewProjectRow, ProjectRow } from './db/schema.js'
import type { Orientation, PageSize } from './domain.js'
import type { ColorbookEvents } from './events.js'
import { checkProjectLimit } from './plan-limits.js'
import { toProjectData, toProjectView, type ProjectViewData } from './project.view.js'
import { PROJECT_SORTS, type ProjectChanges, type ProjectFilters, type ProjectSort } from './projects.repository.js'
import type { ColorbookStore } from './store.js'

export interface ProjectInput {
  title?: string
  description?: string | null
  tags?: string[]
  pageFormat?: { size: PageSize; orientation: Orientation }
  settings?: Record<string, unknown>
  coverFileId?: string | null
}

export type Include = 'stories' | 'images' | 'drawings'
const SETTINGS_MAX_BYTES = 64 * 1024

/** Projects: list, read, create, change, trash, restore, purge and duplicate. Children are ChildrenService's. */
export class ProjectsService {
  constructor(
    private readonly access: ProjectAccess,
    private readonly store: ColorbookStore,
    private readonly files: Pick<FilesApi, 'find'>,
    private readonly events: ColorbookEvents,
  ) {}

  async list(actor: Actor, filters: ProjectFilters, page: { sort?: ProjectSort; limit: number; cursor?: string }): Promise<Page<ProjectViewData>> {
    this.access.permit(actor)
    const sort = page.sort ?? '-updatedAt'
    const after = page.cursor ? positionOf(page.cursor, sort) : undefined
    const rows = await this.store.repos.projects.list(actor.id, filters, sort, page.limit + 1, after)
    const items = rows.slice(0, page.limit)
    const last = items.at(-1)
    const nextCursor = rows.length > page.limit && last ? encodeCursor({ sort, value: cursorValue(last.project, sort, last.titleKey), id: last.project.id }) : null
    return { items: items.map((row) => toProjectView(row.project, row.role)), nextCursor }
  }

  async get(actor: Actor, id: string, include: readonly Include[] = []) {
    const { project, role } = await this.access.check(actor, this.store.repos, id, 'read')
    const { repos } = this.store
    const [stories, images, drawings] = await Promise.all([
      include.includes('stories') ? repos.story.listOf(id) : undefined,
      include.includes('images') ? repos.image.listOf(id) : undefined,
      // Strokes as JSON text: the route splices them into the answer (child.view.ts, drawingJson).
      include.includes('drawings') ? repos.drawing.jsonListOf(id) : undefined,
    ])
    return {
      ...toProjectView(project, role),
      ...(stories ? { stories: stories.map(toStoryView) } : {}),
      ...(images ? { images: images.map(toImageView) } : {}),
      ...(drawings ? { drawings: drawings.map(toDrawingViewOf) } : {}),
    }
  }

  /** `options.id`: the id a device chose offline (sync push); otherwise a new one. */
  async create(actor: Actor, input: ProjectInput & { title: string }, options: { id?: string } = {}): Promise<ProjectViewData> {
    this.access.permit(actor)
    const values = projectValues(input)
    await this.checkCover(actor, values.coverFileId)
    const row = await this.store.transaction(async (repos) => {
      await checkProjectLimit(repos, actor.id)
      const project = await repos.projects.insert({ id: options.id ?? newId(), ownerId: actor.id, title: input.title.trim(), ...values })
      await repos.changes.record([{ projectId: project.id, entity: 'project', entityId: project.id, op: 'create', version: project.version }])
      await repos.usage.insert([{ userId: actor.id, type: 'project.created', entityType: 'project', entityId: project.id }])
      return project
    })
    return toProjectView(row, 'owner')
  }

  /** PUT (`replace`: omitted fields go back to their defaults) or PATCH, at the expected version. */
  async update(actor: Actor, id: string, input: ProjectInput, precondition: Precondition, mode: 'replace' | 'patch'): Promise<ProjectViewData> {
    const expected = expectedVersion(precondition)
    const changes = mode === 'replace' ? { ...REPLACE_DEFAULTS, ...projectValues(input) } : projectValues(input)
    if (input.title !== undefined) changes.title = input.title.trim()
    const { row, role, changed } = await this.store.transaction(async (repos) => {
      const { project, role } = await this.access.check(actor, repos, id, 'edit', { lock: true })
      if (project.version !== expected) throw staleVersion(precondition, 'The project', project.version, toProjectView(project, role))
      if (changes.coverFileId !== undefined && changes.coverFileId !== project.coverFileId) await this.checkCover(actor, changes.coverFileId)
      // Only `version` sent: nothing to change, nothing written.
      if (Object.keys(changes).length === 0) return { row: project, role, changed: false }
      const updated = (await repos.projects.update(id, expected, changes, new Date()))!
      await repos.changes.record([{ projectId: id, entity: 'project', entityId: id, op: 'update', version: updated.version }])
      return { row: updated, role, changed: true }
    })
    if (changed) this.events.publish([{ projectId: id, event: 'project.updated', data: toProjectData(row) }])
    return toProjectView(row, role)
  }

  /** To the trash (the owner only); again: nothing changes. */
  async trash(actor: Actor, id: string): Promise<void> {
    const done = await this.store.transaction(async (repos) => {
      const { project } = await this.access.check(actor, repos, id, 'own', { lock: true, trashed: 'allow' })
      if (project.trashedAt !== null) return undefined
      const row = await this.saveState(repos, project, { trashedAt: new Date() })
      return { row, collaborators: (await repos.collaborators.list(id)).map((c) => c.userId) }
    })
    if (!done) return
    this.events.publish([{ projectId: id, event: 'project.updated', data: toProjectData(done.row) }])
    // A trashed project is its owner's alone: its collaborators stop hearing it at once.
    this.events.revoke(id, done.collaborators)
  }

  /** Out of the trash (the owner only), counted against the plan again. */
  async restore(actor: Actor, id: string): Promise<ProjectViewData> {
    const row = await this.store.transaction(async (repos) => {
      const { project } = await this.access.check(actor, repos, id, 'own', { lock: true, trashed: 'allow' })
      if (project.trashedAt === null) throw new AppError('COLORBOOK_PROJECT_NOT_TRASHED')
      // The row lock, then the owner's: nothing takes them the other way round.
      await checkProjectLimit(repos, actor.id)
      return this.saveState(repos, project, { trashedAt: null })
    })
    this.events.publish([{ projectId: id, event: 'project.updated', data: toProjectData(row) }])
    return toProjectView(row, 'owner')
  }

  /** Deleted for good with its children (the owner only); the sync log keeps a tombstone. */
  async purge(actor: Actor, id: string): Promise<void> {
    const audience = await this.store.transaction(async (repos) => {
      const { project } = await this.access.check(actor, repos, id, 'own', { lock: true, trashed: 'allow' })
      return this.purgeRow(repos, project)
    })
    this.events.publish([{ projectId: id, event: 'project.deleted', data: { id } }])
    this.events.revoke(id, audience)
  }

  /** A copy owned by the caller (any reader may copy), with every child, in one transaction; files are shared. */
  async duplicate(actor: Actor, id: string): Promise<ProjectViewData> {
    const row = await this.store.transaction(async (repos) => {
      const { project } = await this.access.check(actor, repos, id, 'read')
      if (project.trashedAt !== null) throw new AppError('COLORBOOK_PROJECT_TRASHED')
      await checkProjectLimit(repos, actor.id)
      const copy = await repos.projects.insert({
        id: newId(),
        ownerId: actor.id,
        title: `${project.title} (copy)`.slice(0, 200),
        description: project.description,
        tags: project.tags,
        pageSize: project.pageSize,
        pageOrientation: project.pageOrientation,
        settings: project.settings,
        coverFileId: project.coverFileId,
        duplicatedFromId: project.id,
        templateId: project.templateId,
      })
      const children = await repos.duplicate.copyChildren(project.id, copy.id)
      await repos.usage.insert([{ userId: actor.id, type: 'project.duplicated', entityType: 'project', entityId: copy.id, metadata: { from: project.id } }])
      await repos.changes.record([
        { projectId: copy.id, entity: 'project', entityId: copy.id, op: 'create', version: 1 },
        ...children.stories.map((c) => ({ projectId: copy.id, entity: 'story' as const, entityId: c.id, op: 'create' as const, version: 1 })),
        ...children.images.map((c) => ({ projectId: copy.id, entity: 'image' as const, entityId: c.id, op: 'create' as const, version: 1 })),
        ...children.drawings.map((c) => ({ projectId: copy.id, entity: 'drawing' as const, entityId: c.id, op: 'create' as const, version: 1 })),
        ...children.characters.map((c) => ({ projectId: copy.id, entity: 'character' as const, entityId: c.id, op: 'create' as const, version: 1 })),
        ...children.styles.map((c) => ({ projectId: copy.id, entity: 'style' as const, entityId: c.id, op: 'create' as const, version: 1 })),
      ])
      return copy
    })
    return toProjectView(row, 'owner')
  }

  /** The purge job: projects trashed before `before`, a batch at a time; returns how many were purged. */
  async purgeTrashed(before: Date, batchSize: number): Promise<number> {
    const due = await this.store.repos.projects.trashedBefore(before, batchSize)
    let purged = 0
    for (const project of due) {
      const audience = await this.store.transaction(async (repos) => {
        // Locked first, so a restore or a share committing meanwhile is seen (and a restored project is kept).
        const current = await repos.versions.lockProject(project.id)
        return current && current.trashedAt !== null && current.trashedAt < before ? this.purgeRow(repos, current) : []
      })
      if (audience.length === 0) continue
      this.events.publish([{ projectId: project.id, event: 'project.deleted', data: { id: project.id } }])
      this.events.revoke(project.id, audience)
      purged++
    }
    return purged
  }

  /**
   * Deletes the project (the caller holds its lock); its tombstone names everyone who could see it
   * (owner and collaborators), whose feeds carry it although the project is gone. Returns them.
   */
  private async purgeRow(repos: Parameters<Parameters<ColorbookStore['transaction']>[0]>[0], project: ProjectRow): Promise<string[]> {
    const audience = await repos.changes.audienceOf(project.id)
    if (!(await repos.projects.delete(project.id))) return []
    await repos.changes.record([{ projectId: project.id, entity: 'project', entityId: project.id, op: 'delete', version: project.version + 1, audience }])
    return audience
  }

  private async saveState(repos: Parameters<Parameters<ColorbookStore['transaction']>[0]>[0], project: ProjectRow, changes: Partial<NewProjectRow>): Promise<ProjectRow> {
    const row = (await repos.projects.update(project.id, project.version, changes, new Date()))!
    await repos.changes.record([{ projectId: project.id, entity: 'project', entityId: project.id, op: 'update', version: row.version }])
    return row
  }

  /** A cover is one of the caller's own files. */
  private async checkCover(actor: Actor, fileId: string | null | undefined): Promise<void> {
    if (fileId === null || fileId === undefined) return
    const file = await this.files.find(fileId)
    if (file?.ownerId !== actor.id) throw new AppError('COLORBOOK_FILE_INVALID', undefined, { coverFileId: fileId })
  }
}

const REPLACE_DEFAULTS: ProjectChanges = { description: null, tags: [], pageSize: 'A4', pageOrientation: 'portrait', settings: {}, coverFileId: null }

function projectValues(input: ProjectInput): ProjectChanges {
  const values: ProjectChanges = {}
  if (input.description !== undefined) values.description = input.description === null ? null : input.description.trim() || null
  if (input.tags !== undefined) values.tags = [...new Set(input.tags.map((tag) => tag.trim()).filter((tag) => tag.length > 0))]
  if (input.pageFormat !== undefined) Object.assign(values, { pageSize: input.pageFormat.size, pageOrientation: input.pageFormat.orientation })
  if (input.settings !== undefined) {
    if (Buffer.byteLength(JSON.stringify(input.settings)) > SETTINGS_MAX_BYTES) throw new AppError('VALIDATION_FAILED', 'settings is larger than 64 KiB.', { settings: 'at most 64 KiB as JSON' })
    values.settings = input.settings
  }
  if (input.coverFileId !== undefined) values.coverFileId = input.coverFileId
  return values
}

function cursorValue(project: ProjectRow, sort: ProjectSort, titleKey: string | undefined): string {
  if (sort.includes('title')) return titleKey ?? project.title.toLowerCase()
  return (sort.includes('created') ? project.createdAt : project.updatedAt).toISOString()
}

function positionOf(cursor: string, sort: ProjectSort) {
  const position = decodeCursor(cursor, sort)
  const byTitle = sort.includes('title')
  const value = typeof position.value === 'string' ? (byTitle ? position.value : new Date(position.value)) : undefined
  if (!isUuid(position.id) || value === undefined || (value instanceof Date && Number.isNaN(value.getTime())) || !PROJECT_SORTS.includes(sort)) {
    throw new AppError('INVALID_CURSOR', undefined, { cursor: 'does not belong to this list and sort order' })
  }
  return { value, id: position.id }
}
