/**
 * Fakes for the client's unit tests: a scripted HTTP server behind `fetch`, and WebSockets the
 * test drives message by message. The real server is in client.e2e.test.ts.
 */
import type { WebSocketLike } from '../../packages/client/src/index.js'

export interface FakeRequest {
  method: string
  path: string
  authorization: string | null
  headers: Headers
  body: unknown
}

type Handler = (request: FakeRequest) => Response | Promise<Response>

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })

export const errorResponse = (status: number, code: string, headers: Record<string, string> = {}): Response =>
  json(status, { error: { code, message: `${code} (fake)`, details: {} } }, { 'x-request-id': 'req-1', ...headers })

/** A JWT-shaped token (the client never decodes it). */
export const token = (name: string): string => `${name}.payload.signature`

/** A fetch answering from handlers keyed `METHOD /path`, recording every request. */
export class FakeServer {
  readonly requests: FakeRequest[] = []
  private readonly handlers = new Map<string, Handler>()

  on(route: string, handler: Handler): this {
    this.handlers.set(route, handler)
    return this
  }

  count(route: string): number {
    return this.requests.filter((r) => `${r.method} ${r.path}` === route).length
  }

  readonly fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url)
    const text = await request.text()
    const recorded: FakeRequest = {
      method: request.method,
      path: url.pathname,
      authorization: request.headers.get('authorization'),
      headers: request.headers,
      body: text ? JSON.parse(text) : undefined,
    }
    this.requests.push(recorded)
    const handler = this.handlers.get(`${recorded.method} ${recorded.path}`)
    if (!handler) return errorResponse(404, 'NOT_FOUND')
    return handler(recorded)
  }
}

/** A pair as /api/auth/login and /api/auth/refresh answer it. */
export const pair = (name: string, expiresIn = 900) => ({ accessToken: token(name), refreshToken: `refresh-${name}`, tokenType: 'Bearer', expiresIn })

export const user = { id: '0190a0a0-0000-7000-8000-000000000001', email: 'ada@example.test', username: null, name: 'Ada', avatarUrl: null, role: 'user', disabled: false, emailVerified: true, version: 1, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' }

/** A promise and its resolver, to hold a fake answer until the test lets it go. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void
  const promise = new Promise<T>((resolve) => (open = resolve))
  return { promise, open }
}

/**
 * Resolves once `predicate` holds, checked after each turn of the event loop (no fixed delay). Bounded by
 * time, not by turns: a client's real reconnect timer (a few ms) can outlast a thousand fast turns.
 */
export async function until(predicate: () => boolean, what = 'condition', withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs
  while (Date.now() < deadline) {
    if (predicate()) return
    await new Promise((resolve) => setImmediate(resolve))
  }
  if (predicate()) return
  throw new Error(`${what} did not happen`)
}

/** A WebSocket the test plays the server of: `open`, `receive` (server → client), `sent` (client → server). */
export class FakeSocket implements WebSocketLike {
  static readonly instances: FakeSocket[] = []
  readyState = 0
  readonly sent: Record<string, unknown>[] = []
  readonly closedWith: number[] = []
  private readonly listeners = new Map<string, ((event: never) => void)[]>()

  constructor(readonly url: string) {
    FakeSocket.instances.push(this)
  }

  static last(): FakeSocket {
    const socket = FakeSocket.instances.at(-1)
    if (!socket) throw new Error('no socket was opened')
    return socket
  }

  static reset(): void {
    FakeSocket.instances.length = 0
  }

  get token(): string | null {
    return new URL(this.url).searchParams.get('token')
  }

  addEventListener(type: string, listener: (event: never) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>)
  }

  close(code = 1000): void {
    this.closedWith.push(code)
    this.readyState = 3
  }

  /** The server accepts the socket and says `ready`. */
  open(expiresAt = new Date(Date.now() + 900_000).toISOString()): void {
    this.readyState = 1
    this.dispatch('open', {})
    this.receive({ type: 'ready', expiresAt })
  }

  receive(message: Record<string, unknown>): void {
    this.dispatch('message', { data: JSON.stringify(message) })
  }

  /** The server (or the network) closes the socket. */
  drop(code: number): void {
    this.readyState = 3
    this.dispatch('close', { code, reason: '' })
  }

  /** What the client sent of `type`. */
  sentOf(type: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.type === type)
  }

  private dispatch(type: string, event: object): void {
    for (const listener of this.listeners.get(type) ?? []) (listener as (event: object) => void)(event)
  }
}
