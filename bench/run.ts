import type { Measurement } from './lib/autocannon.js'
import type { EmbeddedLog } from '../src/core/db/embedded/server.js'
import { openBenchDatabase, redactPassword, type BenchDatabase } from './lib/database.js'
import { goals, latencyComparisons, limitGoals, loadProblems, ratios, type Outcome } from './lib/outcome.js'
import { printBatches, printFailures, printGoals, printLatencies, printRatios, printRealtime, printTable } from './lib/report.js'
import { machine, writeResults } from './lib/results.js'
import { ServerPool } from './lib/server-pool.js'
import { readSettings, type LoadSettings } from './lib/settings.js'
import { stopWsClients } from './lib/ws-clients.js'
import { scenarios } from './scenarios/index.js'
import type { Scenario } from './scenarios/scenario.js'

/**
 * `npm run bench`: every scenario, one after another, against servers in child processes, with
 * the same load settings; prints a table and ratios, writes bench/results/, and exits 1 when any
 * scenario saw a non-2xx answer or a connection error.
 */
async function main(): Promise<number> {
  const startedAt = new Date()
  const settings = readSettings(process.env)
  const database = await openBenchDatabase(process.env, embeddedLog)
  const environment: BenchEnvironment = { database, redis: redisUrl(process.env) }
  printHeader(settings, environment)

  // Every server gets the run's database, the embedded one included: the app servers never start their own.
  const pool = new ServerPool({ ...process.env, DATABASE_URL: database.url })
  const interrupt = (): void => {
    console.error('\ninterrupted: stopping servers')
    void Promise.allSettled([pool.stopAll(), stopWsClients()])
      .then(() => database.close())
      .finally(() => process.exit(130))
  }
  process.once('SIGINT', interrupt)
  process.once('SIGTERM', interrupt)

  const outcomes: Outcome[] = []
  try {
    const selected = settings.only.length > 0 ? scenarios.filter((scenario) => settings.only.includes(scenario.key)) : scenarios
    for (const scenario of selected) outcomes.push(await runScenario(scenario, pool, settings, environment))
  } finally {
    await stopWsClients()
    await pool.stopAll()
    await database.close()
    process.off('SIGINT', interrupt)
    process.off('SIGTERM', interrupt)
  }

  const comparisons = { ratios: ratios(outcomes), goals: goals(outcomes), limits: limitGoals(outcomes), latencies: latencyComparisons(outcomes) }
  console.log('')
  printTable(outcomes)
  printRealtime(outcomes)
  printBatches(outcomes)
  printRatios(comparisons.ratios)
  printLatencies(comparisons.latencies)
  printGoals(comparisons.goals, comparisons.limits)
  const path = writeResults({ startedAt, database, redis: environment.redis, settings, threadPoolSize: threadPoolSize() }, outcomes, comparisons)
  console.log(`\nResults written to ${path}`)
  printFailures(outcomes)
  return outcomes.some((outcome) => outcome.problems.length > 0) ? 1 : 0
}

/** What the bench runs against, besides its settings. */
interface BenchEnvironment {
  readonly database: BenchDatabase
  /** REDIS_URL for the `app-redis` server, password redacted; undefined: the Redis scenarios are skipped. */
  readonly redis: string | undefined
}

async function runScenario(scenario: Scenario, pool: ServerPool, settings: LoadSettings, { redis }: BenchEnvironment): Promise<Outcome> {
  console.log(`\n▶ ${scenario.title}`)
  const skipped = scenario.requires === 'redis' && redis === undefined ? 'needs Redis (REDIS_URL)' : scenario.unavailable?.()
  if (skipped) {
    console.log(`  skipped: ${skipped}`)
    return { scenario, measurement: undefined, problems: [], skipped }
  }
  const connections = scenario.connections?.(settings) ?? settings.connections
  try {
    const server = await pool.use(scenario.server)
    // Every server is given the run's database as DATABASE_URL; `embedded` would be one it started itself.
    const reported = server.ready.database
    if (reported !== undefined && reported !== 'postgres') throw new Error(`the ${server.name} server runs on ${JSON.stringify(reported)}, not on the run's database (DATABASE_URL)`)
    const target = { url: server.url, ready: server.ready }
    await scenario.check(target)
    let warmup: Measurement | undefined
    if (scenario.warmup !== false) {
      console.log(`  warm-up ${settings.warmupSeconds} s (discarded)…`)
      warmup = await scenario.measure(target, { connections, durationSeconds: settings.warmupSeconds, settings })
    }
    console.log(scenario.warmup === false ? '  measuring (no warm-up)…' : `  measuring ${settings.durationSeconds} s…`)
    const measurement = await scenario.measure(target, { connections, durationSeconds: settings.durationSeconds, settings })
    const problems = [...(warmup ? loadProblems('warm-up', warmup) : []), ...loadProblems('measurement', measurement)]
    for (const problem of problems) console.error(`  !! ${problem}`)
    return { scenario, measurement, problems }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    console.error(`  !! ${message}`)
    return { scenario, measurement: undefined, problems: [message] }
  }
}

function printHeader(settings: LoadSettings, { database, redis }: BenchEnvironment): void {
  const host = machine()
  const { realtime } = settings
  console.log('Plinth benchmark')
  console.log(`  load:     ${settings.connections} connections (argon2-bound scenarios: ${settings.loginConcurrency}), ${settings.durationSeconds} s per scenario after a ${settings.warmupSeconds} s warm-up`)
  console.log(
    `  realtime: fan-out ${realtime.fanoutSockets} sockets (fixed rate ${realtime.fanoutRate} events/s, ${realtime.payloadBytes}-byte pad), idle ${realtime.idleSockets} sockets, clients in ${realtime.clientProcesses} process(es)`,
  )
  console.log(`  database: ${database.description}`)
  console.log(`  redis:    ${redis ?? 'REDIS_URL unset: realtime Redis scenarios skipped'}`)
  console.log(`  machine:  ${host.cpus} CPUs (${host.cpuModel}), Node ${host.node}, ${host.platform}, libuv thread pool ${threadPoolSize() ?? '4 (default)'}`)
  console.log('  servers run in child processes; HTTP load comes from this process, WebSocket clients from their own')
}

/** The embedded server's start and its failures, as lines of the run's output (the details never hold its password). */
const embeddedLog: EmbeddedLog = {
  info: (_details, message) => console.log(`  database: ${message}`),
  warn: (details, message) => console.error(`  database: ${message} ${describe(details)}`),
  error: (details, message) => console.error(`  !! database: ${message} ${describe(details)}`),
}

function describe(details: object): string {
  return JSON.stringify(details, (_key, value: unknown) => (value instanceof Error ? value.message : value))
}

function redisUrl(env: NodeJS.ProcessEnv): string | undefined {
  const url = env.REDIS_URL?.trim()
  return url ? redactPassword(url) : undefined
}

/** Passed through to every server (see ServerPool): argon2 runs on libuv's thread pool. */
function threadPoolSize(): string | undefined {
  return process.env.UV_THREADPOOL_SIZE?.trim() || undefined
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error('bench failed:', error)
    process.exitCode = 1
  },
)
