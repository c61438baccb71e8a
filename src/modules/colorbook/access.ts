import type { Actor } from '../../core/access/actor.js'
import { isUuid } from '../../core/db/columns.js'
import { AppError, notFound } from '../../core/errors/app-error.js'
import type { ProjectAccessRow } from './projects.repository.js'
import type { ColorbookPermissions } from './permissions.js'
import type { ColorbookRepositories } from './store.js'

type Need = 'read' | 'edit' | 'own'

/**
 * Who may do what to a project: its owner everything; an editor read and change its content; a
 * viewer read. Anyone else, and a collaborator once the project is in the trash, gets 404 as if it
 * did not exist. Content of a trashed project is read-only (409 COLORBOOK_PROJECT_TRASHED).
 */
export class ProjectAccess {
  constructor(
    private readonly permissions: ColorbookPermissions,
    private readonly repos: Pick<ColorbookRepositories, 'projects'>,
  ) {}

  /** The platform-level check alone (colorbook:use), for what names no project yet: lists, creates. */
  permit(actor: Actor): void {
    this.permissions.require(actor)
  }

  /** Whether the actor may follow the project's room (`project:<id>`): whoever may read it. */
  async mayWatch(actor: Actor, projectId: string): Promise<boolean> {
    if (!isUuid(projectId)) return false
    try {
      await this.check(actor, this.repos, projectId, 'read')
      return true
    } catch (error) {
      if (error instanceof AppError && error.status < 500) return false
      throw error
    }
  }

  async check(actor: Actor, repos: Pick<ColorbookRepositories, 'projects'>, projectId: string, need: Need, options: { lock?: boolean; trashed?: 'allow' | 'refuse' } = {}): Promise<ProjectAccessRow> {
    this.permissions.require(actor)
    const found = await repos.projects.access(projectId, actor.id, { lock: options.lock ?? false })
    if (!found || (found.role !== 'owner' && found.project.trashedAt !== null)) throw notFound('Project')
    if (need === 'own' && found.role !== 'owner') throw new AppError('COLORBOOK_OWNER_ONLY')
    if (need === 'edit' && found.role === 'viewer') throw new AppError('COLORBOOK_READ_ONLY')
    const trashed = options.trashed ?? (need === 'read' ? 'allow' : 'refuse')
    if (trashed === 'refuse' && found.project.trashedAt !== null) throw new AppError('COLORBOOK_PROJECT_TRASHED')
    return found
  }
}
