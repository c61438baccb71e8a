import Type from 'typebox'
import type { Config } from '../../config/index.js'
import type { Db } from '../db/client.js'
import { defineJob, type JobDefinition } from '../jobs/index.js'
import { createRetentionRepository, type RetentionRepository } from './retention.repository.js'

const DAY_MS = 86_400_000

export interface RetentionPolicy {
  /** Rotated refresh tokens are kept as long as a token lives (REFRESH_TOKEN_TTL_DAYS), for reuse detection. */
  readonly refreshTokenTtlDays: number
  /** AUDIT_RETENTION_DAYS; 0 keeps audit entries forever. */
  readonly auditDays: number
  /** Rows per delete statement. */
  readonly batchSize: number
  /** Delete statements per table per run: a large backlog is worked off over several runs. */
  readonly maxBatches: number
}

/** Expired sessions and e-mail tokens stay a day, so a late attempt is still told "expired", not "unknown". */
export const EXPIRED_KEPT_DAYS = 1
/** The development outbox (no SMTP_URL) keeps messages a month. */
export const OUTBOX_KEPT_DAYS = 30
export const RETENTION_DEFAULTS = { batchSize: 1000, maxBatches: 50 } as const

export type RetentionCounts = Record<'sessions' | 'refreshTokens' | 'emailTokens' | 'outbox' | 'audit', number>

/**
 * Deletes what is past its time, table by table, in batches of `batchSize` (each its own short statement)
 * and at most `maxBatches` per table; stops early when `signal` is aborted. Idempotent.
 */
export async function purgeExpired(repository: RetentionRepository, policy: RetentionPolicy, now: Date, signal?: AbortSignal): Promise<RetentionCounts> {
  const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS)
  const steps: [keyof RetentionCounts, (limit: number) => Promise<number>][] = [
    ['sessions', (limit) => repository.deleteSessions(daysAgo(EXPIRED_KEPT_DAYS), limit)],
    ['refreshTokens', (limit) => repository.deleteRotatedRefreshTokens(daysAgo(policy.refreshTokenTtlDays), limit)],
    ['emailTokens', (limit) => repository.deleteEmailTokens(daysAgo(EXPIRED_KEPT_DAYS), limit)],
    ['outbox', (limit) => repository.deleteOutbox(daysAgo(OUTBOX_KEPT_DAYS), limit)],
  ]
  if (policy.auditDays > 0) steps.push(['audit', (limit) => repository.deleteAudit(daysAgo(policy.auditDays), limit)])
  const counts: RetentionCounts = { sessions: 0, refreshTokens: 0, emailTokens: 0, outbox: 0, audit: 0 }
  for (const [table, remove] of steps) {
    for (let batch = 0; batch < policy.maxBatches; batch++) {
      signal?.throwIfAborted()
      const deleted = await remove(policy.batchSize)
      counts[table] += deleted
      if (deleted < policy.batchSize) break
    }
  }
  return counts
}

const RetentionPayload = Type.Object({}, { additionalProperties: false })

/** Hourly, at minute 17: at most `maxBatches × batchSize` rows per table per run. */
export const RETENTION_CRON = '17 * * * *'

/** The platform's retention job, for the app's queue. */
export function retentionJobs(db: Db, config: Config): JobDefinition[] {
  const policy = { refreshTokenTtlDays: config.auth.refreshTokenTtlDays, auditDays: config.audit.retentionDays, ...RETENTION_DEFAULTS }
  return [retentionJob(createRetentionRepository(db), policy)]
}

export function retentionJob(repository: RetentionRepository, policy: RetentionPolicy): JobDefinition<typeof RetentionPayload> {
  return defineJob({
    name: 'retention.purge',
    payload: RetentionPayload,
    schedule: { cron: RETENTION_CRON, payload: {} },
    // One run at a time; a missed run is simply done by the next one.
    policy: 'singleton',
    retryLimit: 0,
    timeoutSeconds: 1800,
    handle: async (_payload, job) => {
      const counts = await purgeExpired(repository, policy, new Date(), job.signal)
      job.log.info({ deleted: counts }, 'retention: expired rows deleted')
    },
  })
}
