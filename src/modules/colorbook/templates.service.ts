import type { Actor } from '../../core/access/actor.js'
import type { PermissionRegistry } from '../../core/access/permissions.js'
import { isUuid, newId } from '../../core/db/columns.js'
import { AppError, notFound } from '../../core/errors/app-error.js'
import { decodeCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import type { Page } from '../../core/http/resource/resource.service.js'
import type { ProjectAccess } from './access.js'
import { expectedVersion, staleVersion, type Precondition } from './concurrency.js'
import { COLORBOOK_TEMPLATES_MODERATE } from './permissions.js'
import { checkProjectLimit } from './plan-limits.js'
import { toProjectView, type ProjectViewData } from './project.view.js'
import type { ColorbookStore } from './store.js'
import { averageOf, toTemplateView, type TemplateViewData } from './templates.schemas.js'
import { TEMPLATE_SORTS, type TemplateChanges, type TemplateFilters, type TemplateRow, type TemplateSort } from './templates.repository.js'
import type { UsageService } from './usage.service.js'

export interface TemplateMetadata {
  title?: string
  description?: string | null
  category?: string | null
  tags?: string[]
  premium?: boolean
  public?: boolean
}

/**
 * The template marketplace: an owner publishes a snapshot of a project (not a live link); anyone
 * signed in lists, reads and uses the public ones (a new project of their own from the snapshot) and
 * rates them. The author or a moderator (colorbook:templates:moderate) changes or deletes one; only
 * moderators hide one. A template nobody may see (private, hidden) is 404 to all but its author and moderators.
 */
export class TemplatesService {
  constructor(
    private readonly access: ProjectAccess,
    private readonly store: ColorbookStore,
    private readonly registry: Pick<PermissionRegistry, 'allows'>,
    private readonly usage: Pick<UsageService, 'record'>,
    private readonly limits: { readonly snapshotMaxBytes: number },
  ) {}

  async list(actor: Actor, filters: Omit<TemplateFilters, 'authorId'> & { mine?: boolean }, page: { sort?: TemplateSort; limit: number; cursor?: string }): Promise<Page<TemplateViewData>> {
    this.access.permit(actor)
    const sort = page.sort ?? 'newest'
    const after = page.cursor ? positionOf(page.cursor, sort) : undefined
    const { mine, category, ...rest } = filters
    const where: TemplateFilters = { ...rest, ...(category !== undefined ? { category: category.trim().toLowerCase() } : {}), ...(mine ? { authorId: actor.id } : {}) }
    const rows = await this.store.repos.templates.list(where, sort, page.limit + 1, after)
    const items = rows.slice(0, page.limit)
    const last = items.at(-1)
    const nextCursor = rows.length > page.limit && last ? encodeCursor({ sort, value: sortValue(last, sort), id: last.id }) : null
    return { items: items.map(toTemplateView), nextCursor }
  }

  async get(actor: Actor, id: string): Promise<TemplateViewData> {
    this.access.permit(actor)
    return toTemplateView(this.visible(actor, await this.store.repos.templates.findById(id)))
  }

  /**
   * A snapshot of the project and all its children, by its owner; the project itself is not changed.
   * A snapshot over the server's cap (COLORBOOK_TEMPLATE_MAX_BYTES, as JSON) is refused, nothing stored.
   */
  async publish(actor: Actor, projectId: string, input: TemplateMetadata): Promise<TemplateViewData> {
    const row = await this.store.transaction(async (repos) => {
      const { project } = await this.access.check(actor, repos, projectId, 'own', { lock: true })
      const snapshot = await repos.templates.snapshotOf(project)
      const sizeBytes = Buffer.byteLength(JSON.stringify(snapshot))
      const allowed = this.limits.snapshotMaxBytes
      if (sizeBytes > allowed) throw new AppError('COLORBOOK_TEMPLATE_TOO_LARGE', undefined, { sizeBytes, allowed })
      const row = await repos.templates.insert({
        id: newId(),
        authorId: actor.id,
        sourceProjectId: project.id,
        title: input.title?.trim() ?? project.title,
        ...metadataValues(input),
        snapshot: snapshot as unknown as Record<string, unknown>,
      })
      await this.usage.record({ type: 'template.published', userId: actor.id, entityType: 'template', entityId: row.id }, repos)
      return row
    })
    return toTemplateView(row)
  }

  /** The listing's fields (omitted ones back to their defaults; `hidden` omitted stays), at the expected version. */
  async replace(actor: Actor, id: string, input: TemplateMetadata & { title: string; hidden?: boolean }, precondition: Precondition): Promise<TemplateViewData> {
    const expected = expectedVersion(precondition)
    const row = await this.store.transaction(async (repos) => {
      const current = this.mayChange(actor, await repos.templates.findById(id, { lock: true }))
      if (input.hidden !== undefined && !this.moderates(actor)) throw new AppError('COLORBOOK_TEMPLATE_MODERATOR_ONLY')
      if (current.version !== expected) throw staleVersion(precondition, 'The template', current.version, toTemplateView(current))
      const changes: TemplateChanges = { title: input.title.trim(), ...DEFAULTS, ...metadataValues(input) }
      if (input.hidden !== undefined) changes.hiddenAt = input.hidden ? (current.hiddenAt ?? new Date()) : null
      return (await repos.templates.update(id, expected, changes, new Date()))!
    })
    return toTemplateView(row)
  }

  /** Deleted with its ratings; projects made from it keep their content (their `templateId` becomes null). */
  async remove(actor: Actor, id: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      this.mayChange(actor, await repos.templates.findById(id, { lock: true }))
      await repos.templates.delete(id)
    })
  }

  /**
   * A new project of the caller's from the snapshot, in one transaction: premium templates need a
   * plan with premium templates (their author excepted), the project counts against the plan's
   * `projects` limit, and the template's usage count goes up by one in the same transaction.
   */
  async use(actor: Actor, id: string): Promise<ProjectViewData> {
    this.access.permit(actor)
    const row = await this.store.transaction(async (repos) => {
      const template = this.visible(actor, await repos.templates.findById(id))
      if (template.premium && template.authorId !== actor.id) {
        const plan = await repos.plans.planOf(actor.id)
        if (!plan.premiumTemplates) throw new AppError('PLAN_LIMIT_REACHED', `The ${plan.name} plan does not include premium templates.`, { limit: 'premiumTemplates', plan: plan.id })
      }
      await checkProjectLimit(repos, actor.id)
      // Counting the use locks the template's row, so it cannot be deleted before this commits.
      if (!(await repos.templates.countUse(id))) throw notFound('Template')
      const snapshot = (await repos.templates.snapshot(id))!
      const { project: fields } = snapshot
      const project = await repos.projects.insert({
        id: newId(),
        ownerId: actor.id,
        title: template.title,
        description: fields.description,
        tags: fields.tags,
        pageSize: fields.pageSize,
        pageOrientation: fields.pageOrientation,
        settings: fields.settings,
        coverFileId: fields.coverFileId,
        templateId: template.id,
      })
      const created = await repos.templates.instantiate(snapshot, project.id)
      await repos.changes.record([
        { projectId: project.id, entity: 'project', entityId: project.id, op: 'create', version: 1 },
        ...created.stories.map((entityId) => ({ projectId: project.id, entity: 'story' as const, entityId, op: 'create' as const, version: 1 })),
        ...created.images.map((entityId) => ({ projectId: project.id, entity: 'image' as const, entityId, op: 'create' as const, version: 1 })),
        ...created.drawings.map((entityId) => ({ projectId: project.id, entity: 'drawing' as const, entityId, op: 'create' as const, version: 1 })),
        ...created.characters.map((entityId) => ({ projectId: project.id, entity: 'character' as const, entityId, op: 'create' as const, version: 1 })),
        ...created.styles.map((entityId) => ({ projectId: project.id, entity: 'style' as const, entityId, op: 'create' as const, version: 1 })),
      ])
      await this.usage.record({ type: 'template.used', userId: actor.id, entityType: 'template', entityId: template.id, metadata: { projectId: project.id } }, repos)
      return project
    })
    return toProjectView(row, 'owner')
  }

  /** The caller's rating (again: replaces theirs). Ratings of one template take turns on its row lock, so the kept sum and count stay exact. */
  async rate(actor: Actor, id: string, rating: number) {
    this.access.permit(actor)
    return this.store.transaction(async (repos) => {
      const template = this.visible(actor, await repos.templates.findById(id, { lock: true }))
      if (template.authorId === actor.id) throw new AppError('COLORBOOK_TEMPLATE_OWN_RATING')
      const previous = await repos.templates.putRating(id, actor.id, rating, new Date())
      const row = await repos.templates.adjustRatings(id, rating - (previous ?? 0), previous === undefined ? 1 : 0)
      return { templateId: id, rating, ratingAverage: averageOf(row)!, ratingCount: row.ratingCount }
    })
  }

  /** Removes the caller's rating; without one: nothing changes (204 all the same). */
  async unrate(actor: Actor, id: string): Promise<void> {
    this.access.permit(actor)
    await this.store.transaction(async (repos) => {
      const template = await repos.templates.findById(id, { lock: true })
      const previous = template ? await repos.templates.deleteRating(id, actor.id) : undefined
      // Someone who rated it may take their rating back even once it is hidden; otherwise it must be visible.
      if (previous === undefined) return void this.visible(actor, template)
      await repos.templates.adjustRatings(id, -previous, -1)
    })
  }

  private moderates(actor: Actor): boolean {
    return this.registry.allows(actor, COLORBOOK_TEMPLATES_MODERATE)
  }

  /** Listed ones for everyone; private and hidden ones for their author and moderators; else 404. */
  private visible(actor: Actor, row: TemplateRow | undefined): TemplateRow {
    if (!row) throw notFound('Template')
    if ((row.public && row.hiddenAt === null) || row.authorId === actor.id || this.moderates(actor)) return row
    throw notFound('Template')
  }

  private mayChange(actor: Actor, row: TemplateRow | undefined): TemplateRow {
    this.access.permit(actor)
    const template = this.visible(actor, row)
    if (template.authorId !== actor.id && !this.moderates(actor)) throw new AppError('COLORBOOK_TEMPLATE_AUTHOR_ONLY')
    return template
  }
}

