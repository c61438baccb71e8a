import { AppError } from '../../core/errors/app-error.js'
import type { Precondition } from '../../core/http/resource/resource.service.js'

export type { Precondition }

/** The version a write expects: `If-Match` wins over the body's `version`; one of them is required. */
export function expectedVersion(precondition: Precondition): number {
  const expected = precondition.ifMatch ?? precondition.version
  if (expected === undefined) {
    throw new AppError('VALIDATION_FAILED', 'Send the version you edit: `version` in the body or an If-Match header.', { version: 'required (or If-Match)' })
  }
  return expected
}

/** A stale version: 412 PRECONDITION_FAILED for If-Match, 409 VERSION_CONFLICT for `version`; both carry the current record. */
export function staleVersion(precondition: Precondition, what: string, currentVersion: number, current: unknown): AppError {
  const code = precondition.ifMatch !== undefined ? 'PRECONDITION_FAILED' : 'VERSION_CONFLICT'
  return new AppError(code, `${what} is at version ${currentVersion}, not ${expectedVersion(precondition)}; reload and retry.`, { current })
}
