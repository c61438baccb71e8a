import Type from 'typebox'
import { defineJob, type JobDefinition } from '../../core/jobs/index.js'
import type { ColorbookApi } from './api.js'

const Payload = Type.Object({}, { additionalProperties: false })
const BATCH = 100
const MAX_BATCHES = 50

/**
 * Every 10 minutes: an `automatic` version of each project changed since its newest version (outside
 * the trash), pruning the oldest automatic ones past the owner's plan; a project whose named versions
 * fill the plan is skipped.
 */
export function autoVersionsJob(api: ColorbookApi): JobDefinition<typeof Payload> {
  return defineJob({
    name: 'colorbook.auto-versions',
    payload: Payload,
    schedule: { cron: '*/10 * * * *', payload: {} },
    policy: 'singleton',
    retryLimit: 2,
    handle: async (_payload, job) => {
      let taken = 0
      let after: string | undefined
      for (let batch = 0; batch < MAX_BATCHES; batch++) {
        job.signal.throwIfAborted()
        const result = await api.versions.takeAutomatic(BATCH, after)
        taken += result.taken
        if (result.seen.length < BATCH) break
        after = result.seen.at(-1)
      }
      if (taken > 0) job.log.info({ taken }, 'colorbook: automatic versions taken')
    },
  })
}
