import type { FastifyBaseLogger } from 'fastify'
import { Redis } from 'ioredis'

/** REDIS_COMMAND_TIMEOUT_MS's default. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 1000

/**
 * The shared Redis connection (only when REDIS_URL is set). Commands fail fast while it is
 * down instead of queueing; reconnection goes on in the background and is logged once per outage.
 * A Redis that accepts connections but does not answer costs a command at most `commandTimeoutMs`
 * (the command fails); a connection silent for longer than that is dropped and opened again, so
 * the following commands fail at once until Redis answers.
 */
export function createRedis(url: string, log: FastifyBaseLogger, commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectionName: 'plinth',
    connectTimeout: Math.max(2000, commandTimeoutMs),
    commandTimeout: commandTimeoutMs,
    socketTimeout: commandTimeoutMs * 2,
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

/**
 * A dedicated subscriber connection for one channel. It never fails the boot: while Redis is
 * unreachable the subscription waits in the offline queue, and ioredis renews it after every
 * reconnect. `subscribed` settles when Redis confirmed it, or after a few seconds when Redis is
 * down. `onReady` runs at each (re)connection, for callers that must catch up.
 */
export function subscribe(
  redis: Redis,
  channel: string,
  onMessage: (message: string) => void,
  log: FastifyBaseLogger,
  onReady?: () => void,
): { subscriber: Redis; subscribed: Promise<void> } {
  // The subscription waits in the offline queue through outages: no command timeout for it.
  const subscriber = redis.duplicate({
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    connectionName: 'plinth-subscriber',
    commandTimeout: undefined,
    socketTimeout: undefined,
  })
  subscriber.on('error', () => {})
  subscriber.on('message', (_channel: string, message: string) => onMessage(message))
  if (onReady) subscriber.on('ready', onReady)
  const confirmed = subscriber.subscribe(channel).then(
    () => undefined,
    (err: unknown) => log.warn({ err, channel }, 'redis subscription failed'),
  )
  let timer: NodeJS.Timeout | undefined
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, 3000)
    timer.unref()
  })
  return { subscriber, subscribed: Promise.race([confirmed, waited]).finally(() => clearTimeout(timer)) }
}

/** Whether an error is ioredis saying Redis is unreachable or did not answer in time. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'AbortError') return true
  return /^(Command timed out|Connection is closed\.|Stream isn't writeable|Socket timeout|Reached the max retries)/.test(error.message)
}

/** Quits politely when connected; otherwise drops the connection (a QUIT would wait for Redis forever). */
export async function closeRedis(connection: Redis | undefined): Promise<void> {
  if (!connection) return
  if (connection.status !== 'ready') return connection.disconnect()
  await connection.quit().catch(() => connection.disconnect())
}
