import { and, asc, count, eq, isNull } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { collaborators, pendingShares, type CollaboratorRow } from './db/schema.js'
import type { CollaboratorRole } from './domain.js'

export type PendingShareRow = typeof pendingShares.$inferSelect
export type { CollaboratorRow }

/** Who a project is shared with, and the shares waiting for an address to register and verify. */
export function createCollaboratorsRepository(db: Db) {
  const open = (projectId: string) => and(eq(pendingShares.projectId, projectId), isNull(pendingShares.acceptedAt))

  return {
    async list(projectId: string): Promise<CollaboratorRow[]> {
      return db.select().from(collaborators).where(eq(collaborators.projectId, projectId)).orderBy(asc(collaborators.createdAt), asc(collaborators.userId))
    },

    async find(projectId: string, userId: string): Promise<CollaboratorRow | undefined> {
      const [row] = await db
        .select()
        .from(collaborators)
        .where(and(eq(collaborators.projectId, projectId), eq(collaborators.userId, userId)))
        .limit(1)
      return row
    },

    /** Undefined when the user already is one (their role stays). */
    async insert(values: { projectId: string; userId: string; role: CollaboratorRole; invitedBy: string | null }): Promise<CollaboratorRow | undefined> {
      const [row] = await db.insert(collaborators).values(values).onConflictDoNothing().returning()
      return row
    },

    async setRole(projectId: string, userId: string, role: CollaboratorRole, at: Date): Promise<CollaboratorRow | undefined> {
      const [row] = await db
        .update(collaborators)
        .set({ role, updatedAt: at })
        .where(and(eq(collaborators.projectId, projectId), eq(collaborators.userId, userId)))
        .returning()
      return row
    },

    async delete(projectId: string, userId: string): Promise<CollaboratorRow | undefined> {
      const [row] = await db
        .delete(collaborators)
        .where(and(eq(collaborators.projectId, projectId), eq(collaborators.userId, userId)))
        .returning()
      return row
    },

    /** Collaborators plus open pending shares: what the plan's `collaboratorsPerProject` counts. */
    async countShares(projectId: string): Promise<number> {
      const [people] = await db.select({ n: count() }).from(collaborators).where(eq(collaborators.projectId, projectId))
      const [waiting] = await db.select({ n: count() }).from(pendingShares).where(open(projectId))
      return (people?.n ?? 0) + (waiting?.n ?? 0)
    },

    async pendingOf(projectId: string): Promise<PendingShareRow[]> {
      return db.select().from(pendingShares).where(open(projectId)).orderBy(asc(pendingShares.createdAt), asc(pendingShares.id))
    },

    /** The open share to this address (lower case), if any. */
    async findPending(projectId: string, email: string): Promise<PendingShareRow | undefined> {
      const [row] = await db
        .select()
        .from(pendingShares)
        .where(and(open(projectId), eq(pendingShares.email, email)))
        .limit(1)
      return row
    },

    async insertPending(values: { id: string; projectId: string; email: string; role: CollaboratorRole; invitedBy: string }): Promise<PendingShareRow> {
      // An accepted share to the same address (the account was removed since) makes way for the new one.
      await db.delete(pendingShares).where(and(eq(pendingShares.projectId, values.projectId), eq(pendingShares.email, values.email)))
      const [row] = await db.insert(pendingShares).values(values).returning()
      return row!
    },

    async deletePending(projectId: string, id: string): Promise<PendingShareRow | undefined> {
      const [row] = await db
        .delete(pendingShares)
        .where(and(open(projectId), eq(pendingShares.id, id)))
        .returning()
      return row
    },

    /** Open shares to the address (lower case), of every project. */
    async pendingFor(email: string): Promise<PendingShareRow[]> {
      return db
        .select()
        .from(pendingShares)
        .where(and(eq(pendingShares.email, email), isNull(pendingShares.acceptedAt)))
        .orderBy(asc(pendingShares.createdAt))
    },

    /** Marks the share accepted; false when it was no longer open. */
    async accept(id: string, at: Date): Promise<boolean> {
      const rows = await db
        .update(pendingShares)
        .set({ acceptedAt: at })
        .where(and(eq(pendingShares.id, id), isNull(pendingShares.acceptedAt)))
        .returning({ id: pendingShares.id })
      return rows.length > 0
    },
  }
}

export type CollaboratorsRepository = ReturnType<typeof createCollaboratorsRepository>