const DEFAULTS: TemplateChanges = { description: null, category: null, tags: [], premium: false, public: true }

function metadataValues(input: TemplateMetadata): TemplateChanges {
  const values: TemplateChanges = {}
  if (input.description !== undefined) values.description = input.description === null ? null : input.description.trim() || null
  if (input.category !== undefined) values.category = input.category === null ? null : input.category.trim().toLowerCase() || null
  if (input.tags !== undefined) values.tags = [...new Set(input.tags.map((tag) => tag.trim()).filter((tag) => tag.length > 0))]
  if (input.premium !== undefined) values.premium = input.premium
  if (input.public !== undefined) values.public = input.public
  return values
}

function sortValue(row: TemplateRow, sort: TemplateSort): string | number {
  if (sort === 'newest') return row.createdAt.toISOString()
  if (sort === 'usage') return row.usageCount
  return row.ratingCount === 0 ? 0 : row.ratingSum / row.ratingCount
}

function positionOf(cursor: string, sort: TemplateSort): { value: Date | number; id: string } {
  const position = decodeCursor(cursor, sort)
  const value = sort === 'newest' ? (typeof position.value === 'string' ? new Date(position.value) : undefined) : typeof position.value === 'number' ? position.value : undefined
  const invalid = value === undefined || (value instanceof Date && Number.isNaN(value.getTime())) || (typeof value === 'number' && !Number.isFinite(value))
  if (!isUuid(position.id) || invalid || !TEMPLATE_SORTS.includes(sort)) throw new AppError('INVALID_CURSOR', undefined, { cursor: 'does not belong to this list and sort order' })
  return { value: value, id: position.id }
}
