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

/** The queue of one module's erasures: `users.module-cleanup.<module>`. */
export const userCleanupJobName = (module: string): string => `users.module-cleanup.${module}`

/** The job a deletion sends for `module`, in the erasure's transaction (one per module with an `onUserDeleted` hook). */
export const userCleanupType = (module: string): JobType<typeof UserCleanupPayload> => ({ name: userCleanupJobName(module), payload: UserCleanupPayload })

/**
 * One job per module with an `onUserDeleted` hook, each on a queue of its own
 * (`users.module-cleanup.<module>`), defined only by processes that run the module: an instance
 * whose MODULES leaves a module out never fetches its erasures, which wait for one that runs it.
 * Eleven attempts, backing off from 2 s (about 35–70 minutes in all), so a module whose storage is
 * down for a while still erases its part; then the job is dead-lettered
 * (`plinth_job_dead_letters_total{job_name="users.module-cleanup.<module>"}`) for the operator to retry.
 */
export function userCleanupJobs(modules: readonly ModuleUserData[]): JobDefinition<typeof UserCleanupPayload>[] {
  return modules.flatMap((owner) => {
    if (!owner.onUserDeleted) return []
    return [
      defineJob({
        ...userCleanupType(owner.name),
        retryLimit: 10,
        retryDelaySeconds: 2,
        timeoutSeconds: 600,
        handle: async ({ module, userId }, job) => {
          // Only a job written by hand into the wrong queue: it cannot be this module's to erase.
          if (module !== owner.name) throw new Error(`A ${job.name} job names the module "${module}": it cannot erase the deleted account ${userId} here`)
          await owner.onUserDeleted?.(userId)
          job.log.info({ module, userId }, 'a module erased a deleted account’s data')
        },
      }),
    ]
  })
}
