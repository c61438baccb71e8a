import type { FastifyBaseLogger } from 'fastify'
import PgBoss from 'pg-boss'
import type { Static, TSchema } from 'typebox'
import type { Database } from '../db/client.js'
import { retryOnDeadlock } from '../db/pg-errors.js'
import { DatabaseUnavailableError, isConnectionFailure } from '../db/unavailable.js'
import { serializeError } from '../observability/log-errors.js'
import { JOB_DEFAULTS, JobCatalog, JobPayloadError, jobName, type JobDefinition, type JobQueue, type JobType, type RegisteredJob, type SendOptions } from './definition.js'
import { createJobsRepository, type FailedJobRecord, type FailedJobsQuery, type JobRecord, type JobState, type JobsRepository, type SqlExecutor } from './jobs.repository.js'

export interface JobsSettings {
  /** Run workers, cron and maintenance in this process; false: it only sends (an API-only process). */
  readonly workers: boolean
  /** Runs at once of each job, per process (a definition may say otherwise). */
  readonly concurrency: number
  /** How often idle workers look for jobs: delayed ones, retries, and those sent by other processes. */
  readonly pollIntervalMs: number
  /** PostgreSQL schema of the queue's tables. */
  readonly schema: string
}

export interface JobsOptions extends JobsSettings {
  readonly database: Database
  /** How long pg-boss may take to open a connection (DATABASE_CONNECT_TIMEOUT_MS; pg waits forever by default). */
  readonly connectTimeoutMs?: number
  /**
   * PostgreSQL `statement_timeout` of pg-boss's connections (DATABASE_STATEMENT_TIMEOUT_MS; 0: the
   * server's default). A query unanswered for this plus `waitTimeoutMs` (a frozen server) is given up
   * by the client, so a request that sends a job never waits without bound.
   */
  readonly statementTimeoutMs?: number
  /** DATABASE_WAIT_TIMEOUT_MS: the client's margin past `statementTimeoutMs`. */
  readonly waitTimeoutMs?: number
  readonly log: FastifyBaseLogger
  /** How often cron schedules are evaluated, in seconds (default 30; tests use 1). */
  readonly cronCheckSeconds?: number
}

export interface StopOptions {
  /** Wait for running jobs (default true); false fails them at once, to be retried. */
  readonly graceful?: boolean
  /** How long to wait; jobs still running then are failed (retried if they have attempts left). Default 30 s. */
  readonly timeoutMs?: number
}

/** A transaction's connection for the queue's SQL (`sqlExecutor(tx)` from src/core/db, through a repository). */
export type JobConnection = NonNullable<SendOptions['db']>

/** One queue's jobs by state, as pg-boss counts them in its job table (finished jobs are archived later). */
export interface QueueSummary {
  name: string
  /** Waiting to run: new, delayed (`startAfter`) and waiting for a retry. */
  queued: number
  /** Of `queued`, those waiting for a retry after a failed attempt. */
  retrying: number
  active: number
  /** Dead letters: failed on their last attempt, kept a week before they are archived. */
  failed: number
}

export interface ScheduleRecord {
  name: string
  cron: string
  timezone: string
  payload: unknown
}

/** The platform's job queue: define, start, send, inspect, stop. */
export interface Jobs extends JobQueue {
  /** Creates the queues, syncs cron schedules with the definitions and, with workers, starts working. */
  start(): Promise<void>
  /** Stops fetching and waits for running jobs (graceful), then releases the queue's connections. */
  stop(options?: StopOptions): Promise<void>
  find(name: string, id: string): Promise<JobRecord | undefined>
  /** Jobs of one name, newest first (default 50). */
  list(name: string, options?: { state?: JobState; limit?: number }): Promise<JobRecord[]>
  /** Jobs that used up their attempts: the dead letters, kept for inspection (see docs/architecture.md). */
  deadLetters(name: string, limit?: number): Promise<JobRecord[]>
  /**
   * Gives a dead-lettered job one more attempt; false when it is not (or no longer) dead-lettered.
   * With `db` (a transaction's executor, as for `send`) it commits with that transaction and waits
   * for the workers' next poll, or for `wake` after the commit.
   */
  retry(name: string, id: string, options?: { db?: JobConnection }): Promise<boolean>
  /** Deletes a dead-lettered job (the operator gave up on it); false when it is not (or no longer) dead-lettered. `db` as for `retry`. */
  discard(name: string, id: string, options?: { db?: JobConnection }): Promise<boolean>
  /** An idle worker of this process looks for `name`'s jobs now (after a transaction that made some runnable committed). */
  wake(name: string): void
  /** Every queue with how many of its jobs wait, run and are dead-lettered, by name. */
  queues(): Promise<QueueSummary[]>
  /** Dead letters still in the job table, most recently failed first (keyset: pass the last one's `failedKey` and id). */
  failed(query: FailedJobsQuery): Promise<FailedJobRecord[]>
  schedules(): Promise<ScheduleRecord[]>
  /** Calls `listener` with the job's name each time an attempt here fails for good (metrics); returns the unsubscribe. */
  onDeadLetter(listener: (name: string) => void): () => void
}

