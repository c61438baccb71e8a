import type { Redis } from 'ioredis'
import { LRUCache } from 'lru-cache'

/**
 * One cache interface: an in-process LRU by default, Redis (shared by every instance) with
 * REDIS_URL. Values are JSON. Invalidation deletes the key where every instance reads it.
 */
export interface Cache {
  get<T>(key: string): Promise<T | undefined>
  set(key: string, value: unknown, ttlMs: number): Promise<void>
  delete(...keys: string[]): Promise<void>
  /** The cached value, or computes, stores and returns it. */
  wrap<T>(key: string, ttlMs: number, compute: () => Promise<T>): Promise<T>
  /** Calls `listener` each time a shared cache is reachable again after an outage (Redis reconnected); returns the unsubscribe. */
  onReconnect?(listener: () => void): () => void
}

abstract class BaseCache implements Cache {
  abstract get<T>(key: string): Promise<T | undefined>
  abstract set(key: string, value: unknown, ttlMs: number): Promise<void>
  abstract delete(...keys: string[]): Promise<void>

  async wrap<T>(key: string, ttlMs: number, compute: () => Promise<T>): Promise<T> {
    const cached = await this.get<T>(key)
    if (cached !== undefined) return cached
    const value = await compute()
    await this.set(key, value, ttlMs)
    return value
  }
}

export class MemoryCache extends BaseCache {
  private readonly lru: LRUCache<string, { json: string }>

  constructor(maxEntries = 10_000) {
    super()
    this.lru = new LRUCache({ max: maxEntries, ttlAutopurge: false })
  }

  async get<T>(key: string): Promise<T | undefined> {
    const entry = this.lru.get(key)
    return entry ? (JSON.parse(entry.json) as T) : undefined
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    this.lru.set(key, { json: JSON.stringify(value) }, { ttl: ttlMs })
  }

  async delete(...keys: string[]): Promise<void> {
    for (const key of keys) this.lru.delete(key)
  }
}

const PREFIX = 'plinth:cache:'

export class RedisCache extends BaseCache {
  constructor(private readonly redis: Redis) {
    super()
  }

  async get<T>(key: string): Promise<T | undefined> {
    const json = await this.redis.get(PREFIX + key)
    return json === null ? undefined : (JSON.parse(json) as T)
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.redis.set(PREFIX + key, JSON.stringify(value), 'PX', Math.max(1, Math.round(ttlMs)))
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys.map((key) => PREFIX + key))
  }

  onReconnect(listener: () => void): () => void {
    this.redis.on('ready', listener)
    return () => this.redis.off('ready', listener)
  }
}

export function createCache(redis: Redis | undefined): Cache {
  return redis ? new RedisCache(redis) : new MemoryCache()
}
