import type { Measurement } from './autocannon.js'
import type { Goal, LatencyComparison, Outcome, Ratio } from './outcome.js'

const COLUMNS = ['conns', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'] as const
const ALONGSIDE = '  + alongside: '

export function printTable(outcomes: readonly Outcome[]): void {
  const names = outcomes.flatMap(({ scenario, measurement }) => [scenario.title, ...(measurement?.alongside ? [`${ALONGSIDE}${measurement.alongside.label}`] : [])])
  const width = Math.max(8, ...names.map((name) => name.length))
  const row = (name: string, cells: readonly string[]): string => `${name.padEnd(width)}  ${cells.map((cell) => cell.padStart(9)).join('  ')}`
  const cellsOf = (m: Measurement): string[] => [
    String(m.connections),
    m.requestsPerSecond.toFixed(0),
    m.latencyP50Ms.toFixed(0),
    m.latencyP99Ms.toFixed(0),
    String(m.non2xx),
    String(m.errors),
  ]
  console.log(row('scenario', COLUMNS))
  console.log('-'.repeat(width + COLUMNS.length * 11))
  for (const { scenario, measurement: m, problems, skipped } of outcomes) {
    const mark = skipped ? `  (skipped: ${skipped})` : problems.length > 0 ? '  << FAILED' : ''
    console.log(`${row(scenario.title, m ? cellsOf(m) : COLUMNS.map(() => '—'))}${mark}`)
    if (m?.alongside) console.log(row(`${ALONGSIDE}${m.alongside.label}`, cellsOf(m.alongside.measurement)))
  }
}

export function printRatios(list: readonly Ratio[]): void {
  if (list.length === 0) return
  const width = Math.max(...list.map((ratio) => ratio.of.length))
  console.log('\nThroughput ratios (req/s):')
  for (const ratio of list) console.log(`  ${ratio.of.padEnd(width)} = ${formatRatio(ratio.value)}× ${ratio.to}`)
}

/** Goals are targets, not validity: one not met is reported, it does not fail the run. */
export function printGoals(list: readonly Goal[]): void {
  if (list.length === 0) return
  const names = list.map((goal) => `${goal.of} ≥ ${goal.goal.toFixed(2)}× ${goal.to}`)
  const width = Math.max(...names.map((name) => name.length))
  console.log('\nGoals (req/s ratios):')
  list.forEach((goal, i) => {
    const verdict = goal.value === undefined ? `not evaluated (${goal.reason})` : `${formatRatio(goal.value)}  ${goal.met ? 'met' : 'NOT MET'}`
    console.log(`  ${names[i]!.padEnd(width)}  ${verdict}`)
  })
}

export function printLatencies(list: readonly LatencyComparison[]): void {
  if (list.length === 0) return
  const width = Math.max(...list.map((entry) => entry.of.length))
  const toWidth = Math.max(...list.map((entry) => entry.to.length))
  console.log('\nLatency (p50 / p99 ms):')
  for (const entry of list) {
    const of = `${entry.ofP50Ms.toFixed(0)} / ${entry.ofP99Ms.toFixed(0)}`
    const to = `${entry.toP50Ms.toFixed(0)} / ${entry.toP99Ms.toFixed(0)}`
    console.log(`  ${entry.of.padEnd(width)}  ${of.padStart(11)}   vs  ${entry.to.padEnd(toWidth)}  ${to.padStart(11)}`)
  }
}

/** Two decimals, or two significant digits below 0.1 so that small ratios stay comparable. */
function formatRatio(value: number): string {
  return value >= 0.1 ? value.toFixed(2) : value.toPrecision(2)
}

/** Impossible to miss: a benchmark of error responses must never pass for a result. */
export function printFailures(outcomes: readonly Outcome[]): void {
  const failed = outcomes.filter((outcome) => outcome.problems.length > 0)
  if (failed.length === 0) return
  const bar = '!'.repeat(78)
  console.error(`\n${bar}`)
  console.error('!! BENCHMARK INVALID: these scenarios did not get clean 2xx answers.')
  console.error('!! Their numbers measure failures, not the route. Fix them before comparing.')
  for (const { scenario, problems } of failed) {
    console.error(`!!`)
    console.error(`!! ${scenario.title}`)
    // Only the first line: multi-line details (a server's stderr) were printed when they happened.
    for (const problem of problems) console.error(`!!   ${problem.split('\n')[0]}${problem.includes('\n') ? ' (details above)' : ''}`)
  }
  console.error(bar)
}
