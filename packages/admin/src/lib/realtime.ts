import type { Subscription } from '@plinth/client'
import type { Api } from './api.ts'

/**
 * A page's rooms on the session's one realtime socket (@plinth/client's RealtimeClient: it reconnects
 * with backoff, resubscribes with `since` so missed events replay in order, refreshes the token on 4401,
 * and reports `reset` when the gap is older than the server keeps). `close()` drops this page's rooms,
 * not the socket the rest of the console shares.
 */
export interface RoomListener {
  onEvent(event: string, data: unknown): void
  /** The events missed are gone: refetch. */
  onReset?(): void
}

export class Realtime {
  private readonly subscriptions: Subscription[] = []
  private readonly stopStatus: () => void
  onStatus: (connected: boolean) => void = () => {}

  constructor(api: Api) {
    this.stopStatus = api.client.realtime.onStatus((status) => this.onStatus(status.state === 'open'))
    this.realtime = api.client.realtime
  }

  private readonly realtime: Api['client']['realtime']

  subscribe(room: string, listener: RoomListener): () => void {
    // "live" once this room is subscribed on an open socket (subscribed comes after the socket's ready).
    const subscription = this.realtime.subscribe(room, {
      event: (event) => listener.onEvent(event.event, event.data),
      subscribed: () => this.onStatus(true),
      reset: () => listener.onReset?.(),
    })
    this.subscriptions.push(subscription)
    return () => subscription.unsubscribe()
  }

  close(): void {
    this.stopStatus()
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe()
  }
}
