import type { Actor } from '../../core/access/actor.js'
import type { Room } from '../../core/module.js'
import { AppError } from '../../core/errors/app-error.js'
import type { ChatDeps } from './api.js'
import { chatRoom } from './events.js'

export const TYPING_EVENTS = ['typing.start', 'typing.stop'] as const
/** A typing state ends by itself this long after its last `typing.start`. */
export const TYPING_TIMEOUT_MS = 6_000
/** At most this many typing states are timed on one instance; beyond, a start is still delivered, only not timed. */
const MAX_TIMED = 50_000

/**
 * Typing indicators: client events on `chat:<id>` (`typing.start`/`typing.stop`, no data),
 * accepted from a participant who may post there, delivered to the room's other sockets as
 * `{userId}`, never stored or replayed. A `typing.start` not followed by a stop within 6 s, or by
 * the user's message, ends with a `typing.stop` the server sends. Timers live on the instance that
 * heard the start; a stop heard elsewhere only makes that later stop redundant, never wrong.
 */
export class Typing {
  private readonly timers = new Map<string, NodeJS.Timeout>()

  constructor(private readonly deps: ChatDeps) {
    deps.hooks.onMessageSent(({ chat, message }) => {
      if (message.authorId && this.clear(chat.id, message.authorId)) this.publishStop(chat.id, message.authorId)
    })
  }

  /** The gateway's question: deliver this client event, and with what data (null: refuse). */
  async accept(actor: Actor, room: Room, event: string, data: Record<string, unknown> | undefined): Promise<Record<string, unknown> | null> {
    if (room.module !== 'chat' || room.id === undefined) return null
    if (!(TYPING_EVENTS as readonly string[]).includes(event)) return null
    if (data !== undefined && Object.keys(data).length > 0) return null
    try {
      await this.deps.access.poster(actor, room.id)
    } catch (error) {
      if (error instanceof AppError) return null
      throw error
    }
    if (event === 'typing.start') this.arm(room.id, actor.id)
    else this.clear(room.id, actor.id)
    return { userId: actor.id }
  }

  private arm(chatId: string, userId: string): void {
    const key = `${chatId}:${userId}`
    this.clear(chatId, userId)
    if (this.timers.size >= MAX_TIMED) return
    const timer = setTimeout(() => {
      this.timers.delete(key)
      this.publishStop(chatId, userId)
    }, TYPING_TIMEOUT_MS)
    timer.unref()
    this.timers.set(key, timer)
  }

  private clear(chatId: string, userId: string): boolean {
    const key = `${chatId}:${userId}`
    const timer = this.timers.get(key)
    if (!timer) return false
    clearTimeout(timer)
    this.timers.delete(key)
    return true
  }

  private publishStop(chatId: string, userId: string): void {
    void this.deps.ctx.realtime.publishEphemeral(chatRoom(chatId), 'typing.stop', { userId })
  }
}
