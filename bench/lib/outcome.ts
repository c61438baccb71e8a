import type { Measurement } from './autocannon.js'
import type { Scenario } from '../scenarios/scenario.js'

/** What happened to one scenario: its measurement when it got that far, and every reason not to trust it. */
export interface Outcome {
  readonly scenario: Scenario
  readonly measurement: Measurement | undefined
  readonly problems: readonly string[]
  /** Why the scenario did not run at all (e.g. it needs Redis); not a failure. */
  readonly skipped?: string
}

export interface Ratio {
  readonly of: string
  readonly to: string
  /** req/s of `of` divided by req/s of `to`. */
  readonly value: number
}

/** A ratio a scenario must reach; `value` is undefined when either side has no clean measurement. */
export interface Goal {
  readonly of: string
  readonly to: string
  readonly goal: number
  readonly value: number | undefined
  readonly met: boolean | undefined
  /** Why it was not evaluated. */
  readonly reason?: string
}

/** An absolute goal of one scenario (`Scenario.limits`); `value` is undefined when it has no clean measurement. */
export interface LimitGoal {
  readonly of: string
  readonly what: string
  readonly comparison: '<' | '≤'
  readonly limit: number
  readonly unit: string
  readonly value: number | undefined
  readonly met: boolean | undefined
  readonly reason?: string
}

/** Two scenarios' latency percentiles side by side (ms). */
export interface LatencyComparison {
  readonly of: string
  readonly to: string
  readonly ofP50Ms: number
  readonly ofP99Ms: number
  readonly toP50Ms: number
  readonly toP99Ms: number
}

/** Problems in a load run: any non-2xx answer or connection error makes its numbers meaningless. */
export function loadProblems(phase: string, measurement: Measurement): string[] {
  const problems: string[] = []
  if (measurement.non2xx > 0) {
    const codes = Object.entries(measurement.statusCodes).filter(([code]) => !code.startsWith('2'))
    problems.push(`${phase}: ${measurement.non2xx} non-2xx responses (${codes.map(([code, count]) => `${code}×${count}`).join(', ')})`)
  }
  // A fan-out's errors (closed sockets, unexpected messages) are spelled out below.
  if (measurement.errors > 0 && !measurement.fanout) problems.push(`${phase}: ${measurement.errors} connection errors (${measurement.timeouts} timeouts)`)
  if (measurement.totalRequests === 0) problems.push(`${phase}: no request completed`)
  const { fanout } = measurement
  if (fanout) {
    // Every socket must get every event exactly once, in order: otherwise deliveries/s counts the wrong thing.
    const broken = [
      [fanout.lost, 'lost'],
      [fanout.duplicated, 'duplicated'],
      [fanout.outOfOrder, 'out of order'],
    ].filter(([count]) => (count as number) > 0)
    if (broken.length > 0) problems.push(`${phase}: events ${broken.map(([count, what]) => `${what as string} ×${count as number}`).join(', ')} (of ${fanout.expectedDeliveries} deliveries)`)
    if (fanout.closed > 0 || fanout.unexpected > 0) {
      problems.push(`${phase}: ${fanout.closed} sockets closed, ${fanout.unexpected} unexpected messages${fanout.failures.length > 0 ? ` (${fanout.failures.join('; ')})` : ''}`)
    }
  }
  const { alongside } = measurement
  if (alongside) problems.push(...loadProblems(`${phase}, ${alongside.label} alongside`, alongside.measurement))
  return problems
}

/** Every scenario against the baseline (unless it opts out), plus the comparisons scenarios declare; failed scenarios take no part. */
export function ratios(outcomes: readonly Outcome[]): Ratio[] {
  const byKey = keyed(outcomes)
  const baseline = outcomes.find((outcome) => outcome.scenario.baseline)
  const result: Ratio[] = []
  const add = (of: Outcome, to: Outcome | undefined): void => {
    const value = ratio(of, to)
    if (value !== undefined) result.push({ of: of.scenario.label, to: to!.scenario.label, value })
  }
  for (const outcome of outcomes) if (outcome !== baseline && outcome.scenario.againstBaseline !== false) add(outcome, baseline)
  for (const outcome of outcomes) for (const comparison of outcome.scenario.compareTo ?? []) add(outcome, byKey.get(comparisonKey(comparison)))
  return result
}

