import type { Measurement } from './autocannon.js'
import type { Goal, LatencyComparison, LimitGoal, Outcome, Ratio } from './outcome.js'

const COLUMNS = ['conns', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'] as const
const ALONGSIDE = '  + alongside: '

export function printTable(outcomes: readonly Outcome[]): void {
  const names = outcomes.flatMap(({ scenario, measurement }) => [scenario.title, ...(measurement?.alongside ? [`${ALONGSIDE}${measurement.alongside.label}`] : [])])
  const width = Math.max(8, ...names.map((name) => name.length))
  const row = (name: string, cells: readonly string[]): string => `${name.padEnd(width)}  ${cells.map((cell) => cell.padStart(9)).join('  ')}`
  // Memory scenarios have no rate or latency: their numbers are in the memory block.
  const cellsOf = (m: Measurement): string[] => [
    String(m.connections),
    m.memory ? '—' : m.requestsPerSecond.toFixed(0),
    m.memory ? '—' : m.latencyP50Ms.toFixed(0),
    m.memory ? '—' : m.latencyP99Ms.toFixed(0),
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
export function printGoals(list: readonly Goal[], limits: readonly LimitGoal[] = []): void {
  if (list.length === 0 && limits.length === 0) return
  const rows = [
    ...list.map((goal) => ({
      name: `${goal.of} ≥ ${goal.goal.toFixed(2)}× ${goal.to}`,
      verdict: goal.value === undefined ? `not evaluated (${goal.reason})` : `${formatRatio(goal.value)}  ${goal.met ? 'met' : 'NOT MET'}`,
    })),
    ...limits.map((goal) => ({
      name: `${goal.of} ${goal.what} ${goal.comparison} ${formatLimit(goal.limit, goal.unit)}`,
      verdict: goal.value === undefined ? `not evaluated (${goal.reason})` : `${formatLimit(goal.value, goal.unit)}  ${goal.met ? 'met' : 'NOT MET'}`,
    })),
  ]
  const width = Math.max(...rows.map((row) => row.name.length))
  console.log('\nGoals (req/s ratios, then limits):')
  for (const row of rows) console.log(`  ${row.name.padEnd(width)}  ${row.verdict}`)
}

function formatLimit(value: number, unit: string): string {
  return `${value.toFixed(value < 10 ? 2 : 1)} ${unit}`
}

/**
 * The realtime scenarios' own numbers: per fan-out run what was published and delivered, latency to
 * a tenth of a millisecond, CPU of the server and of the clients (a side near 100 % of a core is the
 * bottleneck); per memory scenario the server's RSS at each phase and per unit.
 */
export function printRealtime(outcomes: readonly Outcome[]): void {
  const fanouts = outcomes.flatMap(({ scenario, measurement }) => (measurement?.fanout ? [{ label: scenario.label, m: measurement, f: measurement.fanout }] : []))
  if (fanouts.length > 0) {
    const head = ['sockets', 'events', 'ev/s', 'deliveries/s', 'p50 ms', 'p99 ms', 'max ms', 'lost', 'dup', 'order', 'closed', 'srv CPU', 'cli CPU']
    const width = Math.max(8, ...fanouts.map(({ label }) => label.length))
    const line = (name: string, cells: readonly string[]): string => `  ${name.padEnd(width)}  ${cells.map((cell) => cell.padStart(8)).join(' ')}`
    const first = fanouts[0]!.f
    console.log(`\nRealtime fan-out (one room; ${first.messageBytes}-byte events; ev/s = events published per second, "max" = as fast as the server can):`)
    console.log(line('', head))
    for (const { label, m, f } of fanouts) {
      console.log(
        line(label, [
          String(f.sockets),
          String(f.events),
          f.mode === 'max' ? `max ${f.publishedPerSecond.toFixed(0)}` : f.publishedPerSecond.toFixed(0),
          m.requestsPerSecond.toFixed(0),
          f.latencyP50Ms.toFixed(1),
          f.latencyP99Ms.toFixed(1),
          f.latencyMaxMs.toFixed(1),
          String(f.lost),
          String(f.duplicated),
          String(f.outOfOrder),
          String(f.closed),
          `${f.serverCpuPercent.toFixed(0)}%`,
          `${f.clientCpuPercent.toFixed(0)}%`,
        ]),
      )
    }
  }
  const memories = outcomes.flatMap(({ scenario, measurement }) => (measurement?.memory ? [{ label: scenario.label, memory: measurement.memory }] : []))
  if (memories.length > 0) {
    const width = Math.max(...memories.flatMap(({ label, memory }) => memory.perUnit.map((p) => `${label}, ${p.label}`.length)))
    const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`
    console.log('\nMemory per unit (server after a full GC; "less free heap": RSS minus empty V8 heap pages, see bench/README.md):')
    console.log(`  ${''.padEnd(width)}  ${['RSS', 'less free heap', 'JS heap'].map((cell) => cell.padStart(14)).join(' ')}   RSS before → after`)
    for (const { label, memory } of memories) {
      const before = memory.phases[0]!
      memory.perUnit.forEach((p, i) => {
        const after = memory.phases[i + 1]!
        const cells = [kib(p.rssBytes), kib(p.rssLessFreeHeapBytes), kib(p.heapUsedBytes)].map((cell) => cell.padStart(14)).join(' ')
        console.log(`  ${`${label}, ${p.label}`.padEnd(width)}  ${cells}   ${mib(before.rssBytes)} → ${mib(after.rssBytes)} (${memory.units} ${memory.unit}s)`)
      })
    }
    for (const { scenario, measurement } of outcomes) {
      const upload = measurement?.upload
      if (upload) console.log(`  ${scenario.label}: ${mib(upload.bytes)} stored in ${upload.seconds.toFixed(2)} s (${upload.mibPerSecond.toFixed(0)} MiB/s)`)
    }
  }
}

/** Batch scenarios: how many cylinders a batch moved and at what rate. */
export function printBatches(outcomes: readonly Outcome[]): void {
  for (const { scenario, measurement } of outcomes) {
    const batch = measurement?.batch
    if (batch) {
      console.log(`\n${scenario.title}: ${batch.batches} batches of ${batch.size}, mean ${batch.meanMs.toFixed(0)} ms, p50 ${measurement.latencyP50Ms.toFixed(0)} ms, p99 ${measurement.latencyP99Ms.toFixed(0)} ms → ${batch.cylindersPerSecond.toFixed(0)} cylinders/s`)
    }
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
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
