import type { Auth } from './auth.js'
import { PlinthError } from './errors.js'

/** The types of the realtime client and of the protocol's messages (docs/realtime.md). */

/** What the client needs of a WebSocket: the browser's, or `ws`'s in Node. */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  addEventListener(type: 'close', listener: (event: { code: number }) => void): void
  addEventListener(type: 'open' | 'error', listener: () => void): void
}
export type WebSocketConstructor = new (url: string) => WebSocketLike

/** A room's event: `seq` goes up by one per room; client events (`typing.start`) have none. */
export interface RoomEvent {
  room: string
  seq?: number
  event: string
  data: unknown
  at: string
}

export interface RoomHandlers {
  event?(event: RoomEvent): void
  /** Subscribed on a (new) socket; `seq` is the room's latest. Replayed events follow. */
  subscribed?(info: { room: string; seq: number }): void
  /** The events missed are no longer retained: refetch the room's state over REST, then carry on. */
  reset?(info: { room: string; seq: number }): void
  /** Access to the room ended (removed from a chat, the chat deleted): nothing more comes. */
  revoked?(info: { room: string }): void
  /** The subscription was refused (FORBIDDEN, BAD_REQUEST: it is dropped) or failed (it is retried). */
  error?(error: PlinthError): void
}

export interface Subscription {
  readonly room: string
  /** The last seq processed: persist it to resume with `since` after a restart. */
  readonly lastSeq: number | undefined
  unsubscribe(): void
}

export type RealtimeStatus =
  | { state: 'connecting' }
  | { state: 'open' }
  | { state: 'reconnecting'; attempt: number; delayMs: number; closeCode: number }
  | { state: 'closed'; reason: 'closed' | 'signedOut' }

export interface RealtimeOptions {
  auth: Auth
  /** `ws(s)://host/api/realtime`. */
  url: string
  /** Default globalThis.WebSocket (browsers, Node 22+); in Node 20 pass `ws`'s. */
  WebSocket?: WebSocketConstructor
  /** Reconnect delays: `initialMs` × 2^attempt up to `maxMs` (defaults 500 ms and 30 s), each × 0.5–1 at random. */
  backoff?: { initialMs?: number; maxMs?: number }
  random?: () => number
  now?: () => number
}

/** A message from the server: `ready`, `subscribed`, `event`, `reset`, `unsubscribed`, `error`, or an answer to a `ref`. */
export type ServerMessage = { type: string; room?: string; seq?: number; ref?: unknown; reason?: string; expiresAt?: string; error?: { code: string; message: string; details?: Record<string, unknown> } } & Record<string, unknown>

/** A realtime `error` message as a PlinthError (status 0: no HTTP answer). */
export function realtimeError(message: ServerMessage): PlinthError {
  const error = message.error ?? { code: 'BAD_REQUEST', message: 'The server refused the message.' }
  return new PlinthError({ status: 0, code: error.code, message: error.message, details: error.details ?? {} })
}
