import Type from 'typebox'
import { defineJob, type JobDefinition } from '../../core/jobs/index.js'
import type { ColorbookApi } from './api.js'
import { TRASH_DAYS } from './domain.js'

const PurgePayload = Type.Object({}, { additionalProperties: false })
const BATCH = 100
const MAX_BATCHES = 50

/** Daily at 03:41 UTC: projects in the trash for 30 days are deleted for good (a tombstone stays in the sync log). */
export function purgeTrashJob(api: ColorbookApi): JobDefinition<typeof PurgePayload> {
  return defineJob({
    name: 'colorbook.purge-trash',
    payload: PurgePayload,
    schedule: { cron: '41 3 * * *', payload: {} },
    policy: 'singleton',
    retryLimit: 2,
    handle: async (_payload, job) => {
      const before = new Date(Date.now() - TRASH_DAYS * 86_400_000)
      let purged = 0
      for (let batch = 0; batch < MAX_BATCHES; batch++) {
        job.signal.throwIfAborted()
        const n = await api.projects.purgeTrashed(before, BATCH)
        purged += n
        if (n < BATCH) break
      }
      if (purged > 0) job.log.info({ purged }, 'colorbook: trashed projects purged')
    },
  })
}
