import type { FastifyBaseLogger } from 'fastify'
import Type from 'typebox'
import { defineJob, type JobQueue, type JobType } from '../jobs/index.js'

export const UserVerifiedPayload = Type.Object(
  {
    /** The module whose `onUserVerified` runs again. */
    module: Type.String({ pattern: '^[a-z][a-z0-9-]*$', maxLength: 64 }),
    userId: Type.String({ format: 'uuid' }),
  },
  { additionalProperties: false },
)

/** The queue of one module's retried verification hooks: `users.module-verified.<module>`. */
export const userVerifiedJobName = (module: string): string => `users.module-verified.${module}`
export const userVerifiedType = (module: string): JobType<typeof UserVerifiedPayload> => ({ name: userVerifiedJobName(module), payload: UserVerifiedPayload })

/** The first retry's delay, and the job's own between attempts (doubling). */
const RETRY_DELAY_SECONDS = 2

/** A module with an `onUserVerified` hook (its manifest's, bound to its api). */
export interface VerifiedHookOwner {
  readonly name: string
  onUserVerified(userId: string, email: string): Promise<void>
}

export interface VerifiedHookDeps {
  /** Where each module's hook is registered (AuthService.onEmailVerified). */
  onEmailVerified(hook: (userId: string, email: string) => Promise<void>): void
  jobs: JobQueue
  /** The account's address while it is verified and the account not deleted; else undefined (nothing left to do). */
  verifiedAddress(userId: string): Promise<string | undefined>
  log: FastifyBaseLogger
}

/**
 * Each module's `onUserVerified` runs right after the commit that verified an address, awaited by the
 * request (so a share applies before the verification answers). One that throws is handed to a job of
 * its own queue, `users.module-verified.<module>`, 2 s later (`{ module, userId }`: the address is read
 * again at each attempt, so the job stores none and a deleted account's is skipped), retried as erasures
 * are — 11 attempts backing off from 2 s, about 35–70 minutes — then dead-lettered for the operator. The hooks must be
 * idempotent. Defined only by processes that run the module, as its erasure jobs are.
 */
export function installVerifiedHooks(owners: readonly VerifiedHookOwner[], deps: VerifiedHookDeps): void {
  deps.jobs.define(
    owners.map((owner) =>
      defineJob({
        ...userVerifiedType(owner.name),
        retryLimit: 10,
        retryDelaySeconds: RETRY_DELAY_SECONDS,
        timeoutSeconds: 600,
        handle: async ({ module, userId }, job) => {
          if (module !== owner.name) throw new Error(`A ${job.name} job names the module "${module}": it cannot run that module's hook here`)
          const email = await deps.verifiedAddress(userId)
          if (email === undefined) return job.log.info({ module, userId }, 'the account is deleted or its address no longer verified: nothing to apply')
          await owner.onUserVerified(userId, email)
        },
      }),
    ),
    { owner: 'users' },
  )
  for (const owner of owners) {
    deps.onEmailVerified(async (userId, email) => {
      try {
        await owner.onUserVerified(userId, email)
      } catch (err) {
        deps.log.warn({ err, userId, module: owner.name }, 'onUserVerified hook failed: retried in a job')
        // A send that fails too is logged by AuthService: the hook is then lost, as before this job.
        await deps.jobs.send(userVerifiedType(owner.name), { module: owner.name, userId }, { startAfter: RETRY_DELAY_SECONDS })
      }
    })
  }
}
