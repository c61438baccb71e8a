import type { RealtimePublisher } from '../realtime/index.js'
import { isUuid } from '../db/columns.js'
import type { Actor } from '../access/actor.js'
import type { Role } from '../access/roles.js'
import { insertAccount, type AuthService } from '../auth/auth.service.js'
import type { RequestMeta } from '../auth/request-meta.js'
import type { SessionService } from '../auth/session.service.js'
import { AppError, notFound } from '../errors/app-error.js'
import { decodeCursor, encodeCursor } from '../http/resource/cursor.js'
import type { UserRow } from './db/schema.js'
import { assertAnotherAdminRemains, isActiveAdmin, type UserAccess } from './user-access.js'
import { toUserView, type UserView } from './user.view.js'
import type { UsersRepos, UsersStore } from './users.store.js'

export interface UserListOptions {
  limit: number
  cursor?: string
  role?: Role
  q?: string
  status?: 'active' | 'disabled'
  verified?: boolean
}

export interface NewAccount {
  email: string
  password: string
  name: string
  username?: string
  role: Role
}

export interface UserEdit {
  name?: string
  avatarUrl?: string | null
  role?: Role
  disabled?: boolean
}

/** PUT sends every field the caller may edit; PATCH at least one. */
export type EditMode = 'replace' | 'patch'

const PROFILE_FIELDS = ['name', 'avatarUrl'] as const
const ADMIN_FIELDS = ['role', 'disabled'] as const
const SORT = 'id'

/** Account administration: listing, creating, reading and editing accounts. */
export class UsersService {
  constructor(
    private readonly store: UsersStore,
    private readonly auth: AuthService,
    private readonly sessions: SessionService,
    private readonly access: UserAccess,
    private readonly realtime: RealtimePublisher,
  ) {}

  async list(actor: Actor, query: UserListOptions): Promise<{ items: UserView[]; nextCursor: string | null }> {
    this.access.require(actor, 'users:read')
    const rows = await this.store.repos.users.list({
      limit: query.limit + 1,
      ...(query.role ? { role: query.role } : {}),
      ...(query.q ? { search: query.q } : {}),
      ...(query.status ? { disabled: query.status === 'disabled' } : {}),
      ...(query.verified !== undefined ? { verified: query.verified } : {}),
      ...(query.cursor ? { after: decodeUserCursor(query.cursor) } : {}),
    })
    const page = rows.slice(0, query.limit)
    const last = page.at(-1)
    return { items: page.map(toUserView), nextCursor: rows.length > query.limit && last ? encodeCursor({ sort: SORT, value: null, id: last.id }) : null }
  }

  /**
   * Ends every session of the account (an administrator signing someone out everywhere): its
   * refresh tokens stop working at once and its access tokens are refused on every instance.
   * API keys are not sessions: they stay (revoke them at /api/users/:id/api-keys).
   */
  async revokeSessions(actor: Actor, id: string, meta: RequestMeta): Promise<number> {
    this.access.require(actor, 'users:manage')
    const revoked = await this.store.transaction(async (repos) => {
      if (!(await repos.users.findById(id))) throw notFound('User')
      return this.sessions.revokeIn(repos, { userId: id }, 'revoked_by_admin', { action: 'auth.sessions_revoked', actorId: actor.id, targetId: id, ...meta })
    })
    await this.sessions.announce(revoked)
    return revoked.length
  }

  /** Password policy and duplicate e-mail/username (409) are the sign-up rules. The account and its audit entry commit together. */
  async create(actor: Actor, input: NewAccount, meta: RequestMeta): Promise<UserView> {
    this.access.require(actor, 'users:manage')
    const account = await this.auth.prepareAccount(input)
    const user = await this.store.transaction(async (repos) => {
      const created = await insertAccount(repos.users, account)
      await repos.audit.append({ action: 'user.created', actorId: actor.id, targetId: created.id, ...meta, details: { role: created.role } })
      return created
    })
    return toUserView(user)
  }

  async get(actor: Actor, id: string): Promise<UserView> {
    this.access.requireVisible(actor, id)
    const user = await this.store.repos.users.findById(id)
    if (!user) throw notFound('User')
    return toUserView(user)
  }

