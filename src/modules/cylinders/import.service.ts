import { TextDecoder } from 'node:util'
import { parse, type Info } from 'csv-parse/sync'
import type { Actor } from '../../core/access/actor.js'
import { AppError, type ErrorDetails } from '../../core/errors/app-error.js'
import type { CylindersService, NewCylinder } from './cylinders.service.js'
import type { CylinderRow } from './db/schema.js'
import { CYLINDERS_MANAGE, type CylinderAccess } from './permissions.js'
import type { CylinderStore } from './store.js'

export const MAX_IMPORT_ROWS = 5000
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024
/** A file with thousands of bad rows gets the first hundred listed and the total counted. */
const MAX_LISTED_ROWS = 100

export const IMPORT_COLUMNS = ['serialNumber', 'gasType', 'capacityLiters', 'owner', 'manufacturedOn', 'lastTestOn', 'nextTestDue', 'status', 'notes'] as const
type Column = (typeof IMPORT_COLUMNS)[number]
const REQUIRED: readonly Column[] = ['serialNumber', 'gasType']
const DATES = ['manufacturedOn', 'lastTestOn', 'nextTestDue'] as const
const STATUSES = ['available', 'returned', 'quarantined'] as const
/** The limits of POST /api/cylinders/add (cylinders.schemas.ts), so a row imports exactly when it could be added. */
const MAX_LENGTH: Partial<Record<Column, number>> = { serialNumber: 64, gasType: 40, owner: 120, notes: 2000 }
const MAX_CAPACITY = 100_000

/** Header names match without case, spaces, `_` or `-`: serialNumber, serial_number, Serial Number. */
const headerKey = (name: string) => name.toLowerCase().replace(/[\s_-]+/g, '')
const COLUMN_BY_KEY = new Map<string, Column>(IMPORT_COLUMNS.map((column) => [headerKey(column), column]))

interface CsvRow {
  /** 1-based line in the file where the row starts (the header is line 1). */
  line: number
  cells: string[]
}

interface CheckedRow {
  line: number
  cylinder: NewCylinder
  errors: Record<string, string>
}

const invalid = (message: string, details: ErrorDetails = {}) => new AppError('CYLINDER_IMPORT_INVALID', message, details)

/**
 * Cylinders from a CSV file, all or none: every row is checked first (values, serial numbers
 * repeated in the file or already in use) and any problem refuses the whole file, listing each
 * bad row by its line so the admin can fix the spreadsheet and send it again.
 */
export class CylinderImporter {
  constructor(
    private readonly access: CylinderAccess,
    private readonly store: CylinderStore,
    private readonly cylinders: CylindersService,
  ) {}

  /** Needs cylinders:manage, checked before the file is read. */
  async import(actor: Actor, csv: string): Promise<CylinderRow[]> {
    this.access.require(actor, CYLINDERS_MANAGE)
    const { columns, rows } = readCsv(csv)
    const checked = rows.map((row) => ({ line: row.line, ...checkRow(columns, row.cells) }))
    markRepeatedSerials(checked)
    await this.markTakenSerials(checked)
    const bad = checked.filter((row) => Object.keys(row.errors).length > 0)
    if (bad.length > 0) {
      throw invalid(`${bad.length} of ${rows.length} rows have errors; no cylinder was imported.`, {
        rows: bad.slice(0, MAX_LISTED_ROWS).map(({ line, errors }) => ({ line, errors })),
        invalidRows: bad.length,
        totalRows: rows.length,
      })
    }
    return this.cylinders.add(actor, checked.map((row) => row.cylinder), 'imported')
  }

  private async markTakenSerials(rows: CheckedRow[]): Promise<void> {
    const candidates = rows.filter((row) => !row.errors.serialNumber)
    const taken = await this.store.repos.cylinders.bySerialNumbers(candidates.map((row) => row.cylinder.serialNumber))
    const used = new Set(taken.map((cylinder) => cylinder.serialNumber.toLowerCase()))
    for (const row of candidates) if (used.has(row.cylinder.serialNumber.toLowerCase())) row.errors.serialNumber = 'is already in use'
  }
}

