import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import { AppError } from '../errors/app-error.js'
import { accountRoutes } from './account.routes.js'
import type { AuthGroupOptions } from './auth-routes.shared.js'
import { emailFlowRoutes } from './email-flows.routes.js'
import { sessionsRoutes } from './sessions.routes.js'
import { signInRoutes } from './sign-in.routes.js'

export interface AuthRouteOptions extends AuthGroupOptions {
  /** Requests per minute per IP on /api/auth/*; 0 turns the limit off. */
  rateLimitPerMinute: number
}

/** /auth/*: the per-IP limit, then each route group (registered after it, so the limit covers them). */
export async function authRoutes(app: FastifyInstance, { identity, rateLimitPerMinute }: AuthRouteOptions): Promise<void> {
  if (rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: rateLimitPerMinute,
      timeWindow: 60_000,
      // With Redis down the limit is skipped rather than failing every auth request; sign-in
      // attempts stay limited by the login throttle, which falls back to memory.
      skipOnError: true,
      ...(app.platform.redis ? { redis: app.platform.redis, nameSpace: 'plinth:auth-rate:' } : {}),
      errorResponseBuilder: (_request, context) =>
        new AppError('RATE_LIMITED', `Too many requests to /api/auth; retry in ${Math.ceil(context.ttl / 1000)} s.`, { limitPerMinute: context.max }),
    })
  }
  for (const group of [signInRoutes, accountRoutes, sessionsRoutes, emailFlowRoutes]) await app.register(group, { identity })
}
