import { randomUUID } from 'node:crypto'
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Actor } from '../access/actor.js'
import { AppError } from '../errors/app-error.js'
import { errorBody } from '../errors/error-handler.js'
import { CLIENT_EVENTS_PER_SECOND, SendBudget } from './client-events.js'
import type { ClientEventVerdict } from './index.js'
import { CLOSE, parseClientMessage, type ClientMessage } from './protocol.js'
import type { Presence } from './presence.js'
import type { Realtime } from './realtime.js'

export const REALTIME_PATH = '/api/realtime'
const CLOSE_GRACE_MS = 5000
/** Messages of one socket received and not yet answered; one more closes it (4429)… */
export const MAX_PENDING_MESSAGES = 256
/** …as does passing this many bytes of them. */
export const MAX_PENDING_BYTES = 1024 * 1024
/** Largest client message (bytes); ws closes a socket that sends a larger one with 1009. */
export const MAX_MESSAGE_BYTES = 64 * 1024
/** setTimeout's longest delay; a later expiry is rescheduled from there. */
const MAX_TIMER_MS = 2 ** 31 - 1

export interface GatewayOptions {
  realtime: Realtime
  /** Resolves the actor of an access token and its expiry (ms since the epoch); throws when it is invalid, expired or revoked. */
  authenticate(token: string): Promise<{ actor: Actor; expiresAt: number }>
  authorizeRoom(actor: Actor, room: string): Promise<boolean>
  /** Asks the room's owning module about a client's `send`. */
  acceptClientEvent(actor: Actor, room: string, event: string, data: Record<string, unknown> | undefined): Promise<ClientEventVerdict>
  presence: Presence
  heartbeatMs: number
  /** Past this many unsent bytes a socket is closed as a slow consumer. */
  maxBufferedBytes: number
  /** Sockets one user may hold open on this instance; one more is closed with 4430. */
  maxSocketsPerUser: number
  log: FastifyBaseLogger
}

interface Connection {
  /** Unique across instances: the socket's own client events are not delivered back to it. */
  id: string
  socket: WebSocket
  actor: Actor
  rooms: Map<string, () => void>
  alive: boolean
  /** Messages are handled one after another, so a quick unsubscribe cannot overtake its subscribe. */
  queue: Promise<void>
  /** Messages in `queue` and their size, bounded by MAX_PENDING_MESSAGES and MAX_PENDING_BYTES. */
  pending: number
  pendingBytes: number
  /** Closes the socket (4401) when its access token expires; renewed by an `auth` message. */
  expiry: NodeJS.Timeout | undefined
  sends: SendBudget
}

/**
 * The WebSocket endpoint: authentication on upgrade and until the access token expires (renewed
 * over the socket), subscribe/unsubscribe with the owning module's access check each time, replay
 * with `since`, heartbeats, and bounded memory: message size, messages in flight and send buffer
 * per socket, sockets per user.
 */
