import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { afterEach } from 'vitest'

/**
 * Makes the database refuse some writes, as a full disk, a broken constraint or a lost connection
 * would, to show that a multi-row change is all or nothing: a trigger raises on the rows that
 * `condition` (plpgsql, with NEW and OLD) picks. Scope the condition to the test's own rows, since
 * other test files share the database. Returns a function that removes the fault; any left are
 * removed after each test.
 */
export function useFaults(app: () => FastifyInstance): (table: string, event: 'insert' | 'update', condition: string) => Promise<() => Promise<void>> {
  const installed: string[] = []
  const remove = (name: string) => app().platform.database.db.execute(sql.raw(`drop function if exists ${name}() cascade`))
  afterEach(async () => {
    for (const name of installed.splice(0)) await remove(name)
  })
  return async (table, event, condition) => {
    const name = `test_fault_${randomUUID().replaceAll('-', '')}`
    installed.push(name)
    const db = app().platform.database.db
    await db.execute(
      sql.raw(`create function ${name}() returns trigger language plpgsql as $$
        begin
          if ${condition} then raise exception 'injected fault (${table} ${event})'; end if;
          return new;
        end $$`),
    )
    await db.execute(sql.raw(`create trigger ${name} before ${event} on ${table} for each row execute function ${name}()`))
    return async () => {
      installed.splice(installed.indexOf(name), 1)
      await remove(name)
    }
  }
}

/** A string as an SQL literal, for fault conditions. */
export const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`
