import type { Actor } from '../../core/access/actor.js'
import { newId } from '../../core/db/columns.js'
import { AppError, notFound } from '../../core/errors/app-error.js'
import type { FilesApi } from '../../core/files/index.js'
import type { ProjectAccess } from './access.js'
import { childSpecs, eventView, type ChildInput, type ChildSpec, type CurrentRow, type Prepared } from './child-specs.js'
import { StrokesJson, toDrawingView } from './child.view.js'
import type { ChildKindOf, ChildRow, DrawingJsonRow } from './children.repository.js'
import { expectedVersion, staleVersion, type Precondition } from './concurrency.js'
import type { ColorbookEvents, PendingEvent } from './events.js'
import type { ColorbookRepositories, ColorbookStore } from './store.js'

/** The most children of one kind a project holds. */
export const MAX_CHILDREN = 1000

export type Order = Partial<Record<'stories' | 'images' | 'drawings', string[]>>
const ORDER_KINDS = { stories: 'story', images: 'image', drawings: 'drawing' } as const

/** A row as answers carry it: a drawing's strokes as JSON text, never parsed (children.repository.ts). */
type AnswerRow<K extends ChildKindOf> = K extends 'drawing' ? DrawingJsonRow : ChildRow<K>

/** How the service reads and writes one kind's rows; for drawings without parsing their strokes. */
interface KindRows<K extends ChildKindOf> {
  listOf(projectId: string): Promise<AnswerRow<K>[]>
  byId(id: string): Promise<AnswerRow<K> | undefined>
  /** What a write needs of the current row (a drawing without its strokes). */
  currentById(id: string): Promise<CurrentRow<K> | undefined>
  insert(values: Prepared<K> & { id: string; projectId: string; position: number }): Promise<AnswerRow<K>>
  update(id: string, version: number, values: Prepared<K>, at: Date): Promise<AnswerRow<K> | undefined>
}

/**
 * Stories, images and drawings: one service, a spec per kind (child-specs.ts) for what differs.
 * Reading needs read access to the project, writing editor or owner, and no trash.
 */
export class ChildrenService {
  constructor(
    private readonly access: ProjectAccess,
    private readonly store: ColorbookStore,
    private readonly files: Pick<FilesApi, 'find'>,
    private readonly events: ColorbookEvents,
  ) {}

  async list<K extends ChildKindOf>(actor: Actor, kind: K, projectId: string) {
    await this.access.check(actor, this.store.repos, projectId, 'read')
    const spec = childSpecs[kind]
    return (await this.rows(this.store.repos, kind).listOf(projectId)).map((row) => spec.view(row as never))
  }

  async get<K extends ChildKindOf>(actor: Actor, kind: K, id: string) {
    const row = (await this.rows(this.store.repos, kind).byId(id)) ?? notFoundOf(childSpecs[kind].noun)
    await this.access.check(actor, this.store.repos, row.projectId, 'read').catch((error: unknown) => missingAs(error, childSpecs[kind].noun))
    return childSpecs[kind].view(row as never)
  }

  /** `options.id`: the id a device chose offline (sync push); otherwise a new one. */
  async create<K extends ChildKindOf>(actor: Actor, kind: K, projectId: string, input: ChildInput<K>, options: { id?: string } = {}) {
    const spec = childSpecs[kind] as ChildSpec<K>
    const { row, published } = await this.store.transaction(async (repos) => {
      await this.access.check(actor, repos, projectId, 'edit', { lock: true })
      const stats = await this.repo(repos, kind).stats(projectId)
      if (stats.count >= MAX_CHILDREN) throw new AppError('COLORBOOK_CHILD_LIMIT', undefined, { kind, limit: MAX_CHILDREN })
      const values = await this.prepare(spec, actor, repos, projectId, { ...spec.defaults, ...input }, undefined)
      const position = input.position ?? (stats.maxPosition === null ? 0 : stats.maxPosition + 1)
      const id = options.id ?? newId()
      // The row, its sync-log row (version 1) and the project's activity time, sent together.
      const [row] = await Promise.all([this.rows(repos, kind).insert({ ...values, id, projectId, position }), ...this.log(repos, kind, projectId, id, 'create', 1)])
      return { row, published: [this.event(kind, 'create', row)] }
    })
    this.events.publish(published)
    return spec.view(row as never)
  }

