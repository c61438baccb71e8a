import type { FastifyBaseLogger } from 'fastify'
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import type { Actor } from '../../core/access/actor.js'
import { AppError } from '../../core/errors/app-error.js'
import type { ProjectAccess } from './access.js'
import { CharacterChanges, CreateCharacterBody, CreateStyleBody, StyleChanges, toCharacterView, toStyleView } from './characters.schemas.js'
import type { CharacterInput, CharactersService, StyleInput } from './characters.service.js'
import { toDrawingView, toImageView, toStoryView } from './child.view.js'
import { childSchemas } from './children.schemas.js'
import type { ChildKindOf } from './children.repository.js'
import type { ChildrenService } from './children.service.js'
import type { ChangeOp, SyncEntity } from './domain.js'
import { toProjectData } from './project.view.js'
import { CreateProjectBody, PatchProjectBody } from './projects.schemas.js'
import type { ProjectsService } from './projects.service.js'
import type { ColorbookStore } from './store.js'
import { LOG_START, type LogPosition, type LogRow, type SyncRepository } from './sync.repository.js'

export const PUSH_MAX_MUTATIONS = 100
export const PULL_DEFAULT_LIMIT = 200
export const PULL_MAX_LIMIT = 1000

export type MutableEntity = Exclude<SyncEntity, 'version'>

export interface Mutation {
  id: string
  entity: MutableEntity
  entityId: string
  op: ChangeOp
  baseVersion?: number
  data?: Record<string, unknown>
}

export interface MutationResult {
  id: string
  status: 'applied' | 'conflict' | 'error'
  version?: number
  server?: Record<string, unknown> | null
  code?: string
  message?: string
  details?: Record<string, unknown>
}

export interface SyncChange {
  entity: SyncEntity
  entityId: string
  projectId: string
  op: ChangeOp
  version: number
  data: Record<string, unknown> | null
  at: string
}

type Outcome = Omit<MutationResult, 'id'>
export interface Services {
  readonly projects: ProjectsService
  readonly children: ChildrenService
  readonly characters: CharactersService
}

const checker = (schema: TSchema) => Compile(schema)
const bodies = {
  project: { create: checker(CreateProjectBody), update: checker(PatchProjectBody) },
  story: { create: checker(childSchemas.story.create), update: checker(childSchemas.story.patch) },
  image: { create: checker(childSchemas.image.create), update: checker(childSchemas.image.patch) },
  drawing: { create: checker(childSchemas.drawing.create), update: checker(childSchemas.drawing.patch) },
  character: { create: checker(CreateCharacterBody), update: checker(CharacterChanges) },
  style: { create: checker(CreateStyleBody), update: checker(StyleChanges) },
}
type Named = 'character' | 'style'
type NamedInput = CharacterInput & StyleInput
type NamedView = { version: number } & Record<string, unknown>
/** Characters and style presets, through their service. PUT is their only update: a sync update is merged onto these current fields. */
const NAMED_FIELDS = { character: ['name', 'description', 'referenceFileIds'], style: ['name', 'promptFragment', 'palette', 'lineWeight'] } as const
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Offline sync: the change feed a device pulls (docs/colorbook-sync.md) and the mutations it pushes,
 * applied one by one through the same services as the REST routes.
 */
