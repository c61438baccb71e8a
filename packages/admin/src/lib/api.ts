/**
 * The console's HTTP layer, on @plinth/client (packages/client): its Auth keeps the session (a bearer
 * access token renewed ahead of its expiry with the single-use refresh token, one refresh in flight for
 * every caller, a 401 retried once after a refresh, the session's end announced once: then the sign-in
 * page shows). This file adds what the pages want on top: JSON in and out by path, errors as ApiError
 * with their field messages, and the signed-in account kept beside the tokens for a reload.
 */
import { authenticatedFetch, createPlinthClient, LocalStorageTokenStore, networkFetch, PlinthError, type PlinthClient, type StorageLike } from '@plinth/client'


export interface User {
  id: string
  email: string
  username: string | null
  name: string
  avatarUrl: string | null
  role: 'admin' | 'worker' | 'user'
  disabled: boolean
  emailVerified: boolean
  version: number
  createdAt: string
  updatedAt: string
}

export interface Tokens {
  accessToken: string
  refreshToken: string
  /** Epoch milliseconds at which the access token expires. */
  expiresAt: number
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

/** The platform's error shape, `{error: {code, message, details}}`, as an exception (the client's PlinthError, with field helpers). */
export class ApiError extends PlinthError {
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super({ status, code, message, details })
  }

  static from(error: PlinthError): ApiError {
    return error instanceof ApiError ? error : new ApiError(error.status, error.code, error.message, error.details)
  }

  /** Field name → message, for VALIDATION_FAILED and other errors whose details name fields. */
  get fields(): Record<string, string> {
    const fields: Record<string, string> = {}
    for (const [key, value] of Object.entries(this.details)) if (typeof value === 'string') fields[key] = value
    return fields
  }

  /** The route does not exist on this server (an older Plinth, or a module turned off). */
  get routeMissing(): boolean {
    return (this.status === 404 || this.status === 405) && /^No route matches|is not allowed on/.test(this.message)
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>

export interface RequestOptions {
  query?: Query
  body?: unknown
  /** A body sent as is, with this content type (CSV imports). */
  raw?: { body: BodyInit; contentType: string }
  headers?: Record<string, string>
}

const USER_KEY = 'plinth.admin.user'
const SESSION_KEY = 'plinth.admin.session'

export interface ApiOptions {
  /** A fetch of your own (tests); default globalThis.fetch, looked up per call. */
  fetch?: typeof fetch
  /** Where the session lives: the tab's sessionStorage (a reload stays signed in, a closed tab does not). */
  storage?: StorageLike
  /** Called once when the server ends the session (refresh refused, session revoked). */
  onSessionEnd: () => void
  now?: () => number
  /** Renew the access token this long before it expires (default 30 s). */
  refreshAheadMs?: number
}

export class Api {
  readonly client: PlinthClient
  private readonly storage: StorageLike
  private readonly tokens: LocalStorageTokenStore
  private readonly send: (request: Request) => Promise<Response>

  constructor(options: ApiOptions) {
    this.storage = options.storage ?? sessionStorage
    this.tokens = new LocalStorageTokenStore(SESSION_KEY, this.storage)
    const base = options.fetch
    const transport = (request: Request) => (base ?? globalThis.fetch)(request)
    this.client = createPlinthClient({
      baseUrl: '',
      tokenStore: this.tokens,
      fetch: transport,
      refreshAheadMs: options.refreshAheadMs ?? 30_000,
      ...(options.now ? { now: options.now } : {}),
    })
    this.send = authenticatedFetch(this.client.auth, networkFetch(transport))
    this.client.auth.onChange((event) => {
      if (event.type !== 'signedOut') return
      this.storage.removeItem(USER_KEY)
      if (event.reason === 'sessionEnded') options.onSessionEnd()
    })
  }

  get signedIn(): boolean {
    return this.tokens.get() !== null
  }

  /** The account signed in in this tab, kept for a reload. */
  storedUser(): User | undefined {
    if (!this.signedIn) return undefined
    try {
      const raw = this.storage.getItem(USER_KEY)
      return raw ? (JSON.parse(raw) as User) : undefined
    } catch {
      return undefined
    }
  }

  async signIn(login: string, password: string): Promise<User> {
    const credentials = login.includes('@') ? { email: login, password } : { username: login, password }
    try {
      const user: User = await this.client.auth.signIn(credentials)
      this.storage.setItem(USER_KEY, JSON.stringify(user))
      return user
    } catch (error) {
      throw error instanceof PlinthError ? ApiError.from(error) : error
    }
  }

  /** Ends the session on the server (best effort) and forgets it here. */
  signOut(): Promise<void> {
    return this.client.auth.signOut()
  }

  /** A valid access token (refreshed first when due), for the realtime socket. */
  async accessToken(): Promise<string | undefined> {
    return (await this.client.auth.accessToken()) ?? undefined
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query })
  }
  post<T>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body })
  }
  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body })
  }
  patch<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body })
  }
  delete<T = void>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('DELETE', path, { body })
  }

  /** A binary or text answer (a PDF, a CSV, a PNG) as a Blob. */
  async blob(path: string, query?: Query): Promise<Blob> {
    return (await this.fetch('GET', path, { query })).blob()
  }

  /** Text that is not JSON (Prometheus metrics). */
  async text(path: string): Promise<string> {
    return (await this.fetch('GET', path, {})).text()
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.fetch(method, path, options)
    if (response.status === 204 || response.status === 304) return undefined as T
    const type = response.headers.get('content-type') ?? ''
    return (type.includes('json') ? await response.json() : await response.text()) as T
  }

  private async fetch(method: string, path: string, options: RequestOptions): Promise<Response> {
    const headers = new Headers({ accept: 'application/json', ...options.headers })
    let body: BodyInit | undefined
    if (options.raw) {
      body = options.raw.body
      headers.set('content-type', options.raw.contentType)
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers.set('content-type', 'application/json')
    }
    const url = new URL(withQuery(path, options.query), location.origin)
    let response: Response
    try {
      response = await this.send(new Request(url, { method, headers, body }))
    } catch (error) {
      throw error instanceof PlinthError ? ApiError.from(error) : error
    }
    if (!response.ok) throw ApiError.from(await PlinthError.fromResponse(response))
    return response
  }
}

export function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  const text = params.toString()
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path
}

