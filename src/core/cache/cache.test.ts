import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { MemoryCache, RedisCache, type Cache } from './cache.js'

const redisUrl = process.env.REDIS_URL
const clients: Redis[] = []
afterAll(() => clients.forEach((client) => client.disconnect()))
const redisCache = (): Cache => {
  const client = new Redis(redisUrl!)
  clients.push(client)
  return new RedisCache(client)
}

const kinds: [string, () => Cache][] = [['memory', () => new MemoryCache()], ...(redisUrl ? [['redis', redisCache] as [string, () => Cache]] : [])]

describe.each(kinds)('cache (%s)', (_kind, make) => {
  it('stores JSON values until their TTL passes', async () => {
    const cache = make()
    const key = randomUUID()
    await cache.set(key, { counts: [1, 2] }, 50)
    expect(await cache.get(key)).toEqual({ counts: [1, 2] })
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(await cache.get(key)).toBeUndefined()
  })

  it('wrap computes once, then serves the cached value until invalidated', async () => {
    const cache = make()
    const key = randomUUID()
    let computed = 0
    const compute = async () => ++computed
    expect(await cache.wrap(key, 10_000, compute)).toBe(1)
    expect(await cache.wrap(key, 10_000, compute)).toBe(1)
    await cache.delete(key)
    expect(await cache.wrap(key, 10_000, compute)).toBe(2)
  })
})

describe.runIf(redisUrl)('cache shared by instances', () => {
  it('an invalidation on one instance is seen by another', async () => {
    const [a, b] = [redisCache(), redisCache()]
    const key = randomUUID()
    await a.set(key, 'v1', 10_000)
    expect(await b.get(key)).toBe('v1')
    await b.delete(key)
    expect(await a.get(key)).toBeUndefined()
  })
})
