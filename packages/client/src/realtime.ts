import { PlinthError } from './errors.js'
import { realtimeError, type RealtimeOptions, type RealtimeStatus, type RoomEvent, type RoomHandlers, type ServerMessage, type Subscription, type WebSocketConstructor, type WebSocketLike } from './realtime-protocol.js'

export type { RealtimeOptions, RealtimeStatus, RoomEvent, RoomHandlers, Subscription, WebSocketConstructor, WebSocketLike } from './realtime-protocol.js'

interface RoomState {
  handlers: Set<RoomHandlers>
  lastSeq: number | undefined
  /** The ref of the subscribe awaiting its answer. */
  pending: string | undefined
  active: boolean
}


/** Refusals a retry would not change. */
const FINAL = new Set(['FORBIDDEN', 'BAD_REQUEST'])
const UNAUTHORIZED = 4401
/** After a renewal the server refused or could not be given a fresh token for. */
const RENEW_RETRY_MS = 5_000

/**
 * One socket for every room (docs/realtime.md). Subscribes once `ready`, resubscribes after every
 * reconnect with `since` = the last seq it processed (so nothing is missed or repeated), resubscribes
 * on a gap, and passes `reset` on. Reconnects with exponential backoff; a 4401 close gets a refresh of
 * the access token and an immediate reconnect. Renews the socket's token (`auth`) before it expires.
 */
export class RealtimeClient {
  private socket: WebSocketLike | undefined
  private socketToken: string | undefined
  private ready = false
  private started = false
  private opening = false
  private attempt = 0
  private refs = 0
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined
  private renewTimer: ReturnType<typeof setTimeout> | undefined
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private readonly rooms = new Map<string, RoomState>()
  private readonly waiters = new Map<string, { resolve: (message: ServerMessage) => void; reject: (error: PlinthError) => void }>()
  private readonly listeners = new Set<(status: RealtimeStatus) => void>()
  private readonly now: () => number

  constructor(private readonly options: RealtimeOptions) {
    this.now = options.now ?? Date.now
    options.auth.onChange((event) => {
      if (event.type === 'signedOut') this.stop('signedOut')
      else if (event.type === 'refreshed') void this.pushToken()
    })
  }

  /** Starts receiving a room's events (connecting if need be). `since`: resume after that seq. */
  subscribe(room: string, handlers: RoomHandlers | ((event: RoomEvent) => void), options: { since?: number } = {}): Subscription {
    const handler = typeof handlers === 'function' ? { event: handlers } : handlers
    let state = this.rooms.get(room)
    if (!state) {
      state = { handlers: new Set(), lastSeq: options.since, pending: undefined, active: false }
      this.rooms.set(room, state)
      if (this.ready) this.sendSubscribe(room, state)
    }
    state.handlers.add(handler)
    this.connect()
    const rooms = this.rooms
    return {
      room,
      get lastSeq() {
        return rooms.get(room)?.lastSeq
      },
      unsubscribe: () => this.remove(room, handler),
    }
  }

  /** A client event to a subscribed room (`typing.start`); resolves when the server accepted it. */
  async send(room: string, event: string, data?: Record<string, unknown>): Promise<void> {
    if (!this.rooms.get(room)?.active) throw new PlinthError({ status: 0, code: 'NOT_SUBSCRIBED', message: `Not subscribed to ${room} on an open connection.` })
    await this.request({ type: 'send', room, event, ...(data ? { data } : {}) })
  }

  lastSeq(room: string): number | undefined {
    return this.rooms.get(room)?.lastSeq
  }

  /** Opens the socket (subscribe does); a no-op when open or opening. */
  connect(): void {
    if (this.started) return
    this.started = true
    void this.open()
  }

  /** Closes the socket and stays closed; subscriptions and their seqs are kept for a later connect(). */
  close(): void {
    this.stop('closed')
  }