/** A worker may overrun its timeout briefly (aborting is cooperative) before pg-boss's own expiry fails it. */
const EXPIRY_GRACE_SECONDS = 30
/** Dead letters stay in the job table a week (then a week in the archive). */
const KEEP_FAILED_SECONDS = 7 * 86_400

export function createJobs(options: JobsOptions): Jobs {
  return new PgBossJobs(options)
}

class PgBossJobs implements Jobs {
  private readonly catalog = new JobCatalog()
  private readonly boss: PgBoss
  private readonly db: SqlExecutor
  private readonly repository: JobsRepository
  private readonly workerIds = new Map<string, string[]>()
  private readonly busyWorkers = new Set<string>()
  private readonly running = new Map<AbortController, Promise<unknown>>()
  private readonly deadLetterListeners = new Set<(name: string) => void>()
  private state: 'new' | 'starting' | 'started' | 'stopping' | 'stopped' = 'new'

  constructor(private readonly options: JobsOptions) {
    const { database, schema, workers, pollIntervalMs } = options
    const cronCheckSeconds = options.cronCheckSeconds ?? 30
    // pg-boss keeps its own small pool, so jobs never starve the API's. It hands its whole config to
    // pg's Pool (node_modules/pg-boss/src/db.js), which takes connectionTimeoutMillis, statement_timeout
    // and query_timeout (not in pg-boss's types), and reads a socket URL's `?host=/dir` itself.
    const statementMs = options.statementTimeoutMs ?? 30_000
    const connection: PgBoss.DatabaseOptions & { connectionTimeoutMillis: number; statement_timeout?: number; query_timeout?: number } = {
      connectionString: database.url,
      max: Math.min(10, options.concurrency + 2),
      application_name: 'plinth-jobs',
      connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
      // The server cancels a slow statement (57014); the client gives up on a server that does not
      // answer at all ("Query read timeout") a little later, so the server's own cancel comes first.
      ...(statementMs > 0 ? { statement_timeout: statementMs, query_timeout: statementMs + (options.waitTimeoutMs ?? 3000) } : {}),
    }
    this.boss = new PgBoss({
      ...connection,
      schema,
      supervise: workers,
      schedule: workers,
      pollingIntervalSeconds: pollIntervalMs / 1000,
      cronMonitorIntervalSeconds: cronCheckSeconds,
      cronWorkerIntervalSeconds: Math.min(5, cronCheckSeconds),
      archiveFailedAfterSeconds: KEEP_FAILED_SECONDS,
    })
    this.boss.on('error', (err) => options.log.error({ err }, 'job queue error'))
    this.db = this.boss.getDb()
    this.repository = createJobsRepository(this.db, schema)
  }

  onDeadLetter(listener: (name: string) => void): () => void {
    this.deadLetterListeners.add(listener)
    return () => this.deadLetterListeners.delete(listener)
  }

  define(definitions: readonly JobDefinition[], options?: { owner?: string }): void {
    if (this.state !== 'new') throw new Error('Define jobs before the job queue starts')
    this.catalog.define(definitions, options)
  }

