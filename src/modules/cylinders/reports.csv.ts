import { stringify } from 'csv-stringify/sync'
import type { ReportSection } from './reports.service.js'

/**
 * Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return, which some of
 * them skip first) as a formula: a customer named `=HYPERLINK(...)` must stay text. A leading
 * single quote is what spreadsheets themselves use to mark text (OWASP "CSV injection").
 */
const FORMULA_START = /^[=+\-@\t\r]/

export const neutralize = (cell: unknown): unknown => (typeof cell === 'string' && FORMULA_START.test(cell) ? `'${cell}` : cell)

/** The columns of each report, in order; the header row repeats the JSON field names. */
const COLUMNS: Record<ReportSection['name'], readonly string[]> = {
  activity: ['bucketStart', 'ship', 'return', 'refill_send', 'refill_receive'],
  turnaround: ['measure', 'averageHours', 'count'],
  holdings: ['locationId', 'name', 'sentTo', 'cylinders'],
  'overdue-returns': ['cylinderId', 'serialNumber', 'qrCode', 'locationId', 'locationName', 'sentTo', 'since', 'days'],
  'tests-due': ['cylinderId', 'serialNumber', 'qrCode', 'gasType', 'status', 'nextTestDue'],
}

/** One report as RFC 4180 CSV (CRLF line ends), a header row first; null is an empty cell. */
export function toCsv(section: ReportSection): string {
  const columns = COLUMNS[section.name]
  const records = rowsOf(section).map((row) => columns.map((column) => neutralize(row[column] ?? null)))
  return stringify([[...columns], ...records], { record_delimiter: 'windows' })
}

function rowsOf(section: ReportSection): Record<string, unknown>[] {
  if (section.name !== 'turnaround') return section.rows as unknown as Record<string, unknown>[]
  // Two measures, one row each: the JSON's nested object does not fit a table.
  const { sentToReturned, refillSendToReceive } = section.rows
  return [
    { measure: 'sentToReturned', ...sentToReturned },
    { measure: 'refillSendToReceive', ...refillSendToReceive },
  ]
}
