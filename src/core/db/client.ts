import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { sql } from 'drizzle-orm'
import { acquireDataDirLock } from './data-dir-lock.js'
import { migrateEmbedded, migrateServer } from './migrate.js'
import { DEFAULT_DATABASE_TIMEOUTS, serverPool, type DatabaseTimeouts } from './server-pool.js'

/** The database handle every repository receives; the same API on PGlite and PostgreSQL. */
export type Db = PgDatabase<PgQueryResultHKT>

export interface Database {
  readonly db: Db
  readonly kind: 'pglite' | 'postgres'
  readonly poolSize: number
  /** Queries sent to the server since start (for metrics). */
  queryCount(): number
  /** Applies the committed migrations (`drizzle/`); safe to call from many instances at once. */
  migrate(): Promise<void>
  ping(): Promise<void>
  close(): Promise<void>
  /** Embedded only: the whole data directory, to start other instances from (tests). */
  snapshot?(): Promise<Blob>
}

export interface DatabaseOptions {
  url: string | undefined
  poolSize: number
  /** PostgreSQL only (PGlite runs in process and cannot go away); defaults: DEFAULT_DATABASE_TIMEOUTS. */
  timeouts?: DatabaseTimeouts
  /** Told when the pool was dropped because PostgreSQL stopped answering (for the log). */
  onPoolDropped?: (reason: string) => void
  dataDir: string
  /** Tests: an in-memory PGlite, optionally loaded from a migrated snapshot. */
  memory?: { snapshot?: Blob }
}

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? connectPostgres(options.url, options) : openPglite(options)
}

function connectPostgres(url: string, options: DatabaseOptions): Database {
  let queries = 0
  const pool = serverPool(url, options.poolSize, options.timeouts ?? DEFAULT_DATABASE_TIMEOUTS, options.onPoolDropped ?? (() => {}))
  const db = drizzlePostgres({ client: pool.client, logger: { logQuery: () => void queries++ } }) as unknown as Db
  return {
    db,
    kind: 'postgres',
    poolSize: options.poolSize,
    queryCount: () => queries,
    migrate: () => migrateServer(url),
    ping: () => pool.ping(),
    close: () => pool.end(),
  }
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  const lock = options.memory ? undefined : acquireDataDirLock(options.dataDir)
  try {
    const client = options.memory
      ? await PGlite.create({ loadDataDir: options.memory.snapshot })
      : await PGlite.create(join(options.dataDir, 'pgdata'))
    let queries = 0
    const typed = drizzlePglite({ client, logger: { logQuery: () => void queries++ } })
    const db = typed as unknown as Db
    return {
      db,
      kind: 'pglite',
      poolSize: 1,
      queryCount: () => queries,
      migrate: () => migrateEmbedded(typed),
      snapshot: () => client.dumpDataDir('none'),
      ping: async () => {
        await db.execute(sql`select 1`)
      },
      close: async () => {
        await client.close()
        lock?.release()
      },
    }
  } catch (error) {
    lock?.release()
    throw error
  }
}