export class SyncService {
  constructor(
    private readonly access: ProjectAccess,
    private readonly store: ColorbookStore,
    private readonly sync: SyncRepository,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** GET /sync/changes: the readable changes after `since` (none: a compacted pass from the beginning). */
  async changes(actor: Actor, since: string | undefined, limit: number): Promise<{ changes: SyncChange[]; cursor: string; hasMore: boolean }> {
    this.access.permit(actor)
    const from = since === undefined ? { position: LOG_START, compact: true } : decodeSyncCursor(since)
    const rows = await (from.compact ? this.sync.latestAfter(actor.id, from.position, limit + 1) : this.sync.after(actor.id, from.position, limit + 1))
    const page = rows.slice(0, limit)
    const hasMore = rows.length > limit
    const last = page.at(-1)
    const position = last ? { tx: last.tx, id: last.id } : from.position
    // A compacted pass goes on compacted until it has caught up; then the plain feed takes over at the same place.
    return { changes: await this.withData(newestPerEntity(page)), cursor: encodeSyncCursor(position, from.compact && hasMore), hasMore }
  }

  /**
   * POST /sync/push: each mutation in order, each applied at most once per user (by its id), through
   * `services`: the module's own, the ones the REST routes use.
   */
  async push(actor: Actor, mutations: readonly Mutation[], services: Services): Promise<MutationResult[]> {
    this.access.permit(actor)
    const results: MutationResult[] = []
    for (const mutation of mutations) results.push(await this.pushOne(actor, mutation, services))
    return results
  }

  private async pushOne(actor: Actor, mutation: Mutation, services: Services): Promise<MutationResult> {
    const claim = await this.sync.claim(actor.id, mutation.id)
    if (!claim.claimed) {
      if (claim.result.status === 'pending') return { id: mutation.id, ...refusal(new AppError('COLORBOOK_SYNC_IN_PROGRESS')) }
      return { ...(claim.result as Outcome), id: mutation.id }
    }
    let outcome: Outcome
    try {
      outcome = await this.apply(actor, mutation, services)
    } catch (error) {
      outcome = this.failure(error, mutation)
    }
    if (outcome.status === 'applied') await this.sync.settle(actor.id, mutation.id, outcome)
    else await this.sync.release(actor.id, mutation.id)
    return { id: mutation.id, ...outcome }
  }

  private apply(actor: Actor, m: Mutation, services: Services): Promise<Outcome> {
    if (m.op !== 'create' && m.baseVersion === undefined) throw new AppError('VALIDATION_FAILED', 'An update or delete names the version it was made on.', { baseVersion: 'required for update and delete' })
    if (m.op === 'delete' && m.data !== undefined) throw new AppError('VALIDATION_FAILED', 'A delete carries no data.', { data: 'not allowed for delete' })
    if (m.entity === 'project') return this.applyProject(actor, m, services.projects)
    if (m.entity === 'character' || m.entity === 'style') return this.applyNamed(actor, m.entity, m, services.characters)
    return this.applyChild(actor, m.entity, m, services.children)
  }

  private async applyProject(actor: Actor, m: Mutation, projects: ProjectsService): Promise<Outcome> {
    if (m.op === 'create') {
      const data = valid(bodies.project.create, m.data ?? {}) as Parameters<ProjectsService['create']>[1]
      const taken = await this.store.repos.projects.findById(m.entityId)
      if (taken) return conflictOrTaken(() => projects.get(actor, m.entityId))
      if (await this.sync.logged(m.entityId, m.entityId)) throw new AppError('COLORBOOK_SYNC_ID_TAKEN')
      return applied(await projects.create(actor, data, { id: m.entityId }))
    }
    if (m.op === 'update') {
      const { version, ...data } = valid(bodies.project.update, { ...m.data, version: m.baseVersion }) as Record<string, unknown> & { version: number }
      return applied(await projects.update(actor, m.entityId, data, { version }, 'patch'))
    }
    // A delete sends the project to the trash, as DELETE /api/projects/:id does (the owner only).
    const current = await projects.get(actor, m.entityId)
    if (current.version !== m.baseVersion) return conflict(current)
    await projects.trash(actor, m.entityId)
    const after = await this.store.repos.projects.findById(m.entityId)
    return { status: 'applied', version: after?.version ?? current.version }
  }

  private async applyChild(actor: Actor, kind: ChildKindOf, m: Mutation, children: ChildrenService): Promise<Outcome> {
    if (m.op === 'create') {
      const { projectId, ...rest } = m.data ?? {}
      if (typeof projectId !== 'string' || !UUID.test(projectId)) throw new AppError('VALIDATION_FAILED', 'A child’s create names its project.', { '/data/projectId': 'required: the project’s id' })
      const data = valid(bodies[kind].create, rest) as never
      if (await this.store.repos[kind].findById(m.entityId)) return conflictOrTaken(() => children.get(actor, kind, m.entityId))
      if (await this.sync.logged(projectId, m.entityId)) throw new AppError('COLORBOOK_SYNC_ID_TAKEN')
      return applied((await children.create(actor, kind, projectId, data, { id: m.entityId })) as { version: number })
    }
    if (m.op === 'update') {
      const { version, ...data } = valid(bodies[kind].update, { ...m.data, version: m.baseVersion }) as Record<string, unknown> & { version: number }
      return applied((await children.update(actor, kind, m.entityId, data, { version }, 'patch')) as { version: number })
    }
    const current = (await children.get(actor, kind, m.entityId)) as { version: number }
    if (current.version !== m.baseVersion) return conflict(current)
    await children.remove(actor, kind, m.entityId)
    return { status: 'applied', version: current.version + 1 }
  }

  private async applyNamed(actor: Actor, kind: Named, m: Mutation, characters: CharactersService): Promise<Outcome> {
    const character = kind === 'character'
    const get = async (): Promise<NamedView> => (character ? characters.getCharacter(actor, m.entityId) : characters.getStyle(actor, m.entityId))
    if (m.op === 'create') {
      const { projectId, ...rest } = m.data ?? {}
      if (typeof projectId !== 'string' || !UUID.test(projectId)) throw new AppError('VALIDATION_FAILED', 'A child’s create names its project.', { '/data/projectId': 'required: the project’s id' })
      const data = valid(bodies[kind].create, rest) as NamedInput
      if (await (character ? this.store.repos.characters.findCharacter(m.entityId) : this.store.repos.characters.findStyle(m.entityId))) return conflictOrTaken(get)
      if (await this.sync.logged(projectId, m.entityId)) throw new AppError('COLORBOOK_SYNC_ID_TAKEN')
      return applied(await (character ? characters.createCharacter(actor, projectId, data, { id: m.entityId }) : characters.createStyle(actor, projectId, data, { id: m.entityId })))
    }
    const current = await get()
    if (m.op === 'update') {
      const changes = valid(bodies[kind].update, m.data ?? {}) as Partial<NamedInput>
      const input = { ...Object.fromEntries(NAMED_FIELDS[kind].map((field) => [field, current[field]])), ...changes } as NamedInput
      const version = { version: m.baseVersion }
      return applied(await (character ? characters.replaceCharacter(actor, m.entityId, input, version) : characters.replaceStyle(actor, m.entityId, input, version)))
    }
    if (current.version !== m.baseVersion) return conflict(current)
    await (character ? characters.removeCharacter(actor, m.entityId) : characters.removeStyle(actor, m.entityId))
    return { status: 'applied', version: current.version + 1 }
  }

  /** A refusal becomes the mutation's result; a stale version a conflict with the server's copy. */
  private failure(error: unknown, m: Mutation): Outcome {
    if (error instanceof AppError && (error.code === 'VERSION_CONFLICT' || error.code === 'PRECONDITION_FAILED')) return conflict(error.details.current as Record<string, unknown>)
    if (error instanceof AppError && error.status < 500) return refusal(error)
    if (isUniqueViolation(error)) return refusal(new AppError('COLORBOOK_SYNC_ID_TAKEN'))
    this.log.error({ err: error, mutationId: m.id, entity: m.entity, op: m.op }, 'sync mutation failed')
    return refusal(error instanceof AppError ? error : new AppError('INTERNAL'))
  }

  /** The entities' current rows (null: gone, or a collaborator's trashed project). */
  private async withData(rows: readonly LogRow[]): Promise<SyncChange[]> {
    const ids = (entity: SyncEntity) => rows.filter((row) => row.entity === entity && !row.hidden).map((row) => row.entityId)
    const [projects, stories, images, drawings, characters, styles, versions] = await Promise.all([
      this.sync.projectsByIds(ids('project')),
      this.sync.storiesByIds(ids('story')),
      this.sync.imagesByIds(ids('image')),
      this.sync.drawingsByIds(ids('drawing')),
      this.sync.charactersByIds(ids('character')),
      this.sync.stylesByIds(ids('style')),
      this.sync.versionsByIds(ids('version')),
    ])
    const data = new Map<string, Record<string, unknown>>([
      ...projects.map((row) => [`project:${row.id}`, toProjectData(row)] as const),
      ...stories.map((row) => [`story:${row.id}`, toStoryView(row)] as const),
      ...images.map((row) => [`image:${row.id}`, toImageView(row)] as const),
      ...drawings.map((row) => [`drawing:${row.id}`, toDrawingView(row)] as const),
      ...characters.map((row) => [`character:${row.id}`, toCharacterView(row)] as const),
      ...styles.map((row) => [`style:${row.id}`, toStyleView(row)] as const),
      ...versions.map((row) => [`version:${row.id}`, { ...row, createdAt: row.createdAt.toISOString() }] as const),
    ])
    return rows.map((row) => {
      const current = row.hidden ? undefined : data.get(`${row.entity}:${row.entityId}`)
      const version = typeof current?.version === 'number' ? current.version : row.version
      return { entity: row.entity, entityId: row.entityId, projectId: row.projectId, op: current ? row.op : 'delete', version, data: current ?? null, at: row.at.toISOString() }
    })
  }
}

/** The last row of each entity in the page, in log order (they all carry the entity's current data). */
function newestPerEntity(rows: readonly LogRow[]): LogRow[] {
  const last = new Map<string, number>()
  rows.forEach((row, i) => last.set(`${row.entity}:${row.entityId}`, i))
  return rows.filter((row, i) => last.get(`${row.entity}:${row.entityId}`) === i)
}

function valid(check: ReturnType<typeof Compile>, value: unknown): unknown {
  if (check.Check(value)) return value
  const details = Object.fromEntries([...check.Errors(value)].slice(0, 20).map((e) => [`/data${e.instancePath}`, e.message]))
  throw new AppError('VALIDATION_FAILED', 'The mutation’s data is not valid.', details)
}

const applied = (view: { version: number }): Outcome => ({ status: 'applied', version: view.version })

/** The server's copy, as the feed carries it (without the caller's role). */
function conflict(current: Record<string, unknown> | { version: number }): Outcome {
  const { role: _role, ...server } = current as Record<string, unknown>
  return { status: 'conflict', version: server.version as number, server }
}

/** A create under an id that exists: a conflict when the caller can read it, else the id is simply taken. */
async function conflictOrTaken(read: () => Promise<unknown>): Promise<Outcome> {
  const current = await read().catch((error: unknown) => {
    if (error instanceof AppError && error.status < 500) throw new AppError('COLORBOOK_SYNC_ID_TAKEN')
    throw error
  })
  return conflict(current as Record<string, unknown>)
}

function refusal(error: AppError): Outcome {
  const details = error.code === 'INTERNAL' || Object.keys(error.details).length === 0 ? {} : { details: error.details }
  return { status: 'error', code: error.code, message: error.message, ...details }
}

function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string }; code?: string } | undefined) ?? {}
  return cause.cause?.code === '23505' || cause.code === '23505'
}

/** Opaque to clients: base64url of [format, tx, id, compact]. */
export function encodeSyncCursor(position: LogPosition, compact: boolean): string {
  return Buffer.from(JSON.stringify(['s1', position.tx, position.id, compact ? 1 : 0])).toString('base64url')
}

export function decodeSyncCursor(cursor: string): { position: LogPosition; compact: boolean } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (Array.isArray(parsed) && parsed.length === 4 && parsed[0] === 's1') {
      const [, tx, id, compact] = parsed as unknown[]
      if (typeof tx === 'string' && /^\d{1,19}$/.test(tx) && Number.isSafeInteger(id) && (id as number) >= 0 && (compact === 0 || compact === 1)) {
        return { position: { tx, id: id as number }, compact: compact === 1 }
      }
    }
  } catch {
    // refused below
  }
  throw new AppError('INVALID_CURSOR', undefined, { since: 'not a cursor this feed gave' })
}
