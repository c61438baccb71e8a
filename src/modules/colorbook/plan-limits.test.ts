import { describe, expect, it } from 'vitest'
import { AppError } from '../../core/errors/app-error.js'
import { registerErrorCodes } from '../../core/errors/catalog.js'
import type { PlanRow } from './db/schema.js'
import { colorbookErrors } from './errors.js'
import { checkPlanLimit } from './plan-limits.js'

registerErrorCodes(colorbookErrors)

const plan = (limits: Partial<PlanRow>): PlanRow => ({ id: 'free', name: 'Free', projects: 10, storageBytes: 1, versionsPerProject: 10, collaboratorsPerProject: 0, premiumTemplates: false, exportWithoutWatermark: false, whiteLabel: false, updatedAt: new Date(), ...limits })
const repos = (row: PlanRow) => ({ plans: { planOf: async () => row } }) as unknown as Parameters<typeof checkPlanLimit>[0]

describe('checkPlanLimit', () => {
  it('allows below the limit and always when the plan has none (null)', async () => {
    await expect(checkPlanLimit(repos(plan({})), 'u', 'versionsPerProject', 9)).resolves.toBeUndefined()
    await expect(checkPlanLimit(repos(plan({ versionsPerProject: null })), 'u', 'versionsPerProject', 10_000)).resolves.toBeUndefined()
  })

  it('refuses at the limit with 402 PLAN_LIMIT_REACHED and {limit, used, allowed, plan}; 0 collaborators means no sharing', async () => {
    const refused = await checkPlanLimit(repos(plan({})), 'u', 'versionsPerProject', 10).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(AppError)
    expect(refused).toMatchObject({ code: 'PLAN_LIMIT_REACHED', status: 402, details: { limit: 'versionsPerProject', used: 10, allowed: 10, plan: 'free' } })
    await expect(checkPlanLimit(repos(plan({})), 'u', 'collaboratorsPerProject', 0)).rejects.toMatchObject({ code: 'PLAN_LIMIT_REACHED', details: { allowed: 0 } })
  })
})
