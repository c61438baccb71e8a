import type { FastifyBaseLogger } from 'fastify'
import { Redis } from 'ioredis'

/**
 * The shared Redis connection (only when REDIS_URL is set). Commands fail fast while it is
 * down instead of queueing; reconnection goes on in the background and is logged once per outage.
 */
export function createRedis(url: string, log: FastifyBaseLogger): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectionName: 'plinth',
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  })
  let down = false
  redis.on('error', (error: Error) => {
    if (down) return
    down = true
    log.warn({ err: error }, 'redis unreachable; retrying in the background')
  })
  redis.on('ready', () => {
    if (down) log.info('redis reachable again')
    down = false
  })
  return redis
}

/**
 * Waits for the first connection attempt to settle, so a fresh instance does not report
 * Redis unreachable merely because it is still connecting. A Redis that is down does not
 * stop the boot: readiness reports it.
 */
export function firstConnection(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      redis.off('ready', done)
      redis.off('error', done)
      resolve()
    }
    const timer = setTimeout(done, timeoutMs)
    redis.once('ready', done)
    redis.once('error', done)
  })
}
