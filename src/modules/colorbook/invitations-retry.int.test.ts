import { describe, expect, it, vi } from 'vitest'
import { availableModules } from '../../app.js'
import type { ModuleDefinition } from '../../core/module.js'
import { useTestApp } from '../../../test/helpers/app.js'
import { loginAs, registerUser, uniqueEmail } from '../../../test/helpers/auth.js'
import { call, createProject, setPlan } from '../../../test/helpers/colorbook.js'
import { storedCollaborators, storedPending, verifiedHookJobs } from '../../../test/helpers/colorbook-sharing.js'
import { linkToken, outbox, waitFor } from '../../../test/helpers/identity.js'
import type { ColorbookApi } from './api.js'
import { colorbookModule } from './index.js'

let api: ColorbookApi
const colorbook: typeof colorbookModule = { ...colorbookModule, createApi: (ctx) => (api = colorbookModule.createApi(ctx)) }
const app = useTestApp({ env: { JOBS_POLL_INTERVAL_MS: '500' }, modules: availableModules.map((m) => (m.name === 'colorbook' ? (colorbook as unknown as ModuleDefinition) : m)) })

/** An enterprise owner's project with an invitation to a new address, and the account that registers with it. */
async function invited(role: 'editor' | 'viewer') {
  const owner = await loginAs(app())
  await setPlan(app(), owner, 'enterprise')
  const project = await createProject(app(), owner)
  const email = uniqueEmail('later')
  const response = await call(app(), owner, 'POST', `/api/projects/${project.id}/collaborators`, { email, role })
  expect(response.statusCode, response.body).toBe(202)
  const newcomer = await registerUser(app(), { email })
  return { project, email, newcomer }
}

async function verify(email: string): Promise<void> {
  const message = await waitFor(async () => (await outbox(app(), email)).find((m) => /Confirm your e-mail/.test(m.subject)))
  const verified = await app().inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token: linkToken(message.text, '/verify-email') } })
  expect(verified.statusCode, verified.body).toBe(200)
}

const jobsOf = (userId: string) => verifiedHookJobs(app(), 'colorbook', userId)

describe('onUserVerified, when it fails', () => {
  it('is retried in a users.module-verified.colorbook job until the share applies', async () => {
    const { project, email, newcomer } = await invited('editor')
    const applyPending = vi.spyOn(api.collaborators, 'applyPending').mockRejectedValueOnce(new Error('connection reset'))
    await verify(email)
    // The verification answered although the hook failed; the share is not there yet.
    expect(applyPending).toHaveBeenCalledTimes(1)

    const view = await waitFor(async () => {
      const response = await call(app(), newcomer, 'GET', `/api/projects/${project.id}`)
      return response.statusCode === 200 ? response.json<{ role: string }>() : undefined
    }, 20_000)
    expect(view).toMatchObject({ role: 'editor' })
    expect(applyPending).toHaveBeenLastCalledWith(newcomer.id, email)
    expect(await storedCollaborators(app(), project.id)).toMatchObject([{ userId: newcomer.id, role: 'editor' }])
    expect(await storedPending(app(), project.id)).toMatchObject([{ email, acceptedAt: expect.any(Date) }])
    // The job stores the account's id only; the address is read again when it runs.
    const [job] = await waitFor(async () => {
      const jobs = await jobsOf(newcomer.id)
      return jobs.some((j) => j.state === 'completed') ? jobs : undefined
    })
    expect(job).toMatchObject({ state: 'completed', payload: { module: 'colorbook', userId: newcomer.id }, attempts: 1 })
    applyPending.mockRestore()
  })

  it('queues nothing when the hook succeeds', async () => {
    const { project, email, newcomer } = await invited('viewer')
    await verify(email)
    // Applied within the verification request, as before.
    expect((await call(app(), newcomer, 'GET', `/api/projects/${project.id}`)).json()).toMatchObject({ role: 'viewer' })
    expect(await jobsOf(newcomer.id)).toEqual([])
  })

  it('does nothing once the account is deleted', async () => {
    const { email, newcomer } = await invited('viewer')
    const applyPending = vi.spyOn(api.collaborators, 'applyPending').mockRejectedValueOnce(new Error('connection reset'))
    await verify(email)
    // Deleted before the retry (queued 2 s ahead): it finds no verified address and completes without calling the hook.
    expect((await call(app(), newcomer, 'DELETE', `/api/users/${newcomer.id}`)).statusCode).toBe(204)
    const [job] = await waitFor(async () => {
      const jobs = await jobsOf(newcomer.id)
      return jobs.some((j) => j.state === 'completed') ? jobs : undefined
    }, 20_000)
    expect(job).toMatchObject({ state: 'completed' })
    expect(applyPending).toHaveBeenCalledTimes(1)
    applyPending.mockRestore()
  })
})
