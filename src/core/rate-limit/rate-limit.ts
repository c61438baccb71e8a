import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import { AppError } from '../errors/app-error.js'

/** Probes and scrapes: a load balancer or Prometheus must never be locked out (the OpenAPI document declares no limit on them). */
export const RATE_LIMIT_EXEMPT_PATHS: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics'])

/** Where the general limit's counters live in Redis: `plinth:rate:user:<id>`, `plinth:rate:ip:<ip>`. */
const RATE_KEY_PREFIX = 'plinth:rate:'

/** A store slower than this lets the request through rather than holding it. */
const STORE_TIMEOUT_MS = 1000

export interface RateLimitSettings {
  /** Requests per minute per account, or per IP when signed out; 0 turns the limit off. */
  perMinute: number
  redis: Redis | undefined
}

/**
 * The general limit: every request but the exempt ones counts, keyed by the signed-in account
 * (two users behind one IP are counted apart) or by the IP. It is an onRequest hook added after
 * authentication and CORS, so it knows the actor and a browser can read its 429. Counters live in
 * Redis when configured, so the limit holds across instances; while Redis is down (or slow) the
 * request goes through uncounted instead of failing. Every counted response carries
 * `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset` (seconds); a 429 adds
 * `retry-after`.
 *
 * @fastify/rate-limit is registered in a scope of its own: only its counter is used here, and
 * its decorators must not reach the routes that register their own limits (auth, uploads).
 */
export async function installRateLimit(app: FastifyInstance, { perMinute, redis }: RateLimitSettings): Promise<void> {
  if (perMinute === 0) return
  let count: ReturnType<FastifyInstance['createRateLimit']> | undefined
  await app.register(async (scope) => {
    // The limit is the plugin's own (global) setting and createRateLimit gets none: given options, it
    // would count in a per-route child store, whose keys start with the (here unknown) route's method
    // and URL ("plinth:rate:undefinedundefined-user:…"). Keys read `plinth:rate:user:<id>` / `plinth:rate:ip:<ip>`.
    await scope.register(rateLimit, { global: false, max: perMinute, timeWindow: 60_000, skipOnError: true, keyGenerator: keyOf, ...(redis ? { redis, nameSpace: RATE_KEY_PREFIX } : {}) })
    count = scope.createRateLimit()
  })
  const counter = count!
  app.addHook('onRequest', async (request, reply) => {
    if (RATE_LIMIT_EXEMPT_PATHS.has(request.url.split('?', 1)[0]!)) return
    // Only a Redis store can be slow; the in-memory one answers at once, without a timer per request.
    const state = redis ? await withTimeout(counter(request), request) : await counter(request)
    if (!state || state.isAllowed || state.ttl === 0) return
    const reset = String(state.ttlInSeconds)
    reply.header('x-ratelimit-limit', String(state.max)).header('x-ratelimit-reset', reset)
    if (!state.isExceeded) {
      reply.header('x-ratelimit-remaining', String(state.remaining))
      return
    }
    reply.header('x-ratelimit-remaining', '0')
    throw new AppError('RATE_LIMITED', `Too many requests; retry in ${reset} s.`, { limitPerMinute: state.max, retryAfterSeconds: state.ttlInSeconds }, { 'retry-after': reset })
  })
}

function keyOf(request: FastifyRequest): string {
  return request.actor ? `user:${request.actor.id}` : `ip:${request.ip}`
}

async function withTimeout<T>(counting: Promise<T>, request: FastifyRequest): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      request.log.warn('the rate-limit store did not answer in time; request not counted')
      resolve(undefined)
    }, STORE_TIMEOUT_MS)
  })
  try {
    return await Promise.race([counting, late])
  } finally {
    clearTimeout(timer)
  }
}
