/** One Ajv error, as Fastify hands them over in `error.validation`. */
export interface ValidationIssue {
  keyword?: string
  instancePath: string
  schemaPath?: string
  message?: string
  params: Record<string, unknown>
}

/**
 * `{ "email": "must match format \"email\"", "qrCodes.3": "must NOT have more than 64 characters",
 * "query.limit": "must be <= 200" }`: each refused value under the name of the field the client
 * sent (nested fields and array items dotted), once. A value matching no branch of a union
 * (`anyOf`/`oneOf`) is named once with what it may be ("must be number or null"); when one
 * branch fits it but for some fields, those fields are named instead.
 */
export function fieldErrors(issues: readonly ValidationIssue[], context: string | undefined): Record<string, string> {
  const prefix = context && context !== 'body' ? `${context === 'querystring' ? 'query' : context}.` : ''
  const root = context === 'body' ? 'body' : 'value'
  const details: Record<string, string> = {}
  for (const { path, message } of collapseUnions(issues)) {
    const field = prefix + (path.join('.') || root)
    details[field] ??= message
  }
  return details
}

interface Reported {
  path: string[]
  message: string
}

const isUnion = (issue: ValidationIssue) => issue.keyword === 'anyOf' || issue.keyword === 'oneOf'
const within = (path: string, base: string) => path === base || path.startsWith(`${base}/`)

/**
 * Replaces each failed union's errors with what one would say. Ajv reports a union's branches just
 * before the union itself, all at or below its path; read from the end, outer unions come first.
 */
function collapseUnions(issues: readonly ValidationIssue[]): Reported[] {
  const reported: Reported[][] = []
  let i = issues.length - 1
  while (i >= 0) {
    const issue = issues[i]!
    if (!isUnion(issue)) {
      reported.unshift([describe(issue)])
      i -= 1
      continue
    }
    let start = i
    while (start > 0 && within(issues[start - 1]!.instancePath, issue.instancePath)) start -= 1
    reported.unshift(describeUnion(issue, issues.slice(start, i)))
    i = start - 1
  }
  return reported.flat()
}

function describeUnion(union: ValidationIssue, members: ValidationIssue[]): Reported[] {
  const path = pathOf(union)
  const branches = branchesOf(union, members)
  // oneOf matched by several branches reports no branch errors.
  if (branches.length === 0) return [{ path, message: union.message ?? 'is invalid' }]
  const shapeRefused = (errors: ValidationIssue[]) =>
    errors.some((e) => e.instancePath === union.instancePath && (e.keyword === 'type' || e.keyword === 'const' || e.keyword === 'enum'))
  const fitting = branches.filter((errors) => !shapeRefused(errors)).map(collapseUnions)
  const fewest = Math.min(...fitting.map((errors) => errors.length))
  const closest = fitting.filter((errors) => errors.length === fewest)
  // One branch fits the value's type and comes closest (a number out of range, an object with one
  // wrong field): its errors.
  if (closest.length === 1) return closest[0]!
  if (fitting.length > 0) return [{ path, message: 'matches none of the allowed forms' }]
  return [{ path, message: `must be ${orList(branches.flatMap(alternatives))}` }]
}

/**
 * The union's errors by branch: by the branch index in their schema path, or, for a branch that is a
 * `$ref` (its errors' paths start at the referenced schema), by run of consecutive errors.
 */
function branchesOf(union: ValidationIssue, members: ValidationIssue[]): ValidationIssue[][] {
  const base = `${union.schemaPath ?? ''}/`
  const branches: ValidationIssue[][] = []
  const byIndex = new Map<string, ValidationIssue[]>()
  let run: { root: string; errors: ValidationIssue[] } | undefined
  for (const issue of members) {
    const schemaPath = issue.schemaPath ?? ''
    if (union.schemaPath !== undefined && schemaPath.startsWith(base)) {
      const index = schemaPath.slice(base.length).split('/', 1)[0]!
      if (!byIndex.has(index)) {
        byIndex.set(index, [])
        branches.push(byIndex.get(index)!)
      }
      byIndex.get(index)!.push(issue)
      run = undefined
      continue
    }
    const root = schemaPath.split('/', 1)[0]!
    if (run?.root !== root) {
      run = { root, errors: [] }
      branches.push(run.errors)
    }
    run.errors.push(issue)
  }
  return branches
}

/** What a branch refused at the union's own path asked for: its constant(s), else its type. */
function alternatives(errors: ValidationIssue[]): string[] {
  const values = errors.flatMap((e) => (e.keyword === 'const' ? [JSON.stringify(e.params.allowedValue)] : e.keyword === 'enum' ? allowed(e).map((v) => JSON.stringify(v)) : []))
  if (values.length > 0) return values
  return errors.flatMap((e) => (e.keyword === 'type' ? typesOf(e) : []))
}

function describe(issue: ValidationIssue): Reported {
  const path = pathOf(issue)
  if (typeof issue.params.missingProperty === 'string') return { path: [...path, issue.params.missingProperty], message: 'is required' }
  if (typeof issue.params.additionalProperty === 'string') return { path: [...path, issue.params.additionalProperty], message: 'is not allowed' }
  if (issue.keyword === 'type') return { path, message: `must be ${orList(typesOf(issue))}` }
  if (issue.keyword === 'enum') return { path, message: `must be ${orList(allowed(issue).map((v) => JSON.stringify(v)))}` }
  if (issue.keyword === 'const') return { path, message: `must be ${JSON.stringify(issue.params.allowedValue)}` }
  return { path, message: issue.message ?? 'is invalid' }
}

/** A JSON Pointer's segments, unescaped (`/a~1b` is the key `a/b`). */
function pathOf(issue: ValidationIssue): string[] {
  return issue.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
}

const typesOf = (issue: ValidationIssue): string[] => (Array.isArray(issue.params.type) ? issue.params.type.map(String) : [String(issue.params.type)])
const allowed = (issue: ValidationIssue): unknown[] => (Array.isArray(issue.params.allowedValues) ? issue.params.allowedValues : [])

function orList(items: string[]): string {
  const unique = [...new Set(items)]
  return unique.length <= 1 ? (unique[0] ?? 'valid') : `${unique.slice(0, -1).join(', ')} or ${unique.at(-1)}`
}
