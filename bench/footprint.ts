import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { get } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { embeddedLayout } from '../src/core/db/embedded/layout.js'
import { isClusterServer, readPostmaster } from '../src/core/db/embedded/postmaster.js'
import { addMemory, memoryOf, NO_PROCESSES, processTree, type ProcessMemory } from './lib/proc-memory.js'

/**
 * `npm run bench:footprint [-- <project folder>]`: what a default Plinth instance costs to start and to
 * keep idle. Runs the folder's built server (`node dist/src/server.js`; this checkout by default, run
 * `npm run build` there first) as a user would start it, with no DATABASE_URL or REDIS_URL, on a
 * fresh temporary DATA_DIR (LOG_LEVEL=warn, NODE_ENV unset), and measures:
 *
 * - the time from spawn to the first `GET /health` 200, on the fresh DATA_DIR (first start: the
 *   embedded database is created) and, after a SIGTERM stop, again on the same DATA_DIR (restart);
 * - after each start and IDLE_SECONDS of idling, PSS and RSS summed over the Node process (and any
 *   children) and every PostgreSQL process of that DATA_DIR (the postmaster of DATA_DIR/postgres
 *   and its children). A build whose database runs inside Node has none of the latter.
 *
 * Linux only (/proc). Builds nothing, and takes the folder's own server: another checkout or an
 * older commit's build can be measured the same way, ideally in the same sitting.
 */
const IDLE_SECONDS = 5
const READY_TIMEOUT_MS = 120_000
const STOP_TIMEOUT_MS = 60_000
const POLL_MS = 10
const STDERR_TAIL_CHARS = 4000
const MIB = 1024 * 1024

interface StartMeasurement {
  readonly label: string
  readonly toHealthMs: number
  readonly node: ProcessMemory
  readonly postgres: ProcessMemory
  readonly stopMs: number
  /** How the process ended on SIGTERM: `code 0` is a clean stop. */
  readonly exit: string
}

interface RunningServer {
  readonly child: ChildProcess
  readonly exited: Promise<string>
  stderr(): string
}

async function main(): Promise<void> {
  const project = resolve(process.argv[2] ?? join(import.meta.dirname, '..'))
  const script = join(project, 'dist', 'src', 'server.js')
  if (!existsSync(script)) throw new Error(`${script} does not exist: run \`npm run build\` in ${project} first`)
  const dataDir = mkdtempSync(join(tmpdir(), 'plinth-footprint-'))
  try {
    const first = await measureStart('first start', project, dataDir)
    const restart = await measureStart('restart', project, dataDir)
    printTable(project, [first, restart])
    if ([first, restart].some((run) => run.exit !== 'code 0')) {
      console.error('\n!! the server did not stop cleanly on SIGTERM (exit code 0)')
      process.exitCode = 1
    }
  } finally {
    stopLeftoverPostgres(dataDir)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

async function measureStart(label: string, project: string, dataDir: string): Promise<StartMeasurement> {
  const port = await freePort()
  const startedAt = performance.now()
  const server = startServer(project, dataDir, port)
  try {
    await untilHealthy(port, server)
    const toHealthMs = performance.now() - startedAt
    // Idling is what is measured: the start-up's garbage collected, timers settled.
    await delay(IDLE_SECONDS * 1000)
    const postgresPids = postgresProcesses(dataDir)
    const nodePids = processTree(server.child.pid!).filter((pid) => !postgresPids.includes(pid))
    const node = memoryOf(nodePids)
    const postgres = postgresPids.length > 0 ? memoryOf(postgresPids) : NO_PROCESSES
    const stoppingAt = performance.now()
    server.child.kill('SIGTERM')
    const exit = await within(server.exited, STOP_TIMEOUT_MS, `the server did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM`)
    const stopMs = performance.now() - stoppingAt
    const left = postgresProcesses(dataDir)
    if (left.length > 0) throw new Error(`PostgreSQL processes of ${dataDir} still run after the server exited: ${left.join(', ')}`)
    return { label, toHealthMs, node, postgres, stopMs, exit }
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL')
  }
}

function startServer(project: string, dataDir: string, port: number): RunningServer {
  const { PATH, HOME, TMPDIR } = process.env
  const env: Record<string, string> = { DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' }
  for (const [key, value] of Object.entries({ PATH, HOME, TMPDIR })) if (value !== undefined) env[key] = value
  const child = spawn(process.execPath, ['dist/src/server.js'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_CHARS)))
  // Warnings go to stdout at LOG_LEVEL=warn: read and dropped, so a full pipe never blocks the server.
  child.stdout.resume()
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)))
  return { child, exited, stderr: () => stderr }
}

