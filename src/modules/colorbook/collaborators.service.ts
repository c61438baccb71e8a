import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../../core/access/actor.js'
import { newId } from '../../core/db/columns.js'
import type { ModuleMail } from '../../core/email/module-mail.js'
import { AppError, notFound } from '../../core/errors/app-error.js'
import type { RealtimePublisher } from '../../core/realtime/index.js'
import type { UserDirectory, UserProfile } from '../../core/users/directory.js'
import type { ProjectAccess } from './access.js'
import { INVITE_TEMPLATE, SHARED_TEMPLATE, type ShareMail } from './collaborators.mail.js'
import type { CollaboratorRow, PendingShareRow } from './collaborators.repository.js'
import type { ProjectRow } from './db/schema.js'
import type { CollaboratorRole } from './domain.js'
import { projectRoom, type ColorbookEvents, type PendingEvent } from './events.js'
import type { ColorbookRepositories, ColorbookStore } from './store.js'

/** However large a plan's allowance (null: unlimited), one project is shared with at most this many. */
export const MAX_SHARES = 1000

export type CollaboratorView = ReturnType<typeof toCollaboratorView>
export type PendingShareView = ReturnType<typeof toPendingView>

const toCollaboratorView = (row: CollaboratorRow, profile: UserProfile | undefined) => ({
  userId: row.userId,
  role: row.role,
  name: profile?.name ?? 'Deleted user',
  username: profile?.username ?? null,
  avatarUrl: profile?.avatarUrl ?? null,
  invitedBy: row.invitedBy,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
})
const toPendingView = (row: PendingShareRow) => ({ id: row.id, email: row.email, role: row.role, invitedBy: row.invitedBy, createdAt: row.createdAt.toISOString() })
const eventData = (row: CollaboratorRow) => ({ projectId: row.projectId, userId: row.userId, role: row.role })

export type ShareResult = { status: 'added'; collaborator: CollaboratorView } | { status: 'invited'; pending: PendingShareView }

/**
 * Sharing a project: only its owner shares, changes roles and removes collaborators (a collaborator
 * may leave). An address with an account gets the share at once; another gets an invitation, and the
 * share applies once an account with that address verifies it (`onUserVerified`).
 */
export class CollaboratorsService {
  constructor(
    private readonly access: ProjectAccess,
    private readonly store: ColorbookStore,
    private readonly events: ColorbookEvents,
    private readonly deps: { users: UserDirectory; mail: ModuleMail; realtime: Pick<RealtimePublisher, 'revoke'>; publicUrl: string; log: FastifyBaseLogger },
  ) {}

  /** Any reader sees who else has the project; the pending invitations (addresses) are the owner's to see. */
  async list(actor: Actor, projectId: string): Promise<{ items: CollaboratorView[]; pending: PendingShareView[] }> {
    const { role } = await this.access.check(actor, this.store.repos, projectId, 'read')
    const rows = await this.store.repos.collaborators.list(projectId)
    const profiles = await this.deps.users.profiles(rows.map((row) => row.userId))
    const pending = role === 'owner' ? await this.store.repos.collaborators.pendingOf(projectId) : []
    return { items: rows.map((row) => toCollaboratorView(row, profiles.get(row.userId))), pending: pending.map(toPendingView) }
  }

  async share(actor: Actor, projectId: string, input: { email: string; role: CollaboratorRole }): Promise<ShareResult> {
    this.access.permit(actor)
    const email = input.email.trim().toLowerCase()
    const account = await this.deps.users.byEmail(email)
    const outcome = await this.store.transaction(async (repos) => {
      const { project } = await this.access.check(actor, repos, projectId, 'own', { lock: true })
      if (account?.id === actor.id) throw new AppError('COLORBOOK_SHARE_SELF')
      if (account ? await repos.collaborators.find(projectId, account.id) : await repos.collaborators.findPending(projectId, email)) {
        throw new AppError('COLORBOOK_ALREADY_SHARED', undefined, { email })
      }
      await checkShareLimit(repos, project)
      if (account) {
        const added = (await repos.collaborators.insert({ projectId, userId: account.id, role: input.role, invitedBy: actor.id }))!
        await repos.changes.grant(projectId, [added.userId])
        return { project, added }
      }
      return { project, pending: await repos.collaborators.insertPending({ id: newId(), projectId, email, role: input.role, invitedBy: actor.id }) }
    })
    const mail = { ownerName: await this.nameOf(actor.id), projectTitle: outcome.project.title, role: input.role }
    if (outcome.added) {
      this.events.publish([{ projectId, event: 'collaborator.added', data: eventData(outcome.added) }])
      await this.send({ userId: outcome.added.userId }, SHARED_TEMPLATE, { ...mail, url: `${this.deps.publicUrl}/projects/${projectId}` })
      return { status: 'added', collaborator: toCollaboratorView(outcome.added, account ?? undefined) }
    }
    await this.send({ address: email }, INVITE_TEMPLATE, { ...mail, url: `${this.deps.publicUrl}/register?email=${encodeURIComponent(email)}` })
    return { status: 'invited', pending: toPendingView(outcome.pending) }
  }

