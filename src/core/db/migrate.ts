import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import { postgresJsTarget } from './connection.js'
import { migrationsFolder } from './paths.js'

/** Any fixed 64-bit number shared by every Plinth instance: the key of the migration lock. */
const MIGRATION_LOCK_KEY = '7216551440019283'

/**
 * PostgreSQL: several instances may boot at once, so the run holds a session advisory lock on
 * a dedicated connection; the others wait for it, then find nothing left to apply.
 */
export async function migrateServer(url: string): Promise<void> {
  const target = postgresJsTarget(url)
  const connection = postgres(target.url, { ...target.options, max: 1, onnotice: () => {}, connection: { application_name: 'plinth-migrate' } })
  try {
    await connection`select pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`
    await migratePostgres(drizzlePostgres({ client: connection }), { migrationsFolder: migrationsFolder() })
    await connection`select pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`
  } finally {
    await connection.end({ timeout: 5 })
  }
}
