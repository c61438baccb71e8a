/**
 * What a logged error may say. Drizzle puts a failed query's bound values in its message
 * ("Failed query: … params: …"); the drivers add them as properties (`params`, `parameters`,
 * `args`), and PostgreSQL's `detail` quotes row values ("Key (email)=(…) already exists"). Those can
 * be password hashes, e-mailed links or tokens, so an error is logged as a fixed set of fields:
 * its type, its message and stack without the values, SQLSTATE and constraint/table/column, a few
 * system-call fields, and its causes the same way. Nothing else an error carries reaches the log.
 */
export interface SerializedError {
  type: string
  message: string
  stack: string
  code?: string | number
  constraint?: string
  table?: string
  column?: string
  schema?: string
  [field: string]: unknown
}

/** Plain fields that describe a failure without carrying data: kept when they are strings or numbers. */
const SAFE_FIELDS = ['code', 'errno', 'syscall', 'address', 'port', 'status', 'statusCode', 'severity'] as const
/** PostgreSQL's error fields as node-postgres (pg-boss) names them, and as postgres.js does. */
const PG_FIELDS = [
  ['constraint', 'constraint_name'],
  ['table', 'table_name'],
  ['column', 'column_name'],
  ['schema', 'schema_name'],
] as const
const SQLSTATE = /^[0-9A-Z]{5}$/
const MAX_DEPTH = 4
const MAX_ERRORS = 5

export function serializeError(value: unknown): SerializedError {
  const out = serialize(value, 0)
  // Drizzle's error wraps the driver's: its SQLSTATE and constraint are lifted to the top.
  if (out.code === undefined) {
    let cause = out.cause as SerializedError | undefined
    while (cause && !(typeof cause.code === 'string' && SQLSTATE.test(cause.code))) cause = cause.cause as SerializedError | undefined
    if (cause) for (const field of ['code', 'constraint', 'table', 'column', 'schema'] as const) if (cause[field] !== undefined) (out as Record<string, unknown>)[field] = cause[field]
  }
  return out
}

/**
 * The error for a terminal (the CLI and the server's start-up failure): the serialized stack, then
 * each cause's, with the same values left out.
 */
export function describeError(value: unknown): string {
  const lines: string[] = []
  for (let current: SerializedError | undefined = serializeError(value); current; current = current.cause as SerializedError | undefined) {
    const extra = [current.code && `code ${current.code}`, current.constraint && `constraint ${current.constraint}`, current.table && `table ${current.table}`]
    const fields = extra.filter(Boolean).join(', ')
    lines.push(`${lines.length > 0 ? 'Caused by: ' : ''}${current.stack}${fields ? `\n    (${fields})` : ''}`)
  }
  return lines.join('\n')
}

function serialize(value: unknown, depth: number): SerializedError {
  if (value === null || typeof value !== 'object') return { type: typeof value, message: String(value), stack: String(value) }
  const error = value as Record<string, unknown>
  const database = typeof error.code === 'string' && SQLSTATE.test(error.code)
  const type = typeName(error, database)
  const raw = typeof error.message === 'string' ? error.message : ''
  const message = cleanMessage(raw, database)
  const stack = `${type}: ${message}${typeof error.stack === 'string' ? frames(error.stack, raw) : ''}`
  const out: SerializedError = { type, message, stack }
  for (const field of SAFE_FIELDS) {
    const inner = error[field]
    if (typeof inner === 'string' || typeof inner === 'number') out[field] = inner
  }
  for (const [name, alias] of PG_FIELDS) {
    const inner = error[name] ?? error[alias]
    if (typeof inner === 'string') out[name] = inner
  }
  // ioredis: which command failed, never its arguments.
  const command = error.command as { name?: unknown } | undefined
  if (command && typeof command === 'object' && typeof command.name === 'string') out.command = command.name
  if (depth < MAX_DEPTH) {
    if (error.cause !== undefined) out.cause = serialize(error.cause, depth + 1)
    if (Array.isArray(error.errors)) out.errors = error.errors.slice(0, MAX_ERRORS).map((inner: unknown) => serialize(inner, depth + 1))
  }
  return out
}

function typeName(error: Record<string, unknown>, database: boolean): string {
  const name = typeof error.name === 'string' ? error.name : ''
  // node-postgres's errors (pg-boss) are named "error", after the protocol message.
  if (database && (name === '' || name === 'error')) return 'DatabaseError'
  if (name && name !== 'Error') return name
  const constructorName = (error.constructor as { name?: unknown } | undefined)?.name
  return typeof constructorName === 'string' && constructorName ? constructorName : 'Error'
}

/** "Failed query: <sql>\nparams: <values>" loses its values; PostgreSQL's `…: "<value>"` endings lose theirs. */
function cleanMessage(raw: string, database: boolean): string {
  let message = raw
  const params = message.indexOf('\nparams:')
  if (message.startsWith('Failed query:') && params >= 0) message = message.slice(0, params)
  if (database) message = message.replace(/: ".*"$/s, ': "[REDACTED]"')
  return message
}

const FRAME = /^\s+at .*(?::\d+:\d+\)?|\((?:native|<anonymous>)\))$/

/**
 * The stack's frames, without its header: V8 repeats the raw message there, values and all. The
 * header is cut where the message ends; when the message changed after the stack was taken, only
 * the trailing lines shaped like frames are kept (a value cannot hide among them).
 */
function frames(stack: string, rawMessage: string): string {
  const end = rawMessage ? stack.indexOf(rawMessage) : -1
  if (end >= 0 && end < 200 && !stack.slice(0, end).includes('\n')) {
    const rest = stack.slice(end + rawMessage.length)
    if (rest === '' || rest.startsWith('\n')) return rest
  }
  const lines = stack.split('\n')
  let first = lines.length
  while (first > 1 && FRAME.test(lines[first - 1]!)) first--
  return first < lines.length ? `\n${lines.slice(first).join('\n')}` : ''
}