/** Every declared goal, met or not, or why it could not be evaluated. */
export function goals(outcomes: readonly Outcome[]): Goal[] {
  const byKey = keyed(outcomes)
  const result: Goal[] = []
  for (const of of outcomes) {
    for (const comparison of of.scenario.compareTo ?? []) {
      if (typeof comparison === 'string' || comparison.goal === undefined) continue
      const to = byKey.get(comparison.key)
      const base = { of: of.scenario.label, to: to?.scenario.label ?? comparison.key, goal: comparison.goal }
      const value = ratio(of, to)
      if (value !== undefined) result.push({ ...base, value, met: value >= comparison.goal })
      else result.push({ ...base, value: undefined, met: undefined, reason: [notEvaluated(of), notEvaluated(to)].filter(Boolean).join('; ') })
    }
  }
  return result
}

/** Every declared limit (`Scenario.limits`), met or not, or why it could not be evaluated. */
export function limitGoals(outcomes: readonly Outcome[]): LimitGoal[] {
  return outcomes.flatMap((outcome) =>
    (outcome.scenario.limits ?? []).map((limit): LimitGoal => {
      const base = { of: outcome.scenario.label, what: limit.what, comparison: limit.comparison, limit: limit.limit, unit: limit.unit }
      const value = clean(outcome) ? limit.value(outcome.measurement) : undefined
      if (value === undefined) return { ...base, value: undefined, met: undefined, reason: notEvaluated(outcome) ?? 'not measured' }
      return { ...base, value, met: limit.comparison === '<' ? value < limit.limit : value <= limit.limit }
    }),
  )
}

/** The p50/p99 comparisons scenarios declare (`latencyComparedTo`); failed scenarios take no part. */
export function latencyComparisons(outcomes: readonly Outcome[]): LatencyComparison[] {
  const byKey = keyed(outcomes)
  const result: LatencyComparison[] = []
  for (const of of outcomes) {
    for (const key of of.scenario.latencyComparedTo ?? []) {
      const to = byKey.get(key)
      if (!clean(of) || !to || !clean(to)) continue
      result.push({
        of: of.scenario.label,
        to: to.scenario.label,
        ofP50Ms: of.measurement.latencyP50Ms,
        ofP99Ms: of.measurement.latencyP99Ms,
        toP50Ms: to.measurement.latencyP50Ms,
        toP99Ms: to.measurement.latencyP99Ms,
      })
    }
  }
  return result
}

function ratio(of: Outcome, to: Outcome | undefined): number | undefined {
  if (!clean(of) || !to || !clean(to) || to.measurement.requestsPerSecond === 0) return undefined
  return of.measurement.requestsPerSecond / to.measurement.requestsPerSecond
}

function notEvaluated(outcome: Outcome | undefined): string | undefined {
  if (!outcome) return 'a scenario it names is not in the list'
  if (outcome.skipped) return `${outcome.scenario.label} skipped: ${outcome.skipped}`
  if (!clean(outcome)) return `${outcome.scenario.label} failed`
  return undefined
}

function keyed(outcomes: readonly Outcome[]): Map<string, Outcome> {
  return new Map(outcomes.map((outcome) => [outcome.scenario.key, outcome]))
}

function comparisonKey(comparison: string | { readonly key: string }): string {
  return typeof comparison === 'string' ? comparison : comparison.key
}

function clean(outcome: Outcome): outcome is Outcome & { measurement: Measurement } {
  return outcome.measurement !== undefined && outcome.problems.length === 0
}