  /**
   * Role changes and disabling or enabling end every session of the account at once, in the same
   * transaction as the change: access tokens carry the role, and a disabled account must not keep
   * working.
   */
  async update(actor: Actor, id: string, edit: UserEdit, version: number, mode: EditMode, meta: RequestMeta): Promise<UserView> {
    this.access.requireSelfOr(actor, id, 'users:manage', 'Changing')
    const manager = this.access.has(actor, 'users:manage')
    const changes = editableChanges(edit, manager, mode)
    const { user, revoked } = await this.store.transaction(async (repos) => {
      const { user, revokeReason } = await applyEdit(repos, { actor, id, changes, version, meta })
      if (!revokeReason) return { user, revoked: [] }
      const audit = { action: 'auth.sessions_revoked', actorId: actor.id, targetId: id, ...meta }
      return { user, revoked: await this.sessions.revokeIn(repos, { userId: id }, revokeReason, audit) }
    })
    await this.sessions.announce(revoked)
    const view = toUserView(user)
    // The user's other devices refresh their copy of the profile (in the background: never holding the answer).
    void this.realtime.publish(`user:${id}`, 'user.updated', view)
    return view
  }
}

/** The fields to write, after refusing what the caller may not edit or left out. */
function editableChanges(edit: UserEdit, manager: boolean, mode: EditMode): UserEdit {
  const privileged = ADMIN_FIELDS.filter((field) => edit[field] !== undefined)
  if (privileged.length > 0 && !manager) throw new AppError('FORBIDDEN', `Changing ${privileged.join(' and ')} requires the users:manage permission.`)
  const allowed = manager ? [...PROFILE_FIELDS, ...ADMIN_FIELDS] : PROFILE_FIELDS
  const sent = allowed.filter((field) => edit[field] !== undefined)
  if (mode === 'replace' && sent.length < allowed.length) {
    const missing = allowed.filter((field) => edit[field] === undefined)
    throw new AppError('VALIDATION_FAILED', `PUT replaces every field you may edit: send ${missing.join(', ')} too.`, Object.fromEntries(missing.map((f) => [f, 'is required'])))
  }
  if (sent.length === 0) throw new AppError('VALIDATION_FAILED', `Send at least one field to change: ${allowed.join(', ')}.`, { body: 'has no field to change' })
  return Object.fromEntries(sent.map((field) => [field, edit[field]]))
}

interface EditRequest {
  actor: Actor
  id: string
  changes: UserEdit
  version: number
  meta: RequestMeta
}

async function applyEdit(repos: UsersRepos, { actor, id, changes, version, meta }: EditRequest): Promise<{ user: UserRow; revokeReason?: string }> {
  const current = await repos.users.findById(id)
  if (!current) throw notFound('User')
  if (current.version !== version) throw versionConflict(current, version)
  const roleChanged = changes.role !== undefined && changes.role !== current.role
  const disabledChanged = changes.disabled !== undefined && changes.disabled !== current.disabled
  if (isActiveAdmin(current) && !isActiveAdmin({ role: changes.role ?? current.role, disabled: changes.disabled ?? current.disabled })) {
    await assertAnotherAdminRemains(repos.users, id)
  }
  const user = await repos.users.update(id, changes, version)
  if (!user) {
    const now = await repos.users.findById(id)
    throw now ? versionConflict(now, version) : notFound('User')
  }
  const entry = { actorId: actor.id, targetId: id, ...meta }
  const profileChanged = PROFILE_FIELDS.filter((field) => changes[field] !== undefined && changes[field] !== current[field])
  if (profileChanged.length > 0) await repos.audit.append({ ...entry, action: 'user.updated', details: { fields: profileChanged } })
  if (roleChanged) await repos.audit.append({ ...entry, action: 'user.role_changed', details: { from: current.role, to: user.role } })
  if (disabledChanged) await repos.audit.append({ ...entry, action: user.disabled ? 'user.disabled' : 'user.enabled' })
  if (disabledChanged) return { user, revokeReason: user.disabled ? 'account_disabled' : 'account_enabled' }
  return roleChanged ? { user, revokeReason: 'role_changed' } : { user }
}

function versionConflict(current: UserRow, expected: number): AppError {
  return new AppError('VERSION_CONFLICT', `User is at version ${current.version}, not ${expected}; reload and retry.`, { current: toUserView(current) })
}

/** User lists page by id (UUIDv7, so by creation); the cursor is the last id seen. */
function decodeUserCursor(cursor: string): string {
  const { id } = decodeCursor(cursor, SORT)
  if (!isUuid(id)) throw new AppError('INVALID_CURSOR', undefined, { cursor: 'does not belong to this list' })
  return id
}
