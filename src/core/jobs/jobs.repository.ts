/** What pg-boss runs its SQL through (its own pool); we use the same. */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] } | undefined>
}

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed'

/** A job as stored, for inspection (tests, operators, admin tools). */
export interface JobRecord {
  id: string
  name: string
  state: JobState
  payload: unknown
  /** Runs so far (a job waiting for its first run has 0). */
  attempts: number
  maxAttempts: number
  /** The last failure's message, for failed and retried jobs. */
  error: string | undefined
  createdAt: Date
  startAfter: Date
  startedAt: Date | null
  /** When it completed, or was dead-lettered. */
  finishedAt: Date | null
}

interface JobRow {
  id: string
  name: string
  state: JobState
  data: unknown
  retry_count: number
  retry_limit: number
  output: unknown
  created_on: Date
  start_after: Date
  started_on: Date | null
  completed_on: Date | null
}

/** A failed job's completed_on as sortable UTC text with microseconds, for cursors. */
const FAILED_KEY = `to_char(completed_on AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

export interface FailedJobsQuery {
  name?: string
  before?: { at: string; id: string }
  limit: number
}

export interface FailedJobRecord extends JobRecord {
  /** Where this job sits in the failed list's order (see `failed`). */
  failedKey: string
}

const COLUMNS = 'id, name, state, data, retry_count, retry_limit, output, created_on, start_after, started_on, completed_on'

/** The SQL Plinth adds to pg-boss's own, on its tables (`<schema>.job`, and `.archive` for finished jobs kept longer). */
export function createJobsRepository(db: SqlExecutor, schema: string) {
  const rows = async (text: string, values: unknown[]): Promise<JobRecord[]> => ((await db.executeSql(text, values))?.rows ?? []).map((row) => toRecord(row as JobRow))
  return {
    /** The job's next failure is its last: a payload that fails its schema will never pass it. */
    async exhaustRetries(name: string, id: string): Promise<void> {
      await db.executeSql(`UPDATE ${schema}.job SET retry_limit = retry_count WHERE name = $1 AND id = $2`, [name, id])
    },

    async find(name: string, id: string): Promise<JobRecord | undefined> {
      const found = await rows(
        `SELECT ${COLUMNS} FROM ${schema}.job WHERE name = $1 AND id = $2
         UNION ALL SELECT ${COLUMNS} FROM ${schema}.archive WHERE name = $1 AND id = $2`,
        [name, id],
      )
      return found[0]
    },

    /**
     * Dead letters still in the job table (a week, then archived), most recently failed first, keyset
     * on (completed_on, id). `before.at` is the text `failedKey` gave: microseconds, which a Date loses.
     */
    async failed(query: FailedJobsQuery): Promise<FailedJobRecord[]> {
      const result = await db.executeSql(
        `SELECT ${COLUMNS}, ${FAILED_KEY} AS failed_key FROM ${schema}.job
         WHERE state = 'failed' AND ($1::text IS NULL OR name = $1::text)
           AND ($2::timestamptz IS NULL OR (completed_on, id) < ($2::timestamptz, $3::uuid))
         ORDER BY completed_on DESC, id DESC LIMIT $4`,
        [query.name ?? null, query.before?.at ?? null, query.before?.id ?? null, query.limit],
      )
      return (result?.rows ?? []).map((row) => ({ ...toRecord(row as JobRow), failedKey: (row as { failed_key: string }).failed_key }))
    },

    /**
     * Deletes the job if it is dead-lettered. pg-boss's deleteJob takes a job in any state (a running
     * one too, whose worker would then complete nothing): discarding is for dead letters only.
     */
    async discardFailed(name: string, id: string): Promise<boolean> {
      const result = await db.executeSql(`DELETE FROM ${schema}.job WHERE name = $1 AND id = $2 AND state = 'failed' RETURNING id`, [name, id])
      return (result?.rows.length ?? 0) > 0
    },

    /** Newest first, archived jobs included. */
    list(name: string, state: JobState | undefined, limit: number): Promise<JobRecord[]> {
      const where = 'name = $1 AND ($3::text IS NULL OR state::text = $3::text)'
      return rows(
        `SELECT * FROM (
           SELECT ${COLUMNS} FROM ${schema}.job WHERE ${where}
           UNION ALL SELECT ${COLUMNS} FROM ${schema}.archive WHERE ${where}
         ) jobs ORDER BY created_on DESC, id DESC LIMIT $2`,
        [name, limit, state ?? null],
      )
    },
  }
}

export type JobsRepository = ReturnType<typeof createJobsRepository>

function toRecord(row: JobRow): JobRecord {
  const started = row.started_on !== null
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    payload: row.data,
    attempts: started ? Number(row.retry_count) + 1 : Number(row.retry_count),
    maxAttempts: Number(row.retry_limit) + 1,
    error: errorMessage(row.output),
    createdAt: new Date(row.created_on),
    startAfter: new Date(row.start_after),
    startedAt: started ? new Date(row.started_on!) : null,
    finishedAt: row.completed_on === null ? null : new Date(row.completed_on),
  }
}

/** pg-boss stores a thrown error serialized (`{ message, stack }`) and a string as `{ value }`. */
function errorMessage(output: unknown): string | undefined {
  if (!output || typeof output !== 'object') return undefined
  const { message, value } = output as { message?: unknown; value?: unknown }
  if (typeof message === 'string') return message
  if (typeof value === 'string') return value
  if (value && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') return (value as { message: string }).message
  return undefined
}
