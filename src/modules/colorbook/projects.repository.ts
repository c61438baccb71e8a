import { and, asc, count, desc, eq, exists, gt, ilike, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { containsPattern } from '../../core/db/columns.js'
import { collaborators, drawings, images, projects, type NewProjectRow, type ProjectRow } from './db/schema.js'
import type { ProjectRole } from './domain.js'

/** What PUT/PATCH may change. */
export type ProjectChanges = Partial<Pick<NewProjectRow, 'title' | 'description' | 'tags' | 'pageSize' | 'pageOrientation' | 'settings' | 'coverFileId'>>

export interface ProjectFilters {
  q?: string
  tag?: string
  templateId?: string
  trashed?: boolean
  updatedAfter?: Date
}

export const PROJECT_SORTS = ['-updatedAt', 'updatedAt', '-createdAt', 'createdAt', 'title', '-title'] as const
export type ProjectSort = (typeof PROJECT_SORTS)[number]

/** Where the previous page ended: the sort column's value and the id. */
export interface ProjectPosition {
  value: Date | string
  id: string
}

/** Titles sort alphabetically whatever their case, the same on every server (lower case, code-point order). */
const titleKey = sql<string>`lower(${projects.title}) collate "C"`
const sortColumns = { updatedAt: projects.updatedAt, createdAt: projects.createdAt, title: titleKey } as const

/** A project with the caller's role in it. */
export interface ProjectAccessRow {
  project: ProjectRow
  role: ProjectRole
  /** The title's sort key (lists only). */
  titleKey?: string
}

export function createProjectsRepository(db: Db) {
  /** The caller owns the project, or is one of its collaborators. */
  const visibleTo = (userId: string): SQL =>
    or(eq(projects.ownerId, userId), exists(db.select({ one: sql`1` }).from(collaborators).where(and(eq(collaborators.projectId, projects.id), eq(collaborators.userId, userId)))))!

  return {
    async insert(values: NewProjectRow): Promise<ProjectRow> {
      const [row] = await db.insert(projects).values(values).returning()
      return row!
    },

    async findById(id: string): Promise<ProjectRow | undefined> {
      const [row] = await db.select().from(projects).where(eq(projects.id, id)).limit(1)
      return row
    },

    /** The project and what `userId` is to it; undefined when it does not exist or they are neither owner nor collaborator. */
    async access(id: string, userId: string, options: { lock?: boolean } = {}): Promise<ProjectAccessRow | undefined> {
      const query = db
        .select({ project: projects, role: collaborators.role })
        .from(projects)
        .leftJoin(collaborators, and(eq(collaborators.projectId, projects.id), eq(collaborators.userId, userId)))
        .where(eq(projects.id, id))
        .limit(1)
      const [row] = await (options.lock ? query.for('update', { of: projects }) : query)
      if (!row) return undefined
      if (row.project.ownerId === userId) return { project: row.project, role: 'owner' }
      return row.role ? { project: row.project, role: row.role } : undefined
    },

    /** The changes at `version`: the version goes up by one. Undefined when the version is stale or the project is gone. */
    async update(id: string, version: number, changes: Partial<NewProjectRow>, at: Date): Promise<ProjectRow | undefined> {
      const [row] = await db
        .update(projects)
        .set({ ...changes, version: sql`${projects.version} + 1`, updatedAt: at })
        .where(and(eq(projects.id, id), eq(projects.version, version)))
        .returning()
      return row
    },

    /** A child changed: the project counts as updated (lists sort by it); its own version stays. */
    async touch(id: string, at: Date): Promise<void> {
      await db.update(projects).set({ updatedAt: at }).where(eq(projects.id, id))
    },

    /** Deletes the project and (cascading) its children; false when it was already gone. */
    async delete(id: string): Promise<ProjectRow | undefined> {
      const [row] = await db.delete(projects).where(eq(projects.id, id)).returning()
      return row
    },

    /**
     * Serializes the plan-limit checks of one owner until the transaction ends (two creates at the
     * limit: the second counts the first). An advisory lock, as users without a subscription row have
     * nothing else to lock.
     */
    async lockOwner(ownerId: string): Promise<void> {
      await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`colorbook.projects:${ownerId}`}, 0))`)
    },

    /** Projects the owner has outside the trash (what the plan's `projects` limit counts). */
    async countActive(ownerId: string): Promise<number> {
      const [row] = await db.select({ n: count() }).from(projects).where(and(eq(projects.ownerId, ownerId), isNull(projects.trashedAt)))
      return row?.n ?? 0
    },

    /** One page of the caller's own and shared projects (trashed: their own only), in `sort` order after `after`. */
    async list(userId: string, filters: ProjectFilters, sort: ProjectSort, limit: number, after?: ProjectPosition): Promise<ProjectAccessRow[]> {
      const descending = sort.startsWith('-')
      const column = sortColumns[sort.replace('-', '') as keyof typeof sortColumns]
      const where: (SQL | undefined)[] = [filters.trashed ? and(eq(projects.ownerId, userId), isNotNull(projects.trashedAt)) : and(visibleTo(userId), isNull(projects.trashedAt))]
      if (filters.q !== undefined) where.push(or(ilike(projects.title, containsPattern(filters.q)), ilike(projects.description, containsPattern(filters.q))))
      if (filters.tag !== undefined) where.push(sql`${projects.tags} @> array[${filters.tag}]::text[]`)
      if (filters.templateId !== undefined) where.push(eq(projects.templateId, filters.templateId))
      if (filters.updatedAfter !== undefined) where.push(gt(projects.updatedAt, filters.updatedAfter))
      if (after) {
        const value = after.value instanceof Date ? sql`${after.value.toISOString()}::timestamptz` : sql`${after.value}`
        where.push(descending ? sql`(${column}, ${projects.id}) < (${value}, ${after.id})` : sql`(${column}, ${projects.id}) > (${value}, ${after.id})`)
      }
      const order = descending ? [desc(column), desc(projects.id)] : [asc(column), asc(projects.id)]
      const rows = await db
        .select({ project: projects, role: collaborators.role, titleKey })
        .from(projects)
        .leftJoin(collaborators, and(eq(collaborators.projectId, projects.id), eq(collaborators.userId, userId)))
        .where(and(...where))
        .orderBy(...order)
        .limit(limit)
      return rows.map((row) => ({ project: row.project, role: row.project.ownerId === userId ? 'owner' : row.role!, titleKey: row.titleKey }))
    },

    /** Projects trashed before `before`, oldest first (the purge job's batch). */
    async trashedBefore(before: Date, limit: number): Promise<ProjectRow[]> {
      return db.select().from(projects).where(lt(projects.trashedAt, before)).orderBy(asc(projects.trashedAt)).limit(limit)
    },

    /** Whether `userId` may read a project that uses the file (as a cover, an image or a drawing's preview). */
    async fileVisibleTo(fileId: string, userId: string): Promise<boolean> {
      const usedBy = or(
        eq(projects.coverFileId, fileId),
        exists(db.select({ one: sql`1` }).from(images).where(and(eq(images.projectId, projects.id), eq(images.fileId, fileId)))),
        exists(db.select({ one: sql`1` }).from(drawings).where(and(eq(drawings.projectId, projects.id), eq(drawings.previewFileId, fileId)))),
      )
      const [row] = await db.select({ id: projects.id }).from(projects).where(and(usedBy, visibleTo(userId))).limit(1)
      return row !== undefined
    },
  }
}

export type ProjectsRepository = ReturnType<typeof createProjectsRepository>
