import type { Actor } from '../../access/actor.js'
import type { PermissionRegistry } from '../../access/permissions.js'
import { AppError } from '../../errors/app-error.js'
import { decodeCursor, encodeCursor } from './cursor.js'
import { Relation, type ResourceDecision, type ResourceRule, type ResourceSpec } from './resource.js'
import type { Condition, ResourceRepository, Row, SortOrder, UpdateOutcome } from './types.js'

export interface ListQuery {
  filters: Record<string, unknown>
  sort?: string
  cursor?: string
  limit: number
}

/** How a client states the version it edits: `version` in the body (409) or `If-Match` (412). */
export interface Precondition {
  version?: number
  ifMatch?: number
}

export interface Page<Rec> {
  items: Rec[]
  nextCursor: string | null
}

export interface ResourceService<Rec> {
  list(actor: Actor, query: ListQuery): Promise<Page<Rec>>
  get(actor: Actor, id: string): Promise<Rec>
  create(actor: Actor, input: Record<string, unknown>): Promise<Rec>
  update(actor: Actor, id: string, input: Record<string, unknown>, precondition: Precondition): Promise<Rec>
  remove(actor: Actor, id: string, precondition: Precondition): Promise<void>
  /**
   * The record if the actor may do `action` to it: 404 outside the read scope, 403 outside the
   * action's. For a module's own routes (e.g. "post a message to a chat you are a member of").
   */
  authorize(actor: Actor, id: string, action: 'read' | 'update' | 'delete'): Promise<Rec>
}

/**
 * Every method checks first the spec's permission for its action (`permissions.read` for list, get
 * and authorize('read'); `permissions.write` for create, update, remove and authorize('update' |
 * 'delete')), with the registry, honouring API key scopes — as `requirePermission` answers a route —
 * and then the policy. So a module's own route (guarded by another permission) that calls the
 * service cannot write with a read-only key or a role without the write permission.
 */
export function createResourceService<R extends Row, Rec>(
  spec: ResourceSpec<R, Rec>,
  repository: ResourceRepository<R>,
  registry: PermissionRegistry,
): ResourceService<Rec> {
  assertDeclared(spec, repository.fields)
  for (const key of [spec.permissions?.read, spec.permissions?.write]) if (key) registry.assertKnown(key)
  const permit = (actor: Actor, kind: 'read' | 'write'): void => {
    const key = spec.permissions?.[kind]
    if (key) registry.require(actor, key)
  }
  const scope = (rule: ResourceRule, actor: Actor): Condition[] => toConditions(rule(actor), spec.name, repository.relations)
  const missing = (): AppError => new AppError('NOT_FOUND', `${spec.name} was not found.`)
  const forbidden = (action: string): AppError => new AppError('FORBIDDEN', `You may not ${action} this ${spec.name.toLowerCase()}.`)
  /** The read scope narrowed by the action's: only records the actor may both see and change. */
  const scopes = (actor: Actor, rule: ResourceRule) => {
    const read = scope(spec.policy.read, actor)
    const narrowing = scope(rule, actor).filter((condition) => !read.some((r) => sameCondition(r, condition)))
    return { read, all: [...read, ...narrowing], narrowed: narrowing.length > 0 }
  }
  /** Not changed: outside the read scope it is 404; visible but outside the action's scope, 403. */
  const refusal = async (id: string, read: Condition[], narrowed: boolean, action: string): Promise<AppError> =>
    narrowed && (await repository.findById(id, read)) ? forbidden(action) : missing()

  const settle = async (outcome: UpdateOutcome<R>, precondition: Precondition, refused: () => Promise<AppError>): Promise<R> => {
    if (outcome.kind === 'missing') throw await refused()
    if (outcome.kind === 'updated') return outcome.row
    const current = spec.toRecord(outcome.row)
    const code = precondition.ifMatch !== undefined ? 'PRECONDITION_FAILED' : 'VERSION_CONFLICT'
    throw new AppError(code, `${spec.name} is at version ${outcome.row.version}, not ${expected(precondition)}; reload and retry.`, { current })
  }

  return {
    async list(actor, query) {
      permit(actor, 'read')
      const sort = parseSort(query.sort ?? spec.defaultSort)
      const conditions = [...scope(spec.policy.read, actor), ...filterConditions(spec, query.filters)]
      const after = query.cursor ? decodeCursor(query.cursor, query.sort ?? spec.defaultSort) : undefined
      const rows = await repository.list({ conditions, sort, limit: query.limit + 1, ...(after ? { after } : {}) })
      const page = rows.slice(0, query.limit)
      const last = page.at(-1)
      const nextCursor =
        rows.length > query.limit && last
          ? encodeCursor({ sort: query.sort ?? spec.defaultSort, value: repository.cursorValue(last, sort.field), id: last.id })
          : null
      return { items: page.map((row) => spec.toRecord(row)), nextCursor }
    },

    async get(actor, id) {
      permit(actor, 'read')
      const row = await repository.findById(id, scope(spec.policy.read, actor))
      if (!row) throw missing()
      return spec.toRecord(row)
    },

    async create(actor, input) {
      permit(actor, 'write')
      if (!(await spec.policy.create(actor, input))) throw forbidden('create')
      const row = await repository.insert(spec.prepareCreate ? spec.prepareCreate(actor, input) : input)
      return spec.toRecord(row)
    },

    async update(actor, id, input, precondition) {
      permit(actor, 'write')
      const { read, all, narrowed } = scopes(actor, spec.policy.update)
      const values = spec.prepareUpdate ? spec.prepareUpdate(actor, input) : input
      const outcome = await repository.update(id, all, values, expected(precondition))
      return spec.toRecord(await settle(outcome, precondition, () => refusal(id, read, narrowed, 'change')))
    },

    async remove(actor, id, precondition) {
      permit(actor, 'write')
      const { read, all, narrowed } = scopes(actor, spec.policy.delete)
      const outcome = await repository.delete(id, all, expected(precondition))
      await settle(outcome, precondition, () => refusal(id, read, narrowed, 'delete'))
    },

    async authorize(actor, id, action) {
      permit(actor, action === 'read' ? 'read' : 'write')
      const { read, all, narrowed } = scopes(actor, spec.policy[action])
      const row = await repository.findById(id, all)
      if (!row) throw await refusal(id, read, narrowed, action === 'update' ? 'change' : action)
      return spec.toRecord(row)
    },
  }
}

