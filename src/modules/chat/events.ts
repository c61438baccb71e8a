import type { FastifyBaseLogger } from 'fastify'
import type { RealtimePublisher } from '../../core/realtime/index.js'

/** A chat's room: its participants (and, for channels, anyone who may see it) subscribe. */
export const chatRoom = (chatId: string): string => `chat:${chatId}`
/** The platform's per-user room: chat list updates, notifications. */
export const userRoom = (userId: string): string => `user:${userId}`

export type ChatEventName =
  | 'message.sent'
  | 'message.updated'
  | 'message.deleted'
  | 'reaction.added'
  | 'reaction.removed'
  | 'message.read'
  | 'message.pinned'
  | 'message.unpinned'
  | 'chat.updated'
  | 'chat.deleted'
  | 'participant.added'
  | 'participant.removed'
  | 'participant.updated'

/**
 * Publishes chat's events after the transaction that caused them committed. Never awaited by a
 * request (a slow Redis costs the response nothing); the platform keeps each room's order.
 */
export class ChatEvents {
  constructor(
    private readonly realtime: RealtimePublisher,
    private readonly log: FastifyBaseLogger,
  ) {}

  toChat(chatId: string, event: ChatEventName, data: unknown): void {
    void this.realtime.publish(chatRoom(chatId), event, data).catch((err: unknown) => this.log.error({ err, event }, 'chat event not published'))
  }

  /** Ends these users' subscriptions to the chat's room on every instance (they left or were removed). */
  revoke(chatId: string, userIds: readonly string[]): void {
    void this.realtime.revoke(chatRoom(chatId), userIds).catch((err: unknown) => this.log.error({ err }, 'chat room not revoked'))
  }

  /** To each user's own room (e.g. `chat.activity` so chat lists update without subscribing to every chat). */
  toUsers(userIds: Iterable<string>, event: string, data: unknown): void {
    for (const userId of userIds) void this.realtime.publish(userRoom(userId), event, data).catch((err: unknown) => this.log.error({ err, event }, 'chat event not published'))
  }
}
