import { chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { postgresBinaries } from './binaries.js'
import type { OsUser } from './os-user.js'
import { runProgram } from './run.js'

/** The superuser and the application database made in every new cluster. */
export const SUPERUSER = 'plinth'
export const APP_DATABASE = 'plinth'
/** Plinth's settings, rewritten at every start and included last by postgresql.conf (ALTER SYSTEM still wins). */
const SETTINGS_FILE = 'plinth.conf'

export class EmbeddedServerError extends Error {
  constructor(message: string, output?: string) {
    super(output ? `${message}\n${output}` : message)
    this.name = 'EmbeddedServerError'
  }
}

export const isCluster = (clusterDir: string): boolean => existsSync(join(clusterDir, 'PG_VERSION'))

/**
 * Makes a cluster in a folder of its own next to `clusterDir` and renames it into place when it is
 * complete, so a start that is interrupted never leaves half a cluster behind.
 */
export async function initCluster(clusterDir: string, password: string, user: OsUser | undefined): Promise<void> {
  const building = `${clusterDir}.init-${process.pid}`
  rmSync(building, { recursive: true, force: true })
  mkdirSync(building, { mode: 0o700 })
  const passwordFile = `${building}.password`
  writeFileSync(passwordFile, password, { mode: 0o600 })
  try {
    if (user) {
      chownSync(building, user.uid, user.gid)
      chownSync(passwordFile, user.uid, user.gid)
    }
    const { initdb } = postgresBinaries()
    const args = [
      `--pgdata=${building}`,
      `--username=${SUPERUSER}`,
      `--pwfile=${passwordFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--no-instructions',
    ]
    const init = await runProgram(initdb, args, { user, timeoutMs: 120_000 })
    if (init.code !== 0) throw new EmbeddedServerError(`initdb failed (exit ${init.code}) in ${building}`, init.output)
    const conf = join(building, 'postgresql.conf')
    writeFileSync(conf, `${readFileSync(conf, 'utf8')}\n# Plinth's settings (rewritten at every start)\ninclude_if_exists '${SETTINGS_FILE}'\n`)
    await singleUser(building, user, `CREATE DATABASE ${APP_DATABASE}\n`)
    try {
      renameSync(building, clusterDir)
    } catch (error) {
      // Another process on this DATA_DIR made the cluster first: use theirs.
      if (!isCluster(clusterDir)) throw error
    }
  } finally {
    rmSync(passwordFile, { force: true })
    rmSync(building, { recursive: true, force: true })
  }
}

/** Sets the superuser's password on a stopped cluster (the file that kept it was lost). */
export function resetPassword(clusterDir: string, password: string, user: OsUser | undefined): Promise<void> {
  return singleUser(clusterDir, user, `ALTER ROLE ${SUPERUSER} PASSWORD '${password.replaceAll("'", "''")}'\n`)
}

/** Statements through PostgreSQL's single-user mode (one per line, on standard input: never in the arguments). */
async function singleUser(clusterDir: string, user: OsUser | undefined, statements: string): Promise<void> {
  const { postgres } = postgresBinaries()
  const run = await runProgram(postgres, ['--single', '-D', clusterDir, '-c', 'log_statement=none', 'postgres'], { user, input: statements, timeoutMs: 60_000 })
  if (run.code !== 0 || /\bERROR:/.test(run.output)) throw new EmbeddedServerError(`PostgreSQL single-user mode failed (exit ${run.code})`, run.output.replace(/PASSWORD '[^']*'/g, "PASSWORD '…'"))
}

/** The server's settings: a Unix socket only, small memory, UTC; `extra` (tests) on top. */
export function writeSettings(clusterDir: string, socketDir: string, port: number, extra: Record<string, string> = {}): void {
  const settings: Record<string, string> = {
    listen_addresses: "''",
    port: String(port),
    unix_socket_directories: quote(socketDir),
    unix_socket_permissions: '0700',
    max_connections: '100',
    shared_buffers: '32MB',
    work_mem: '4MB',
    maintenance_work_mem: '32MB',
    min_wal_size: '32MB',
    max_wal_size: '256MB',
    huge_pages: 'off',
    timezone: "'UTC'",
    log_timezone: "'UTC'",
    logging_collector: 'off',
    log_line_prefix: "'%m [%p] '",
    ...extra,
  }
  const text = Object.entries(settings)
    .map(([name, value]) => `${name} = ${value}`)
    .join('\n')
  writeFileSync(join(clusterDir, SETTINGS_FILE), `# Written by Plinth at every start; change settings with ALTER SYSTEM instead.\n${text}\n`)
}

const quote = (value: string): string => `'${value.replaceAll("'", "''")}'`
