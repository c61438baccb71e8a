import type { Actor } from '../access/actor.js'
import type { SessionRow } from '../auth/db/schema.js'
import type { RequestMeta } from '../auth/request-meta.js'
import type { SessionService } from '../auth/session.service.js'
import { toAuditEntryView, type AuditEntryView } from '../audit/audit.view.js'
import { notFound } from '../errors/app-error.js'
import type { JobSender, SendOptions } from '../jobs/index.js'
import { assertAnotherAdminRemains, isActiveAdmin, type UserAccess } from './user-access.js'
import { toUserView, type UserView } from './user.view.js'
import { userCleanupType } from './user-cleanup.job.js'
import type { UsersStore } from './users.store.js'

/** An enabled module's part in exports and deletions, bound to the module's api. */
export interface ModuleUserData {
  readonly name: string
  exportUserData?(userId: string): Promise<unknown>
  onUserDeleted?(userId: string): Promise<void>
}

export interface UserExport {
  exportedAt: string
  account: UserView & { emailVerifiedAt: string | null }
  sessions: ExportedSession[]
  auditLog: AuditEntryView[]
  modules: Record<string, unknown>
}

interface ExportedSession {
  id: string
  ip: string | null
  userAgent: string | null
  createdAt: string
  lastUsedAt: string
  expiresAt: string
  revokedAt: string | null
  revokedReason: string | null
}

/** A user's data as a whole: the export (right of access) and deletion (right to erasure). */
export class UserDataService {
  constructor(
    private readonly store: UsersStore,
    private readonly sessions: SessionService,
    private readonly access: UserAccess,
    private readonly modules: readonly ModuleUserData[],
    private readonly jobs: JobSender,
  ) {}

  /**
   * Erases the account's personal data and ends its sessions, in one transaction; the id stays so
   * that records others see keep a valid reference. Each module erases its part in a
   * `users.module-cleanup.<module>` job of its own (retried until it succeeds), not in this request:
   * the jobs are queued in the same transaction, so they exist if and only if the deletion committed
   * (a job that cannot be queued fails the request, and nothing is deleted).
   */
  async remove(actor: Actor, id: string, meta: RequestMeta): Promise<void> {
    this.access.requireSelfOr(actor, id, 'users:manage', 'Deleting')
    const revoked = await this.store.transaction(async (repos) => {
      const user = await repos.users.findById(id)
      if (!user) throw notFound('User')
      if (isActiveAdmin(user)) await assertAnotherAdminRemains(repos.users, id)
      await repos.users.erase(id)
      await repos.userData.forgetSessionOrigins(id)
      // Its API keys go too (already refused: the account is deleted; the announcement below drops cached copies).
      await repos.apiKeys.deleteOf(id)
      await repos.userData.forgetMessagesTo(user.email)
      await repos.audit.append({ action: 'user.deleted', actorId: actor.id, targetId: id, ...meta })
      await this.queueCleanups(repos.userData.jobConnection(), id)
      return this.sessions.revokeIn(repos, { userId: id }, 'account_deleted', { action: 'auth.sessions_revoked', actorId: actor.id, targetId: id, ...meta })
    })
    await this.sessions.announce(revoked)
  }

  /** Everything stored about the user. An administrator's export of someone else is audited. */
  async export(actor: Actor, id: string, meta: RequestMeta): Promise<UserExport> {
    this.access.requireSelfOr(actor, id, 'users:read', 'Exporting')
    const { users, userData, audit } = this.store.repos
    const user = await users.findById(id)
    if (!user) throw notFound('User')
    const sessions = await userData.sessionsOf(id)
    const entries = await audit.listForUser(id)
    const modules: Record<string, unknown> = {}
    for (const module of this.modules) if (module.exportUserData) modules[module.name] = await module.exportUserData(id)
    if (actor.id !== id) await audit.append({ action: 'user.exported', actorId: actor.id, targetId: id, ...meta })
    return {
      exportedAt: new Date().toISOString(),
      account: { ...toUserView(user), emailVerifiedAt: user.emailVerifiedAt?.toISOString() ?? null },
      sessions: sessions.map(toExportedSession),
      // Where someone else acted on the account, their address is theirs, not this user's.
      auditLog: entries.map(toAuditEntryView).map((entry) => (entry.actorId === id ? entry : { ...entry, ip: null, userAgent: null })),
      modules,
    }
  }

  /**
   * One job per module with an `onUserDeleted` hook, on the module's own queue, inserted in the
   * deletion's transaction: a module that fails is retried without holding up the answer or the
   * other modules, and only instances that run the module fetch it.
   */
  private async queueCleanups(db: NonNullable<SendOptions['db']>, userId: string): Promise<void> {
    for (const module of this.modules) {
      if (module.onUserDeleted) await this.jobs.send(userCleanupType(module.name), { module: module.name, userId }, { db })
    }
  }
}

function toExportedSession(row: SessionRow): ExportedSession {
  return {
    id: row.id,
    ip: row.ip,
    userAgent: row.userAgent,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
    revokedReason: row.revokedReason,
  }
}
