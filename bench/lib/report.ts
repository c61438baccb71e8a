import type { Outcome, Ratio } from './outcome.js'

const COLUMNS = ['req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'] as const

export function printTable(outcomes: readonly Outcome[]): void {
  const width = Math.max(8, ...outcomes.map((outcome) => outcome.scenario.title.length))
  const row = (name: string, cells: readonly string[]): string => `${name.padEnd(width)}  ${cells.map((cell) => cell.padStart(9)).join('  ')}`
  console.log(row('scenario', COLUMNS))
  console.log('-'.repeat(width + COLUMNS.length * 11))
  for (const { scenario, measurement: m, problems } of outcomes) {
    const cells = m
      ? [m.requestsPerSecond.toFixed(0), m.latencyP50Ms.toFixed(0), m.latencyP99Ms.toFixed(0), String(m.non2xx), String(m.errors)]
      : COLUMNS.map(() => '—')
    console.log(`${row(scenario.title, cells)}${problems.length > 0 ? '  << FAILED' : ''}`)
  }
}

export function printRatios(list: readonly Ratio[]): void {
  if (list.length === 0) return
  const width = Math.max(...list.map((ratio) => ratio.of.length))
  console.log('\nThroughput ratios (req/s):')
  for (const ratio of list) console.log(`  ${ratio.of.padEnd(width)} = ${formatRatio(ratio.value)}× ${ratio.to}`)
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
