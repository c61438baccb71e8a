import { drizzle } from 'drizzle-orm/postgres-js'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js'
import { EmbeddedServer, type EmbeddedLog } from './embedded/server.js'
import { migrateServer } from './migrate.js'
import { DEFAULT_DATABASE_TIMEOUTS, serverPool, type DatabaseTimeouts } from './server-pool.js'

/** The database handle every repository receives. */
export type Db = PgDatabase<PgQueryResultHKT>

export interface Database {
  readonly db: Db
  /** `embedded`: the PostgreSQL server Plinth runs in DATA_DIR; `postgres`: the one DATABASE_URL names. */
  readonly kind: 'embedded' | 'postgres'
  /** The connection URL (with its password: never log it). */
  readonly url: string
  readonly poolSize: number
  /** Queries sent to the server since start (for metrics). */
  queryCount(): number
  /** Applies the committed migrations (`drizzle/`); safe to call from many instances at once. */
  migrate(): Promise<void>
  ping(): Promise<void>
  /** Closes the pool, then (embedded, when this process owns it) stops the PostgreSQL server. */
  close(): Promise<void>
}

export interface DatabaseOptions {
  url: string | undefined
  poolSize: number
  /** Defaults: DEFAULT_DATABASE_TIMEOUTS. */
  timeouts?: DatabaseTimeouts
  /** Told when the pool was dropped because PostgreSQL stopped answering (for the log). */
  onPoolDropped?: (reason: string) => void
  dataDir: string
  /**
   * Embedded only. `server` (default): Plinth's server process, one per DATA_DIR, which owns the
   * PostgreSQL server; `client`: the CLI, which works alongside a running server.
   */
  role?: 'server' | 'client'
  /** Embedded only: where the PostgreSQL server's starts, restarts and failures are logged. */
  log?: EmbeddedLog
}

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? connect(options.url, 'postgres', options, async () => {}) : openEmbedded(options)
}

async function openEmbedded(options: DatabaseOptions): Promise<Database> {
  const role = options.role ?? 'server'
  const lock: DataDirLock | undefined = role === 'server' ? acquireDataDirLock(options.dataDir) : undefined
  try {
    const server = await EmbeddedServer.start({ dataDir: options.dataDir, role, log: options.log ?? silentLog })
    return connect(server.url, 'embedded', options, async () => {
      try {
        await server.stop()
      } finally {
        lock?.release()
      }
    })
  } catch (error) {
    lock?.release()
    throw error
  }
}

function connect(url: string, kind: Database['kind'], options: DatabaseOptions, afterClose: () => Promise<void>): Database {
  let queries = 0
  const pool = serverPool(url, options.poolSize, options.timeouts ?? DEFAULT_DATABASE_TIMEOUTS, options.onPoolDropped ?? (() => {}))
  const db = drizzle({ client: pool.client, logger: { logQuery: () => void queries++ } }) as unknown as Db
  return {
    db,
    kind,
    url,
    poolSize: options.poolSize,
    queryCount: () => queries,
    migrate: () => migrateServer(url),
    ping: () => pool.ping(),
    close: async () => {
      try {
        await pool.end()
      } finally {
        await afterClose()
      }
    },
  }
}

const silentLog: EmbeddedLog = { info: () => {}, warn: () => {}, error: () => {} }
