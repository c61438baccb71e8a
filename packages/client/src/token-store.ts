/**
 * Where the signed-in session lives. The client reads it before every request (so tabs sharing
 * localStorage pick up each other's refreshes) and writes it after sign-in, each refresh and sign-out.
 * Any storage fits: implement `get` and `set`, synchronously or not.
 */

export interface StoredSession {
  accessToken: string
  /** Opaque and single use: each refresh replaces it. */
  refreshToken: string
  /** When the access token expires, in ms since the epoch (by this device's clock). */
  expiresAt: number
  /** How long the access token was issued for, in ms: the client refreshes ahead by a share of it. */
  lifetimeMs: number
}

export interface TokenStore {
  get(): StoredSession | null | Promise<StoredSession | null>
  /** `null`: signed out, forget the session. */
  set(session: StoredSession | null): void | Promise<void>
}

/** In memory: the session ends with the page or process. The default. */
export class MemoryTokenStore implements TokenStore {
  private session: StoredSession | null

  constructor(initial: StoredSession | null = null) {
    this.session = initial
  }

  get(): StoredSession | null {
    return this.session
  }

  set(session: StoredSession | null): void {
    this.session = session
  }
}

/** The part of the Web Storage API the stores use (`localStorage`, `sessionStorage`, or a test double). */
export interface StorageLike {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

/**
 * In `localStorage` (or another StorageLike): the session survives reloads and is shared by the
 * origin's tabs. Two tabs refreshing at once both succeed: the server answers a refresh token
 * replayed within its grace window with the pair the first refresh got.
 */
export class LocalStorageTokenStore implements TokenStore {
  private readonly storage: StorageLike

  constructor(
    private readonly key = 'plinth.session',
    storage?: StorageLike,
  ) {
    this.storage = storage ?? defaultStorage('LocalStorageTokenStore')
  }

  get(): StoredSession | null {
    const raw = this.storage.getItem(this.key)
    if (raw === null) return null
    try {
      const value = JSON.parse(raw) as unknown
      return isStoredSession(value) ? value : null
    } catch {
      return null
    }
  }

  set(session: StoredSession | null): void {
    if (session) this.storage.setItem(this.key, JSON.stringify(session))
    else this.storage.removeItem(this.key)
  }
}

/** `globalThis.localStorage`, or an error naming what to pass instead. */
export function defaultStorage(user: string): StorageLike {
  const storage = (globalThis as { localStorage?: StorageLike }).localStorage
  if (!storage) throw new TypeError(`${user}: there is no globalThis.localStorage here; pass a storage (any object with getItem, setItem and removeItem)`)
  return storage
}

function isStoredSession(value: unknown): value is StoredSession {
  if (typeof value !== 'object' || value === null) return false
  const session = value as Record<string, unknown>
  return typeof session.accessToken === 'string' && typeof session.refreshToken === 'string' && typeof session.expiresAt === 'number' && typeof session.lifetimeMs === 'number'
}
