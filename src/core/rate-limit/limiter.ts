import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import { AppError } from '../errors/app-error.js'

/** Where a module's limiter counts in Redis: `plinth:limit:<module>.<name>:<key>`. */
const KEY_PREFIX = 'plinth:limit:'
const NAME = /^[a-z][a-z0-9-]*$/

export interface RateLimitOptions {
  /** Unique within the module (lower-case letters, digits, hyphens); names the counters. */
  readonly name: string
  /** Requests per minute per key; 0 turns the limit off (the hook lets everything through). Give this or `perHour`. */
  readonly perMinute?: number
  /** Requests per hour per key instead (e.g. revealing a secret; `details.limitPerHour`); 0 turns it off. */
  readonly perHour?: number
  /** Who is counted; default the signed-in account, or the IP when signed out. */
  readonly key?: (request: FastifyRequest) => string
  /** The refusal's message, before "; retry in N s." (default "Too many requests"). */
  readonly message?: string
}

/**
 * `ModuleContext.rateLimit`: makes a limit, a preHandler hook to put on each route it covers (routes
 * sharing one hook share its counters). Past the limit it answers 429 RATE_LIMITED in the catalog's
 * shape, `details: { limitPerMinute, retryAfterSeconds }`, with `retry-after` and the general limit's
 * `x-ratelimit-limit` / `-remaining` (0) / `-reset` headers. Only refusals carry them: on other
 * responses those headers describe the general limit. Counted in Redis with REDIS_URL, so the limit
 * holds across instances (in memory on each instance while Redis is unreachable), in memory otherwise.
 */
export type RateLimitFactory = (options: RateLimitOptions) => preHandlerAsyncHookHandler

const WINDOW_SECONDS = 60
const HOUR_SECONDS = 3600

export function createRateLimitFactory(owner: string, redis: Redis | undefined): RateLimitFactory {
  const names = new Set<string>()
  return ({ name, perMinute: minute, perHour, key = defaultKey, message = 'Too many requests' }) => {
    if (!NAME.test(name)) throw new Error(`Rate limit "${name}" of "${owner}": the name must be lower-case letters, digits and hyphens`)
    if (names.has(name)) throw new Error(`Rate limit "${name}" of "${owner}" is defined twice: reuse its hook on every route it covers`)
    if ((minute === undefined) === (perHour === undefined)) throw new Error(`Rate limit "${name}" of "${owner}": give perMinute or perHour (one of them)`)
    const hourly = perHour !== undefined
    const points = (hourly ? perHour : minute)!
    if (!(Number.isInteger(points) && points >= 0)) throw new Error(`Rate limit "${name}" of "${owner}": ${hourly ? 'perHour' : 'perMinute'} must be an integer ≥ 0`)
    names.add(name)
    if (points === 0) return async () => {}
    const options = { keyPrefix: `${KEY_PREFIX}${owner}.${name}`, points, duration: hourly ? HOUR_SECONDS : WINDOW_SECONDS }
    const limiter: RateLimiterAbstract = redis
      ? new RateLimiterRedis({ ...options, storeClient: redis, useRedisPackage: false, insuranceLimiter: new RateLimiterMemory(options) })
      : new RateLimiterMemory(options)
    return async (request, reply) => {
      try {
        await limiter.consume(key(request))
      } catch (refusal) {
        if (!(refusal instanceof RateLimiterRes)) {
          // Neither Redis nor its in-memory stand-in answered: let the request through uncounted.
          request.log.warn({ err: refusal, limit: `${owner}.${name}` }, 'rate limit not counted')
          return
        }
        const seconds = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000))
        const reset = String(seconds)
        reply.header('x-ratelimit-limit', String(points)).header('x-ratelimit-remaining', '0').header('x-ratelimit-reset', reset)
        throw new AppError('RATE_LIMITED', `${message}; retry in ${reset} s.`, { [hourly ? 'limitPerHour' : 'limitPerMinute']: points, retryAfterSeconds: seconds }, { 'retry-after': reset })
      }
    }
  }
}

function defaultKey(request: FastifyRequest): string {
  return request.actor ? `user:${request.actor.id}` : `ip:${request.ip}`
}
