import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EmbeddedServer, type EmbeddedLog } from '../../src/core/db/embedded/server.js'

/**
 * The database every server of the run uses, handed to each as DATABASE_URL: the bench's own
 * DATABASE_URL, or, when it is unset, the embedded default (the PostgreSQL server Plinth runs itself),
 * started once by the bench in a temporary DATA_DIR so that the app servers and `bare-pk` share it.
 */
export interface BenchDatabase {
  readonly kind: 'embedded' | 'postgres'
  /** For humans and the results file; never contains a password. */
  readonly description: string
  /** What the servers get as DATABASE_URL (with its password: never print it). */
  readonly url: string
  /** Stops the embedded server and removes its DATA_DIR; nothing for DATABASE_URL. */
  close(): Promise<void>
}

export async function openBenchDatabase(env: NodeJS.ProcessEnv, log: EmbeddedLog): Promise<BenchDatabase> {
  const url = env.DATABASE_URL?.trim()
  if (url) return { kind: 'postgres', description: `PostgreSQL at ${redactPassword(url)}`, url, close: async () => {} }
  const dataDir = mkdtempSync(join(tmpdir(), 'plinth-bench-db-'))
  const removeDataDir = (): void => rmSync(dataDir, { recursive: true, force: true })
  let server: EmbeddedServer
  try {
    // The settings Plinth ships with (no test-only fsync=off): the default a user gets.
    server = await EmbeddedServer.start({ dataDir, role: 'server', log })
  } catch (error) {
    removeDataDir()
    throw error
  }
  let closed: Promise<void> | undefined
  return {
    kind: 'embedded',
    description: `embedded PostgreSQL (started by the bench in a fresh temporary DATA_DIR, ${dataDir})`,
    url: server.url,
    close: () => (closed ??= server.stop().finally(removeDataDir)),
  }
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
