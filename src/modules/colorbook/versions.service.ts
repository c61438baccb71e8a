import type { Actor } from '../../core/access/actor.js'
import { newId } from '../../core/db/columns.js'
import { AppError, notFound } from '../../core/errors/app-error.js'
import { decodeRowCursor, encodeCursor } from '../../core/http/resource/cursor.js'
import type { Page } from '../../core/http/resource/resource.service.js'
import type { ProjectAccess } from './access.js'
import type { Change } from './changes.repository.js'
import type { CharacterRow, StylePresetRow } from './characters.repository.js'
import { toCharacterView, toStyleView } from './characters.schemas.js'
import { eventView } from './child-specs.js'
import type { ProjectRow } from './db/schema.js'
import type { ColorbookEvents, PendingEvent } from './events.js'
import { toProjectData, toProjectView, type ProjectViewData } from './project.view.js'
import type { ColorbookRepositories, ColorbookStore } from './store.js'
import { snapshotTables, type SnapshotKind, type SnapshotRow, type VersionKind, type VersionRow } from './versions.repository.js'
import { buildSnapshot, projectFieldsOf, rowsFromSnapshot, SNAPSHOT_MAX_BYTES, type ProjectRows, type Snapshot } from './versions.snapshot.js'

export type VersionView = ReturnType<typeof toVersionView>
const SORT = '-createdAt'
const KINDS = Object.keys(snapshotTables) as SnapshotKind[]
/** Each snapshot kind as the sync log and the live room name it, and its view. */
const LOGGED = {
  story: { entity: 'story', view: (row: SnapshotRow) => eventView('story', row) },
  image: { entity: 'image', view: (row: SnapshotRow) => eventView('image', row) },
  drawing: { entity: 'drawing', view: (row: SnapshotRow) => eventView('drawing', row) },
  character: { entity: 'character', view: (row: SnapshotRow) => toCharacterView(row as unknown as CharacterRow) },
  stylePreset: { entity: 'style', view: (row: SnapshotRow) => toStyleView(row as unknown as StylePresetRow) },
} as const satisfies Record<SnapshotKind, { entity: Change['entity']; view: (row: SnapshotRow) => unknown }>

export const toVersionView = (row: Omit<VersionRow, 'snapshot'>) => ({
  id: row.id,
  projectId: row.projectId,
  kind: row.kind,
  label: row.label,
  projectVersion: row.projectVersion,
  createdBy: row.createdBy,
  sizeBytes: row.sizeBytes,
  createdAt: row.createdAt.toISOString(),
})

/**
 * Versions: snapshots of a project and all its children. Named ones (with a label) are kept until
 * their owner deletes them; automatic and system ones make room for new ones, oldest automatic first,
 * within the owner's plan (`versionsPerProject`).
 */
export class VersionsService {
  constructor(
    private readonly access: ProjectAccess,
    private readonly store: ColorbookStore,
    private readonly events: ColorbookEvents,
  ) {}

  async list(actor: Actor, projectId: string, query: { kind?: VersionKind; limit: number; cursor?: string }): Promise<Page<VersionView>> {
    await this.access.check(actor, this.store.repos, projectId, 'read')
    const after = query.cursor ? decodeRowCursor(query.cursor, SORT, 'timestamp') : undefined
    const rows = await this.store.repos.versions.list(projectId, query.limit + 1, query.kind ? { kind: query.kind } : {}, after ? { at: after.at!, id: after.id } : undefined)
    const items = rows.slice(0, query.limit)
    const last = items.at(-1)
    return { items: items.map(toVersionView), nextCursor: rows.length > query.limit && last ? encodeCursor({ sort: SORT, value: last.createdAt.toISOString(), id: last.id }) : null }
  }

  async get(actor: Actor, projectId: string, versionId: string): Promise<VersionView & { snapshot: Snapshot }> {
    await this.access.check(actor, this.store.repos, projectId, 'read')
    const row = (await this.store.repos.versions.find(projectId, versionId)) ?? missing()
    return { ...toVersionView(row), snapshot: row.snapshot as unknown as Snapshot }
  }

