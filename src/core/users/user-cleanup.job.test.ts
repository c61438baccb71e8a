import { describe, expect, it } from 'vitest'
import type { JobContext } from '../jobs/index.js'
import { userCleanupJobs } from './user-cleanup.job.js'

const userId = '0190a000-0000-7000-8000-0000000000aa'
const job = { id: 'j1', name: 'users.module-cleanup.notes', attempt: 1, maxAttempts: 11, log: { info: () => {} }, signal: new AbortController().signal } as unknown as JobContext

describe('users.module-cleanup.<module>', () => {
  it('one queue per module with an onUserDeleted hook, running that module’s hook with the account id', async () => {
    const erased: string[] = []
    const definitions = userCleanupJobs([{ name: 'notes', onUserDeleted: async (id: string) => void erased.push(id) }, { name: 'quiet' }])
    expect(definitions.map((d) => d.name)).toEqual(['users.module-cleanup.notes'])
    await definitions[0]!.handle({ module: 'notes', userId }, job)
    expect(erased).toEqual([userId])
    expect(definitions[0]).toMatchObject({ retryLimit: 10, retryDelaySeconds: 2 })
  })

  it('no queue for a module this process does not run or that has no hook; a job naming another module in its queue fails', async () => {
    expect(userCleanupJobs([{ name: 'quiet' }])).toEqual([])
    const [definition] = userCleanupJobs([{ name: 'notes', onUserDeleted: async () => {} }])
    await expect(definition!.handle({ module: 'gone', userId }, job)).rejects.toThrow('names the module "gone"')
  })

  it('lets a failing hook’s error through, so the attempt fails', async () => {
    const [definition] = userCleanupJobs([{ name: 'notes', onUserDeleted: async () => Promise.reject(new Error('storage is down')) }])
    await expect(definition!.handle({ module: 'notes', userId }, job)).rejects.toThrow('storage is down')
  })
})
