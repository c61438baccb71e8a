import { and, asc, desc, eq, getTableColumns, getTableName, gt, gte, ilike, inArray, isNotNull, isNull, lt, lte, or, sql, type Placeholder, type SQL } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import type { Db } from '../../db/client.js'
import type { Condition, ListRequest, ResourceRepository, Row, UpdateOutcome } from './types.js'
import { containsPattern } from '../../db/columns.js'

/** The columns every resource table has: `id`, `version`, `createdAt`, `updatedAt`. */
interface ResourceColumns {
  id: PgColumn
  version: PgColumn
  updatedAt: PgColumn
}

/**
 * A per-record access condition in SQL, for a value the policy gives (usually the actor's id; a
 * placeholder when the query is prepared). It may refer to the resource table's columns, e.g.
 * `(userId) => sql\`exists (select 1 from chat_members m where m.chat_id = ${chats.id} and m.user_id = ${userId})\``.
 */
export type RelationSql = (value: string | Placeholder) => SQL

export interface ResourceRepositoryOptions {
  /** Named relations a policy scopes with: `relation('member', actor.id)`. */
  relations?: Record<string, RelationSql>
}

/**
 * The SQL of a validated resource for any Drizzle table with the standard columns. Only fields
 * named in `fields` can be filtered, sorted or scoped on, and only the declared relations scope
 * by SQL of their own; the service never sees SQL.
 */
