/** The PostgreSQL error behind a driver error (Drizzle wraps it in `cause`), by SQLSTATE and constraint. */
export interface PgError {
  readonly code: string
  readonly constraint: string | undefined
}

export function pgError(error: unknown): PgError | undefined {
  for (let current: unknown = error, depth = 0; current && typeof current === 'object' && depth < 4; depth++) {
    const candidate = current as { code?: unknown; constraint_name?: unknown; constraint?: unknown; cause?: unknown }
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      const constraint = candidate.constraint_name ?? candidate.constraint
      return { code: candidate.code, constraint: typeof constraint === 'string' ? constraint : undefined }
    }
    current = candidate.cause
  }
  return undefined
}

/** A unique violation, optionally of one constraint. */
export const isUniqueViolation = (error: unknown, constraint?: string): boolean => {
  const pg = pgError(error)
  return pg?.code === '23505' && (constraint === undefined || pg.constraint === constraint)
}

/** A foreign-key violation (a row still referenced, or a reference to nothing). */
export const isForeignKeyViolation = (error: unknown): boolean => pgError(error)?.code === '23503'

const DEADLOCK_DETECTED = '40P01'

/**
 * Runs `work` again (up to `attempts` times in all, after a short random pause) when PostgreSQL
 * aborts it as a deadlock victim. Only for work that is safe to repeat.
 */
export async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      if (attempt >= attempts || pgError(error)?.code !== DEADLOCK_DETECTED) throw error
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80 * attempt))
    }
  }
}