  /** With a label: a named version; without: an automatic one (a checkpoint the client asks for). Owner or editor. */
  async create(actor: Actor, projectId: string, label: string | undefined): Promise<VersionView> {
    const trimmed = label?.trim()
    const { row, published } = await this.store.transaction(async (repos) => {
      const { project } = await this.access.check(actor, repos, projectId, 'edit', { lock: true })
      return (await this.take(repos, project, trimmed ? { kind: 'named', label: trimmed } : { kind: 'automatic', label: null }, actor.id))!
    })
    this.events.publish(published)
    return toVersionView(row)
  }

  /** Deletes a named version (the owner only); the others make room by themselves. */
  async remove(actor: Actor, projectId: string, versionId: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      await this.access.check(actor, repos, projectId, 'own', { lock: true, trashed: 'allow' })
      const row = (await repos.versions.find(projectId, versionId)) ?? missing()
      if (row.kind !== 'named') throw new AppError('COLORBOOK_VERSION_NOT_NAMED', undefined, { kind: row.kind })
      await repos.versions.delete(row.id)
      await repos.changes.record([versionChange(projectId, row.id, 'delete')])
    })
    this.events.publish([{ projectId, event: 'version.deleted', data: { id: versionId, projectId } }])
  }

  /**
   * Puts the project and all its children back as the version has them, in one transaction: first a
   * `system` version of the current state, then every row rewritten at a new version (rows added
   * since are deleted, rows deleted since come back with their old ids). Owner or editor.
   */
  async restore(actor: Actor, projectId: string, versionId: string): Promise<{ project: ProjectViewData; backup: VersionView }> {
    const { project, role, backup, published } = await this.store.transaction(async (repos) => {
      const { project: current, role } = await this.access.check(actor, repos, projectId, 'edit', { lock: true })
      const version = (await repos.versions.find(projectId, versionId)) ?? missing()
      const label = version.label ?? `${version.kind} version of ${version.createdAt.toISOString()}`
      const saved = (await this.take(repos, current, { kind: 'system', label: `Before restoring “${label}”`.slice(0, 200) }, actor.id))!
      const snapshot = version.snapshot as unknown as Snapshot
      const at = new Date()
      const project = (await repos.projects.update(projectId, current.version, projectFieldsOf(snapshot), at))!
      const logged: Change[] = [{ projectId, entity: 'project', entityId: projectId, op: 'update', version: project.version }]
      const published: PendingEvent[] = [...saved.published, { projectId, event: 'project.updated', data: toProjectData(project) }]
      await this.restoreChildren(repos, projectId, snapshot, saved.rows, at, logged, published)
      await repos.changes.record(logged)
      published.push({ projectId, event: 'project.restored', data: { id: projectId, versionId, backupVersionId: saved.row.id } })
      return { project, role, backup: saved.row, published }
    })
    this.events.publish(published)
    return { project: toProjectView(project, role), backup: toVersionView(backup) }
  }

  /** The scheduled automatic versions: projects changed since their newest version; returns how many were taken. */
  async takeAutomatic(limit: number, after?: string): Promise<{ taken: number; seen: string[] }> {
    const due = await this.store.repos.versions.changedSinceLastVersion(limit, after)
    let taken = 0
    for (const projectId of due) {
      const published = await this.store.transaction(async (repos) => {
        const project = await repos.versions.lockProject(projectId)
        if (!project || project.trashedAt !== null) return []
        const outcome = await this.take(repos, project, { kind: 'automatic', label: null }, null, { whenFull: 'skip' })
        return outcome?.published ?? []
      })
      if (published.length > 0) taken++
      this.events.publish(published)
    }
    return { taken, seen: due }
  }

  /** A new version of the project as it is now, making room for it within the plan (402 when only named ones fill it). */
  private async take(repos: ColorbookRepositories, project: ProjectRow, what: { kind: VersionKind; label: string | null }, createdBy: string | null, options: { whenFull?: 'refuse' | 'skip' } = {}) {
    const rows = await this.rowsOf(repos, project.id)
    const snapshot = buildSnapshot(project, rows)
    const sizeBytes = Buffer.byteLength(JSON.stringify(snapshot))
    if (sizeBytes > SNAPSHOT_MAX_BYTES) throw new AppError('COLORBOOK_VERSION_TOO_LARGE', undefined, { sizeBytes, allowed: SNAPSHOT_MAX_BYTES })
    const pruned = await this.makeRoom(repos, project, options.whenFull ?? 'refuse')
    if (pruned === undefined) return undefined
    const row = await repos.versions.insert({ id: newId(), projectId: project.id, kind: what.kind, label: what.label, snapshot: snapshot as unknown as Record<string, unknown>, projectVersion: project.version, createdBy, sizeBytes })
    await repos.changes.record([...pruned.map((id) => versionChange(project.id, id, 'delete')), versionChange(project.id, row.id, 'create')])
    const published: PendingEvent[] = [
      ...pruned.map((id) => ({ projectId: project.id, event: 'version.deleted' as const, data: { id, projectId: project.id } })),
      { projectId: project.id, event: 'version.created', data: toVersionView(row) },
    ]
    return { row, rows, published }
  }

  /** Prunes what the next version needs; the pruned ids, or undefined when skipping a full plan. */
  private async makeRoom(repos: ColorbookRepositories, project: ProjectRow, whenFull: 'refuse' | 'skip'): Promise<string[] | undefined> {
    const plan = await repos.plans.planOf(project.ownerId)
    const allowed = plan.versionsPerProject
    if (allowed === null) return []
    const { named, other } = await repos.versions.counts(project.id)
    if (named >= allowed) {
      if (whenFull === 'skip') return undefined
      throw new AppError('PLAN_LIMIT_REACHED', `The ${plan.name} plan keeps ${allowed} versions per project and named versions fill them: delete one first.`, {
        limit: 'versionsPerProject',
        used: named + other,
        allowed,
        plan: plan.id,
      })
    }
    return repos.versions.pruneOldest(project.id, named + other + 1 - allowed)
  }

  private async rowsOf(repos: ColorbookRepositories, projectId: string): Promise<ProjectRows> {
    const rows = {} as ProjectRows
    for (const kind of KINDS) rows[kind] = await repos.versions.rowsOf(kind, projectId)
    return rows
  }

  /** Deletes what the snapshot lacks (referring tables first), then writes its rows (referred-to tables first). */
  private async restoreChildren(repos: ColorbookRepositories, projectId: string, snapshot: Snapshot, current: ProjectRows, at: Date, logged: Change[], published: PendingEvent[]): Promise<void> {
    const wanted = {} as Record<SnapshotKind, SnapshotRow[]>
    const gone = await repos.versions.lastLogged(projectId, KINDS.flatMap((kind) => rowsFromSnapshot(snapshot, kind, projectId, (_id, v) => v, at).map((row) => row.id)))
    for (const kind of KINDS) {
      const now = new Map(current[kind].map((row) => [row.id, row.version]))
      wanted[kind] = rowsFromSnapshot(snapshot, kind, projectId, (id, v) => (now.has(id) ? now.get(id)! : Math.max(v, gone.get(id) ?? 0)) + 1, at)
    }
    for (const kind of [...KINDS].reverse()) {
      const deleted = await repos.versions.deleteExcept(kind, projectId, wanted[kind].map((row) => row.id))
      const { entity } = LOGGED[kind]
      for (const row of deleted) {
        logged.push({ projectId, entity, entityId: row.id, op: 'delete', version: row.version + 1 })
        published.push({ projectId, event: `${entity}.deleted`, data: { id: row.id, projectId } })
      }
    }
    for (const kind of KINDS) {
      await repos.versions.upsert(kind, wanted[kind])
      const { entity, view } = LOGGED[kind]
      const existed = new Set(current[kind].map((row) => row.id))
      for (const row of wanted[kind]) {
        const op = existed.has(row.id) ? 'update' : 'create'
        logged.push({ projectId, entity, entityId: row.id, op, version: row.version })
        published.push({ projectId, event: `${entity}.${op === 'create' ? 'created' : 'updated'}`, data: view(row) })
      }
    }
  }
}

const missing = (): never => {
  throw notFound('Version')
}

const versionChange = (projectId: string, id: string, op: 'create' | 'delete'): Change => ({ projectId, entity: 'version', entityId: id, op, version: op === 'create' ? 1 : 2 })
