/** Which database the app server will use: the bench passes `DATABASE_URL` through, as `src/config` would read it. */
export interface BenchDatabase {
  readonly kind: 'pglite' | 'postgres'
  /** For humans and the results file; never contains a password. */
  readonly description: string
}

export function benchDatabase(env: NodeJS.ProcessEnv): BenchDatabase {
  const url = env.DATABASE_URL?.trim()
  if (!url) return { kind: 'pglite', description: 'embedded PGlite (fresh temporary data directory)' }
  return { kind: 'postgres', description: `PostgreSQL at ${redactPassword(url)}` }
}

export function redactPassword(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparseable DATABASE_URL)'
  }
}
