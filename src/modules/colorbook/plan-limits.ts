import { AppError } from '../../core/errors/app-error.js'
import type { ColorbookRepositories } from './store.js'

/**
 * Refuses one more project past the owner's plan (402 PLAN_LIMIT_REACHED, details {limit, used,
 * allowed, plan}). Call inside the write's transaction: it takes the owner's lock first, so two
 * creates at the limit store one.
 */
export async function checkProjectLimit(repos: Pick<ColorbookRepositories, 'projects' | 'plans'>, ownerId: string): Promise<void> {
  await repos.projects.lockOwner(ownerId)
  const plan = await repos.plans.planOf(ownerId)
  if (plan.projects === null) return
  const used = await repos.projects.countActive(ownerId)
  if (used >= plan.projects) {
    throw new AppError('PLAN_LIMIT_REACHED', `The ${plan.name} plan allows ${plan.projects} projects outside the trash.`, { limit: 'projects', used, allowed: plan.projects, plan: plan.id })
  }
}

/** The plan limits counted per owner or per project (null in a plan: unlimited). */
export type CountedLimit = 'projects' | 'versionsPerProject' | 'collaboratorsPerProject'

/**
 * Refuses one more of `limit` when `used` already reaches the owner's plan (402 PLAN_LIMIT_REACHED,
 * details {limit, used, allowed, plan}). For areas that count their own rows (versions, collaborators):
 * call inside the write's transaction after locking what `used` counts (the project row), so two
 * writes at the limit store one. A downgrade never removes anything: only the next write is refused.
 */
export async function checkPlanLimit(repos: Pick<ColorbookRepositories, 'plans'>, ownerId: string, limit: CountedLimit, used: number): Promise<void> {
  const plan = await repos.plans.planOf(ownerId)
  const allowed = plan[limit]
  if (allowed === null || used < allowed) return
  throw new AppError('PLAN_LIMIT_REACHED', `The ${plan.name} plan allows ${allowed} (${limit}).`, { limit, used, allowed, plan: plan.id })
}
