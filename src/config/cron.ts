/**
 * Checks a 5-field cron expression (minute hour day-of-month month day-of-week, as the job queue runs
 * them) and says what is wrong with it, or returns undefined when it is valid. Stricter than the job
 * queue's parser, so whatever passes here is scheduled as written.
 */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/)
  if (fields.length !== 5) return `it has ${fields.length} field${fields.length === 1 ? '' : 's'}, not 5`
  for (const [i, field] of fields.entries()) {
    const problem = fieldProblem(field, FIELDS[i]!)
    if (problem) return `the ${FIELDS[i]!.name} field "${field}" ${problem}`
  }
  return undefined
}

interface FieldRule {
  readonly name: string
  readonly min: number
  readonly max: number
  readonly names?: readonly string[]
}

const FIELDS: readonly FieldRule[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  // 0 and 7 are both Sunday.
  { name: 'day-of-week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
]

function fieldProblem(field: string, rule: FieldRule): string | undefined {
  for (const part of field.split(',')) {
    const match = /^(\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:\/([0-9]+))?$/i.exec(part)
    if (!match) return 'is not a value, range, list or step'
    const [, range, step] = match
    if (step !== undefined && Number(step) < 1) return 'has a step below 1'
    if (range === '*') continue
    const [from, to] = range!.split('-').map((value) => valueOf(value, rule))
    if (from === undefined || (range!.includes('-') && to === undefined)) return `allows only ${rule.min}–${rule.max}${rule.names ? ` or ${rule.names[0]}–${rule.names.at(-1)}` : ''}`
    if (to !== undefined && to < from) return 'has a range that runs backwards'
  }
  return undefined
}

function valueOf(text: string, rule: FieldRule): number | undefined {
  const named = rule.names?.indexOf(text.toLowerCase()) ?? -1
  if (named >= 0) return rule.name === 'month' ? named + 1 : named
  if (!/^[0-9]+$/.test(text)) return undefined
  const value = Number(text)
  return value >= rule.min && value <= rule.max ? value : undefined
}
