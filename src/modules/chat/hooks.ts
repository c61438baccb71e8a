import type { FastifyBaseLogger } from 'fastify'
import type { ChatRow, InvitationRow, MessageRow } from './db/schema.js'
import type { MessageView } from './message.view.js'

/** A message that was just stored (committed), as the areas reacting to it need it. */
export interface SentMessage {
  readonly chat: ChatRow
  readonly message: MessageRow
  readonly view: MessageView
  /** Everyone in the chat but the author. */
  readonly recipientIds: readonly string[]
  /** Mentioned participants (not the author). */
  readonly mentionedIds: readonly string[]
  /** The author of the message replied to, when that is someone else in the chat. */
  readonly repliedToAuthorId: string | null
}

/** An invitation just stored (committed): the invitee is notified. */
export interface CreatedInvitation {
  readonly chat: ChatRow
  readonly invitation: InvitationRow
}

type Listener<T> = (value: T) => Promise<void> | void

/**
 * How chat's areas react to each other without importing each other's services: messages emits
 * `messageSent`, notifications listens; participants emits `participantsLeft`, scheduled messages
 * listen. Listeners run after the commit, in the background; a failing one is logged and does not
 * affect the others or the request.
 */
export class ChatHooks {
  private readonly sent: Listener<SentMessage>[] = []
  private readonly left: Listener<{ chatId: string; userIds: readonly string[] }>[] = []
  private readonly invited: Listener<CreatedInvitation>[] = []
  /** Runs not finished yet (requests do not await them; `settled` does). */
  private readonly inFlight = new Set<Promise<void>>()

  constructor(private readonly log: FastifyBaseLogger) {}

  onMessageSent(listener: Listener<SentMessage>): void {
    this.sent.push(listener)
  }

  onParticipantsLeft(listener: Listener<{ chatId: string; userIds: readonly string[] }>): void {
    this.left.push(listener)
  }

  onInvitationCreated(listener: Listener<CreatedInvitation>): void {
    this.invited.push(listener)
  }

  /** Resolves when every listener has finished (tests await it; requests do not). */
  messageSent(value: SentMessage): Promise<void> {
    return this.run(this.sent, value, 'messageSent')
  }

  participantsLeft(chatId: string, userIds: readonly string[]): Promise<void> {
    return this.run(this.left, { chatId, userIds }, 'participantsLeft')
  }

  invitationCreated(value: CreatedInvitation): Promise<void> {
    return this.run(this.invited, value, 'invitationCreated')
  }

  /** Resolves once every run started so far (and any they started) has finished: tests await the background work of a request. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight])
  }

  private run<T>(listeners: Listener<T>[], value: T, name: string): Promise<void> {
    const running = this.runAll(listeners, value, name).finally(() => this.inFlight.delete(running))
    this.inFlight.add(running)
    return running
  }

  private async runAll<T>(listeners: Listener<T>[], value: T, name: string): Promise<void> {
    await Promise.all(
      listeners.map(async (listener) => {
        try {
          await listener(value)
        } catch (err) {
          this.log.error({ err, hook: name }, 'a chat hook failed')
        }
      }),
    )
  }
}