function toConditions(decision: ResourceDecision, name: string, relations: readonly string[]): Condition[] {
  if (decision === false) throw new AppError('FORBIDDEN')
  if (decision === true) return []
  const scopes = Array.isArray(decision) ? (decision as readonly unknown[]) : [decision]
  return scopes.flatMap((scope): Condition[] => {
    if (scope instanceof Relation) {
      if (!relations.includes(scope.name)) throw new Error(`${name}: relation "${scope.name}" is not declared by its repository`)
      return [{ field: scope.name, op: 'relation', value: scope.value }]
    }
    return Object.entries(scope as Record<string, unknown>).map(([field, value]) => ({ field, op: 'eq', value }))
  })
}

const sameCondition = (a: Condition, b: Condition): boolean => a.field === b.field && a.op === b.op && a.value === b.value

function filterConditions(spec: Declarations, filters: Record<string, unknown>): Condition[] {
  return Object.entries(filters)
    .filter(([name, value]) => value !== undefined && spec.filters?.[name])
    .map(([name, value]) => ({ field: spec.filters![name]!.field, op: spec.filters![name]!.op, value }))
}

function parseSort(sort: string): SortOrder {
  return sort.startsWith('-') ? { field: sort.slice(1), direction: 'desc' } : { field: sort, direction: 'asc' }
}

function expected(precondition: Precondition): number | undefined {
  return precondition.ifMatch ?? precondition.version
}

type Declarations = Pick<ResourceSpec, 'name' | 'filters' | 'sorts' | 'defaultSort'>

function assertDeclared(spec: Declarations, fields: readonly string[]): void {
  const used = [...Object.values(spec.filters ?? {}).map((f) => f.field), ...spec.sorts, parseSort(spec.defaultSort).field]
  const undeclared = used.filter((field) => !fields.includes(field))
  if (undeclared.length > 0) throw new Error(`${spec.name}: fields ${undeclared.join(', ')} are not declared by its repository`)
}