  send<S extends TSchema>(job: JobType<S>, payload: Static<S>, options?: SendOptions): Promise<string | null>
  send(name: string, payload: unknown, options?: SendOptions): Promise<string | null>
  async send(job: string | JobType, payload: unknown, options: SendOptions = {}): Promise<string | null> {
    const { definition } = this.catalog.checked(jobName(job), payload)
    // Running jobs may still send while the queue stops.
    if (this.state !== 'started' && this.state !== 'stopping') throw new Error(`Cannot send job "${definition.name}": the job queue is ${this.state}`)
    const id = await unavailable(this.boss.send(definition.name, payload as object, { ...retryOptions(definition), ...pgBossSendOptions(options) }))
    // A job sent in the caller's transaction is not visible before it commits: the next poll finds it.
    if (id !== null && options.startAfter === undefined && options.db === undefined) this.wake(definition.name)
    return id
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`The job queue is ${this.state}`)
    this.state = 'starting'
    try {
      await this.boss.start()
      // One read of the queues, then statements only for a queue that is missing or whose settings
      // changed: a restart of an unchanged deployment issues none (several instances boot at once).
      const existing = new Map((await this.boss.getQueues()).map((queue) => [queue.name, queue]))
      for (const { definition } of this.catalog.all()) {
        const queue = { name: definition.name, policy: definition.policy ?? JOB_DEFAULTS.policy, ...retryOptions(definition) }
        const current = existing.get(definition.name)
        if (current && sameQueueSettings(current, queue)) continue
        // Instances booting together create the same queues at once; PostgreSQL may pick one as a
        // deadlock victim. Both statements are idempotent, so the loser simply tries again.
        if (!current) await retryOnDeadlock(() => this.boss.createQueue(definition.name, queue))
        // createQueue keeps an existing queue as it was: bring its settings up to date with the code.
        else await retryOnDeadlock(() => this.boss.updateQueue(definition.name, queue))
      }
      await this.syncSchedules()
      if (this.options.workers) for (const job of this.catalog.all()) await this.startWorkers(job)
      this.state = 'started'
    } catch (error) {
      this.state = 'stopped'
      await this.boss.stop({ graceful: false }).catch(() => {})
      throw error
    }
  }

  async stop({ graceful = true, timeoutMs = 30_000 }: StopOptions = {}): Promise<void> {
    if (this.state === 'new') this.state = 'stopped'
    if (this.state !== 'started') return
    this.state = 'stopping'
    const deadline = Date.now() + timeoutMs
    // When pg-boss stops waiting (and fails what still runs), handlers are told to give up too.
    const giveUp = setTimeout(() => this.abortRunning('the job queue stopped before the job finished'), graceful ? timeoutMs : 0)
    try {
      // pg-boss stops fetching, waits for its workers' jobs, fails those still running, and closes its pool.
      await this.boss.stop({ graceful, timeout: timeoutMs, wait: true, close: true })
      // A job fetched as the workers were told to stop is not in pg-boss's count: wait for it as well.
      await within([...this.running.values()], deadline - Date.now())
    } finally {
      clearTimeout(giveUp)
      this.state = 'stopped'
    }
  }

  find(name: string, id: string): Promise<JobRecord | undefined> {
    return unavailable(this.repository.find(name, id))
  }

  list(name: string, options: { state?: JobState; limit?: number } = {}): Promise<JobRecord[]> {
    return unavailable(this.repository.list(name, options.state, options.limit ?? 50))
  }

  deadLetters(name: string, limit = 50): Promise<JobRecord[]> {
    return unavailable(this.repository.list(name, 'failed', limit))
  }

  async retry(name: string, id: string, options: { db?: JobConnection } = {}): Promise<boolean> {
    // pg-boss answers { affected } (its typings say void): one more allowed attempt, state `retry`.
    const { affected } = (await unavailable(this.boss.retry(name, id, options.db ? { db: options.db } : {}))) as unknown as { affected: number }
    // Inside a transaction the retry is not visible before it commits: the caller wakes the workers then.
    if (affected > 0 && !options.db) this.wake(name)
    return affected > 0
  }

  discard(name: string, id: string, options: { db?: JobConnection } = {}): Promise<boolean> {
    const repository = options.db ? createJobsRepository(options.db, this.options.schema) : this.repository
    return unavailable(repository.discardFailed(name, id))
  }

  /** pg-boss's own queue list and its state counts (one GROUP BY over the job table, as its monitor runs). */
  async queues(): Promise<QueueSummary[]> {
    const boss = this.boss as PgBoss & { countStates(): Promise<PgBoss.MonitorStates> }
    const [queues, states] = await unavailable(Promise.all([boss.getQueues(), boss.countStates()]))
    return queues
      .map(({ name }) => {
        const counts = states.queues[name]
        const retrying = counts?.retry ?? 0
        return { name, queued: (counts?.created ?? 0) + retrying, retrying, active: counts?.active ?? 0, failed: counts?.failed ?? 0 }
      })
      .sort((a, b) => a.name.localeCompare(b.name))
  }

  failed(query: FailedJobsQuery): Promise<FailedJobRecord[]> {
    return unavailable(this.repository.failed(query))
  }

  async schedules(): Promise<ScheduleRecord[]> {
    const rows = (await unavailable(this.boss.getSchedules())) as unknown as { name: string; cron: string; timezone: string; data: unknown }[]
    return rows.map(({ name, cron, timezone, data }) => ({ name, cron, timezone, payload: data })).sort((a, b) => a.name.localeCompare(b.name))
  }

  /** The definitions are the source of truth: a schedule removed from one is removed from the database. */
  private async syncSchedules(): Promise<void> {
    const scheduled = new Set((await this.boss.getSchedules()).map((schedule) => schedule.name))
    for (const { definition, problems } of this.catalog.all()) {
      const { name, schedule } = definition
      if (schedule) {
        const invalid = problems(schedule.payload)
        if (invalid) throw new JobPayloadError(name, invalid)
        await this.boss.schedule(name, schedule.cron, schedule.payload as object, { tz: schedule.timezone ?? 'UTC', ...retryOptions(definition) }).catch((error: Error) => {
          throw new Error(`Job "${name}": cannot schedule "${schedule.cron}" (${schedule.timezone ?? 'UTC'}): ${error.message}`, { cause: error })
        })
      } else if (scheduled.has(name)) {
        await this.boss.unschedule(name)
      }
    }
  }

  private async startWorkers(job: RegisteredJob): Promise<void> {
    const { name } = job.definition
    const ids: string[] = []
    for (let i = 0; i < (job.definition.concurrency ?? this.options.concurrency); i++) {
      const options = { batchSize: 1, includeMetadata: true as const, pollingIntervalSeconds: this.options.pollIntervalMs / 1000 }
      let id = ''
      id = await this.boss.work<unknown>(name, options, async ([fetched]) => {
        this.busyWorkers.add(id)
        try {
          await this.track(job, fetched!)
        } finally {
          this.busyWorkers.delete(id)
          // pg-boss waits a polling interval after every job; a busy queue should be drained at once.
          this.boss.notifyWorker(id)
        }
      })
      ids.push(id)
    }
    this.workerIds.set(name, ids)
  }

  /**
   * A job sent from this process need not wait for the next poll: an idle worker fetches it now. When
   * all are busy, none is needed — each fetches again as soon as its job ends.
   */
  wake(name: string): void {
    const idle = this.workerIds.get(name)?.find((id) => !this.busyWorkers.has(id))
    if (idle) this.boss.notifyWorker(idle)
  }

  private track(job: RegisteredJob, fetched: PgBoss.JobWithMetadata<unknown>): Promise<void> {
    const controller = new AbortController()
    const run = this.run(job, fetched, controller.signal)
    this.running.set(controller, run.catch(() => {}))
    return run.finally(() => this.running.delete(controller))
  }

  /** One attempt. pg-boss records the outcome: completed when this resolves, failed (or retried) when it throws. */
  private async run(job: RegisteredJob, fetched: PgBoss.JobWithMetadata<unknown>, signal: AbortSignal): Promise<void> {
    const { definition } = job
    const attempt = fetched.retryCount + 1
    const maxAttempts = fetched.retryLimit + 1
    const log = this.options.log.child({ job: fetched.name, jobId: fetched.id })
    const timeoutSeconds = definition.timeoutSeconds ?? JOB_DEFAULTS.timeoutSeconds
    const timeout = new AbortController()
    const timer = setTimeout(() => timeout.abort(new Error(`The job timed out after ${timeoutSeconds} s`)), timeoutSeconds * 1000)
    const aborted = AbortSignal.any([signal, timeout.signal])
    try {
      const invalid = job.problems(fetched.data)
      if (invalid) {
        // Retrying cannot make it valid (the schema changed since it was sent, or it was written by hand).
        await this.repository.exhaustRetries(fetched.name, fetched.id)
        throw new JobPayloadError(fetched.name, invalid)
      }
      await untilAborted(definition.handle(fetched.data, { id: fetched.id, name: fetched.name, attempt, maxAttempts, log, signal: aborted }), aborted)
    } catch (error) {
      const final = error instanceof JobPayloadError || attempt >= maxAttempts
      log[final ? 'error' : 'warn']({ err: error, attempt, maxAttempts }, final ? 'job failed on its last attempt: dead-lettered' : 'job failed; it will be retried')
      if (final) for (const listener of this.deadLetterListeners) listener(fetched.name)
      // pg-boss stores what is thrown in the job's `output`, every own field and cause included.
      throw storedError(error)
    } finally {
      clearTimeout(timer)
    }
  }

  private abortRunning(reason: string): void {
    for (const controller of this.running.keys()) controller.abort(new Error(reason))
  }
}

