/** Close codes of the realtime protocol (docs/realtime.md). */
export const CLOSE = {
  /** No, invalid or revoked credentials, or the access token expired without being renewed. */
  UNAUTHORIZED: 4401,
  /** The client read too slowly: its send buffer passed the limit. */
  SLOW_CONSUMER: 4409,
  /** The client sent more messages than the server answers at a time (MAX_PENDING_MESSAGES or MAX_PENDING_BYTES). */
  TOO_MANY_MESSAGES: 4429,
  /** The user already holds REALTIME_MAX_SOCKETS_PER_USER sockets on this instance. */
  TOO_MANY_SOCKETS: 4430,
  /** The server is shutting down; reconnect (to another instance). */
  GOING_AWAY: 1001,
} as const

export type ClientMessage =
  | { type: 'subscribe'; room: string; since?: number; ref?: unknown }
  | { type: 'unsubscribe'; room: string; ref?: unknown }
  | { type: 'ping'; ref?: unknown }
  | { type: 'auth'; token: string; ref?: unknown }
  | { type: 'send'; room: string; event: string; data?: Record<string, unknown>; ref?: unknown }

/** `<kind>` or `<kind>:<id>`: the kind names the owner (`user`, or a module such as `chat`). */
const ROOM = /^[a-z][a-z0-9-]*(:[A-Za-z0-9._:-]{1,200})?$/
/** A client event's name: dotted, like the server's (`typing.start`). */
const EVENT = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$/
export const MAX_EVENT_NAME_LENGTH = 64
/** Client events are signals (typing, cursors), not content: content goes over REST and is stored. */
export const MAX_CLIENT_EVENT_DATA_BYTES = 1024

/** A refused frame; `tooLarge` when only its data's size is wrong, `ref` when the frame had one. */
export interface FrameError {
  error: string
  tooLarge?: true
  ref?: unknown
}

/** Parses and validates a client frame; returns an error message for anything else. */
export function parseClientMessage(raw: string): ClientMessage | FrameError {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return { error: 'Messages must be JSON.' }
  }
  if (!value || typeof value !== 'object') return { error: 'Messages must be JSON objects.' }
  const message = value as Record<string, unknown>
  switch (message.type) {
    case 'ping':
      return { type: 'ping', ref: message.ref }
    case 'auth':
      if (typeof message.token !== 'string' || message.token.length === 0 || message.token.length > 8192) return { error: 'token must be an access token.' }
      return { type: 'auth', token: message.token, ref: message.ref }
    case 'subscribe':
    case 'unsubscribe': {
      if (typeof message.room !== 'string' || !ROOM.test(message.room)) return { error: 'room must look like "<kind>" or "<kind>:<id>".' }
      if (message.type === 'unsubscribe') return { type: 'unsubscribe', room: message.room, ref: message.ref }
      const since = message.since
      if (since !== undefined && (typeof since !== 'number' || !Number.isInteger(since) || since < 0)) return { error: 'since must be a non-negative integer.' }
      return { type: 'subscribe', room: message.room, ref: message.ref, ...(since !== undefined ? { since } : {}) }
    }
    case 'send':
      return parseSend(message)
    default:
      return { error: 'type must be subscribe, unsubscribe, send, ping or auth.' }
  }
}

/** Unlike older frames, a refused `send` is answered with its ref: clients match every send to its answer. */
function parseSend(message: Record<string, unknown>): ClientMessage | FrameError {
  const { room, event, data, ref } = message
  if (typeof room !== 'string' || !ROOM.test(room)) return { error: 'room must look like "<kind>" or "<kind>:<id>".', ref }
  if (typeof event !== 'string' || event.length > MAX_EVENT_NAME_LENGTH || !EVENT.test(event)) {
    return { error: `event must be a dotted lower-case name such as "typing.start", at most ${MAX_EVENT_NAME_LENGTH} characters.`, ref }
  }
  if (data === undefined) return { type: 'send', room, event, ref }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return { error: 'data must be a JSON object.', ref }
  if (Buffer.byteLength(JSON.stringify(data)) > MAX_CLIENT_EVENT_DATA_BYTES) return { error: `data must be at most ${MAX_CLIENT_EVENT_DATA_BYTES} bytes of JSON.`, tooLarge: true, ref }
  return { type: 'send', room, event, data: data as Record<string, unknown>, ref }
}
