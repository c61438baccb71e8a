import { readBackup, readBackupHeader, verifyBackup } from './backup-reader.js'
import { plinthVersion } from './backup.service.js'
import { openRestoreTarget, type LoadSession, type RestoreTarget } from './db/sessions.js'
import { BackupFileError, BackupRefusedError, type BackupHeader, type BackupTable } from './format.js'
import { isPrefixOf, localMigrations, seededTables, versionMismatch, type LocalMigration } from './migration-version.js'

export interface RestoreSummary {
  readonly header: BackupHeader
  readonly rows: readonly { readonly table: string; readonly rows: number }[]
  readonly totalRows: number
}

export interface RestoreOptions {
  /** The backup file. */
  readonly path: string
  /** The target database's connection URL. */
  readonly url: string
  /** Applies this Plinth's migrations to the target (Database.migrate). */
  readonly migrate: () => Promise<void>
}

/**
 * Restores a backup into an empty database. Everything that can refuse is checked before anything is
 * changed: the file (read once in full), its migration version against this Plinth's, and the target
 * (no rows in any table, and no migrations other than this Plinth's). Then the migrations are applied
 * and all rows are loaded in one transaction, parents before the rows that reference them, with the
 * sequences set past the loaded values: a failure part-way leaves no row behind.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreSummary> {
  const local = localMigrations()
  const seeded = seededTables()
  const header = await readBackupHeader(options.path)
  const mismatch = versionMismatch(header.migrations, header.plinthVersion, local, plinthVersion())
  if (mismatch) throw new BackupRefusedError(mismatch)
  const target = openRestoreTarget(options.url)
  try {
    await assertEmpty(target, local, seeded)
    await verifyBackup(options.path)
    await options.migrate()
    const rows = await target.load(async (session) => {
      await assertLoadable(session, header, local, seeded)
      return loadRows(session, options.path, seeded)
    })
    return { header, rows, totalRows: rows.reduce((sum, entry) => sum + entry.rows, 0) }
  } finally {
    await target.close()
  }
}

/**
 * Before the migrations: a database with rows, or migrated by another Plinth, is not restored into.
 * The rows this Plinth's migrations seed (`seededTables`) are not data: the backup's replace them.
 */
async function assertEmpty(target: RestoreTarget | LoadSession, local: readonly LocalMigration[], seeded: ReadonlySet<string>): Promise<void> {
  const applied = await target.appliedMigrationHashes()
  if (!isPrefixOf(applied, local)) {
    throw new BackupRefusedError(
      `The target database has ${applied.length} migrations applied that are not this Plinth's (${local.length} migrations): it was used by another Plinth version. Restore into a new, empty database.`,
    )
  }
  const filled = await target.tablesWithRows((await target.tables()).map((table) => table.name).filter((name) => !seeded.has(name)))
  if (filled.length > 0) {
    const named = filled.slice(0, 5).join(', ') + (filled.length > 5 ? ` and ${filled.length - 5} more` : '')
    throw new BackupRefusedError(
      `The target database is not empty: ${named} ${filled.length === 1 ? 'has' : 'have'} rows. A restore never merges into or overwrites data: restore into a new, empty database (an empty DATA_DIR, or a new database for DATABASE_URL).`,
    )
  }
}

/** Inside the load's transaction, with the tables locked: still empty, and every table of the file is there. */
async function assertLoadable(session: LoadSession, header: BackupHeader, local: readonly LocalMigration[], seeded: ReadonlySet<string>): Promise<void> {
  const tables = await session.tables()
  await session.lockTables(tables.map((table) => table.name))
  await assertEmpty(session, local, seeded)
  const applied = await session.appliedMigrationHashes()
  if (applied.length !== local.length) throw new BackupRefusedError(`The target database has ${applied.length} of this Plinth's ${local.length} migrations after migrating: is another Plinth version migrating it?`)
  for (const table of header.tables) {
    const present = tables.find((candidate) => candidate.name === table.name)
    const missing = present ? table.columns.filter((column) => !present.columns.includes(column)) : []
    if (!present || missing.length > 0) {
      throw new BackupFileError(`The backup's table ${table.name}${present ? ` (columns ${missing.join(', ')})` : ''} does not exist in this Plinth's schema at the same migration: the file was not written by Plinth, or was edited`)
    }
  }
}

/** The second read of the file, streamed into COPY: the first one (verifyBackup) already checked it whole. */
async function loadRows(session: LoadSession, path: string, seeded: ReadonlySet<string>): Promise<{ table: string; rows: number }[]> {
  const loaded: { table: string; rows: number }[] = []
  let header: BackupHeader | undefined
  let copy: Awaited<ReturnType<LoadSession['copyIn']>> | undefined
  let current: BackupTable | undefined
  try {
    for await (const event of readBackup(path)) {
      if (event.kind === 'header') header = event.header
      else if (event.kind === 'rows') {
        if (current !== event.table) {
          current = event.table
          if (seeded.has(event.table.name)) await session.clear(event.table.name)
          copy = await session.copyIn(event.table)
        }
        await copy!.write(event.data)
      } else if (event.kind === 'table-end') {
        if (current === event.table) await copy!.end()
        copy = undefined
        current = undefined
        loaded.push({ table: event.table.name, rows: event.rows })
      }
    }
  } catch (error) {
    copy?.abort(error instanceof Error ? error : new Error(String(error)))
    throw error
  }
  await session.resetSequences(header!.sequences)
  return loaded
}
