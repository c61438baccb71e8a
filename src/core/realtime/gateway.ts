import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Actor } from '../access/actor.js'
import { errorBody } from '../errors/error-handler.js'
import { CLOSE, parseClientMessage } from './protocol.js'
import type { Presence } from './presence.js'
import type { Realtime } from './realtime.js'

export const REALTIME_PATH = '/api/realtime'
const CLOSE_GRACE_MS = 5000

export interface GatewayOptions {
  realtime: Realtime
  /** Resolves the actor of an access token; throws when it is invalid or revoked. */
  authenticate(token: string): Promise<Actor>
  authorizeRoom(actor: Actor, room: string): Promise<boolean>
  presence: Presence
  heartbeatMs: number
  /** Past this many unsent bytes a socket is closed as a slow consumer. */
  maxBufferedBytes: number
  log: FastifyBaseLogger
}

interface Connection {
  socket: WebSocket
  actor: Actor
  rooms: Map<string, () => void>
  alive: boolean
  /** Messages are handled one after another, so a quick unsubscribe cannot overtake its subscribe. */
  queue: Promise<void>
}

/**
 * The WebSocket endpoint: authentication on upgrade, subscribe/unsubscribe with the owning
 * module's access check each time, replay with `since`, heartbeats and bounded send buffers.
 */
export class RealtimeGateway {
  private readonly server = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024, clientTracking: false })
  private readonly connections = new Set<Connection>()
  private heartbeat: NodeJS.Timeout | undefined

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
    const token = bearer(request) ?? url.searchParams.get('token')
    let actor: Actor
    try {
      if (!token) throw new Error('no token')
      actor = await this.options.authenticate(token)
    } catch {
      return socket.close(CLOSE.UNAUTHORIZED, 'unauthorized')
    }
    const connection: Connection = { socket, actor, rooms: new Map(), alive: true, queue: Promise.resolve() }
    this.connections.add(connection)
    socket.on('pong', () => (connection.alive = true))
    socket.on('message', (data: Buffer) => {
      connection.queue = connection.queue.then(() => this.onMessage(connection, data.toString()))
    })
    socket.on('close', () => {
      this.connections.delete(connection)
      for (const stop of connection.rooms.values()) stop()
      connection.rooms.clear()
      void this.options.presence.disconnected(actor.id).catch((err: unknown) => this.options.log.warn({ err }, 'presence update failed'))
    })
    await this.options.presence.connected(actor.id).catch((err: unknown) => this.options.log.warn({ err }, 'presence update failed'))
    this.send(connection, '{"type":"ready"}')
  }

  private async onMessage(connection: Connection, raw: string): Promise<void> {
    const message = parseClientMessage(raw)
    if ('error' in message) return this.reply(connection, { type: 'error', error: errorBody('BAD_REQUEST', message.error).error })
    if (message.type === 'ping') return this.reply(connection, { type: 'pong', ref: message.ref })
    if (message.type === 'unsubscribe') {
      connection.rooms.get(message.room)?.()
      connection.rooms.delete(message.room)
      return this.reply(connection, { type: 'unsubscribed', room: message.room, ref: message.ref })
    }
    try {
      await this.subscribe(connection, message.room, message.since, message.ref)
    } catch (err) {
      this.options.log.error({ err, room: message.room }, 'realtime subscribe failed')
      this.reply(connection, { type: 'error', ref: message.ref, error: errorBody('INTERNAL').error })
    }
  }

  private async subscribe(connection: Connection, room: string, since: number | undefined, ref: unknown): Promise<void> {
    if (!(await this.options.authorizeRoom(connection.actor, room))) {
      return this.reply(connection, { type: 'error', ref, error: errorBody('FORBIDDEN', `You may not subscribe to ${room}.`).error })
    }
    connection.rooms.get(room)?.()
    // Listen first and hold live events while the replay is read, then drop what the replay covered.
    let lastSeq = Number.POSITIVE_INFINITY
    const held: [Buffer, number][] = []
    const stop = this.options.realtime.listen(room, (message, event) => {
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