export class RealtimeGateway {
  private readonly server = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_MESSAGE_BYTES, clientTracking: false })
  private readonly connections = new Set<Connection>()
  private readonly socketsPerUser = new Map<string, number>()
  private heartbeat: NodeJS.Timeout | undefined
  private readonly slowConsumerListeners = new Set<() => void>()

  constructor(private readonly options: GatewayOptions) {}

  attach(http: Server): void {
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://localhost')
      if (url.pathname !== REALTIME_PATH) return void socket.destroy()
      this.server.handleUpgrade(request, socket, head, (ws) => void this.accept(ws, request, url))
    })
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs)
    this.heartbeat.unref()
  }

  get size(): number {
    return this.connections.size
  }

  /** Calls `listener` each time a socket is closed as a slow consumer (metrics); returns the unsubscribe. */
  onSlowConsumer(listener: () => void): () => void {
    this.slowConsumerListeners.add(listener)
    return () => this.slowConsumerListeners.delete(listener)
  }

  /** Closes every socket of a session (revoked: the client must sign in again). */
  closeSession(sessionId: string): void {
    for (const connection of this.connections) {
      if (connection.actor.sessionId === sessionId) connection.socket.close(CLOSE.UNAUTHORIZED, 'session revoked')
    }
  }

  close(): void {
    clearInterval(this.heartbeat)
    for (const connection of this.connections) connection.socket.close(CLOSE.GOING_AWAY, 'server shutting down')
    this.server.close()
  }

  private async accept(socket: WebSocket, request: IncomingMessage, url: URL): Promise<void> {
    // Protocol errors (a message over the size limit: 1009, a bad frame: 1002) close the socket; ws
    // reports them here too, and an 'error' nobody listens to would crash the process.
    socket.on('error', (err) => this.options.log.debug({ err }, 'realtime socket error'))
    const token = bearer(request) ?? url.searchParams.get('token')
    let verified: { actor: Actor; expiresAt: number }
    try {
      if (!token) throw new Error('no token')
      verified = await this.options.authenticate(token)
    } catch {
      return socket.close(CLOSE.UNAUTHORIZED, 'unauthorized')
    }
    // Gone while its token was checked: its close event has passed, nothing would clean up after it.
    if (socket.readyState !== socket.OPEN) return
    const { actor } = verified
    const open = this.socketsPerUser.get(actor.id) ?? 0
    if (open >= this.options.maxSocketsPerUser) return socket.close(CLOSE.TOO_MANY_SOCKETS, 'too many sockets')
    this.socketsPerUser.set(actor.id, open + 1)
    const connection: Connection = {
      id: randomUUID(),
      socket,
      actor,
      rooms: new Map(),
      alive: true,
      queue: Promise.resolve(),
      pending: 0,
      pendingBytes: 0,
      expiry: undefined,
      sends: new SendBudget(),
    }
    this.connections.add(connection)
    this.expireAt(connection, verified.expiresAt)
    socket.on('pong', () => (connection.alive = true))
    socket.on('message', (data: Buffer) => this.enqueue(connection, data))
    socket.on('close', () => {
      clearTimeout(connection.expiry)
      this.connections.delete(connection)
      const left = (this.socketsPerUser.get(actor.id) ?? 1) - 1
      if (left > 0) this.socketsPerUser.set(actor.id, left)
      else this.socketsPerUser.delete(actor.id)
      for (const stop of connection.rooms.values()) stop()
      connection.rooms.clear()
      void this.options.presence.disconnected(actor.id).catch((err: unknown) => this.options.log.warn({ err }, 'presence update failed'))
    })
    await this.options.presence.connected(actor.id).catch((err: unknown) => this.options.log.warn({ err }, 'presence update failed'))
    this.reply(connection, { type: 'ready', expiresAt: new Date(verified.expiresAt).toISOString() })
  }

  /** One message after another; a client that sends faster than it is answered is closed (4429). */
  private enqueue(connection: Connection, data: Buffer): void {
    const { socket } = connection
    if (socket.readyState !== socket.OPEN) return
    if (connection.pending >= MAX_PENDING_MESSAGES || connection.pendingBytes + data.length > MAX_PENDING_BYTES) {
      return socket.close(CLOSE.TOO_MANY_MESSAGES, 'too many messages')
    }
    connection.pending++
    connection.pendingBytes += data.length
    connection.queue = connection.queue
      .then(() => this.onMessage(connection, data.toString()))
      .catch((err: unknown) => this.options.log.error({ err }, 'realtime message failed'))
      .finally(() => {
        connection.pending--
        connection.pendingBytes -= data.length
      })
  }

  /** Closes the socket (4401) when its access token expires, unless an `auth` message renews it first. */
  private expireAt(connection: Connection, expiresAt: number): void {
    clearTimeout(connection.expiry)
    const delay = expiresAt - Date.now()
    connection.expiry = setTimeout(() => {
      if (delay > MAX_TIMER_MS) this.expireAt(connection, expiresAt)
      else connection.socket.close(CLOSE.UNAUTHORIZED, 'token expired')
    }, Math.min(Math.max(delay, 0), MAX_TIMER_MS))
    connection.expiry.unref()
  }

  /**
   * `{"type":"auth","token":…}`: a fresh access token of the same user (any of their sessions; the
   * socket then belongs to that session) moves the socket's expiry. A refused token is answered
   * with an error and changes nothing: the socket still closes when its current token expires.
   */
  private async renew(connection: Connection, token: string, ref: unknown): Promise<void> {
    let verified: { actor: Actor; expiresAt: number }
    try {
      verified = await this.options.authenticate(token)
    } catch (err) {
      const body = err instanceof AppError ? errorBody(err.code, err.message) : errorBody('INVALID_TOKEN')
      return this.reply(connection, { type: 'error', ref, error: body.error })
    }
    if (verified.actor.id !== connection.actor.id) {
      return this.reply(connection, { type: 'error', ref, error: errorBody('FORBIDDEN', 'The token belongs to another user.').error })
    }
    if (connection.socket.readyState !== connection.socket.OPEN) return
    connection.actor = verified.actor
    this.expireAt(connection, verified.expiresAt)
    this.reply(connection, { type: 'authenticated', expiresAt: new Date(verified.expiresAt).toISOString(), ref })
  }

  private async onMessage(connection: Connection, raw: string): Promise<void> {
    const message = parseClientMessage(raw)
    if ('error' in message) return this.reply(connection, { type: 'error', ref: message.ref, error: errorBody(message.tooLarge ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', message.error).error })
    if (message.type === 'ping') return this.reply(connection, { type: 'pong', ref: message.ref })
    if (message.type === 'auth') return this.renew(connection, message.token, message.ref)
    if (message.type === 'unsubscribe') {
      connection.rooms.get(message.room)?.()
      connection.rooms.delete(message.room)
      return this.reply(connection, { type: 'unsubscribed', room: message.room, ref: message.ref })
    }
    try {
      if (message.type === 'send') await this.clientEvent(connection, message)
      else await this.subscribe(connection, message.room, message.since, message.ref)
    } catch (err) {
      this.options.log.error({ err, room: message.room }, `realtime ${message.type} failed`)
      this.reply(connection, { type: 'error', ref: message.ref, error: errorBody('INTERNAL').error })
    }
  }

  /**
   * `{"type":"send"}`: within the socket's budget, to a room it is subscribed to, accepted by the
   * room's module, then delivered live (no seq) to the room's other sockets on every instance.
   */
  private async clientEvent(connection: Connection, { room, event, data, ref }: Extract<ClientMessage, { type: 'send' }>): Promise<void> {
    if (!connection.sends.take()) {
      const details = { retryAfterMs: connection.sends.retryAfterMs() }
      return this.reply(connection, { type: 'error', ref, error: errorBody('RATE_LIMITED', `A socket may send ${CLIENT_EVENTS_PER_SECOND} events a second.`, details).error })
    }
    if (!connection.rooms.has(room)) return this.reply(connection, { type: 'error', ref, error: errorBody('NOT_SUBSCRIBED', `Subscribe to ${room} before sending to it.`).error })
    const verdict = await this.options.acceptClientEvent(connection.actor, room, event, data)
    if ('refused' in verdict) return this.reply(connection, { type: 'error', ref, error: errorBody('FORBIDDEN', verdict.refused).error })
    if (!(await this.options.realtime.publishEphemeral(room, event, verdict.data, connection.id))) {
      return this.reply(connection, { type: 'error', ref, error: errorBody('SERVICE_UNAVAILABLE').error })
    }
    this.reply(connection, { type: 'sent', ref })
  }

  private async subscribe(connection: Connection, room: string, since: number | undefined, ref: unknown): Promise<void> {
    if (!(await this.options.authorizeRoom(connection.actor, room))) {
      return this.reply(connection, { type: 'error', ref, error: errorBody('FORBIDDEN', `You may not subscribe to ${room}.`).error })
    }
    // Closed while the module decided: a listener added now would never be removed.
    if (connection.socket.readyState !== connection.socket.OPEN) return
    connection.rooms.get(room)?.()
    // Listen first and hold live events while the replay is read, then drop what the replay covered.
    let lastSeq = Number.POSITIVE_INFINITY
    const held: [Buffer, number][] = []
    const stop = this.options.realtime.listen(room, (message, event) => {
      if ('revoke' in event) {
        if (event.revoke.includes(connection.actor.id) && connection.rooms.get(room) === stop) {
          stop()
          connection.rooms.delete(room)
          this.reply(connection, { type: 'unsubscribed', room, reason: 'revoked' })
        }
        return
      }
      if (!('seq' in event)) {
        // Live only: one arriving while the replay is read has nothing to be ordered with and is
        // dropped, and a socket never gets back the events it sent.
        if (lastSeq !== Number.POSITIVE_INFINITY && event.origin !== connection.id) this.send(connection, message)
        return
      }
      if (lastSeq === Number.POSITIVE_INFINITY) held.push([message, event.seq])
      else if (event.seq > lastSeq) {
        lastSeq = event.seq
        this.send(connection, message)
      }
    })
    connection.rooms.set(room, stop)
    const { realtime } = this.options
    const replay = since === undefined ? undefined : await realtime.replay(room, since)
    const head = replay ? replay.seq : await realtime.head(room)
    this.reply(connection, { type: 'subscribed', room, seq: head, ref })
    let last = head
    if (replay?.kind === 'reset') this.reply(connection, { type: 'reset', room, seq: head })
    else for (const event of replay?.events ?? []) this.send(connection, JSON.stringify({ type: 'event', ...event }))
    for (const [message, seq] of held) {
      if (seq > last) {
        last = seq
        this.send(connection, message)
      }
    }
    lastSeq = last
  }

  private reply(connection: Connection, message: Record<string, unknown>): void {
    this.send(connection, JSON.stringify(message))
  }

  /** Text frames; a Buffer is encoded once for every socket of a room instead of once per socket. */
  private send(connection: Connection, message: string | Buffer): void {
    const { socket } = connection
    if (socket.readyState !== socket.OPEN) return
    if (socket.bufferedAmount > this.options.maxBufferedBytes) {
      socket.close(CLOSE.SLOW_CONSUMER, 'slow consumer')
      for (const listener of this.slowConsumerListeners) listener()
      // Time for the close frame to get past the backlog; a client that reads nothing is dropped.
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref()
      return
    }
    socket.send(message, { binary: false })
  }

  private beat(): void {
    for (const connection of this.connections) {
      if (!connection.alive) {
        connection.socket.terminate()
        continue
      }
      connection.alive = false
      connection.socket.ping()
    }
  }
}

function bearer(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')
  return match?.[1]
}
