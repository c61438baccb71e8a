/**
 * A condition the repository turns into SQL: a declared field compared with a value, or
 * (`op: 'relation'`) one of the repository's named relations, holding for `value` (e.g. the
 * actor's id): `{ field: 'member', op: 'relation', value: actorId }`.
 */
export interface Condition {
  field: string
  op: 'eq' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains' | 'in' | 'relation'
  value: unknown
}

/** The operators a list filter may use (relations are for access scopes). */
export type FilterOp = Exclude<Condition['op'], 'relation'>

export interface SortOrder {
  field: string
  direction: 'asc' | 'desc'
}

export interface ListRequest {
  conditions: Condition[]
  sort: SortOrder
  after?: { value: unknown; id: string }
  limit: number
}

export type Row = Record<string, unknown> & { id: string; version: number }

export type UpdateOutcome<R> = { kind: 'updated'; row: R } | { kind: 'stale'; row: R } | { kind: 'missing' }

/** All SQL of a resource; `createResourceRepository` implements it for a Drizzle table. */
export interface ResourceRepository<R extends Row = Row> {
  /** Fields that may be filtered, sorted or scoped on. */
  readonly fields: readonly string[]
  /** Names of the relations (SQL access scopes) the repository declares. */
  readonly relations: readonly string[]
  list(request: ListRequest): Promise<R[]>
  findById(id: string, scope: Condition[]): Promise<R | undefined>
  insert(values: Record<string, unknown>): Promise<R>
  /** Updates only when the row is in scope and (if given) still at `expectedVersion`. */
  update(id: string, scope: Condition[], values: Record<string, unknown>, expectedVersion?: number): Promise<UpdateOutcome<R>>
  delete(id: string, scope: Condition[], expectedVersion?: number): Promise<UpdateOutcome<R>>
  /** The field's value as it goes into a cursor (e.g. a Date as ISO text). */
  cursorValue(row: R, field: string): string | number | boolean | null
}
