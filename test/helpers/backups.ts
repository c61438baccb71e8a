import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import postgres from 'postgres'
import { restoreBackup } from '../../src/core/backup/restore.service.js'
import { createDatabase } from '../../src/core/db/client.js'
import { databaseName, postgresJsTarget, withDatabaseName } from '../../src/core/db/connection.js'

/** postgres.js on `url` (Unix-socket URLs of the embedded server included); the caller ends it. */
export function connectTo(url: string): postgres.Sql {
  const target = postgresJsTarget(url)
  return postgres(target.url, { ...target.options, max: 1, onnotice: () => {} })
}

/** Runs `work` on the server's maintenance database. */
async function onServer(url: string, work: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = connectTo(withDatabaseName(url, 'postgres'))
  try {
    await work(sql)
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/**
 * A new database with nothing in it (no migrations, no tables) on the test server (DATABASE_URL), as
 * a restore target: `drop()` removes it.
 */
export async function emptyDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const server = process.env.DATABASE_URL
  if (!server) throw new Error('Backup tests need the test server (DATABASE_URL)')
  const url = withDatabaseName(server, `plinth_restore_${randomUUID().replaceAll('-', '')}`)
  await onServer(url, (sql) => sql.unsafe(`create database "${databaseName(url)}"`))
  return { url, drop: () => onServer(url, (sql) => sql.unsafe(`drop database if exists "${databaseName(url)}" with (force)`)) }
}

/** Every table of `public` with its rows as JSON text, sorted: two databases with equal contents give equal results. */
export async function contents(url: string): Promise<Record<string, string[]>> {
  const sql = connectTo(url)
  try {
    const tables = await sql<{ name: string }[]>`select tablename::text as name from pg_tables where schemaname = 'public' order by 1`
    const result: Record<string, string[]> = {}
    for (const { name } of tables) {
      const rows = await sql.unsafe<{ row: string }[]>(`select row_to_json(t)::text as row from public."${name}" t order by 1`)
      result[name] = rows.map((entry) => entry.row)
    }
    return result
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** What a refused restore must leave: the tables of `public` and the schemas that exist. */
export async function shape(url: string): Promise<{ tables: string[]; schemas: string[]; rows: Record<string, string[]> }> {
  const sql = connectTo(url)
  try {
    const tables = (await sql<{ name: string }[]>`select tablename::text as name from pg_tables where schemaname = 'public' order by 1`).map((row) => row.name)
    const schemas = (await sql<{ name: string }[]>`select nspname::text as name from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema' order by 1`).map((row) => row.name)
    return { tables, schemas, rows: await contents(url) }
  } finally {
    await sql.end({ timeout: 5 })
  }
}

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'plinth-backup-test-'))

/** A backup's lines, uncompressed: [header, ...rows and `\.` lines, trailer]. */
export function backupLines(path: string): string[] {
  const text = gunzipSync(readFileSync(path)).toString('utf8')
  return text.slice(0, -1).split('\n')
}

/** Writes lines as a backup file (gzip, a newline after each line) and returns its path. */
export function writeBackupLines(lines: string[], path = join(tempDir(), 'edited.backup')): string {
  writeFileSync(path, gzipSync(Buffer.from(`${lines.join('\n')}\n`)))
  return path
}

/** Restores `path` into the database at `url`, migrating it first, as the CLI does. */
export async function restoreInto(url: string, path: string) {
  const database = await createDatabase({ url, poolSize: 1, dataDir: '/nonexistent' })
  try {
    return await restoreBackup({ path, url, migrate: () => database.migrate() })
  } finally {
    await database.close()
  }
}
