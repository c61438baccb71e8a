import Type from 'typebox'
import { Page, PaginationQuery, Timestamp } from '../http/schemas.js'
import { MAX_JOB_ERROR_LENGTH } from './jobs-admin.service.js'

/** Job names are `<owner>.<job>` (src/core/jobs/definition.ts); a queue is named after its job. */
const QueueName = Type.String({ minLength: 3, maxLength: 100, pattern: '^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)+$', description: 'The queue, named after its job: `<owner>.<job>`, e.g. `email.send`' })
const JobId = Type.String({ format: 'uuid', maxLength: 36, description: 'The job id pg-boss gave it' })
const Count = (description: string) => Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description })
const Attempts = (description: string) => Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, description })

const counts = {
  queued: Count('Waiting to run: new, delayed and waiting for a retry'),
  retrying: Count('Of `queued`, those waiting for a retry after a failed attempt'),
  active: Count('Running now'),
  failed: Count('Dead letters: failed on their last attempt, kept a week in the queue before they are archived'),
}

const QueueSummary = Type.Object({ name: QueueName, ...counts }, { title: 'JobQueueSummary' })

export const QueuesOverview = Type.Object(
  {
    queues: Type.Array(QueueSummary, { maxItems: 1000, description: 'Every queue, by name' }),
    totals: Type.Object(counts, { description: 'The same counts over every queue' }),
  },
  { title: 'JobQueues', description: 'How many jobs each queue holds, by state' },
)

const FailedJob = Type.Object(
  {
    id: JobId,
    queue: QueueName,
    attempts: Attempts('Runs it had'),
    maxAttempts: Attempts('Runs it was allowed'),
    error: Type.Union([Type.String({ maxLength: MAX_JOB_ERROR_LENGTH }), Type.Null()], {
      description: 'The last attempt’s error message (no stack, no payload; secret link parameters masked); null when none was recorded',
    }),
    createdAt: Timestamp,
    failedAt: Timestamp,
  },
  { title: 'FailedJob' },
)

export const FailedJobPage = Page(FailedJob, 'FailedJobPage', 'A page of dead letters, most recently failed first, and the cursor of the next')

export const FailedJobsQuery = Type.Object({ ...PaginationQuery, queue: Type.Optional(QueueName) }, { additionalProperties: false })

export const JobParams = Type.Object({ queue: QueueName, id: JobId }, { additionalProperties: false })

export const JobStatus = Type.Object(
  {
    id: JobId,
    queue: QueueName,
    state: Type.Enum(['created', 'retry', 'active', 'completed', 'cancelled', 'failed'], { description: 'Its state now: `retry` until a worker takes it (then `active`, and `completed` or `failed` again)' }),
    attempts: Attempts('Runs so far'),
    maxAttempts: Attempts('Runs it is now allowed (one more than before the retry)'),
  },
  { title: 'RetriedJob', description: 'The job, given one more attempt' },
)
