import type { ChatDeps } from './api.js'
import { BlocksService } from './blocks.service.js'
import { EXPORT_MESSAGES_LIMIT, EXPORT_REACTIONS_LIMIT } from './user-data.repository.js'

/**
 * A person's part of chat in their data export, and its erasure when their account is deleted
 * (the platform's `users.module-cleanup.chat` job: idempotent, retried until it succeeds).
 */
export class UserDataService {
  private readonly blocks: BlocksService

  constructor(private readonly deps: ChatDeps) {
    this.blocks = new BlocksService(deps)
  }

  async export(userId: string): Promise<unknown> {
    const repos = this.deps.store.repos
    const [chats, messages, reactions, blocked, settings] = await Promise.all([
      repos.userData.chatsOf(userId),
      repos.userData.messagesOf(userId, EXPORT_MESSAGES_LIMIT + 1),
      repos.userData.reactionsOf(userId, EXPORT_REACTIONS_LIMIT + 1),
      this.blocks.exportOf(userId),
      repos.userSettings.find(userId),
    ])
    return {
      settings: settings
        ? { statusText: settings.statusText, presence: settings.presence, defaultNotificationLevel: settings.defaultNotificationLevel, emailDigests: settings.emailDigests, quietHours: settings.quietHours ?? null }
        : null,
      chats: chats.map((chat) => ({ ...chat, joinedAt: chat.joinedAt.toISOString() })),
      messages: messages.slice(0, EXPORT_MESSAGES_LIMIT).map((m) => ({ ...m, createdAt: m.createdAt.toISOString(), editedAt: m.editedAt?.toISOString() ?? null })),
      messagesTruncated: messages.length > EXPORT_MESSAGES_LIMIT,
      reactions: reactions.slice(0, EXPORT_REACTIONS_LIMIT).map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
      reactionsTruncated: reactions.length > EXPORT_REACTIONS_LIMIT,
      blocked,
    }
  }

  async erase(userId: string): Promise<void> {
    const left = await this.deps.store.transaction((repos) => repos.userData.erase(userId))
    for (const chatId of left) void this.deps.hooks.participantsLeft(chatId, [userId])
  }
}
