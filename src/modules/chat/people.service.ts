import type { Actor } from '../../core/access/actor.js'
import { isUuid } from '../../core/db/columns.js'
import { AppError } from '../../core/errors/app-error.js'
import type { ChatDeps } from './api.js'
import type { PreferencesBody, PreferencesView, StatusBody, StatusView } from './people.schemas.js'
import type { UserSettingsChanges, UserSettingsRow } from './user-settings.repository.js'

const DEFAULT_PREFERENCES: PreferencesView = { defaultNotificationLevel: 'all', emailDigests: true, quietHours: null }

/**
 * What a person shows others in chat (status text, presence, last seen) and their own chat
 * preferences. Presence is `offline` without an open socket anywhere; otherwise what they set (away,
 * busy), else `online`. Status is seen by the person and by people who share a chat with them, nobody
 * else (404 CHAT_USER_NOT_FOUND, as for no account); the same people hear `user.online`,
 * `user.offline` and `user.status` in their own `user:<id>` rooms.
 */
export class PeopleService {
  constructor(private readonly deps: ChatDeps) {}

  async preferences(actor: Actor): Promise<PreferencesView> {
    this.deps.access.requireUse(actor)
    return toPreferences(await this.deps.store.repos.userSettings.find(actor.id))
  }

  async setPreferences(actor: Actor, body: PreferencesBody): Promise<PreferencesView> {
    this.deps.access.requireUse(actor)
    if (body.quietHours && !knownTimeZone(body.quietHours.timeZone)) throw new AppError('CHAT_TIME_ZONE_UNKNOWN', undefined, { timeZone: body.quietHours.timeZone })
    const changes: UserSettingsChanges = {}
    if (body.defaultNotificationLevel !== undefined) changes.defaultNotificationLevel = body.defaultNotificationLevel
    if (body.emailDigests !== undefined) changes.emailDigests = body.emailDigests
    if (body.quietHours !== undefined) changes.quietHours = body.quietHours
    return toPreferences(await this.deps.store.repos.userSettings.save(actor.id, changes, new Date()))
  }

  async status(actor: Actor, userId: string): Promise<StatusView> {
    this.deps.access.requireUse(actor)
    if (userId !== actor.id) {
      if (!isUuid(userId) || !(await this.deps.store.repos.userSettings.shareChat(actor.id, userId))) throw new AppError('CHAT_USER_NOT_FOUND')
    }
    return this.statusOf(userId)
  }

  async setStatus(actor: Actor, body: StatusBody): Promise<StatusView> {
    this.deps.access.requireUse(actor)
    const changes: UserSettingsChanges = {}
    if (body.statusText !== undefined) changes.statusText = body.statusText?.trim() || null
    if (body.presence !== undefined) changes.presence = body.presence
    const row = await this.deps.store.repos.userSettings.save(actor.id, changes, new Date())
    const view = toStatus(actor.id, row, await this.deps.ctx.presence.isOnline(actor.id))
    await this.tellContacts(actor.id, 'user.status', view)
    return view
  }

  /** The platform's presence hook: once per transition in the whole cluster. */
  async presenceChanged(userId: string, online: boolean): Promise<void> {
    const row = online ? await this.deps.store.repos.userSettings.find(userId) : await this.deps.store.repos.userSettings.save(userId, { lastSeenAt: new Date() }, new Date())
    await this.tellContacts(userId, online ? 'user.online' : 'user.offline', toStatus(userId, row, online))
  }

  private async statusOf(userId: string): Promise<StatusView> {
    const [row, online] = await Promise.all([this.deps.store.repos.userSettings.find(userId), this.deps.ctx.presence.isOnline(userId)])
    return toStatus(userId, row, online)
  }

  private async tellContacts(userId: string, event: string, view: StatusView): Promise<void> {
    this.deps.events.toUsers(await this.deps.store.repos.userSettings.contacts(userId), event, view)
  }
}

function toPreferences(row: UserSettingsRow | undefined): PreferencesView {
  if (!row) return DEFAULT_PREFERENCES
  return { defaultNotificationLevel: row.defaultNotificationLevel, emailDigests: row.emailDigests, quietHours: row.quietHours ?? null }
}

function toStatus(userId: string, row: UserSettingsRow | undefined, online: boolean): StatusView {
  return {
    userId,
    presence: online ? (row?.presence ?? 'online') : 'offline',
    statusText: row?.statusText ?? null,
    lastSeenAt: row?.lastSeenAt?.toISOString() ?? null,
  }
}

function knownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone })
    return true
  } catch {
    return false
  }
}
