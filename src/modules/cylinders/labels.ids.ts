import { isUuid } from '../../core/db/columns.js'
import { AppError } from '../../core/errors/app-error.js'

/** One sheet per request: bounded work and memory (≈ 0.5 MB of PDF, well under a second to draw). */
export const MAX_LABELS = 500

/** `a,b, c,` → ids in order, lower-cased to match stored ids; empty items (a trailing comma) are skipped. */
export function parseIds(raw: string): string[] {
  const ids = raw
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean)
  const problem = idsProblem(ids)
  if (problem) throw new AppError('VALIDATION_FAILED', `The request is invalid: query.ids ${problem}.`, { 'query.ids': problem })
  return ids.map((id) => id.toLowerCase())
}

function idsProblem(ids: string[]): string | undefined {
  if (ids.length === 0) return 'must list at least one cylinder id'
  if (ids.length > MAX_LABELS) return `lists ${ids.length} ids; at most ${MAX_LABELS} per sheet`
  const invalid = ids.filter((id) => !isUuid(id))
  if (invalid.length === 0) return undefined
  const shown = invalid.slice(0, 5).map((id) => (id.length > 40 ? `${id.slice(0, 40)}…` : id))
  return `has values that are not UUIDs: ${shown.join(', ')}${invalid.length > 5 ? ', …' : ''}`
}