  /** PUT (`replace`: omitted fields back to their defaults; the position stays) or PATCH, at the expected version. */
  async update<K extends ChildKindOf>(actor: Actor, kind: K, id: string, input: ChildInput<K>, precondition: Precondition, mode: 'replace' | 'patch') {
    const spec = childSpecs[kind] as ChildSpec<K>
    const expected = expectedVersion(precondition)
    if (kind === 'story' && input.position === undefined) {
      const edited = await this.editStory(actor, id, input, expected, mode)
      if (edited) return spec.view(edited as never)
    }
    const { row, published } = await this.store.transaction(async (repos) => {
      const rows = this.rows(repos, kind)
      const current = (await rows.currentById(id)) ?? notFoundOf(spec.noun)
      // The project's row lock, held until commit (writes of one project commit in log order, docs/colorbook-sync.md):
      // from here on, as few round trips as can be.
      await this.access.check(actor, repos, current.projectId, 'edit', { lock: true }).catch((error: unknown) => missingAs(error, spec.noun))
      if (current.version !== expected) throw await this.stale(rows, spec, precondition, id)
      const prepared = await this.prepare(spec, actor, repos, current.projectId, mode === 'replace' ? { ...spec.defaults, ...input } : input, current)
      const values = input.position === undefined ? prepared : { ...prepared, position: input.position }
      // Only `version` sent: nothing to change, nothing written.
      if (Object.keys(values).length === 0) return { row: (await rows.byId(id)) ?? notFoundOf(spec.noun), published: [] }
      // The update (at the expected version), its sync-log row and the project's activity time, sent together.
      const [row] = await Promise.all([rows.update(id, expected, values, new Date()), ...this.log(repos, kind, current.projectId, id, 'update', expected + 1)])
      // Changed after the first read, before the lock: nothing is kept (the log row goes with the rollback).
      if (!row) throw await this.stale(rows, spec, precondition, id)
      return { row, published: [this.event(kind, 'update', row)] }
    })
    this.events.publish(published)
    return spec.view(row as never)
  }

  /**
   * A story's title or text in one statement (story-edit.repository.ts): the project's lock is held
   * for that statement, not across round trips, so edits of one project follow each other faster.
   * Undefined when it did not apply: `update` then takes the transactional path, which refuses it
   * with the reason (or applies it, had it only raced).
   */
  private async editStory(actor: Actor, id: string, input: ChildInput<'story'>, expected: number, mode: 'replace' | 'patch') {
    this.access.permit(actor)
    const spec = childSpecs.story
    const { title, text } = await spec.prepare(mode === 'replace' ? { ...spec.defaults, ...input } : input, { actor, projectId: '', current: undefined, files: this.files, references: this.store.repos.references })
    if (title === undefined && text === undefined) return undefined
    const row = await this.store.repos.storyEdit.edit(id, actor.id, expected, { title, text }, new Date())
    if (row) this.events.publish([this.event('story', 'update', row)])
    return row
  }

  async remove<K extends ChildKindOf>(actor: Actor, kind: K, id: string): Promise<void> {
    const spec = childSpecs[kind]
    const published = await this.store.transaction(async (repos) => {
      const current = (await this.rows(repos, kind).currentById(id)) ?? notFoundOf(spec.noun)
      await this.access.check(actor, repos, current.projectId, 'edit', { lock: true }).catch((error: unknown) => missingAs(error, spec.noun))
      const row = (await this.repo(repos, kind).delete(id)) ?? notFoundOf(spec.noun)
      await Promise.all(this.log(repos, kind, row.projectId, row.id, 'delete', row.version + 1))
      return [this.event(kind, 'delete', row)]
    })
    this.events.publish(published)
  }

  /**
   * PUT /drawings/:id/preview, once the file is stored: the drawing names it as its preview (a new
   * version, logged and published like any drawing write). `ifMatch`: refused (412) unless the
   * drawing is still at that version. Returns the view and the file it named before.
   */
  async setPreview(actor: Actor, id: string, fileId: string, ifMatch: number | undefined) {
    const { noun } = childSpecs.drawing
    const { row, replaced, published } = await this.store.transaction(async (repos) => {
      const current = await this.find(repos, 'drawing', id)
      await this.access.check(actor, repos, current.projectId, 'edit', { lock: true }).catch((error: unknown) => missingAs(error, noun))
      const locked = (await repos.drawing.findById(id)) ?? notFoundOf(noun)
      if (ifMatch !== undefined && locked.version !== ifMatch) throw staleVersion({ ifMatch }, noun, locked.version, toDrawingView(locked))
      const row = (await repos.drawing.update(id, locked.version, { previewFileId: fileId }, new Date()))!
      return { row, replaced: locked.previewFileId, published: await this.after(repos, 'drawing', row, 'update') }
    })
    this.events.publish(published)
    return { view: toDrawingView(row), replaced }
  }

  /** PUT /projects/:id/order: each kind listed is given whole, in its new order. */
  async reorder(actor: Actor, projectId: string, order: Order) {
    const { result, published } = await this.store.transaction(async (repos) => {
      await this.access.check(actor, repos, projectId, 'edit', { lock: true })
      const result: Record<string, unknown[]> = {}
      const published: PendingEvent[] = []
      const at = new Date()
      for (const [key, kind] of Object.entries(ORDER_KINDS) as [keyof Order, ChildKindOf][]) {
        const ids = order[key]
        if (ids === undefined) continue
        const repo = this.repo(repos, kind)
        checkPermutation(key, ids, (await repo.listOf(projectId)).map((row) => row.id))
        const changed = await repo.reorder(projectId, ids, at)
        await repos.changes.record(changed.map((row) => ({ projectId, entity: kind, entityId: row.id, op: 'update' as const, version: row.version })))
        const rows = await repo.listOf(projectId)
        result[key] = rows.map((row) => childSpecs[kind].view(row as never))
        if (changed.length > 0) published.push({ projectId, event: `${kind}.reordered`, data: { projectId, order: rows.map((row) => ({ id: row.id, position: row.position, version: row.version })) } })
      }
      if (published.length > 0) await repos.projects.touch(projectId, at)
      return { result, published }
    })
    this.events.publish(published)
    return result
  }

