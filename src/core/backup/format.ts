/**
 * Plinth's backup file: gzip of
 *
 *   one JSON line: the header (BackupHeader)
 *   for each table in the header, in order: its rows as PostgreSQL's COPY text format, then a line `\.`
 *   one JSON line: the trailer (BackupTrailer), with each table's row count
 *
 * COPY's text format escapes backslashes and newlines inside values, so every row is one line and no row
 * can be the line `\.` (the same end-of-data marker psql uses). docs/deploy.md describes it for operators.
 */
export const BACKUP_FORMAT = 'plinth-backup'
export const BACKUP_FORMAT_VERSION = 1

/** The line that ends a table's rows. */
export const END_OF_ROWS = '\\.'

export interface BackupTable {
  readonly name: string
  /** The columns COPY wrote, in order (generated columns are left out: PostgreSQL computes them). */
  readonly columns: readonly string[]
}

export interface BackupSequence {
  readonly name: string
  /** A bigint, as text. */
  readonly lastValue: string
  readonly isCalled: boolean
}

export interface MigrationVersion {
  /** Migrations applied (rows of drizzle.__drizzle_migrations). */
  readonly count: number
  /** The last one's hash (SHA-256 of its SQL file), as drizzle records it; null when none. */
  readonly lastHash: string | null
  /** Its file name in drizzle/ (e.g. `0005_file_quota`), when the Plinth that wrote the backup knew it. */
  readonly lastTag: string | null
}

export interface BackupHeader {
  readonly format: typeof BACKUP_FORMAT
  readonly version: typeof BACKUP_FORMAT_VERSION
  readonly createdAt: string
  /** package.json's version of the Plinth that wrote it. */
  readonly plinthVersion: string
  /** `server_version` of the PostgreSQL it was read from. */
  readonly postgresVersion: string
  readonly migrations: MigrationVersion
  /** Schema `public`, in an order that loads parents before the rows that reference them. */
  readonly tables: readonly BackupTable[]
  readonly sequences: readonly BackupSequence[]
}

export interface BackupTrailer {
  readonly end: typeof BACKUP_FORMAT
  /** Rows per table, in the header's order. */
  readonly rows: readonly { readonly table: string; readonly rows: number }[]
}

/** A file that is not a Plinth backup, or one that is damaged: nothing was changed. */
export class BackupFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'BackupFileError'
  }
}

/** A backup or restore that Plinth refuses to do (the target is not empty, versions differ, …): nothing was changed. */
export class BackupRefusedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BackupRefusedError'
  }
}

const NOT_A_BACKUP = 'is not a Plinth backup'

/** The header line, checked field by field: a file is refused rather than half-understood. */
export function parseHeader(line: string, source: string): BackupHeader {
  const value = parseJson(line, `${source} ${NOT_A_BACKUP} (it does not start with a Plinth backup header)`)
  if (!isRecord(value) || value.format !== BACKUP_FORMAT) throw new BackupFileError(`${source} ${NOT_A_BACKUP} (its header names no "${BACKUP_FORMAT}" format)`)
  if (value.version !== BACKUP_FORMAT_VERSION) {
    throw new BackupFileError(`${source} is a Plinth backup of format version ${String(value.version)}; this Plinth reads version ${BACKUP_FORMAT_VERSION}: restore it with the Plinth version that wrote it (or a newer one)`)
  }
  const broken = (field: string): never => {
    throw new BackupFileError(`${source} has a damaged header (${field})`)
  }
  if (typeof value.createdAt !== 'string') broken('createdAt')
  if (typeof value.plinthVersion !== 'string') broken('plinthVersion')
  if (typeof value.postgresVersion !== 'string') broken('postgresVersion')
  const migrations = value.migrations
  if (!isRecord(migrations) || !isCount(migrations.count) || !isTextOrNull(migrations.lastHash) || !isTextOrNull(migrations.lastTag)) broken('migrations')
  if (!Array.isArray(value.tables) || !value.tables.every(isTable)) broken('tables')
  const names = (value.tables as BackupTable[]).map((table) => table.name)
  if (new Set(names).size !== names.length) broken('a table is listed twice')
  if (!Array.isArray(value.sequences) || !value.sequences.every(isSequence)) broken('sequences')
  return value as unknown as BackupHeader
}

/** The trailer line: present, and agreeing with the rows that were read. */
export function parseTrailer(line: string, header: BackupHeader, counted: readonly number[], source: string): BackupTrailer {
  const value = parseJson(line, `${source} is damaged: its end is missing after the last table`)
  if (!isRecord(value) || value.end !== BACKUP_FORMAT || !Array.isArray(value.rows)) throw new BackupFileError(`${source} is damaged: its end is missing after the last table`)
  const rows = value.rows as unknown[]
  const agrees =
    rows.length === header.tables.length &&
    rows.every((entry, i) => isRecord(entry) && entry.table === header.tables[i]!.name && entry.rows === counted[i])
  if (!agrees) throw new BackupFileError(`${source} is damaged: the rows read do not match the counts written at its end`)
  return value as unknown as BackupTrailer
}

export function headerLine(header: BackupHeader): string {
  return `${JSON.stringify(header)}\n`
}

export function trailerLine(trailer: BackupTrailer): string {
  return `${JSON.stringify(trailer)}\n`
}

/** `plinth-2026-05-01t03-00-00z.backup`: UTC, sortable, and a valid storage key segment (lower case, no colons). */
export function backupFileName(at: Date): string {
  const stamp = at.toISOString().slice(0, 19).replaceAll(':', '-').toLowerCase()
  return `plinth-${stamp}z.backup`
}

function parseJson(line: string, message: string): unknown {
  try {
    return JSON.parse(line)
  } catch {
    throw new BackupFileError(message)
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const isCount = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0
const isTextOrNull = (value: unknown): boolean => value === null || typeof value === 'string'
const isName = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 63 && !value.includes('\0')

function isTable(value: unknown): boolean {
  return isRecord(value) && isName(value.name) && Array.isArray(value.columns) && value.columns.length > 0 && value.columns.every(isName)
}

function isSequence(value: unknown): boolean {
  return isRecord(value) && isName(value.name) && typeof value.lastValue === 'string' && /^-?\d{1,19}$/.test(value.lastValue) && typeof value.isCalled === 'boolean'
}
