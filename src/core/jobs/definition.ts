import type { FastifyBaseLogger } from 'fastify'
import type { Static, TSchema } from 'typebox'
import { Compile } from 'typebox/compile'

/** A job's name and payload schema: all a sender needs to send it, typed. */
export interface JobType<S extends TSchema = TSchema> {
  /** `<owner>.<job>`, e.g. `email.send`; a module's jobs start with its name. */
  readonly name: string
  /** A TypeBox object schema; the payload is checked against it when sent and again when run. */
  readonly payload: S
}

export interface JobOptions {
  /** Retries after the first attempt; after `1 + retryLimit` attempts the job is dead-lettered. Default 3. */
  readonly retryLimit?: number
  /** Seconds before the first retry (≥ 1, default 10). */
  readonly retryDelaySeconds?: number
  /** Double the delay for each further retry, plus up to as much again of random jitter (default true). */
  readonly retryBackoff?: boolean
  /** A run longer than this is aborted (its `signal` fires) and counts as a failed attempt. Default 900. */
  readonly timeoutSeconds?: number
  /** Runs of this job at once in one process; default `JOBS_CONCURRENCY`. */
  readonly concurrency?: number
  /**
   * What `singletonKey` means for this job (pg-boss queue policies): `standard` (default) — only with
   * `singletonSeconds`, at most one job per key per window; `short` — at most one *queued* job per key;
   * `singleton` — at most one *running*; `stately` — one queued and one running.
   */
  readonly policy?: 'standard' | 'short' | 'singleton' | 'stately'
}

/** What a running job knows about itself. */
export interface JobContext {
  readonly id: string
  readonly name: string
  /** 1 for the first run. */
  readonly attempt: number
  readonly maxAttempts: number
  readonly log: FastifyBaseLogger
  /** Aborted when the run times out or shutdown stops waiting for it: long handlers should give up. */
  readonly signal: AbortSignal
}

export interface JobDefinition<S extends TSchema = TSchema> extends JobType<S>, JobOptions {
  /**
   * Sent on a cron schedule (5 fields, at most once a minute, `timezone` default UTC). The definition is
   * the source of truth: at start, schedules of defined jobs are set, changed or removed to match.
   */
  readonly schedule?: { readonly cron: string; readonly payload: Static<S>; readonly timezone?: string }
  /**
   * Does the work. Runs at least once per job — a crash mid-run means another run — so it must be
   * idempotent. Throwing fails the attempt.
   */
  handle(payload: Static<S>, job: JobContext): Promise<void>
}

export interface SendOptions {
  /** Not before this time; a number is seconds from now. */
  readonly startAfter?: Date | number
  /** Deduplicates sends: see `JobOptions.policy`. */
  readonly singletonKey?: string
  /** With `singletonKey` (or alone): at most one job per key within each window of this many seconds. */
  readonly singletonSeconds?: number
  /** Higher runs first among waiting jobs of the same name (default 0). */
  readonly priority?: number
  /**
   * Insert the job on this connection instead of the queue's own: a transaction's executor
   * (`sqlExecutor(tx)` from src/core/db, through a repository) makes the job part of that transaction,
   * so it exists if and only if the transaction commits. It is then picked up at the workers' next poll.
   * The inline queue (CLI) ignores it and runs the job at once.
   */
  readonly db?: { executeSql(text: string, values: unknown[]): Promise<{ rows: unknown[] }> }
}

/** What modules get (`ModuleContext.jobs`): sending the jobs the platform or they define. */
export interface JobSender {
  /**
   * Queues a job after checking its payload (an invalid payload throws `JobPayloadError`, an undefined
   * job name throws). Returns the job id, or null when a singleton rule dropped it. The job is sent on
   * the queue's own connection, outside any transaction the caller has open (unless `options.db`).
   */
  send<S extends TSchema>(job: JobType<S>, payload: Static<S>, options?: SendOptions): Promise<string | null>
  send(name: string, payload: unknown, options?: SendOptions): Promise<string | null>
}

