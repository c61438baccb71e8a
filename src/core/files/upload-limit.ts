import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify'
import { AppError } from '../errors/app-error.js'

/**
 * Uploads per account per minute, counted before the body is read; in Redis when configured, so
 * the limit holds across instances, and skipped while Redis is down. Only a refusal carries this
 * limit's x-ratelimit headers: on other responses they describe the general limit.
 */
export async function uploadLimit(app: FastifyInstance, perMinute: number): Promise<preHandlerAsyncHookHandler[]> {
  if (perMinute === 0) return []
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    ...(app.platform.redis ? { redis: app.platform.redis, nameSpace: 'plinth:upload-rate:' } : {}),
  })
  return [
    app.rateLimit({
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => (request.actor ? `user:${request.actor.id}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new AppError('RATE_LIMITED', `Too many uploads; retry in ${Math.ceil(context.ttl / 1000)} s.`, { limitPerMinute: context.max, retryAfterSeconds: Math.ceil(context.ttl / 1000) }),
    }),
  ]
}
