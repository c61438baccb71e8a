import type { Measurement } from './autocannon.js'
import type { Scenario } from '../scenarios/scenario.js'

/** What happened to one scenario: its measurement when it got that far, and every reason not to trust it. */
export interface Outcome {
  readonly scenario: Scenario
  readonly measurement: Measurement | undefined
  readonly problems: readonly string[]
}

export interface Ratio {
  readonly of: string
  readonly to: string
  /** req/s of `of` divided by req/s of `to`. */
  readonly value: number
}

/** Problems in a load run: any non-2xx answer or connection error makes its numbers meaningless. */
export function loadProblems(phase: string, measurement: Measurement): string[] {
  const problems: string[] = []
  if (measurement.non2xx > 0) {
    const codes = Object.entries(measurement.statusCodes).filter(([code]) => !code.startsWith('2'))
    problems.push(`${phase}: ${measurement.non2xx} non-2xx responses (${codes.map(([code, count]) => `${code}×${count}`).join(', ')})`)
  }
  if (measurement.errors > 0) problems.push(`${phase}: ${measurement.errors} connection errors (${measurement.timeouts} timeouts)`)
  return problems
}

/** Every scenario against the baseline, plus the comparisons scenarios declare; failed scenarios take no part. */
export function ratios(outcomes: readonly Outcome[]): Ratio[] {
  const byKey = new Map(outcomes.map((outcome) => [outcome.scenario.key, outcome]))
  const baseline = outcomes.find((outcome) => outcome.scenario.baseline)
  const result: Ratio[] = []
  const add = (of: Outcome, to: Outcome | undefined): void => {
    if (!clean(of) || !to || !clean(to) || to.measurement.requestsPerSecond === 0) return
    result.push({ of: of.scenario.label, to: to.scenario.label, value: of.measurement.requestsPerSecond / to.measurement.requestsPerSecond })
  }
  for (const outcome of outcomes) if (outcome !== baseline) add(outcome, baseline)
  for (const outcome of outcomes) for (const key of outcome.scenario.compareTo ?? []) add(outcome, byKey.get(key))
  return result
}

function clean(outcome: Outcome): outcome is Outcome & { measurement: Measurement } {
  return outcome.measurement !== undefined && outcome.problems.length === 0
}
