/** A condition on a declared field; repositories turn these into SQL. */
export interface Condition {
  field: string
  op: 'eq' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains' | 'in'
  value: unknown
}

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
  list(request: ListRequest): Promise<R[]>
  findById(id: string, scope: Condition[]): Promise<R | undefined>
  insert(values: Record<string, unknown>): Promise<R>
  /** Updates only when the row is in scope and (if given) still at `expectedVersion`. */
  update(id: string, scope: Condition[], values: Record<string, unknown>, expectedVersion?: number): Promise<UpdateOutcome<R>>
  delete(id: string, scope: Condition[], expectedVersion?: number): Promise<UpdateOutcome<R>>
  /** The field's value as it goes into a cursor (e.g. a Date as ISO text). */
  cursorValue(row: R, field: string): string | number | boolean | null
}