export function createResourceRepository<R extends Row>(
  db: Db,
  table: PgTable,
  fieldNames: readonly string[],
  options: ResourceRepositoryOptions = {},
): ResourceRepository<R> {
  const columns = getTableColumns(table) as unknown as Record<string, PgColumn> & ResourceColumns
  const relations = options.relations ?? {}
  const relationSql = (name: string, value: string | Placeholder): SQL => {
    const build = Object.hasOwn(relations, name) ? relations[name] : undefined
    if (!build) throw new Error(`Relation "${name}" is not declared on ${getTableName(table)}`)
    return sql`(${build(value)})`
  }
  const column = (field: string): PgColumn => {
    const found = fieldNames.includes(field) || field === 'id' ? columns[field] : undefined
    if (!found) throw new Error(`Field "${field}" is not declared on ${getTableName(table)}`)
    return found
  }
  const toSql = (condition: Condition): SQL => {
    if (condition.op === 'relation') return relationSql(condition.field, String(condition.value))
    const col = column(condition.field)
    const value = hydrate(col, condition.value)
    switch (condition.op) {
      case 'eq': return value === null ? sql`${col} is null` : eq(col, value)
      case 'gt': return gt(col, value)
      case 'gte': return gte(col, value)
      case 'lt': return lt(col, value)
      case 'lte': return lte(col, value)
      case 'contains': return ilike(col, containsPattern(String(value)))
      case 'in': return inArray(col, (value as unknown[]).map((v) => hydrate(col, v)))
    }
  }
  const where = (conditions: Condition[]): SQL | undefined => and(...conditions.map(toSql))
  const inScope = (id: string, scope: Condition[]): SQL | undefined => and(eq(columns.id, id), where(scope))

  // Reads by id are the hot path: their SQL is built once per shape of scope (which fields must
  // equal what, which relations must hold), not per request; Drizzle's query building cost as much
  // as the query itself.
  const preparedFinds = new Map<string, { execute(values: Record<string, unknown>): Promise<unknown[]> }>()
  const preparedFind = (scope: Condition[]) => {
    const key = scope.map((condition) => `${condition.op}:${condition.field}`).join(',')
    let query = preparedFinds.get(key)
    if (!query) {
      const matches = scope.map((condition, index) =>
        condition.op === 'relation'
          ? relationSql(condition.field, sql.placeholder(`scope${index}`))
          : eq(column(condition.field), sql.placeholder(`scope${index}`)),
      )
      query = db
        .select()
        .from(table)
        .where(and(eq(columns.id, sql.placeholder('id')), ...matches))
        .limit(1)
        .prepare(`${getTableName(table)}_find_${preparedFinds.size}`)
      preparedFinds.set(key, query)
    }
    return query
  }
  const findById = async (id: string, scope: Condition[]): Promise<R | undefined> => {
    const simple = scope.every(
      (condition) => (condition.op === 'eq' || condition.op === 'relation') && condition.value !== null && condition.value !== undefined,
    )
    if (!simple) {
      const rows = await db.select().from(table).where(inScope(id, scope)).limit(1)
      return rows[0] as R | undefined
    }
    const values: Record<string, unknown> = { id }
    scope.forEach(
      (condition, index) =>
        (values[`scope${index}`] = condition.op === 'relation' ? String(condition.value) : hydrate(column(condition.field), condition.value)),
    )
    const rows = await preparedFind(scope).execute(values)
    return rows[0] as R | undefined
  }

  const conditional = async (
    write: (versionMatches: SQL | undefined) => Promise<Record<string, unknown>[]>,
    id: string,
    scope: Condition[],
    expectedVersion: number | undefined,
  ): Promise<UpdateOutcome<R>> => {
    const rows = await write(expectedVersion === undefined ? undefined : eq(columns.version, expectedVersion))
    if (rows[0]) return { kind: 'updated', row: rows[0] as R }
    const current = await findById(id, scope)
    return current ? { kind: 'stale', row: current } : { kind: 'missing' }
  }

  return {
    fields: fieldNames,
    relations: Object.keys(relations),
    async list(request: ListRequest): Promise<R[]> {
      const sortColumn = column(request.sort.field)
      const order = request.sort.direction === 'asc' ? asc : desc
      const conditions = [where(request.conditions), request.after && after(sortColumn, columns.id, request)]
      const rows = await db
        .select()
        .from(table)
        .where(and(...conditions))
        .orderBy(order(sortColumn), order(columns.id))
        .limit(request.limit)
      return rows as R[]
    },
    findById,
    async insert(values) {
      const rows = await db.insert(table).values(values).returning()
      return rows[0] as R
    },
    update(id, scope, values, expectedVersion) {
      return conditional(
        (versionMatches) =>
          db
            .update(table)
            .set({ ...values, version: sql`${columns.version} + 1`, updatedAt: sql`now()` })
            .where(and(inScope(id, scope), versionMatches))
            .returning(),
        id,
        scope,
        expectedVersion,
      )
    },
    delete(id, scope, expectedVersion) {
      return conditional((versionMatches) => db.delete(table).where(and(inScope(id, scope), versionMatches)).returning(), id, scope, expectedVersion)
    },
    cursorValue(row, field) {
      const value = row[field]
      return value instanceof Date ? value.toISOString() : (value as string | number | boolean | null)
    },
  }
}

/**
 * Keyset condition: rows strictly after the cursor in (sort column, id) order. PostgreSQL sorts
 * nulls last ascending and first descending, so on a nullable column the nulls are the end of an
 * ascending list and the start of a descending one.
 */
function after(sortColumn: PgColumn, idColumn: PgColumn, request: ListRequest): SQL | undefined {
  const { value, id } = request.after!
  const ascending = request.sort.direction === 'asc'
  const beyond = ascending ? gt : lt
  const hydrated = hydrate(sortColumn, value)
  if (hydrated === null) {
    const amongNulls = and(isNull(sortColumn), beyond(idColumn, id))
    return ascending ? amongNulls : or(amongNulls, isNotNull(sortColumn))
  }
  const amongValues = or(beyond(sortColumn, hydrated), and(eq(sortColumn, hydrated), beyond(idColumn, id)))
  return ascending && !sortColumn.notNull ? or(amongValues, isNull(sortColumn)) : amongValues
}

function hydrate(column: PgColumn, value: unknown): unknown {
  return column.dataType === 'date' && typeof value === 'string' ? new Date(value) : value
}