  private repo<K extends ChildKindOf>(repos: ColorbookRepositories, kind: K) {
    return repos[kind] as unknown as ColorbookRepositories['story'] & { listOf(projectId: string): Promise<ChildRow<K>[]>; findById(id: string): Promise<ChildRow<K> | undefined> }
  }

  private rows<K extends ChildKindOf>(repos: ColorbookRepositories, kind: K): KindRows<K> {
    if (kind === 'drawing') {
      const { drawing } = repos
      const rows: KindRows<'drawing'> = {
        listOf: (projectId) => drawing.jsonListOf(projectId),
        byId: (id) => drawing.jsonById(id),
        currentById: (id) => drawing.fieldsById(id),
        insert: (values) => drawing.insertJson({ ...values, strokes: values.strokes ?? new StrokesJson('[]') }),
        update: (id, version, values, at) => drawing.updateJson(id, version, values, at),
      }
      return rows as unknown as KindRows<K>
    }
    const repo = this.repo(repos, kind)
    const rows: KindRows<'story'> = {
      listOf: (projectId) => repo.listOf(projectId),
      byId: (id) => repo.findById(id),
      currentById: (id) => repo.findById(id),
      insert: (values) => repo.insert(values),
      update: (id, version, values, at) => repo.update(id, version, values, at),
    }
    return rows as unknown as KindRows<K>
  }

  /** The version conflict, with the row as it is now (read under the lock); gone meanwhile: 404. */
  private async stale<K extends ChildKindOf>(rows: KindRows<K>, spec: ChildSpec<K>, precondition: Precondition, id: string): Promise<AppError> {
    const now = (await rows.byId(id)) ?? notFoundOf(spec.noun)
    return staleVersion(precondition, spec.noun, now.version, spec.view(now as never))
  }

  private async find<K extends ChildKindOf>(repos: ColorbookRepositories, kind: K, id: string): Promise<ChildRow<K>> {
    const row = (await this.repo(repos, kind).findById(id)) as ChildRow<K> | undefined
    return row ?? notFoundOf(childSpecs[kind].noun)
  }

  private prepare<K extends ChildKindOf>(spec: ChildSpec<K>, actor: Actor, repos: ColorbookRepositories, projectId: string, input: ChildInput<K>, current: CurrentRow<K> | undefined): Promise<Prepared<K>> {
    return spec.prepare(input, { actor, projectId, current, files: this.files, references: repos.references })
  }

  /** In the write's transaction: the sync log's row and the project's activity time; returns the event to publish after commit. */
  private async after<K extends ChildKindOf>(repos: ColorbookRepositories, kind: K, row: ChildRow<K>, op: 'create' | 'update' | 'delete'): Promise<PendingEvent[]> {
    await Promise.all(this.log(repos, kind, row.projectId, row.id, op, row.version))
    return [this.event(kind, op, row)]
  }

  /**
   * In the write's transaction: the sync log's row and the project's activity time. Started at once
   * (not awaited one by one): with the write started just before them, they reach PostgreSQL
   * together, one round trip while the project is locked.
   */
  private log(repos: ColorbookRepositories, kind: ChildKindOf, projectId: string, entityId: string, op: 'create' | 'update' | 'delete', version: number): Promise<void>[] {
    return [repos.changes.record([{ projectId, entity: kind, entityId, op, version }]), repos.projects.touch(projectId, new Date())]
  }

  /** The event to publish after commit (a drawing's without its strokes: `eventView`). */
  private event<K extends ChildKindOf>(kind: K, op: 'create' | 'update' | 'delete', row: { id: string; projectId: string }): PendingEvent {
    const event: PendingEvent['event'] = `${kind}.${op === 'create' ? 'created' : op === 'update' ? 'updated' : 'deleted'}`
    if (op === 'delete') return { projectId: row.projectId, event, data: { id: row.id, projectId: row.projectId } }
    return { projectId: row.projectId, event, data: eventView(kind, row) }
  }
}

function notFoundOf(noun: string): never {
  throw notFound(noun)
}

/** A child of a project the caller may not see is missing as the child itself. */
export function missingAs(error: unknown, noun: string): never {
  if (error instanceof AppError && error.code === 'NOT_FOUND') throw notFound(noun)
  throw error
}

function checkPermutation(kind: string, given: readonly string[], existing: readonly string[]): void {
  const have = new Set(existing)
  const seen = new Set<string>()
  const repeated = given.filter((id) => (seen.has(id) ? true : (seen.add(id), false)))
  const unknown = given.filter((id) => !have.has(id))
  const missing = existing.filter((id) => !seen.has(id))
  if (repeated.length + unknown.length + missing.length > 0) throw new AppError('COLORBOOK_ORDER_INVALID', undefined, { kind, repeated, unknown, missing })
}
