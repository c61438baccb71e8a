/**
 * A PostgreSQL connection URL, in libpq's form: `postgres://user:password@host:port/database`, or for a
 * Unix socket `postgres://user:password@localhost/database?host=/socket/dir` (the embedded server's).
 * postgres.js reads the socket directory only from its `host` option, so it is moved there; pg (pg-boss)
 * reads the URL as it is.
 */
export interface PostgresJsTarget {
  url: string
  options: { host?: string }
}

export function postgresJsTarget(url: string): PostgresJsTarget {
  const parsed = new URL(url)
  const socketDir = parsed.searchParams.get('host')
  if (!socketDir) return { url, options: {} }
  parsed.searchParams.delete('host')
  return { url: parsed.toString(), options: { host: socketDir } }
}

/** The URL of another database on the same server (tests, backups restored into a new database). */
export function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}

/** The database's name in a connection URL. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1))
}

/** A URL for a Unix socket directory, as the embedded server listens on. */
export function socketUrl(options: { socketDir: string; port: number; user: string; password: string; database: string }): string {
  const url = new URL(`postgres://localhost:${options.port}/${encodeURIComponent(options.database)}`)
  url.username = encodeURIComponent(options.user)
  url.password = encodeURIComponent(options.password)
  url.searchParams.set('host', options.socketDir)
  return url.toString()
}
