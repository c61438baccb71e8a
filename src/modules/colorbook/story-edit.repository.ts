import { sql } from 'drizzle-orm'
import type { Db } from '../../core/db/client.js'
import { changes, collaborators, projects, stories, type StoryRow } from './db/schema.js'

/** What an edit may change of a story (PATCH/PUT without `position`). */
export interface StoryEdit {
  title?: string | null
  text?: string
}

interface StoryRowText {
  id: string
  project_id: string
  position: number
  title: string | null
  text: string
  version: number
  created_at: Date | string
  updated_at: Date | string
}

/**
 * A story's edit in one statement, for the common case that succeeds: the project's row lock (taken
 * first, as every write of the project takes it: the sync log stays in commit order), the story at the
 * expected version, its sync-log row and the project's activity time, committed on its own. The lock
 * is held for the statement alone, not across round trips. Undefined when anything would refuse it —
 * no such story, the caller neither the owner nor an editor, the project in the trash, a stale
 * version: the caller then takes the transactional path, which says which.
 */
export function createStoryEditRepository(db: Db) {
  return {
    async edit(id: string, actorId: string, expectedVersion: number, edit: StoryEdit, at: Date): Promise<StoryRow | undefined> {
      const when = sql`${at.toISOString()}::timestamptz`
      const sets = [
        ...(edit.title !== undefined ? [sql`title = ${edit.title}`] : []),
        ...(edit.text !== undefined ? [sql`text = ${edit.text}`] : []),
        sql`version = ${stories.version} + 1`,
        sql`updated_at = ${when}`,
      ]
      const result: unknown = await db.execute(sql`
        with p as (
          select ${projects.id} as id from ${projects}
          where ${projects.id} = (select ${stories.projectId} from ${stories} where ${stories.id} = ${id})
            and ${projects.trashedAt} is null
            and (${projects.ownerId} = ${actorId}
              or exists (select 1 from ${collaborators} where ${collaborators.projectId} = ${projects.id} and ${collaborators.userId} = ${actorId} and ${collaborators.role} = 'editor'))
          for update of ${projects}
        ), s as (
          update ${stories} set ${sql.join(sets, sql`, `)}
          where ${stories.id} = ${id} and ${stories.version} = ${expectedVersion} and ${stories.projectId} in (select id from p)
          returning id, project_id, position, title, text, version, created_at, updated_at
        ), logged as (
          insert into ${changes} (project_id, entity, entity_id, op, version)
          select project_id, 'story', id, 'update', version from s
        ), touched as (
          update ${projects} set updated_at = ${when} where ${projects.id} in (select project_id from s)
        )
        select * from s`)
      // postgres.js (the driver Plinth runs on) answers the rows as an array.
      const row = (result as StoryRowText[])[0]
      if (!row) return undefined
      return { id: row.id, projectId: row.project_id, position: row.position, title: row.title, text: row.text, version: row.version, createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at) }
    },
  }
}
