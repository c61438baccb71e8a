import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { changes, characters, collaborators, drawings, images, projects, projectVersions, stories, stylePresets } from './db/schema.js'
import type { ChangeOp, SyncEntity } from './domain.js'

export interface Change {
  projectId: string
  entity: SyncEntity
  entityId: string
  op: ChangeOp
  version: number
  /** Only these users' feeds carry the row (see `colorbook_changes.audience`); unset: everyone who can see the project. */
  audience?: readonly string[]
}

/** The sync log: one row per create, update and delete, written in the transaction that made it. */
export function createChangesRepository(db: Db) {
  return {
    async record(rows: readonly Change[]): Promise<void> {
      if (rows.length === 0) return
      await db.insert(changes).values(rows.map(({ audience, ...row }) => ({ ...row, ...(audience ? { audience: [...audience] } : {}) })))
    },

    /**
     * Everyone who can see the project now: its owner and collaborators (the audience of a purge's
     * tombstone, read before the rows go). Inside the transaction, the project locked.
     */
    async audienceOf(projectId: string): Promise<string[]> {
      const owner = await db.select({ userId: projects.ownerId }).from(projects).where(eq(projects.id, projectId))
      const others = await db.select({ userId: collaborators.userId }).from(collaborators).where(eq(collaborators.projectId, projectId))
      return [...new Set([...owner, ...others].map((row) => row.userId))]
    },

    /**
     * The project as it is now, for `userIds` only: an `update` row for the project and each of its
     * stories, images, drawings, characters, styles and versions (a new collaborator's devices learn the whole project
     * through their feed). Inside the transaction, the project locked.
     */
    async grant(projectId: string, userIds: readonly string[]): Promise<void> {
      if (userIds.length === 0) return
      const audience = sql`${`{${userIds.join(',')}}`}::uuid[]`
      await db.execute(sql`
        insert into ${changes} (project_id, entity, entity_id, op, version, audience)
        select id, 'project', id, 'update', version, ${audience} from ${projects} where id = ${projectId}
        union all select project_id, 'story', id, 'update', version, ${audience} from ${stories} where project_id = ${projectId}
        union all select project_id, 'image', id, 'update', version, ${audience} from ${images} where project_id = ${projectId}
        union all select project_id, 'drawing', id, 'update', version, ${audience} from ${drawings} where project_id = ${projectId}
        union all select project_id, 'character', id, 'update', version, ${audience} from ${characters} where project_id = ${projectId}
        union all select project_id, 'style', id, 'update', version, ${audience} from ${stylePresets} where project_id = ${projectId}
        union all select project_id, 'version', id, 'update', 1, ${audience} from ${projectVersions} where project_id = ${projectId}`)
    },

    /** The project's changes, oldest first (tests and the sync reader's building block). */
    async ofProject(projectId: string): Promise<(Change & { id: number })[]> {
      return db
        .select({ id: changes.id, projectId: changes.projectId, entity: changes.entity, entityId: changes.entityId, op: changes.op, version: changes.version })
        .from(changes)
        .where(sql`${changes.projectId} = ${projectId}`)
        .orderBy(changes.id)
    },
  }
}