/** Serial numbers are unique without case: the second and later rows of one are refused. */
function markRepeatedSerials(rows: CheckedRow[]): void {
  const firstLine = new Map<string, number>()
  for (const row of rows) {
    if (row.errors.serialNumber) continue
    const key = row.cylinder.serialNumber.toLowerCase()
    const first = firstLine.get(key)
    if (first === undefined) firstLine.set(key, row.line)
    else row.errors.serialNumber = `repeats line ${first}`
  }
}

/**
 * The body's bytes as text: in the charset the Content-Type names, else strictly UTF-8, so a
 * spreadsheet saved in a Windows code page is refused with advice instead of imported garbled.
 */
export function decodeCsv(bytes: Buffer, contentType: string | undefined): string {
  const charset = /;\s*charset="?([^";\s]+)"?/i.exec(contentType ?? '')?.[1] ?? 'utf-8'
  let decoder: TextDecoder
  try {
    decoder = new TextDecoder(charset, { fatal: true })
  } catch {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `The charset ${charset} is not supported; send UTF-8.`, { charset })
  }
  try {
    return decoder.decode(bytes)
  } catch {
    throw invalid(`The file is not valid ${charset} text: save it as "CSV UTF-8", or name its encoding (Content-Type: text/csv; charset=windows-1252).`, { charset })
  }
}

/** The header mapped to columns (undefined for a blank header cell) and the data rows with their lines. */
export function readCsv(csv: string): { columns: (Column | undefined)[]; rows: CsvRow[] } {
  if (csv.trim() === '') {
    const problem = 'is empty: send a header row and one row per cylinder'
    throw new AppError('VALIDATION_FAILED', `The request is invalid: body ${problem}.`, { body: problem })
  }
  const [header, ...rows] = parseRows(csv)
  const columns = mapHeader(header!.cells)
  if (rows.length === 0) throw invalid('The CSV has a header row but no cylinders.', { totalRows: 0 })
  if (rows.length > MAX_IMPORT_ROWS) {
    throw invalid(`The CSV has ${rows.length} rows; at most ${MAX_IMPORT_ROWS} can be imported at once.`, { totalRows: rows.length, maxRows: MAX_IMPORT_ROWS })
  }
  return { columns, rows }
}

