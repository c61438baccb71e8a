import { benchDatabase, type BenchDatabase } from './lib/database.js'
import { goals, latencyComparisons, loadProblems, ratios, type Outcome } from './lib/outcome.js'
import { printFailures, printGoals, printLatencies, printRatios, printTable } from './lib/report.js'
import { machine, writeResults } from './lib/results.js'
import { ServerPool } from './lib/server-pool.js'
import { readSettings, type LoadSettings } from './lib/settings.js'
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
  const database = benchDatabase(process.env)
  printHeader(settings, database)

  const pool = new ServerPool(process.env)
  const interrupt = (): void => {
    console.error('\ninterrupted: stopping servers')
    void pool.stopAll().finally(() => process.exit(130))
  }
  process.once('SIGINT', interrupt)
  process.once('SIGTERM', interrupt)

  const outcomes: Outcome[] = []
  try {
    const selected = settings.only.length > 0 ? scenarios.filter((scenario) => settings.only.includes(scenario.key)) : scenarios
    for (const scenario of selected) outcomes.push(await runScenario(scenario, pool, settings, database))
  } finally {
    await pool.stopAll()
    process.off('SIGINT', interrupt)
    process.off('SIGTERM', interrupt)
  }

  const comparisons = { ratios: ratios(outcomes), goals: goals(outcomes), latencies: latencyComparisons(outcomes) }
  console.log('')
  printTable(outcomes)
  printRatios(comparisons.ratios)
  printLatencies(comparisons.latencies)
  printGoals(comparisons.goals)
  const path = writeResults({ startedAt, database, settings, threadPoolSize: threadPoolSize() }, outcomes, comparisons)
  console.log(`\nResults written to ${path}`)
  printFailures(outcomes)
  return outcomes.some((outcome) => outcome.problems.length > 0) ? 1 : 0
}

async function runScenario(scenario: Scenario, pool: ServerPool, settings: LoadSettings, database: BenchDatabase): Promise<Outcome> {
  console.log(`\n▶ ${scenario.title}`)
  if (scenario.requires === 'postgres' && database.kind !== 'postgres') {
    const skipped = 'needs PostgreSQL (DATABASE_URL)'
    console.log(`  skipped: ${skipped}`)
    return { scenario, measurement: undefined, problems: [], skipped }
  }
  const connections = scenario.connections?.(settings) ?? settings.connections
  try {
    const server = await pool.use(scenario.server)
    const reported = server.ready.database
    if (reported !== undefined && reported !== database.kind) throw new Error(`the ${server.name} server runs on ${JSON.stringify(reported)}, expected ${database.kind}`)
    const target = { url: server.url, ready: server.ready }
    await scenario.check(target)
    console.log(`  warm-up ${settings.warmupSeconds} s (discarded)…`)
    const warmup = await scenario.measure(target, { connections, durationSeconds: settings.warmupSeconds })
    console.log(`  measuring ${settings.durationSeconds} s…`)
    const measurement = await scenario.measure(target, { connections, durationSeconds: settings.durationSeconds })
    const problems = [...loadProblems('warm-up', warmup), ...loadProblems('measurement', measurement)]
    for (const problem of problems) console.error(`  !! ${problem}`)
    return { scenario, measurement, problems }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    console.error(`  !! ${message}`)
    return { scenario, measurement: undefined, problems: [message] }
  }
}

function printHeader(settings: LoadSettings, database: BenchDatabase): void {
  const host = machine()
  console.log('Plinth benchmark')
  console.log(`  load:     ${settings.connections} connections (argon2-bound scenarios: ${settings.loginConcurrency}), ${settings.durationSeconds} s per scenario after a ${settings.warmupSeconds} s warm-up`)
  console.log(`  database: ${database.description}`)
  console.log(`  machine:  ${host.cpus} CPUs (${host.cpuModel}), Node ${host.node}, ${host.platform}, libuv thread pool ${threadPoolSize() ?? '4 (default)'}`)
  console.log('  servers run in child processes; load comes from this process')
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
