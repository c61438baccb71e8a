import { join } from 'node:path'

export interface BannerFacts {
  /** The address the server listens on, as `listen` answered it. */
  readonly url: string
  readonly dataDir: string
  readonly databaseUrl: string | undefined
  /** An active administrator exists; false: the banner says how to create one. */
  readonly adminExists: boolean
  /** The admin console is served at /admin (ADMIN_CONSOLE, default true). */
  readonly adminConsole: boolean
}

/**
 * The one line printed once the server listens: where it is, its reference page, the admin console,
 * which database it uses and, on a first run, how to create the administrator. Never a secret: of DATABASE_URL only
 * the host and the database name are shown.
 */
export function startupBanner(facts: BannerFacts): string {
  const base = facts.url.replace(/\/+$/, '')
  const parts = [`Plinth is ready at ${base} (API reference: ${base}/docs${facts.adminConsole ? `, admin console: ${base}/admin` : ''})`, `database: ${databaseInUse(facts)}`]
  if (!facts.adminExists) {
    parts.push(
      'no administrator yet: create one with `npm run cli -- create-admin --email <address>` (it asks for the password, or reads one line piped to it), ' +
        'or start with ADMIN_EMAIL and ADMIN_PASSWORD set',
    )
  }
  return `${parts.join('; ')}.`
}

function databaseInUse({ dataDir, databaseUrl }: BannerFacts): string {
  if (!databaseUrl) return `embedded PostgreSQL in ${join(dataDir, 'postgres')}`
  try {
    const url = new URL(databaseUrl)
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''))
    return `PostgreSQL at ${url.host}${database ? `/${database}` : ''} (DATABASE_URL)`
  } catch {
    // Not a URL (e.g. a key=value string): any part of it could be a password.
    return 'PostgreSQL from DATABASE_URL'
  }
}