export interface JobQueue extends JobSender {
  /** Adds job definitions (before start). `owner`, when given, must be every name's prefix. */
  define(definitions: readonly JobDefinition[], options?: { owner?: string }): void
}

/** A payload that does not match its job's schema. */
export class JobPayloadError extends Error {
  constructor(
    readonly job: string,
    /** Problems by JSON pointer into the payload (`''` for the payload itself). */
    readonly details: Record<string, string>,
  ) {
    super(`Invalid payload for job "${job}": ${Object.entries(details).map(([path, problem]) => `${path || '(payload)'} ${problem}`).join('; ')}`)
    this.name = 'JobPayloadError'
  }
}

const NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/
const MAX_TIMEOUT_SECONDS = 23 * 3600

/** Checks a definition once, where it is written, so a bad one fails the boot rather than a run. */
export function defineJob<S extends TSchema>(definition: JobDefinition<S>): JobDefinition<S> {
  const { name } = definition
  const fail = (problem: string): never => {
    throw new Error(`Job "${name}": ${problem}`)
  }
  if (!NAME.test(name)) fail('the name must be <owner>.<job>, lower-case letters, digits and hyphens (e.g. email.send)')
  if ((definition.payload as { type?: unknown }).type !== 'object') fail('the payload schema must be an object (Type.Object)')
  const integer = (value: number | undefined, min: number, max: number, what: string) => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= max)) fail(`${what} must be an integer ${min}–${max}`)
  }
  integer(definition.retryLimit, 0, 100, 'retryLimit')
  integer(definition.retryDelaySeconds, 1, 86_400, 'retryDelaySeconds')
  integer(definition.timeoutSeconds, 1, MAX_TIMEOUT_SECONDS, 'timeoutSeconds')
  integer(definition.concurrency, 1, 100, 'concurrency')
  return definition
}

/** The settings a definition leaves out. */
export const JOB_DEFAULTS = { retryLimit: 3, retryDelaySeconds: 10, retryBackoff: true, timeoutSeconds: 900, policy: 'standard' } as const

export interface RegisteredJob {
  readonly definition: JobDefinition
  /** Problems with a payload by JSON pointer, or undefined when it is valid. */
  readonly problems: (payload: unknown) => Record<string, string> | undefined
}

/** The jobs a process knows: names are unique, payload checkers compiled once. */
export class JobCatalog {
  private readonly jobs = new Map<string, RegisteredJob>()

  define(definitions: readonly JobDefinition[], options: { owner?: string } = {}): void {
    for (const definition of definitions) {
      defineJob(definition)
      if (options.owner && !definition.name.startsWith(`${options.owner}.`)) {
        throw new Error(`Job "${definition.name}" of "${options.owner}" must be named "${options.owner}.<job>"`)
      }
      if (this.jobs.has(definition.name)) throw new Error(`Job "${definition.name}" is defined twice`)
      const validator = Compile(definition.payload)
      this.jobs.set(definition.name, {
        definition,
        problems: (payload) => {
          if (validator.Check(payload)) return undefined
          const details: Record<string, string> = {}
          for (const error of validator.Errors(payload)) details[error.instancePath] ??= error.message
          return details
        },
      })
    }
  }

  /** The job, with the payload checked: throws for an unknown name or an invalid payload. */
  checked(name: string, payload: unknown): RegisteredJob {
    const job = this.jobs.get(name)
    if (!job) throw new Error(`Unknown job "${name}": define it (a module's jobs(), or the platform) before sending it`)
    const problems = job.problems(payload)
    if (problems) throw new JobPayloadError(name, problems)
    return job
  }

  all(): RegisteredJob[] {
    return [...this.jobs.values()]
  }
}

export const jobName = (job: string | JobType): string => (typeof job === 'string' ? job : job.name)
