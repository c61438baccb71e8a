import type { Client, ParamsOption, RequestBodyOption } from 'openapi-fetch'
import type { Auth } from './auth.js'
import { PlinthError, isRetryable } from './errors.js'
import type { paths } from './schema.js'
import { defaultStorage, type StorageLike } from './token-store.js'

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE'
type Lower<M extends WriteMethod> = Lowercase<M> & keyof paths[keyof paths]
type Operation<M extends WriteMethod, P extends keyof paths> = NonNullable<paths[P][Lower<M>]>
/** The paths that have operation M. */
export type PathsWith<M extends WriteMethod> = { [P in keyof paths]: [NonNullable<paths[P][Lower<M>]>] extends [never] ? never : P }[keyof paths]
/** The path params, query and body the operation takes, as openapi-fetch types them. */
export type WriteInit<M extends WriteMethod, P extends PathsWith<M>> = ParamsOption<Operation<M, P>> & RequestBodyOption<Operation<M, P>>
type SuccessData<Op> = Op extends { responses: infer R } ? { [S in keyof R]: S extends 200 | 201 | 202 ? (R[S] extends { content: { 'application/json': infer B } } ? B : undefined) : S extends 204 ? undefined : never }[keyof R] : unknown

/** A write waiting to be sent, as the store keeps it. */
export interface QueuedWrite {
  /** This entry's id (not sent). */
  id: string
  method: WriteMethod
  /** The path as the API document names it, `/api/chats/{id}/messages`. */
  path: string
  params?: { path?: Record<string, unknown>; query?: Record<string, unknown> }
  body?: unknown
  /**
   * The idempotency key the write carries (a body's `clientBatchId`, `clientId` or mutation `id`, or
   * the `Idempotency-Key` header with `header: true`): every attempt sends the same one, so the server
   * applies the write once however many times it arrives.
   */
  key: string
  /** Sent as `Idempotency-Key`. */
  header?: boolean
  enqueuedAt: number
  attempts: number
}

/** Where queued writes wait: implement `load` and `save` over any storage (IndexedDB, a file…). */
export interface QueueStore {
  load(): QueuedWrite[] | Promise<QueuedWrite[]>
  /** The whole queue, in order, after every change. */
  save(writes: readonly QueuedWrite[]): void | Promise<void>
}

export class MemoryQueueStore implements QueueStore {
  private writes: QueuedWrite[] = []
  load(): QueuedWrite[] {
    return structuredClone(this.writes)
  }
  save(writes: readonly QueuedWrite[]): void {
    this.writes = structuredClone([...writes])
  }
}

/** In `localStorage` (or another StorageLike): writes survive reloads and restarts of the browser. */
export class LocalStorageQueueStore implements QueueStore {
  private readonly storage: StorageLike
  constructor(
    private readonly key = 'plinth.queue',
    storage?: StorageLike,
  ) {
    this.storage = storage ?? defaultStorage('LocalStorageQueueStore')
  }
  load(): QueuedWrite[] {
    try {
      const value = JSON.parse(this.storage.getItem(this.key) ?? '[]') as unknown
      return Array.isArray(value) ? (value as QueuedWrite[]) : []
    } catch {
      return []
    }
  }
  save(writes: readonly QueuedWrite[]): void {
    this.storage.setItem(this.key, JSON.stringify(writes))
  }
}

export type QueueEvent =
  | { type: 'delivered'; write: QueuedWrite; status: number; data: unknown }
  /** Refused for good (a 4xx other than 401, 408 and 429): dropped from the queue. */
  | { type: 'rejected'; write: QueuedWrite; error: PlinthError }
  /** Not delivered this time; the queue tries again in `delayMs` (from the start, in order). */
  | { type: 'retrying'; write: QueuedWrite; error: PlinthError; delayMs: number }

export interface OfflineQueueOptions {
  /** The client's authenticated `api`: each attempt gets a fresh token. */
  api: Client<paths>
  /** Flush whenever someone signs in (writes refused with 401 wait for that). */
  auth?: Auth
  store?: QueueStore
  /** Retry delays: `initialMs` × 2^(attempts − 1) up to `maxMs` (defaults 1 s and 60 s), × 0.5–1 at random; Retry-After when longer. */
  backoff?: { initialMs?: number; maxMs?: number }
  random?: () => number
  now?: () => number
}

/** A new idempotency key (a UUID) for a write that may be sent more than once. */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID()
}

/**
 * Writes that must reach the server even if it cannot be reached now: kept in a store, sent one at a
 * time in the order they were queued, retried with backoff while the server is unreachable or
 * unavailable (and, in browsers, as soon as the device is back online). Each carries an idempotency
 * key, so a write whose answer was lost is applied once. A 401 (signed out) also keeps the queue
 * waiting: writes are sent as whoever is signed in, so `clear()` it when another account signs in.
 */
export class OfflineQueue {
  private writes: QueuedWrite[] = []
  private readonly loaded: Promise<void>
  private flushing: Promise<void> | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private closed = false
  private again = false
  private readonly store: QueueStore
  private readonly now: () => number
  private readonly listeners = new Set<(event: QueueEvent) => void>()
  private readonly outcomes = new Map<string, { resolve: (data: unknown) => void; reject: (error: PlinthError) => void }>()
  private readonly online = (): void => void this.flush()
  private readonly stopListening: (() => void) | undefined

