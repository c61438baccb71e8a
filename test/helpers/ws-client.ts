import WebSocket from 'ws'

export interface WsMessage {
  type: string
  [key: string]: unknown
}

/** A realtime client for tests: collects every message and waits for the ones a test expects. */
export class TestSocket {
  readonly messages: WsMessage[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  private waiters: { match: (m: WsMessage) => boolean; resolve: (m: WsMessage) => void }[] = []

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as WsMessage
      this.messages.push(message)
      for (const waiter of [...this.waiters]) {
        if (waiter.match(message)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1)
          waiter.resolve(message)
        }
      }
    })
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  }

  static connect(url: string, headers: Record<string, string> = {}): TestSocket {
    return new TestSocket(new WebSocket(url, { headers }))
  }

  send(message: Record<string, unknown> | string): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  /** The first message (already received or coming) that matches, within `timeoutMs`. */
  next(match: (m: WsMessage) => boolean, timeoutMs = 3000): Promise<WsMessage> {
    const seen = this.messages.find(match)
    if (seen) {
      this.messages.splice(this.messages.indexOf(seen), 1)
      return Promise.resolve(seen)
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`)), timeoutMs)
      this.waiters.push({
        match,
        resolve: (message) => {
          clearTimeout(timer)
          this.messages.splice(this.messages.indexOf(message), 1)
          resolve(message)
        },
      })
    })
  }

  ofType(type: string, timeoutMs?: number): Promise<WsMessage> {
    return this.next((m) => m.type === type, timeoutMs)
  }

  async subscribe(room: string, since?: number): Promise<WsMessage> {
    const ref = Math.random().toString(36).slice(2)
    this.send({ type: 'subscribe', room, ref, ...(since !== undefined ? { since } : {}) })
    return this.next((m) => m.ref === ref)
  }

  /** Events of a room received so far or within the wait, in arrival order. */
  async events(room: string, count: number, timeoutMs = 3000): Promise<WsMessage[]> {
    const events: WsMessage[] = []
    for (let i = 0; i < count; i++) events.push(await this.next((m) => m.type === 'event' && m.room === room, timeoutMs))
    return events
  }

  close(): void {
    this.socket.close()
  }
}
