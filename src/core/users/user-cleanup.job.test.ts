import { describe, expect, it } from 'vitest'
import type { JobContext } from '../jobs/index.js'
import { userCleanupJob } from './user-cleanup.job.js'

const userId = '0190a000-0000-7000-8000-0000000000aa'
const job = { id: 'j1', name: 'users.module-cleanup', attempt: 1, maxAttempts: 11, log: { info: () => {} }, signal: new AbortController().signal } as unknown as JobContext

describe('users.module-cleanup', () => {
  it('runs the named module’s onUserDeleted with the account id', async () => {
    const erased: string[] = []
    const definition = userCleanupJob([{ name: 'notes', onUserDeleted: async (id) => void erased.push(id) }, { name: 'quiet' }])
    await definition.handle({ module: 'notes', userId }, job)
    expect(erased).toEqual([userId])
    expect(definition).toMatchObject({ retryLimit: 10, retryDelaySeconds: 2 })
  })

  it('fails (to be retried, then dead-lettered) for a module this process does not run or that has no hook', async () => {
    const definition = userCleanupJob([{ name: 'quiet' }])
    await expect(definition.handle({ module: 'gone', userId }, job)).rejects.toThrow('Module "gone" has no onUserDeleted in this process')
    await expect(definition.handle({ module: 'quiet', userId }, job)).rejects.toThrow('Module "quiet" has no onUserDeleted in this process')
  })

  it('lets a failing hook’s error through, so the attempt fails', async () => {
    const definition = userCleanupJob([{ name: 'notes', onUserDeleted: async () => Promise.reject(new Error('storage is down')) }])
    await expect(definition.handle({ module: 'notes', userId }, job)).rejects.toThrow('storage is down')
  })
})
