import Type from 'typebox'
import { defineJob, type JobDefinition } from '../../core/jobs/index.js'
import type { ColorbookApi } from './api.js'
import { EXPORT_JOB } from './exports.service.js'

/** `colorbook.export`: renders one queued export (PDF or JSON) and stores the result. Idempotent. */
export function exportJob(api: ColorbookApi): JobDefinition<typeof EXPORT_JOB.payload> {
  return defineJob({
    ...EXPORT_JOB,
    retryLimit: 2,
    timeoutSeconds: 600,
    concurrency: 2,
    handle: (payload, job) => api.exports.run(payload.exportId, job),
  })
}

const Day = Type.String({ format: 'date', maxLength: 10 })
const RollupPayload = Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day) }, { additionalProperties: false })

/**
 * `colorbook.usage-rollup`, hourly at :07: rolls up yesterday and today (or the days `from`–`to`
 * given) into colorbook_usage_daily, replacing what an earlier run stored. Idempotent.
 */
export function usageRollupJob(api: ColorbookApi): JobDefinition<typeof RollupPayload> {
  return defineJob({
    name: 'colorbook.usage-rollup',
    payload: RollupPayload,
    schedule: { cron: '7 * * * *', payload: {} },
    policy: 'singleton',
    retryLimit: 2,
    handle: async (payload, job) => {
      const today = new Date().toISOString().slice(0, 10)
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
      const days = await api.usage.rollUp(payload.from ?? (payload.to ?? yesterday), payload.to ?? (payload.from ?? today))
      job.log.debug({ days }, 'colorbook: usage rolled up')
    },
  })
}
