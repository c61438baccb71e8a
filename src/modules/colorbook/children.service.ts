import type { Actor } from '../../core/access/actor.js'
import { newId } from '../../core/db/columns.js'
import { AppError, notFound } from '../../core/errors/app-error.js'
import type { FilesApi } from '../../core/files/index.js'
import type { ProjectAccess } from './access.js'
import { childSpecs, type ChildInput, type ChildSpec, type Prepared } from './child-specs.js'
import type { ChildKindOf, ChildRow } from './children.repository.js'
import { expectedVersion, staleVersion, type Precondition } from './concurrency.js'
import type { ColorbookEvents, PendingEvent } from './events.js'
import type { ColorbookRepositories, ColorbookStore } from './store.js'

/** The most children of one kind a project holds. */
export const MAX_CHILDREN = 1000

export type Order = Partial<Record<'stories' | 'images' | 'drawings', string[]>>
const ORDER_KINDS = { stories: 'story', images: 'image', drawings: 'drawing' } as const

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
    return (await this.repo(this.store.repos, kind).listOf(projectId)).map((row) => spec.view(row))
  }

  async get<K extends ChildKindOf>(actor: Actor, kind: K, id: string) {
    const row = await this.find(this.store.repos, kind, id)
    await this.access.check(actor, this.store.repos, row.projectId, 'read').catch((error: unknown) => missingAs(error, childSpecs[kind].noun))
    return childSpecs[kind].view(row)
  }

  /** `options.id`: the id a device chose offline (sync push); otherwise a new one. */
  async create<K extends ChildKindOf>(actor: Actor, kind: K, projectId: string, input: ChildInput<K>, options: { id?: string } = {}) {
    const spec = childSpecs[kind] as ChildSpec<K>
    const { row, published } = await this.store.transaction(async (repos) => {
      await this.access.check(actor, repos, projectId, 'edit', { lock: true })
      const repo = this.repo(repos, kind)
      const stats = await repo.stats(projectId)
      if (stats.count >= MAX_CHILDREN) throw new AppError('COLORBOOK_CHILD_LIMIT', undefined, { kind, limit: MAX_CHILDREN })
      const values = await this.prepare(spec, actor, repos, projectId, { ...spec.defaults, ...input }, undefined)
      const position = input.position ?? (stats.maxPosition === null ? 0 : stats.maxPosition + 1)
      const row = await repo.insert({ ...values, id: options.id ?? newId(), projectId, position })
      return { row, published: await this.after(repos, kind, row, 'create') }
    })
    this.events.publish(published)
    return spec.view(row)
  }

  /** PUT (`replace`: omitted fields back to their defaults; the position stays) or PATCH, at the expected version. */
  async update<K extends ChildKindOf>(actor: Actor, kind: K, id: string, input: ChildInput<K>, precondition: Precondition, mode: 'replace' | 'patch') {
    const spec = childSpecs[kind] as ChildSpec<K>
    const expected = expectedVersion(precondition)
    const { row, published } = await this.store.transaction(async (repos) => {
      const current = await this.find(repos, kind, id)
      await this.access.check(actor, repos, current.projectId, 'edit', { lock: true }).catch((error: unknown) => missingAs(error, spec.noun))
      const repo = this.repo(repos, kind)
      const locked = (await repo.findById(id)) ?? notFoundOf(spec.noun)
      if (locked.version !== expected) throw staleVersion(precondition, spec.noun, locked.version, spec.view(locked))
      const prepared = await this.prepare(spec, actor, repos, locked.projectId, mode === 'replace' ? { ...spec.defaults, ...input } : input, locked)
      const values = input.position === undefined ? prepared : { ...prepared, position: input.position }
      // Only `version` sent: nothing to change, nothing written.
      if (Object.keys(values).length === 0) return { row: locked, published: [] }
      const row = (await repo.update(id, expected, values, new Date()))!
      return { row, published: await this.after(repos, kind, row, 'update') }
    })
    this.events.publish(published)
    return spec.view(row)
  }

  async remove<K extends ChildKindOf>(actor: Actor, kind: K, id: string): Promise<void> {
    const spec = childSpecs[kind]
    const published = await this.store.transaction(async (repos) => {
      const current = await this.find(repos, kind, id)
      await this.access.check(actor, repos, current.projectId, 'edit', { lock: true }).catch((error: unknown) => missingAs(error, spec.noun))
      const row = await this.repo(repos, kind).delete(id)
      if (!row) notFoundOf(spec.noun)
      return this.after(repos, kind, { ...row, version: row.version + 1 }, 'delete')
    })
    this.events.publish(published)
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

  private async find<K extends ChildKindOf>(repos: ColorbookRepositories, kind: K, id: string): Promise<ChildRow<K>> {
    const row = (await this.repo(repos, kind).findById(id)) as ChildRow<K> | undefined
    return row ?? notFoundOf(childSpecs[kind].noun)
  }

  private prepare<K extends ChildKindOf>(spec: ChildSpec<K>, actor: Actor, repos: ColorbookRepositories, projectId: string, input: ChildInput<K>, current: ChildRow<K> | undefined): Promise<Prepared<K>> {
    return spec.prepare(input, { actor, projectId, current, files: this.files, references: repos.references })
  }

  /** In the write's transaction: the sync log's row and the project's activity time; returns the event to publish after commit. */
  private async after<K extends ChildKindOf>(repos: ColorbookRepositories, kind: K, row: ChildRow<K>, op: 'create' | 'update' | 'delete'): Promise<PendingEvent[]> {
    await repos.changes.record([{ projectId: row.projectId, entity: kind, entityId: row.id, op, version: row.version }])
    await repos.projects.touch(row.projectId, new Date())
    const data = op === 'delete' ? { id: row.id, projectId: row.projectId } : childSpecs[kind].view(row)
    return [{ projectId: row.projectId, event: `${kind}.${op === 'create' ? 'created' : op === 'update' ? 'updated' : 'deleted'}`, data }]
  }
}

function notFoundOf(noun: string): never {
  throw notFound(noun)
}

/** A child of a project the caller may not see is missing as the child itself. */
function missingAs(error: unknown, noun: string): never {
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
