import type { Actor } from '../../core/access/actor.js'
import type { PermissionDef, PermissionRegistry } from '../../core/access/permissions.js'

/** Chatting: every signed-in role. What a user may do in one chat is their participant role's. */
export const CHAT_USE = 'chat:use'
/** The platform's moderators: reports, removing any message, bans anywhere, statistics. */
export const CHAT_MODERATE = 'chat:moderate'

export const chatPermissions: PermissionDef[] = [
  { key: CHAT_USE, description: 'Use chat: chats, messages, notifications, search', roles: ['admin', 'worker', 'user'] },
  { key: CHAT_MODERATE, description: 'Moderate chat: read reports, delete any message, ban in any chat, read chat statistics', roles: ['admin'] },
]

export type ChatPermission = typeof CHAT_USE | typeof CHAT_MODERATE

/** The platform-level check every public service method makes first (API keys need the scope too). */
export class ChatPermissions {
  constructor(private readonly registry: PermissionRegistry) {
    for (const { key } of chatPermissions) registry.assertKnown(key)
  }

  has(actor: Pick<Actor, 'role' | 'apiKey'>, key: ChatPermission): boolean {
    return this.registry.allows(actor, key)
  }

  require(actor: Pick<Actor, 'role' | 'apiKey'>, key: ChatPermission): void {
    this.registry.require(actor, key)
  }
}
