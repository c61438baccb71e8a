import { asc, eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { collaborators, pendingShares, projectVersions } from '../../src/modules/colorbook/db/schema.js'

/** What the versions and collaborators tests read (and break) in the database directly. */
const db = (app: FastifyInstance) => app.platform.database.db

export const storedVersions = (app: FastifyInstance, projectId: string) =>
  db(app).select().from(projectVersions).where(eq(projectVersions.projectId, projectId)).orderBy(asc(projectVersions.createdAt), asc(projectVersions.id))

/** Rewrites a stored snapshot (to make a restore fail part-way). */
export async function editSnapshot(app: FastifyInstance, versionId: string, edit: (snapshot: Record<string, unknown>) => void): Promise<void> {
  const [row] = await db(app).select().from(projectVersions).where(eq(projectVersions.id, versionId))
  const snapshot = row!.snapshot
  edit(snapshot)
  await db(app).update(projectVersions).set({ snapshot }).where(eq(projectVersions.id, versionId))
}

export const storedCollaborators = (app: FastifyInstance, projectId: string) => db(app).select().from(collaborators).where(eq(collaborators.projectId, projectId))
export const storedPending = (app: FastifyInstance, projectId: string) => db(app).select().from(pendingShares).where(eq(pendingShares.projectId, projectId))

/** The platform's retried `onUserVerified` jobs for one account (`users.module-verified.<module>`), newest first. */
export const verifiedHookJobs = async (app: FastifyInstance, module: string, userId: string) =>
  (await app.platform.jobs.list(`users.module-verified.${module}`)).filter((job) => (job.payload as { userId?: string } | null)?.userId === userId)