  async changeRole(actor: Actor, projectId: string, userId: string, role: CollaboratorRole): Promise<CollaboratorView> {
    const row = await this.store.transaction(async (repos) => {
      await this.access.check(actor, repos, projectId, 'own', { lock: true })
      const current = (await repos.collaborators.find(projectId, userId)) ?? missing()
      if (current.role === role) return current
      const changed = (await repos.collaborators.setRole(projectId, userId, role, new Date()))!
      await repos.changes.grant(projectId, [userId])
      return changed
    })
    this.events.publish([{ projectId, event: 'collaborator.updated', data: eventData(row) }])
    const profiles = await this.deps.users.profiles([userId])
    return toCollaboratorView(row, profiles.get(userId))
  }

  /** The owner removes anyone; a collaborator may remove themselves (leave). Their live subscription ends at once. */
  async remove(actor: Actor, projectId: string, userId: string): Promise<void> {
    const row = await this.store.transaction(async (repos) => {
      const { project } = await this.access.check(actor, repos, projectId, actor.id === userId ? 'read' : 'own', { lock: true, trashed: 'allow' })
      const removed = (await repos.collaborators.delete(projectId, userId)) ?? missing()
      // Their devices drop the project: a tombstone in their feed only.
      await repos.changes.record([{ projectId, entity: 'project', entityId: projectId, op: 'delete', version: project.version + 1, audience: [removed.userId] }])
      return removed
    })
    this.events.publish([{ projectId, event: 'collaborator.removed', data: { projectId, userId } }])
    await this.deps.realtime.revoke(projectRoom(projectId), [row.userId])
  }

  /** Withdraws an invitation that no account has taken up yet (the owner only). */
  async cancelInvitation(actor: Actor, projectId: string, shareId: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      await this.access.check(actor, repos, projectId, 'own', { lock: true, trashed: 'allow' })
      if (!(await repos.collaborators.deletePending(projectId, shareId))) throw notFound('Invitation')
    })
  }

  /** `onUserVerified`: the shares waiting for this address become the account's (each project in its own transaction). */
  async applyPending(userId: string, email: string): Promise<number> {
    const waiting = await this.store.repos.collaborators.pendingFor(email.toLowerCase())
    let applied = 0
    for (const share of waiting) {
      const published: PendingEvent[] = await this.store.transaction(async (repos) => {
        const project = await repos.versions.lockProject(share.projectId)
        if (!project || !(await repos.collaborators.accept(share.id, new Date()))) return []
        if (project.ownerId === userId) return []
        const row = await repos.collaborators.insert({ projectId: share.projectId, userId, role: share.role, invitedBy: share.invitedBy })
        if (row) await repos.changes.grant(share.projectId, [userId])
        return row ? [{ projectId: share.projectId, event: 'collaborator.added' as const, data: eventData(row) }] : []
      })
      applied += published.length
      this.events.publish(published)
    }
    return applied
  }

  private async nameOf(userId: string): Promise<string> {
    return (await this.deps.users.profiles([userId])).get(userId)?.name ?? 'Someone'
  }

  /** After the commit; a failure to queue the e-mail is logged (the share stands). */
  private async send(to: { userId: string } | { address: string }, template: string, data: ShareMail): Promise<void> {
    await this.deps.mail.send({ to, template, data }).catch((err: unknown) => this.deps.log.error({ err, template }, 'colorbook share e-mail not queued'))
  }
}

/** 402 PLAN_LIMIT_REACHED past the owner's plan (`collaboratorsPerProject`; 0: no sharing). Inside the transaction, the project locked. */
async function checkShareLimit(repos: ColorbookRepositories, project: ProjectRow): Promise<void> {
  const plan = await repos.plans.planOf(project.ownerId)
  const used = await repos.collaborators.countShares(project.id)
  const allowed = plan.collaboratorsPerProject
  if (allowed !== null && used >= allowed) {
    const message = allowed === 0 ? `The ${plan.name} plan does not include sharing.` : `The ${plan.name} plan allows ${allowed} collaborators per project.`
    throw new AppError('PLAN_LIMIT_REACHED', message, { limit: 'collaboratorsPerProject', used, allowed, plan: plan.id })
  }
  if (used >= MAX_SHARES) throw new AppError('COLORBOOK_SHARE_LIMIT', undefined, { allowed: MAX_SHARES })
}

const missing = (): never => {
  throw notFound('Collaborator')
}
