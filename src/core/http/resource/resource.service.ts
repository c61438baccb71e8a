import type { AccessDecision, AccessRule } from '../../access/access-rule.js'
import type { Actor } from '../../access/actor.js'
import { AppError } from '../../errors/app-error.js'
import { decodeCursor, encodeCursor } from './cursor.js'
import type { ResourceSpec } from './resource.js'
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
}

export function createResourceService<R extends Row, Rec>(spec: ResourceSpec<R, Rec>, repository: ResourceRepository<R>): ResourceService<Rec> {
  assertDeclared(spec, repository.fields)
  const scope = (rule: AccessRule, actor: Actor): Condition[] => toConditions(rule(actor))
  const missing = (): AppError => new AppError('NOT_FOUND', `${spec.name} was not found.`)

  const settle = (outcome: UpdateOutcome<R>, precondition: Precondition): R => {
    if (outcome.kind === 'missing') throw missing()
    if (outcome.kind === 'updated') return outcome.row
    const current = spec.toRecord(outcome.row)
    const code = precondition.ifMatch !== undefined ? 'PRECONDITION_FAILED' : 'VERSION_CONFLICT'
    throw new AppError(code, `${spec.name} is at version ${outcome.row.version}, not ${expected(precondition)}; reload and retry.`, { current })
  }

  return {
    async list(actor, query) {
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
      const row = await repository.findById(id, scope(spec.policy.read, actor))
      if (!row) throw missing()
      return spec.toRecord(row)
    },

    async create(actor, input) {
      if (!spec.policy.create(actor, input)) throw new AppError('FORBIDDEN', `You may not create this ${spec.name.toLowerCase()}.`)
      const row = await repository.insert(spec.prepareCreate ? spec.prepareCreate(actor, input) : input)
      return spec.toRecord(row)
    },

    async update(actor, id, input, precondition) {
      const values = spec.prepareUpdate ? spec.prepareUpdate(actor, input) : input
      const outcome = await repository.update(id, scope(spec.policy.update, actor), values, expected(precondition))
      return spec.toRecord(settle(outcome, precondition))
    },

    async remove(actor, id, precondition) {
      settle(await repository.delete(id, scope(spec.policy.delete, actor), expected(precondition)), precondition)
    },
  }
}

function toConditions(decision: AccessDecision): Condition[] {
  if (decision === false) throw new AppError('FORBIDDEN')
  if (decision === true) return []
  return Object.entries(decision).map(([field, value]) => ({ field, op: 'eq', value }))
}

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
