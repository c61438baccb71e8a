import { AppError } from '../../errors/app-error.js'
import { isUuid } from '../../db/columns.js'

/** The position after the last item of a page, bound to the sort it was made for. */
export interface CursorPosition {
  sort: string
  value: string | number | boolean | null
  id: string
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.sort, position.value, position.id])).toString('base64url')
}

/** Cursors are opaque to clients; anything that does not decode, or fits another sort, is refused. */
export function decodeCursor(cursor: string, sort: string): CursorPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (Array.isArray(parsed) && parsed.length === 3 && parsed[0] === sort && typeof parsed[2] === 'string') {
      const value: unknown = parsed[1]
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
        return { sort, value: value as CursorPosition['value'], id: parsed[2] }
      }
    }
  } catch {
    // fall through to the refusal below
  }
  throw new AppError('INVALID_CURSOR', undefined, { cursor: 'does not belong to this list and sort order' })
}


/** A cursor whose position must name a row by UUID (and, when given, a timestamp): anything else is INVALID_CURSOR, not a database error. */
export function decodeRowCursor(cursor: string, sort: string, value: 'none' | 'timestamp' = 'none'): { id: string; at: Date | undefined } {
  const position = decodeCursor(cursor, sort)
  const at = value === 'timestamp' && typeof position.value === 'string' ? new Date(position.value) : undefined
  if (!isUuid(position.id) || (value === 'timestamp' && (at === undefined || Number.isNaN(at.getTime())))) {
    throw new AppError('INVALID_CURSOR', undefined, { cursor: 'does not belong to this list and sort order' })
  }
  return { id: position.id, at }
}