  constructor(private readonly options: OfflineQueueOptions) {
    this.store = options.store ?? new MemoryQueueStore()
    this.now = options.now ?? Date.now
    this.loaded = Promise.resolve(this.store.load()).then((writes) => {
      this.writes = [...writes, ...this.writes]
    })
    const events = globalThis as { addEventListener?: (type: string, listener: () => void) => void }
    events.addEventListener?.('online', this.online)
    this.stopListening = options.auth?.onChange((event) => event.type === 'signedIn' && void this.flush())
    // Writes left by an earlier page or process go out now.
    void this.loaded.then(() => this.flush())
  }

  /**
   * Queues a write and starts sending. Resolves once it is stored, with `delivered`: the answer's
   * data when the server took it, or a PlinthError when it refused it for good. (After a reload the
   * promise is gone; `onEvent` reports writes replayed from the store.)
   */
  async enqueue<M extends WriteMethod, P extends PathsWith<M>>(
    method: M,
    path: P,
    init: WriteInit<M, P> & { key: string; header?: boolean },
  ): Promise<{ write: QueuedWrite; delivered: Promise<SuccessData<Operation<M, P>>> }> {
    const { key, header, ...request } = init as { key: string; header?: boolean; params?: QueuedWrite['params']; body?: unknown }
    const write: QueuedWrite = { id: newIdempotencyKey(), method, path, key, enqueuedAt: this.now(), attempts: 0, ...request, ...(header ? { header } : {}) }
    const delivered = new Promise<unknown>((resolve, reject) => this.outcomes.set(write.id, { resolve, reject }))
    // Nobody need wait for it: a refusal is reported to onEvent listeners too.
    delivered.catch(() => {})
    await this.loaded
    this.writes.push(write)
    await this.store.save(this.writes)
    void this.flush()
    return { write, delivered: delivered as Promise<SuccessData<Operation<M, P>>> }
  }

  /** Sends what is queued, in order, until it is empty or the server cannot take the next write. */
  flush(): Promise<void> {
    // Asked again while a write is in flight: if it fails, it is tried once more at once.
    if (this.flushing) this.again = true
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined
    })
    return this.flushing
  }

  /** The writes still waiting, oldest first. */
  async pending(): Promise<readonly QueuedWrite[]> {
    await this.loaded
    return [...this.writes]
  }

  /** Drops every waiting write (another account signed in); their `delivered` promises reject. */
  async clear(): Promise<void> {
    await this.loaded
    const dropped = this.writes.splice(0)
    await this.store.save(this.writes)
    for (const write of dropped) this.settle(write, new PlinthError({ status: 0, code: 'QUEUE_CLEARED', message: 'The write was removed from the queue unsent.' }))
  }

  onEvent(listener: (event: QueueEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Stops retrying; resolves once the attempt in flight has ended (writes stay in the store for the next queue). */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    const events = globalThis as { removeEventListener?: (type: string, listener: () => void) => void }
    events.removeEventListener?.('online', this.online)
    this.stopListening?.()
    await this.flushing
  }

  private async drain(): Promise<void> {
    await this.loaded
    clearTimeout(this.timer)
    while (!this.closed && this.writes.length > 0) {
      const write = this.writes[0]!
      write.attempts++
      this.again = false
      const outcome = await this.send(write)
      // Cleared meanwhile; or closed, and another queue may own the store now (this one's answer is lost, its key is not).
      if (this.writes[0] !== write) continue
      if (this.closed) return
      if (outcome instanceof PlinthError && (isRetryable(outcome) || outcome.status === 401)) {
        await this.store.save(this.writes)
        const delayMs = this.delay(write.attempts, outcome.retryAfterSeconds)
        this.emit({ type: 'retrying', write, error: outcome, delayMs })
        if (this.again) continue
        if (!this.closed) this.timer = setTimeout(() => void this.flush(), delayMs)
        return
      }
      this.writes.shift()
      await this.store.save(this.writes)
      if (outcome instanceof PlinthError) {
        this.emit({ type: 'rejected', write, error: outcome })
        this.settle(write, outcome)
      } else {
        this.emit({ type: 'delivered', write, ...outcome })
        this.settle(write, undefined, outcome.data)
      }
    }
  }

  private async send(write: QueuedWrite): Promise<PlinthError | { status: number; data: unknown }> {
    const init = {
      ...(write.params ? { params: write.params } : {}),
      ...(write.body !== undefined ? { body: write.body } : {}),
      ...(write.header ? { headers: { 'idempotency-key': write.key } } : {}),
    }
    try {
      // The path and init were checked against the document when the write was queued.
      const request = this.options.api.request.bind(this.options.api) as (method: string, path: string, init: object) => Promise<{ data?: unknown; error?: unknown; response: Response }>
      const { data, error, response } = await request(write.method.toLowerCase(), write.path, init)
      if (response.ok) return { status: response.status, data }
      return await PlinthError.fromResponse(response, error ?? null)
    } catch (error) {
      return error instanceof PlinthError ? error : PlinthError.network(error)
    }
  }

  private delay(attempts: number, retryAfterSeconds: number | undefined): number {
    const { initialMs = 1_000, maxMs = 60_000 } = this.options.backoff ?? {}
    const backoff = Math.min(maxMs, initialMs * 2 ** (attempts - 1)) * (0.5 + (this.options.random ?? Math.random)() / 2)
    return Math.max(backoff, (retryAfterSeconds ?? 0) * 1000)
  }

  private settle(write: QueuedWrite, error: PlinthError | undefined, data?: unknown): void {
    const outcome = this.outcomes.get(write.id)
    this.outcomes.delete(write.id)
    if (error) outcome?.reject(error)
    else outcome?.resolve(data)
  }

  private emit(event: QueueEvent): void {
    for (const listener of [...this.listeners]) listener(event)
  }
}