/** Whether a stored queue already has the settings the code declares (the fields start() sets). */
function sameQueueSettings(stored: PgBoss.Queue, wanted: PgBoss.Queue): boolean {
  return (
    stored.policy === wanted.policy &&
    stored.retryLimit === wanted.retryLimit &&
    stored.retryDelay === wanted.retryDelay &&
    stored.retryBackoff === wanted.retryBackoff &&
    stored.expireInSeconds === wanted.expireInSeconds
  )
}

/** The definition's retry settings, on every job and queue (so the code, not an old queue row, decides). */
function retryOptions(definition: JobDefinition) {
  return {
    retryLimit: definition.retryLimit ?? JOB_DEFAULTS.retryLimit,
    retryDelay: definition.retryDelaySeconds ?? JOB_DEFAULTS.retryDelaySeconds,
    retryBackoff: definition.retryBackoff ?? JOB_DEFAULTS.retryBackoff,
    expireInSeconds: (definition.timeoutSeconds ?? JOB_DEFAULTS.timeoutSeconds) + EXPIRY_GRACE_SECONDS,
  }
}

function pgBossSendOptions({ startAfter, singletonKey, singletonSeconds, priority, db }: SendOptions): PgBoss.SendOptions {
  return {
    ...(db !== undefined ? { db } : {}),
    ...(startAfter !== undefined ? { startAfter } : {}),
    ...(singletonKey !== undefined ? { singletonKey } : {}),
    ...(singletonSeconds !== undefined ? { singletonSeconds } : {}),
    ...(priority !== undefined ? { priority } : {}),
  }
}

