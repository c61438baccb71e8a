import createFetchClient, { type Client } from 'openapi-fetch'
import { Auth } from './auth.js'
import { authenticatedFetch, networkFetch, type Fetch } from './http.js'
import { OfflineQueue, type OfflineQueueOptions } from './offline-queue.js'
import { RealtimeClient, type RealtimeOptions, type WebSocketConstructor } from './realtime.js'
import type { paths } from './schema.js'
import { MemoryTokenStore, type TokenStore } from './token-store.js'

export { Auth, type AuthEvent, type SignInBody, type SignUpBody, type User } from './auth.js'
export { PlinthError, isPlinthError, isRetryable, type ClientErrorCode, type ErrorBody } from './errors.js'
export { authenticatedFetch, networkFetch, unwrap, type Fetch } from './http.js'
export {
  LocalStorageQueueStore,
  MemoryQueueStore,
  OfflineQueue,
  newIdempotencyKey,
  type OfflineQueueOptions,
  type PathsWith,
  type QueueEvent,
  type QueueStore,
  type QueuedWrite,
  type WriteInit,
  type WriteMethod,
} from './offline-queue.js'
export { RealtimeClient, type RealtimeOptions, type RealtimeStatus, type RoomEvent, type RoomHandlers, type Subscription, type WebSocketConstructor, type WebSocketLike } from './realtime.js'
export type { components, operations, paths } from './schema.js'
export { LocalStorageTokenStore, MemoryTokenStore, type StorageLike, type StoredSession, type TokenStore } from './token-store.js'

export interface PlinthClientOptions {
  /** The server, `https://plinth.example.com`; '' in a page the server serves (same origin). */
  baseUrl: string
  /** Where the session is kept (default: in memory). */
  tokenStore?: TokenStore
  /** A fetch of your own (default globalThis.fetch). */
  fetch?: Fetch
  /** Refresh the access token at most this long before it expires (default 60 s, at most half its lifetime). */
  refreshAheadMs?: number
  /** Default globalThis.WebSocket; in Node 20 pass `ws`'s (`import WebSocket from 'ws'`). */
  WebSocket?: WebSocketConstructor
  /** Reconnect backoff of the realtime socket. */
  realtime?: Partial<Pick<RealtimeOptions, 'backoff' | 'url'>>
  /** The clock (ms since the epoch). */
  now?: () => number
}

export interface PlinthClient {
  /** Every route of the API, typed from its OpenAPI document (openapi-fetch), with the session's token. */
  api: Client<paths>
  auth: Auth
  /** The realtime socket; it connects on the first subscribe. */
  realtime: RealtimeClient
  /** A queue for writes that must get through; flushed again whenever someone signs in. */
  offlineQueue(options?: Omit<OfflineQueueOptions, 'api' | 'auth'>): OfflineQueue
}

/**
 * The client for one Plinth server:
 * `const plinth = createPlinthClient({ baseUrl: 'https://plinth.example.com' })`.
 */
export function createPlinthClient(options: PlinthClientOptions): PlinthClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const send = networkFetch(options.fetch)
  const auth = new Auth({
    api: createFetchClient<paths>({ baseUrl, fetch: send }),
    store: options.tokenStore ?? new MemoryTokenStore(),
    ...(options.refreshAheadMs !== undefined ? { refreshAheadMs: options.refreshAheadMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  })
  const api = createFetchClient<paths>({ baseUrl, fetch: authenticatedFetch(auth, send) })
  const realtime = new RealtimeClient({
    auth,
    url: options.realtime?.url ?? realtimeUrl(baseUrl),
    ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    ...(options.realtime?.backoff ? { backoff: options.realtime.backoff } : {}),
    ...(options.now ? { now: options.now } : {}),
  })
  return {
    api,
    auth,
    realtime,
    offlineQueue: (queueOptions = {}) => new OfflineQueue({ ...(options.now ? { now: options.now } : {}), ...queueOptions, api, auth }),
  }
}

/** `ws(s)://host/api/realtime` for the API at `baseUrl` (the page's origin when it is relative). */
export function realtimeUrl(baseUrl: string): string {
  const origin = (globalThis as { location?: { href: string } }).location?.href
  const url = new URL(`${baseUrl}/api/realtime`, origin)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  return url.toString()
}
