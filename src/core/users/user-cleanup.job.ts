import Type from 'typebox'
import { defineJob, type JobDefinition, type JobType } from '../jobs/index.js'
import type { ModuleUserData } from './user-data.service.js'

export const UserCleanupPayload = Type.Object(
  {
    /** The module (or platform part, like `files`) whose `onUserDeleted` runs. */
    module: Type.String({ pattern: '^[a-z][a-z0-9-]*$', maxLength: 64 }),
    userId: Type.String({ format: 'uuid' }),
  },
  { additionalProperties: false },
)

/** One per module with an `onUserDeleted` hook, sent once an account's deletion has committed. */
export const UserCleanup: JobType<typeof UserCleanupPayload> = { name: 'users.module-cleanup', payload: UserCleanupPayload }

/**
 * Runs a module's `onUserDeleted` for a deleted account. Eleven attempts, backing off from 2 s (about
 * 35–70 minutes in all), so a module whose storage is down for a while still erases its part; then
 * the job is dead-lettered (`plinth_job_dead_letters_total{job_name="users.module-cleanup"}`) for the
 * operator to retry. A job naming a module this process does not run fails, to be retried (or
 * dead-lettered) rather than silently dropped.
 */
export function userCleanupJob(modules: readonly ModuleUserData[]): JobDefinition<typeof UserCleanupPayload> {
  const byName = new Map(modules.flatMap((m) => (m.onUserDeleted ? [[m.name, m] as const] : [])))
  return defineJob({
    ...UserCleanup,
    retryLimit: 10,
    retryDelaySeconds: 2,
    timeoutSeconds: 600,
    handle: async ({ module, userId }, job) => {
      const owner = byName.get(module)
      if (!owner) throw new Error(`Module "${module}" has no onUserDeleted in this process (not enabled, or no hook): it cannot erase the deleted account ${userId}`)
      await owner.onUserDeleted?.(userId)
      job.log.info({ module, userId }, 'a module erased a deleted account’s data')
    },
  })
}