/** Polls `/health` (a fresh connection each time, so none is kept alive into the idle reading) until it answers 200. */
async function untilHealthy(port: number, server: RunningServer): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS
  let exit: string | undefined
  void server.exited.then((how) => (exit = how))
  while (performance.now() < deadline) {
    if (exit !== undefined) throw new Error(`the server exited (${exit}) before /health answered 200\n${server.stderr().trimEnd()}`)
    if ((await healthStatus(port)) === 200) return
    await delay(POLL_MS)
  }
  throw new Error(`/health did not answer 200 within ${READY_TIMEOUT_MS} ms\n${server.stderr().trimEnd()}`)
}

function healthStatus(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 2000 }, (response) => {
      response.resume()
      resolve(response.statusCode)
    })
    request.once('timeout', () => request.destroy())
    request.once('error', () => resolve(undefined))
  })
}

/** The postmaster of DATA_DIR/postgres and all its children, while it runs; none for a build without that cluster. */
function postgresProcesses(dataDir: string): number[] {
  const clusterDir = embeddedLayout(dataDir).clusterDir
  const status = readPostmaster(clusterDir)
  return status && isClusterServer(status.pid, clusterDir) ? processTree(status.pid) : []
}

/** After a failure: a postmaster left behind gets PostgreSQL's fast shutdown (SIGINT). */
function stopLeftoverPostgres(dataDir: string): void {
  const [postmaster] = postgresProcesses(dataDir)
  if (postmaster === undefined) return
  console.error(`stopping the PostgreSQL server left running on ${dataDir} (pid ${postmaster})`)
  process.kill(postmaster, 'SIGINT')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function printTable(project: string, runs: readonly StartMeasurement[]): void {
  const mib = (bytes: number): string => (bytes / MIB).toFixed(1)
  const rows: [string, (run: StartMeasurement) => string][] = [
    ['spawn → first /health 200 (ms)', (run) => run.toHealthMs.toFixed(0)],
    [`idle ${IDLE_SECONDS} s: PSS Node (MiB)`, (run) => mib(run.node.pssBytes)],
    [`idle ${IDLE_SECONDS} s: PSS PostgreSQL (MiB)`, (run) => (run.postgres.processes === 0 ? '— (none)' : `${mib(run.postgres.pssBytes)} (${run.postgres.processes} procs)`)],
    [`idle ${IDLE_SECONDS} s: PSS total (MiB)`, (run) => mib(addMemory(run.node, run.postgres).pssBytes)],
    [`idle ${IDLE_SECONDS} s: RSS Node (MiB)`, (run) => mib(run.node.rssBytes)],
    [`idle ${IDLE_SECONDS} s: RSS total (MiB)`, (run) => mib(addMemory(run.node, run.postgres).rssBytes)],
    ['SIGTERM → exit (ms)', (run) => run.stopMs.toFixed(0)],
    ['exit', (run) => run.exit],
  ]
  const width = Math.max(...rows.map(([name]) => name.length))
  const cellWidth = Math.max(16, ...rows.flatMap(([, cell]) => runs.map((run) => cell(run).length)))
  console.log(`Plinth footprint: ${project}${commitOf(project)}, dist/ built ${statSync(join(project, 'dist', 'src', 'server.js')).mtime.toISOString()}`)
  console.log(`  node dist/src/server.js, fresh DATA_DIR, LOG_LEVEL=warn, NODE_ENV/DATABASE_URL/REDIS_URL unset, Node ${process.version}`)
  console.log('')
  console.log(`${''.padEnd(width)}  ${runs.map((run) => run.label.padStart(cellWidth)).join('  ')}`)
  for (const [name, cell] of rows) console.log(`${name.padEnd(width)}  ${runs.map((run) => cell(run).padStart(cellWidth)).join('  ')}`)
}

/** The folder's commit and whether its tree differs from it; the build may be older than either (its time is printed too). */
function commitOf(project: string): string {
  const git = (...args: string[]): string => execFileSync('git', ['-C', project, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  try {
    const changed = git('status', '--porcelain', '--untracked-files=no') !== ''
    return ` (checkout at ${git('rev-parse', '--short', 'HEAD')}${changed ? ' with uncommitted changes' : ''})`
  } catch {
    return ''
  }
}

main().catch((error: unknown) => {
  console.error('footprint failed:', error instanceof Error ? error.message : error)
  process.exitCode = 1
})
