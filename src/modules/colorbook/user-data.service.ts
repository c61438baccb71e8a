import type { ColorbookEvents } from './events.js'
import type { ColorbookStore } from './store.js'

const iso = (at: Date | null) => at?.toISOString() ?? null

/**
 * A person's part of ColorBook in their data export, and its erasure when their account is deleted
 * (the platform's `users.module-cleanup.colorbook` job: idempotent, retried until it succeeds). AI keys
 * are the AI keys area's (`aiKeys.exportFor` / `eraseFor`, called next to these by the manifest).
 */
export class UserDataService {
  constructor(
    private readonly store: ColorbookStore,
    private readonly events: ColorbookEvents,
  ) {}

  async export(userId: string) {
    const repos = this.store.repos.userData
    const [projects, collaborations, templates, ratings, usageEvents, subscription] = await Promise.all([
      repos.projectsOf(userId),
      repos.collaborationsOf(userId),
      repos.templatesOf(userId),
      repos.ratingsOf(userId),
      repos.usageEventsOf(userId),
      repos.subscriptionOf(userId),
    ])
    return {
      projects: projects.map((p) => ({ ...p, createdAt: p.createdAt.toISOString(), trashedAt: iso(p.trashedAt) })),
      collaborations: collaborations.map((c) => ({ ...c, since: c.since.toISOString() })),
      templates: templates.map((t) => ({ ...t, createdAt: t.createdAt.toISOString() })),
      ratings: ratings.map((r) => ({ ...r, updatedAt: r.updatedAt.toISOString() })),
      usageEvents: { count: usageEvents },
      // No row: the free plan.
      subscription: subscription ? { plan: subscription.plan, status: subscription.status, currentPeriodEnd: iso(subscription.currentPeriodEnd) } : { plan: 'free', status: 'active', currentPeriodEnd: null },
    }
  }

  /**
   * Their projects first, each in its own transaction as a purge (children, versions, characters,
   * exports go with it; the files are theirs and the platform erases them): the tombstone names the
   * collaborators, whose devices drop the project, and their live subscriptions end. Then the rest
   * (`userData.erase`).
   */
  async erase(userId: string): Promise<void> {
    for (const projectId of await this.store.repos.userData.ownedIds(userId)) {
      const audience = await this.store.transaction(async (repos) => {
        const project = await repos.versions.lockProject(projectId)
        if (!project || project.ownerId !== userId) return undefined
        const audience = (await repos.changes.audienceOf(projectId)).filter((id) => id !== userId)
        await repos.projects.delete(projectId)
        if (audience.length > 0) await repos.changes.record([{ projectId, entity: 'project', entityId: projectId, op: 'delete', version: project.version + 1, audience }])
        return audience
      })
      if (!audience) continue
      this.events.publish([{ projectId, event: 'project.deleted', data: { id: projectId } }])
      this.events.revoke(projectId, [userId, ...audience])
    }
    const left = await this.store.transaction((repos) => repos.userData.erase(userId))
    for (const projectId of left) {
      this.events.publish([{ projectId, event: 'collaborator.removed', data: { projectId, userId } }])
      this.events.revoke(projectId, [userId])
    }
  }
}
