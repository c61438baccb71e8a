import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable, Transform, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { projectRoot } from '../db/paths.js'
import { openSnapshot, type Snapshot } from './db/sessions.js'
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, BackupRefusedError, END_OF_ROWS, headerLine, trailerLine, type BackupHeader } from './format.js'
import { localMigrations, versionOf } from './migration-version.js'
import { dependencyOrder } from './table-order.js'

export interface BackupSummary {
  readonly header: BackupHeader
  readonly rows: readonly { readonly table: string; readonly rows: number }[]
  readonly totalRows: number
  /** Bytes written (compressed). */
  readonly bytes: number
}

export interface BackupOptions {
  /** Stops the backup; the destination then holds an incomplete file, which the caller removes. */
  readonly signal?: AbortSignal
  readonly now?: Date
  /** Told after each table, before the next one is read (progress; the rest of the backup waits for it). */
  readonly onTable?: (entry: { readonly table: string; readonly rows: number }) => Promise<void> | void
}

const END_LINE = Buffer.from(`${END_OF_ROWS}\n`)

/**
 * Writes a backup of the database at `url` into `destination`, streamed: the database goes through in
 * COPY-sized chunks and is never held in memory. Every table is read under one snapshot, so the backup
 * is the database at one moment even while the server keeps writing.
 */
export async function writeBackup(url: string, destination: Writable, options: BackupOptions = {}): Promise<BackupSummary> {
  const rows: { table: string; rows: number }[] = []
  let header: BackupHeader | undefined
  let bytes = 0

  async function* content(): AsyncGenerator<Buffer> {
    const snapshot = await openSnapshot(url)
    let closed = false
    try {
      header = await readHeader(snapshot, options.now ?? new Date())
      yield Buffer.from(headerLine(header))
      for (const table of header.tables) {
        let count = 0
        for await (const chunk of snapshot.copyOut(table)) {
          count += lineCount(chunk)
          yield chunk
        }
        yield END_LINE
        rows.push({ table: table.name, rows: count })
        await options.onTable?.({ table: table.name, rows: count })
      }
      yield Buffer.from(trailerLine({ end: BACKUP_FORMAT, rows }))
      await snapshot.close()
      closed = true
    } finally {
      if (!closed) await snapshot.abandon()
    }
  }

  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length
      done(null, chunk)
    },
  })
  await pipeline(Readable.from(content()), createGzip(), counter, destination, ...(options.signal ? [{ signal: options.signal }] : []))
  return { header: header!, rows, totalRows: rows.reduce((sum, entry) => sum + entry.rows, 0), bytes }
}

async function readHeader(snapshot: Snapshot, now: Date): Promise<BackupHeader> {
  const hashes = await snapshot.appliedMigrationHashes()
  if (hashes.length === 0) throw new BackupRefusedError('The database has no Plinth migrations applied, so there is nothing to back up: start Plinth on it once (or run `npm run db:migrate`).')
  const tables = await snapshot.tables()
  const order = dependencyOrder(
    tables.map((table) => table.name),
    await snapshot.foreignKeys(),
  )
  return {
    format: BACKUP_FORMAT,
    version: BACKUP_FORMAT_VERSION,
    createdAt: now.toISOString(),
    plinthVersion: plinthVersion(),
    postgresVersion: await snapshot.postgresVersion(),
    migrations: versionOf(hashes, localMigrations()),
    tables: order.map((name) => tables.find((table) => table.name === name)!),
    sequences: await snapshot.sequences(),
  }
}

/** Rows in a COPY text chunk: each ends with a newline (newlines inside values are escaped). */
function lineCount(chunk: Buffer): number {
  let count = 0
  for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) count++
  return count
}

let version: string | undefined
export function plinthVersion(): string {
  version ??= (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version
  return version
}