function parseRows(csv: string): CsvRow[] {
  // One line ending, so csv-parse's line count is the line number an editor shows.
  const text = csv.replace(/\r\n?/g, '\n')
  try {
    const records = parse(text, { delimiter: delimiterOf(text), info: true, raw: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as unknown as {
      record: string[]
      info: Info
      raw: string
    }[]
    // `info.lines` is where a record ends; a quoted value may span lines, so count back to its start.
    return (
      records
        // Spreadsheets export rows of empty cells below the data (`,,,,`): blank lines, not cylinders.
        .filter(({ record }) => record.some((cell) => cell.trim() !== ''))
        .map(({ record, info, raw }) => ({ line: info.lines - newlinesWithin(raw), cells: record }))
    )
  } catch (error) {
    const line = (error as { lines?: number }).lines
    throw invalid(`The CSV cannot be read${line ? ` at line ${line}` : ''}: ${(error as Error).message}`, line ? { line } : {})
  }
}

/** Newlines inside a record's raw text, not counting the blank lines before it or its own ending. */
const newlinesWithin = (raw: string) => raw.replace(/^(?:[ \t]*\n)+/, '').replace(/\n$/, '').split('\n').length - 1

/** Spreadsheets in locales with a decimal comma export `;`: use what the header line uses most. */
function delimiterOf(text: string): string {
  const header = text.split('\n', 1)[0]!
  const counts = [',', ';', '\t'].map((delimiter) => ({ delimiter, count: header.split(delimiter).length }))
  return counts.reduce((best, next) => (next.count > best.count ? next : best)).delimiter
}

function mapHeader(names: string[]): (Column | undefined)[] {
  const columns = names.map((name) => (name.trim() === '' ? undefined : COLUMN_BY_KEY.get(headerKey(name))))
  const unknownColumns = names.filter((name, i) => name.trim() !== '' && !columns[i])
  const repeatedColumns = [...new Set(columns.filter((column, i) => column && columns.indexOf(column) !== i))]
  const missingColumns = REQUIRED.filter((column) => !columns.includes(column))
  if (unknownColumns.length + repeatedColumns.length + missingColumns.length === 0) return columns
  const problems = [
    unknownColumns.length > 0 ? `unknown columns ${unknownColumns.join(', ')}` : '',
    repeatedColumns.length > 0 ? `columns given twice ${repeatedColumns.join(', ')}` : '',
    missingColumns.length > 0 ? `no ${missingColumns.join(' or ')} column` : '',
  ].filter(Boolean)
  throw invalid(`The header row has ${problems.join('; ')}. The columns are ${IMPORT_COLUMNS.join(', ')}; nothing was imported.`, {
    ...(unknownColumns.length > 0 ? { unknownColumns } : {}),
    ...(repeatedColumns.length > 0 ? { repeatedColumns } : {}),
    ...(missingColumns.length > 0 ? { missingColumns } : {}),
    knownColumns: IMPORT_COLUMNS,
  })
}

/** One data row: the cylinder it describes, and what is wrong with it by column. */
function checkRow(columns: (Column | undefined)[], cells: string[]): { cylinder: NewCylinder; errors: Record<string, string> } {
  const errors: Record<string, string> = {}
  const values: Partial<Record<Column, string>> = {}
  cells.forEach((cell, i) => {
    const column = columns[i]
    // Statuses are words, not names: `Available` is meant as `available`.
    if (column) values[column] = column === 'status' ? cell.trim().toLowerCase() : cell.trim()
    else if (cell.trim() !== '') errors.row ??= `has a value in column ${i + 1}, which has no header`
  })
  for (const column of IMPORT_COLUMNS) {
    const problem = valueProblem(column, values[column] ?? '')
    if (problem) errors[column] = problem
  }
  const optional = (column: Column) => values[column] || null
  const cylinder: NewCylinder = {
    serialNumber: values.serialNumber ?? '',
    gasType: values.gasType ?? '',
    capacityLiters: values.capacityLiters ? Number(values.capacityLiters) : null,
    owner: optional('owner'),
    manufacturedOn: optional('manufacturedOn'),
    lastTestOn: optional('lastTestOn'),
    nextTestDue: optional('nextTestDue'),
    notes: optional('notes'),
    ...(values.status ? { status: values.status as NewCylinder['status'] } : {}),
  }
  return { cylinder, errors }
}

function valueProblem(column: Column, value: string): string | undefined {
  if (value === '') return REQUIRED.includes(column) ? 'is required' : undefined
  const max = MAX_LENGTH[column]
  if (max !== undefined && value.length > max) return `is longer than ${max} characters`
  if ((DATES as readonly string[]).includes(column)) return dayProblem(value)
  if (column === 'capacityLiters') return capacityProblem(value)
  if (column === 'status' && !(STATUSES as readonly string[]).includes(value)) return `must be ${STATUSES.join(', ').replace(/, (?=[^,]*$)/, ' or ')}`
  return undefined
}

/** A calendar day as YYYY-MM-DD that exists (no 2023-02-29). */
function dayProblem(value: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (!match) return 'must be a date as YYYY-MM-DD'
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number]
  const date = new Date(Date.UTC(year, month - 1, day))
  const real = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  return real ? undefined : 'is not a real calendar date'
}

/** Liters with a decimal point: a comma is refused, since `1,000` could mean a thousand or one. */
function capacityProblem(value: string): string | undefined {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) return 'must be a positive number of liters, like 50 or 10.5'
  return Number(value) > MAX_CAPACITY ? `must be at most ${MAX_CAPACITY}` : undefined
}
