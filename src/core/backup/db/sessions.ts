import postgres from 'postgres'
import { postgresJsTarget } from '../../db/connection.js'
import type { BackupSequence, BackupTable } from '../format.js'
import type { ForeignKeyEdge } from '../table-order.js'
import * as catalog from './catalog.js'
import { copyIn, copyOut, type CopyIn } from './copy.js'

/** One connection of its own, without the API pool's statement timeout: a COPY of a large table takes long. */
function connect(url: string, purpose: 'backup' | 'restore'): postgres.Sql {
  const target = postgresJsTarget(url)
  return postgres(target.url, { ...target.options, max: 1, onnotice: () => {}, connect_timeout: 10, connection: { application_name: `plinth-${purpose}` } })
}

/** Reads under one snapshot: what every query and COPY of a backup sees is the database at one moment. */
export interface Snapshot {
  postgresVersion(): Promise<string>
  appliedMigrationHashes(): Promise<string[]>
  tables(): Promise<BackupTable[]>
  foreignKeys(): Promise<ForeignKeyEdge[]>
  sequences(): Promise<BackupSequence[]>
  copyOut(table: BackupTable): AsyncIterable<Buffer>
  /** Ends the snapshot and the connection. */
  close(): Promise<void>
  /** Drops the connection at once (mid-COPY there is nothing to finish); the server rolls back. */
  abandon(): Promise<void>
}

/**
 * `REPEATABLE READ READ ONLY`: one snapshot for the whole backup while the server keeps writing, and a
 * promise to change nothing. A reserved connection rather than `sql.begin`, so a generator can stream
 * the COPYs out between its yields.
 */
export async function openSnapshot(url: string): Promise<Snapshot> {
  const sql = connect(url, 'backup')
  try {
    const reserved = await sql.reserve()
    await reserved.unsafe('begin isolation level repeatable read read only')
    // The reader may be slow (an upload to S3): neither limit of the API's pool fits a backup.
    await reserved.unsafe('set local statement_timeout = 0')
    await reserved.unsafe('set local idle_in_transaction_session_timeout = 0')
    return {
      postgresVersion: () => catalog.postgresVersion(reserved),
      appliedMigrationHashes: () => catalog.appliedMigrationHashes(reserved),
      tables: () => catalog.listTables(reserved),
      foreignKeys: () => catalog.listForeignKeys(reserved),
      sequences: () => catalog.listSequences(reserved),
      copyOut: (table) => copyOut(reserved, table),
      close: async () => {
        await reserved.unsafe('commit')
        reserved.release()
        await sql.end({ timeout: 5 })
      },
      abandon: () => sql.end({ timeout: 0 }),
    }
  } catch (error) {
    await sql.end({ timeout: 0 })
    throw error
  }
}

/** The database a backup is restored into. */
export interface RestoreTarget {
  tables(): Promise<BackupTable[]>
  appliedMigrationHashes(): Promise<string[]>
  tablesWithRows(names: readonly string[]): Promise<string[]>
  /** One transaction: everything `work` loads is committed together, or nothing when it throws. */
  load<T>(work: (session: LoadSession) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export interface LoadSession {
  /** Writes wait until the load commits, so the emptiness checked here holds until then. */
  lockTables(names: readonly string[]): Promise<void>
  tables(): Promise<BackupTable[]>
  foreignKeys(): Promise<ForeignKeyEdge[]>
  appliedMigrationHashes(): Promise<string[]>
  tablesWithRows(names: readonly string[]): Promise<string[]>
  copyIn(table: BackupTable): Promise<CopyIn>
  /** Deletes every row of a table the migrations seeded, before the backup's rows replace them. */
  clear(name: string): Promise<void>
  /** Sets each sequence of `public`: past every value its column holds, and never below the backup's state. */
  resetSequences(saved: readonly BackupSequence[]): Promise<void>
}

export function openRestoreTarget(url: string): RestoreTarget {
  const sql = connect(url, 'restore')
  return {
    tables: () => catalog.listTables(sql),
    appliedMigrationHashes: () => catalog.appliedMigrationHashes(sql),
    tablesWithRows: (names) => catalog.tablesWithRows(sql, names),
    load: async <T>(work: (session: LoadSession) => Promise<T>) =>
      (await sql.begin(async (tx) => {
        await tx.unsafe('set local statement_timeout = 0')
        // Deferrable foreign keys (none of Plinth's today) are checked at commit, so even tables in a cycle load.
        await tx.unsafe('set constraints all deferred')
        return work(loadSession(tx))
      })) as T,
    close: () => sql.end({ timeout: 5 }),
  }
}

function loadSession(tx: postgres.TransactionSql): LoadSession {
  return {
    lockTables: async (names) => {
      if (names.length > 0) await tx.unsafe(`lock table ${names.map(catalog.qualified).join(', ')} in exclusive mode`)
    },
    tables: () => catalog.listTables(tx),
    foreignKeys: () => catalog.listForeignKeys(tx),
    appliedMigrationHashes: () => catalog.appliedMigrationHashes(tx),
    tablesWithRows: (names) => catalog.tablesWithRows(tx, names),
    copyIn: (table) => copyIn(tx, table),
    clear: async (name) => {
      await tx.unsafe(`delete from ${catalog.qualified(name)}`)
    },
    resetSequences: async (saved) => {
      const owned = await catalog.listOwnedSequences(tx)
      const current = await catalog.listSequences(tx)
      for (const { name } of current) {
        const column = owned.find((entry) => entry.sequence === name)
        const kept = saved.find((entry) => entry.name === name && entry.isCalled)
        const [row] = await tx.unsafe<{ value: string | null }[]>(
          `select greatest($1::bigint, ${column ? `(select max(${catalog.quoteIdentifier(column.column)})::bigint from ${catalog.qualified(column.table)})` : 'null'}) as value`,
          [kept?.lastValue ?? null],
        )
        if (row?.value !== null && row?.value !== undefined) await tx.unsafe(`select setval($1::regclass, $2::bigint, true)`, [catalog.qualified(name), row.value])
      }
    },
  }
}
