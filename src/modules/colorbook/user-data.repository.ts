import { and, asc, count, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import {
  branding,
  changes,
  collaborators,
  drawings,
  exports,
  images,
  pendingShares,
  projects,
  projectVersions,
  stories,
  subscriptions,
  syncMutations,
  templateRatings,
  templates,
  usageEvents,
} from './db/schema.js'

const countOf = (table: typeof stories | typeof images | typeof drawings | typeof projectVersions) =>
  sql<number>`(select count(*)::int from ${table} c where c.project_id = "colorbook_projects"."id")`

/** What ColorBook holds about one person: for their data export, and to erase it when the account is deleted. */
export function createUserDataRepository(db: Db) {
  return {
    /** Their own projects (trashed ones too), oldest first, with how many children and versions each has. */
    projectsOf(userId: string) {
      return db
        .select({
          id: projects.id,
          title: projects.title,
          createdAt: projects.createdAt,
          trashedAt: projects.trashedAt,
          stories: countOf(stories),
          images: countOf(images),
          drawings: countOf(drawings),
          versions: countOf(projectVersions),
        })
        .from(projects)
        .where(eq(projects.ownerId, userId))
        .orderBy(asc(projects.createdAt), asc(projects.id))
    },

    /** The projects shared with them: id, title, role, since. */
    collaborationsOf(userId: string) {
      return db
        .select({ projectId: collaborators.projectId, title: projects.title, role: collaborators.role, since: collaborators.createdAt })
        .from(collaborators)
        .innerJoin(projects, eq(projects.id, collaborators.projectId))
        .where(eq(collaborators.userId, userId))
        .orderBy(asc(collaborators.createdAt), asc(collaborators.projectId))
    },

    templatesOf(userId: string) {
      return db
        .select({ id: templates.id, title: templates.title, public: templates.public, premium: templates.premium, usageCount: templates.usageCount, ratingCount: templates.ratingCount, createdAt: templates.createdAt })
        .from(templates)
        .where(eq(templates.authorId, userId))
        .orderBy(asc(templates.createdAt), asc(templates.id))
    },

    ratingsOf(userId: string) {
      return db
        .select({ templateId: templateRatings.templateId, rating: templateRatings.rating, updatedAt: templateRatings.updatedAt })
        .from(templateRatings)
        .where(eq(templateRatings.userId, userId))
        .orderBy(asc(templateRatings.createdAt), asc(templateRatings.templateId))
    },

    async usageEventsOf(userId: string): Promise<number> {
      const [row] = await db.select({ n: count() }).from(usageEvents).where(eq(usageEvents.userId, userId))
      return row?.n ?? 0
    },

    async subscriptionOf(userId: string) {
      const [row] = await db.select({ plan: subscriptions.planId, status: subscriptions.status, currentPeriodEnd: subscriptions.currentPeriodEnd }).from(subscriptions).where(eq(subscriptions.userId, userId))
      return row
    },

    /** The ids of their own projects, trashed ones too. */
    async ownedIds(userId: string): Promise<string[]> {
      return (await db.select({ id: projects.id }).from(projects).where(eq(projects.ownerId, userId))).map((row) => row.id)
    },

    /**
     * Erases the rest of what the module holds about the person (their projects are gone first, one
     * transaction each): their ratings (each template's sum and count lose them), their templates,
     * their collaborations, the invitations they sent, their branding, sync mutations and export
     * jobs. Their usage events stay, anonymised (no user, no metadata), so counts still add up. Their
     * subscription mirror goes unless it names a Stripe customer (billing may still need it). Other
     * projects' versions and collaborators stop naming them as creator or inviter; sync-log
     * audiences stop naming them. Idempotent. Returns the projects they no longer collaborate on.
     */
    async erase(userId: string): Promise<string[]> {
      await db.execute(sql`
        with gone as (delete from ${templateRatings} where user_id = ${userId} returning template_id, rating),
        per as (select template_id, sum(rating)::int as s, count(*)::int as n from gone group by template_id)
        update ${templates} t set rating_sum = t.rating_sum - per.s, rating_count = t.rating_count - per.n
        from per where t.id = per.template_id`)
      await db.delete(templates).where(eq(templates.authorId, userId))
      const left = await db.delete(collaborators).where(eq(collaborators.userId, userId)).returning({ projectId: collaborators.projectId })
      await db.update(collaborators).set({ invitedBy: null }).where(eq(collaborators.invitedBy, userId))
      await db.delete(pendingShares).where(eq(pendingShares.invitedBy, userId))
      await db.update(projectVersions).set({ createdBy: null }).where(eq(projectVersions.createdBy, userId))
      await db.update(usageEvents).set({ userId: null, metadata: {} }).where(eq(usageEvents.userId, userId))
      await db.delete(branding).where(eq(branding.userId, userId))
      await db.delete(subscriptions).where(and(eq(subscriptions.userId, userId), isNull(subscriptions.stripeCustomerId)))
      await db.delete(syncMutations).where(eq(syncMutations.userId, userId))
      await db.delete(exports).where(eq(exports.userId, userId))
      const named = sql`${changes.audience} @> array[${userId}::uuid]`
      await db.update(changes).set({ audience: sql`array_remove(${changes.audience}, ${userId}::uuid)` }).where(named)
      await db.delete(changes).where(sql`${changes.audience} = '{}'::uuid[]`)
      return left.map((row) => row.projectId)
    },
  }
}

export type UserDataRepository = ReturnType<typeof createUserDataRepository>
