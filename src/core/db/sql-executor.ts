import type { Db } from './client.js'

/** Raw SQL with `$1…` parameters, as pg-boss runs it (`executeSql(text, values)`). */
export interface SqlExecutor {
  executeSql(text: string, values: unknown[]): Promise<{ rows: unknown[] }>
}

/**
 * The connection behind a Drizzle handle, as an executor pg-boss accepts (`send(…, { db })`): given
 * a transaction's handle, the SQL runs in that transaction, so a job sent through it exists if and
 * only if the transaction commits. Drizzle's postgres-js session keeps the postgres.js client (the
 * transaction's own, inside `db.transaction`) as `session.client`; pg-boss's SQL keeps its `$n`
 * numbering (the same parameter may appear twice), which Drizzle's `sql` template would renumber.
 */
export function sqlExecutor(db: Db): SqlExecutor {
  const client = (db as unknown as { session?: { client?: { unsafe(text: string, values?: unknown[]): Promise<unknown[]> } } }).session?.client
  if (typeof client?.unsafe !== 'function') throw new Error('This database handle has no postgres.js client to run raw SQL on')
  return {
    executeSql: async (text, values) => ({ rows: [...(await client.unsafe(text, values.map(asNodePostgresSends)))] }),
  }
}

/**
 * pg-boss is written for node-postgres, which sends `undefined` as NULL and a plain object (a job's
 * payload, for a `jsonb` parameter) as its JSON; postgres.js refuses the first and, with our pool's
 * types, cannot send the second. Dates, strings, numbers and booleans pass as they are.
 */
function asNodePostgresSends(value: unknown): unknown {
  if (value === undefined) return null
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Array.isArray(value) && !Buffer.isBuffer(value)) return JSON.stringify(value)
  return value
}