  onStatus(listener: (status: RealtimeStatus) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private async open(): Promise<void> {
    clearTimeout(this.reconnectTimer)
    if (this.opening || this.socket) return
    this.opening = true
    let token: string | null
    try {
      token = await this.options.auth.accessToken()
    } catch {
      return this.retry(0)
    } finally {
      this.opening = false
    }
    if (!this.started) return
    if (!token) return this.stop('signedOut')
    const Socket = this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    if (!Socket) throw new TypeError('RealtimeClient: there is no globalThis.WebSocket here; pass a WebSocket constructor (in Node 20: the `ws` package)')
    this.emit({ state: 'connecting' })
    const socket = new Socket(`${this.options.url}?token=${encodeURIComponent(token)}`)
    this.socket = socket
    this.socketToken = token
    socket.addEventListener('message', (event: { data: unknown }) => {
      if (this.socket === socket) this.onMessage(typeof event.data === 'string' ? event.data : String(event.data))
    })
    socket.addEventListener('close', (event: { code: number }) => {
      if (this.socket === socket) void this.onClose(event.code)
    })
    // Always followed by a close.
    socket.addEventListener('error', () => {})
  }

  private onMessage(raw: string): void {
    let message: ServerMessage
    try {
      message = JSON.parse(raw) as ServerMessage
    } catch {
      return
    }
    const ref = typeof message.ref === 'string' ? message.ref : undefined
    const waiter = ref === undefined ? undefined : this.waiters.get(ref)
    if (waiter && ref !== undefined) {
      this.waiters.delete(ref)
      if (message.type === 'error') return waiter.reject(realtimeError(message))
      return waiter.resolve(message)
    }
    const state = message.room === undefined ? undefined : this.rooms.get(message.room)
    switch (message.type) {
      case 'ready':
        return this.onReady(message)
      case 'subscribed':
        return state && ref === state.pending ? this.onSubscribed(message.room!, state, message.seq ?? 0) : undefined
      case 'event':
        return state ? this.onEvent(message.room!, state, message as unknown as RoomEvent) : undefined
      case 'reset':
        if (!state) return
        state.lastSeq = message.seq
        for (const handler of [...state.handlers]) handler.reset?.({ room: message.room!, seq: message.seq ?? 0 })
        return
      case 'unsubscribed':
        if (message.reason !== 'revoked' || !state) return
        this.rooms.delete(message.room!)
        for (const handler of [...state.handlers]) handler.revoked?.({ room: message.room! })
        return
      case 'error':
        return this.onSubscribeError(ref, realtimeError(message))
    }
  }

  private onReady(message: ServerMessage): void {
    this.ready = true
    this.attempt = 0
    this.emit({ state: 'open' })
    for (const [room, state] of this.rooms) this.sendSubscribe(room, state)
    this.scheduleRenewal(Date.parse(message.expiresAt ?? ''))
  }

  private onSubscribed(room: string, state: RoomState, seq: number): void {
    state.pending = undefined
    state.active = true
    state.lastSeq ??= seq
    for (const handler of [...state.handlers]) handler.subscribed?.({ room, seq })
  }

  private onEvent(room: string, state: RoomState, event: RoomEvent): void {
    if (event.seq !== undefined) {
      if (!state.active || state.lastSeq === undefined || event.seq <= state.lastSeq) return
      if (event.seq > state.lastSeq + 1) {
        // A gap (a seq skipped): the replay from the last one processed fills it, in order.
        if (state.pending === undefined) this.sendSubscribe(room, state)
        return
      }
      state.lastSeq = event.seq
    }
    for (const handler of [...state.handlers]) handler.event?.(event)
  }

  private onSubscribeError(ref: string | undefined, error: PlinthError): void {
    for (const [room, state] of this.rooms) {
      if (ref === undefined || state.pending !== ref) continue
      state.pending = undefined
      if (FINAL.has(error.code)) this.rooms.delete(room)
      else this.later(() => this.ready && this.rooms.get(room) === state && !state.active && state.pending === undefined && this.sendSubscribe(room, state), this.delay(0))
      for (const handler of [...state.handlers]) handler.error?.(error)
    }
  }

  private async onClose(code: number): Promise<void> {
    this.drop(code)
    if (!this.started) return
    if (code !== UNAUTHORIZED) return this.retry(code)
    try {
      // The server refused the token: refresh it (a refusal there signs out, which stops this client).
      if (!(await this.options.auth.refresh(this.socketToken))) return this.stop('signedOut')
    } catch {
      return this.retry(code)
    }
    if (this.attempt > 0) return this.retry(code)
    this.attempt++
    void this.open()
  }

  /** Forgets the socket: rooms wait for the next one, answers still awaited fail. */
  private drop(code: number): void {
    this.socket = undefined
    this.ready = false
    clearTimeout(this.renewTimer)
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    for (const state of this.rooms.values()) Object.assign(state, { active: false, pending: undefined })
    for (const waiter of this.waiters.values()) waiter.reject(new PlinthError({ status: 0, code: 'NETWORK_ERROR', message: `The realtime connection closed (${code}).` }))
    this.waiters.clear()
  }

  private later(run: () => unknown, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      run()
    }, delayMs)
    this.timers.add(timer)
  }

  private retry(closeCode: number): void {
    if (!this.started) return
    const delayMs = this.delay(this.attempt)
    this.emit({ state: 'reconnecting', attempt: ++this.attempt, delayMs, closeCode })
    clearTimeout(this.reconnectTimer)
    this.reconnectTimer = setTimeout(() => void this.open(), delayMs)
  }

  private delay(attempt: number): number {
    const { initialMs = 500, maxMs = 30_000 } = this.options.backoff ?? {}
    return Math.min(maxMs, initialMs * 2 ** attempt) * (0.5 + (this.options.random ?? Math.random)() / 2)
  }

  private stop(reason: 'closed' | 'signedOut'): void {
    const wasStarted = this.started
    this.started = false
    clearTimeout(this.reconnectTimer)
    const socket = this.socket
    this.drop(1000)
    if (reason === 'signedOut') this.rooms.clear()
    socket?.close(1000, reason)
    if (wasStarted) this.emit({ state: 'closed', reason })
  }

  private remove(room: string, handler: RoomHandlers): void {
    const state = this.rooms.get(room)
    if (!state?.handlers.delete(handler) || state.handlers.size > 0) return
    this.rooms.delete(room)
    if (this.ready) this.request({ type: 'unsubscribe', room }).catch(() => {})
  }

  private sendSubscribe(room: string, state: RoomState): void {
    const ref = this.nextRef()
    state.pending = ref
    this.transmit({ type: 'subscribe', room, ref, ...(state.lastSeq !== undefined ? { since: state.lastSeq } : {}) })
  }

  /** Fires when the session's refresh is due (and before the socket's token expires) to renew it. */
  private scheduleRenewal(socketExpiresAt: number): void {
    clearTimeout(this.renewTimer)
    void this.options.auth.session().then((session) => {
      const dueAt = Math.min(session ? this.options.auth.refreshDueAt(session) : socketExpiresAt, Number.isNaN(socketExpiresAt) ? Infinity : socketExpiresAt)
      if (!this.ready || !Number.isFinite(dueAt)) return
      clearTimeout(this.renewTimer)
      this.renewTimer = setTimeout(() => void this.renew(), Math.max(0, dueAt - this.now()))
    })
  }

  private async renew(): Promise<void> {
    // accessToken() refreshes when due; the 'refreshed' event then sends the new token.
    const token = await this.options.auth.accessToken().catch(() => null)
    if (token && token !== this.socketToken) return this.pushToken()
    if (this.ready) this.renewTimer = setTimeout(() => void this.renew(), RENEW_RETRY_MS)
  }

  /** Moves the open socket to the session's current access token. */
  private async pushToken(): Promise<void> {
    const session = await this.options.auth.session()
    if (!session || !this.ready || session.accessToken === this.socketToken) return
    const token = session.accessToken
    this.socketToken = token
    try {
      const answer = await this.request({ type: 'auth', token })
      this.scheduleRenewal(Date.parse(answer.expiresAt ?? ''))
    } catch {
      // Refused or closed: the socket closes with 4401 when its token expires, and reconnects then.
    }
  }

  private request(message: Record<string, unknown>): Promise<ServerMessage> {
    const ref = this.nextRef()
    return new Promise((resolve, reject) => {
      this.waiters.set(ref, { resolve, reject })
      if (!this.transmit({ ...message, ref })) {
        this.waiters.delete(ref)
        reject(new PlinthError({ status: 0, code: 'NETWORK_ERROR', message: 'The realtime connection is not open.' }))
      }
    })
  }

  private transmit(message: Record<string, unknown>): boolean {
    if (!this.socket || !this.ready) return false
    this.socket.send(JSON.stringify(message))
    return true
  }

  private nextRef(): string {
    return `c${++this.refs}`
  }

  private emit(status: RealtimeStatus): void {
    for (const listener of [...this.listeners]) listener(status)
  }
}
