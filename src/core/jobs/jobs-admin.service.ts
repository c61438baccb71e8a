import type { Actor } from '../access/actor.js'
import type { PermissionRegistry } from '../access/permissions.js'
import type { RequestMeta } from '../auth/request-meta.js'
import { isUuid } from '../db/columns.js'
import type { UnitOfWork } from '../db/unit-of-work.js'
import { AppError, notFound } from '../errors/app-error.js'
import { decodeCursor, encodeCursor } from '../http/resource/cursor.js'
import type { Page } from '../http/resource/resource.service.js'
import { redactUrl } from '../observability/logger.js'
import type { JobsAdminRepos } from './jobs-admin.repository.js'
import type { Jobs, QueueSummary } from './jobs.js'
import type { FailedJobRecord, JobRecord, JobState } from './jobs.repository.js'
import { JOBS_MANAGE, JOBS_READ } from './permissions.js'

/** What the operator's view needs of the queue. */
export type JobsAdministration = Pick<Jobs, 'queues' | 'failed' | 'find' | 'retry' | 'discard' | 'wake'>

export interface QueuesOverview {
  queues: QueueSummary[]
  totals: Omit<QueueSummary, 'name'>
}

/** A dead letter as operators see it: never its payload, nor the error's stack. */
export interface FailedJobView {
  id: string
  queue: string
  attempts: number
  maxAttempts: number
  error: string | null
  createdAt: string
  failedAt: string
}

export interface JobStatusView {
  id: string
  queue: string
  state: JobState
  attempts: number
  maxAttempts: number
}

export interface FailedJobsListQuery {
  limit: number
  cursor?: string
  queue?: string
}

/** Longer error messages are cut: a list row shows what went wrong, the log has the rest. */
export const MAX_JOB_ERROR_LENGTH = 1000
const SORT = '-failedAt'
const FAILED_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/** The job queue for operators: depth per queue, dead letters, and retrying or discarding them (audited). */
export class JobsAdminService {
  constructor(
    private readonly jobs: JobsAdministration,
    private readonly store: UnitOfWork<JobsAdminRepos>,
    private readonly access: PermissionRegistry,
  ) {
    for (const key of [JOBS_READ, JOBS_MANAGE]) access.assertKnown(key)
  }

  async queues(actor: Actor): Promise<QueuesOverview> {
    this.access.require(actor, JOBS_READ)
    const queues = await this.jobs.queues()
    const totals = { queued: 0, retrying: 0, active: 0, failed: 0 }
    for (const queue of queues) for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += queue[key]
    return { queues, totals }
  }

  async failed(actor: Actor, query: FailedJobsListQuery): Promise<Page<FailedJobView>> {
    this.access.require(actor, JOBS_READ)
    const rows = await this.jobs.failed({
      limit: query.limit + 1,
      ...(query.queue ? { name: query.queue } : {}),
      ...(query.cursor ? { before: decodeFailedCursor(query.cursor) } : {}),
    })
    const page = rows.slice(0, query.limit)
    const last = page.at(-1)
    const nextCursor = rows.length > query.limit && last ? encodeCursor({ sort: SORT, value: last.failedKey, id: last.id }) : null
    return { items: page.map(toFailedJobView), nextCursor }
  }

  /** One more attempt for a dead letter; the retry and its audit entry commit together, then a worker here is woken. */
  async retry(actor: Actor, queue: string, id: string, meta: RequestMeta): Promise<JobStatusView> {
    this.access.require(actor, JOBS_MANAGE)
    await this.change(actor, queue, id, meta, 'retried', (db) => this.jobs.retry(queue, id, { db }))
    this.jobs.wake(queue)
    const job = await this.jobs.find(queue, id)
    if (!job) throw notFound('Job')
    return { id: job.id, queue: job.name, state: job.state, attempts: job.attempts, maxAttempts: job.maxAttempts }
  }

  /** Deletes a dead letter for good (audited). */
  async discard(actor: Actor, queue: string, id: string, meta: RequestMeta): Promise<void> {
    this.access.require(actor, JOBS_MANAGE)
    await this.change(actor, queue, id, meta, 'discarded', (db) => this.jobs.discard(queue, id, { db }))
  }

  private async change(actor: Actor, queue: string, id: string, meta: RequestMeta, what: 'retried' | 'discarded', apply: (db: ReturnType<JobsAdminRepos['jobConnection']>) => Promise<boolean>): Promise<void> {
    const done = await this.store.transaction(async (repos) => {
      if (!(await apply(repos.jobConnection()))) return false
      await repos.audit.append({ action: `job.${what}`, actorId: actor.id, targetId: id, ...meta, details: { queue } })
      return true
    })
    if (!done) throw refusal(await this.jobs.find(queue, id), what)
  }
}

/** Why a retry or discard changed nothing: no such job (404), or one that is not a dead letter in the queue (409). */
function refusal(job: JobRecord | undefined, verb: string): AppError {
  if (!job) return notFound('Job')
  // find() also reads the archive, where dead letters go after a week: they are history, not actionable.
  if (job.state === 'failed') return new AppError('CONFLICT', `The job was archived (dead letters stay a week in the queue): it can no longer be ${verb}.`, { state: job.state, archived: true })
  return new AppError('CONFLICT', `The job is ${job.state}: only dead-lettered (failed) jobs can be ${verb}.`, { state: job.state })
}

function toFailedJobView(job: FailedJobRecord): FailedJobView {
  return {
    id: job.id,
    queue: job.name,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    error: job.error === undefined ? null : safeErrorMessage(job.error),
    createdAt: job.createdAt.toISOString(),
    failedAt: (job.finishedAt ?? job.createdAt).toISOString(),
  }
}

/**
 * The stored message is already the serialized one (src/core/jobs/jobs.ts, storedError: no bound
 * SQL values); links' secret query parameters and bearer credentials are masked as in the log, and
 * the length is capped.
 */
export function safeErrorMessage(message: string): string {
  // Each word with a query string is masked like a logged URL (which ends at the first space here).
  const masked = message.replace(/\S*\?\S*/g, (word) => redactUrl(word)).replace(/(\bBearer\s+)[\w.~+/=-]+/gi, '$1[REDACTED]')
  return masked.length > MAX_JOB_ERROR_LENGTH ? `${masked.slice(0, MAX_JOB_ERROR_LENGTH - 1)}…` : masked
}

function decodeFailedCursor(cursor: string): { at: string; id: string } {
  const { value, id } = decodeCursor(cursor, SORT)
  if (typeof value !== 'string' || !FAILED_KEY.test(value) || !isUuid(id)) throw new AppError('INVALID_CURSOR', undefined, { cursor: 'does not belong to this list' })
  return { at: value, id }
}
