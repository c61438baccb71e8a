import type { PGlite } from '@electric-sql/pglite'
import type { Database } from '../../db/client.js'
import type { SqlExecutor } from '../jobs.repository.js'

/**
 * pg-boss on the embedded database: its `db` option takes any `executeSql(text, values)`. Schema
 * installation and maintenance arrive as one multi-statement text (`BEGIN; …; COMMIT;`) without
 * parameters, which only the simple protocol (`exec`) runs; everything else is one parameterized query.
 */
export function pgliteExecutor(database: Database): SqlExecutor {
  if (database.kind !== 'pglite') throw new Error('pgliteExecutor needs the embedded database')
  const client = (database.db as unknown as { $client: PGlite }).$client
  return {
    async executeSql(text, values) {
      if (values && values.length > 0) return client.query(text, values)
      const results = await client.exec(text)
      // The statement that answers is the last one returning columns (COMMIT returns none).
      return results.findLast((result) => result.fields.length > 0) ?? { rows: [] }
    },
  }
}