/** The queue's pool could not reach PostgreSQL, or it did not answer: 503 DATABASE_UNAVAILABLE, not 500. */
async function unavailable<T>(work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (error) {
    if (error instanceof DatabaseUnavailableError || !isConnectionFailure(error)) throw error
    throw new DatabaseUnavailableError('the job queue could not reach PostgreSQL', { cause: error })
  }
}

/**
 * What pg-boss keeps of a failed attempt: the serialized error (its type, message and stack without
 * Drizzle's bound values, its SQLSTATE and constraint), never the error itself, whose message,
 * `params` and causes may carry e-mailed links or tokens.
 */
function storedError(error: unknown): Error {
  const clean = serializeError(error)
  const stored = new Error(clean.message)
  stored.name = clean.type
  stored.stack = clean.stack
  for (const field of ['code', 'constraint', 'table'] as const) if (clean[field] !== undefined) Object.assign(stored, { [field]: clean[field] })
  return stored
}

/** Settles with the work, or rejects with the signal's reason as soon as it is aborted. */
function untilAborted(work: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** Waits for every promise to settle, or for `ms`, whichever comes first. */
async function within(promises: Promise<unknown>[], ms: number): Promise<void> {
  if (promises.length === 0 || ms <= 0) return
  let timer: NodeJS.Timeout | undefined
  await Promise.race([Promise.allSettled(promises), new Promise((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}
