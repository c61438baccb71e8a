import type { FastifyBaseLogger } from 'fastify'
import { describe, expect, it } from 'vitest'
import type { JobContext, JobDefinition, JobQueue } from '../jobs/index.js'
import { installVerifiedHooks, type VerifiedHookOwner } from './user-verified.job.js'

const userId = '0190a000-0000-7000-8000-0000000000aa'
const job = { id: 'j1', name: 'users.module-verified.notes', attempt: 1, maxAttempts: 11, log: { info: () => {} }, signal: new AbortController().signal } as unknown as JobContext
const log = { warn: () => {} } as unknown as FastifyBaseLogger

/** The hooks as AuthService would hold them, the jobs defined and sent, and the accounts' verified addresses. */
function install(owners: VerifiedHookOwner[], options: { sendFails?: boolean; addresses?: Record<string, string> } = {}) {
  const hooks: ((userId: string, email: string) => Promise<void>)[] = []
  const defined: JobDefinition[] = []
  const sent: { name: string; payload: unknown; options: unknown }[] = []
  const jobs = {
    define: (definitions: readonly JobDefinition[], opts?: { owner?: string }) => {
      expect(opts).toEqual({ owner: 'users' })
      defined.push(...definitions)
    },
    send: async (type: { name: string }, payload: unknown, opts: unknown) => {
      if (options.sendFails) throw new Error('database down')
      sent.push({ name: type.name, payload, options: opts })
      return 'id'
    },
  } as unknown as JobQueue
  const addresses = options.addresses ?? { [userId]: 'ada@example.test' }
  installVerifiedHooks(owners, { onEmailVerified: (hook) => void hooks.push(hook), jobs, verifiedAddress: async (id) => addresses[id], log })
  return { hooks, defined, sent }
}

describe('onUserVerified hooks', () => {
  it('run at once; one that throws queues its module’s job 2 s ahead, with the account id only', async () => {
    const calls: string[] = []
    let fail = true
    const { hooks, defined, sent } = install([
      { name: 'notes', onUserVerified: async (id, email) => void calls.push(`notes ${id} ${email}`) },
      {
        name: 'shares',
        onUserVerified: async () => {
          if (fail) throw new Error('connection reset')
        },
      },
    ])
    expect(defined.map((d) => [d.name, d.retryLimit, d.retryDelaySeconds])).toEqual([
      ['users.module-verified.notes', 10, 2],
      ['users.module-verified.shares', 10, 2],
    ])
    for (const hook of hooks) await hook(userId, 'ada@example.test')
    expect(calls).toEqual([`notes ${userId} ada@example.test`])
    expect(sent).toEqual([{ name: 'users.module-verified.shares', payload: { module: 'shares', userId }, options: { startAfter: 2 } }])

    // The job runs the hook again with the address read now; a failure fails the attempt (retried).
    await expect(defined[1]!.handle({ module: 'shares', userId }, job)).rejects.toThrow('connection reset')
    fail = false
    await defined[1]!.handle({ module: 'shares', userId }, job)
    await defined[0]!.handle({ module: 'notes', userId }, job)
    expect(calls).toEqual([`notes ${userId} ada@example.test`, `notes ${userId} ada@example.test`])
  })

  it('skips an account no longer verified (or deleted), refuses a job naming another module, and lets a failed send through', async () => {
    const calls: string[] = []
    const { defined } = install([{ name: 'notes', onUserVerified: async (id) => void calls.push(id) }], { addresses: {} })
    await defined[0]!.handle({ module: 'notes', userId }, job)
    expect(calls).toEqual([])
    await expect(defined[0]!.handle({ module: 'other', userId }, job)).rejects.toThrow('names the module "other"')

    const failing = install([{ name: 'notes', onUserVerified: async () => Promise.reject(new Error('boom')) }], { sendFails: true })
    // AuthService logs what comes through (the hook is then lost, as without the job).
    await expect(failing.hooks[0]!(userId, 'ada@example.test')).rejects.toThrow('database down')
  })
})
