import { Redis } from 'ioredis'

/** The shared Redis connection (only when REDIS_URL is set). Commands fail fast while it is down. */
export function createRedis(url: string): Redis {
  return new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectionName: 'plinth',
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  })
}
