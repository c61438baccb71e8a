import type { FastifyInstance } from 'fastify'
import type { Authenticator } from '../core/access/actor.js'
import { installAuthentication } from '../core/auth/auth-hook.js'
import { installErrorHandler } from '../core/errors/error-handler.js'
import { installClosingGuard } from '../core/http/closing.js'
import { installNotFound } from '../core/http/not-found.js'
import { installOpenApi } from '../core/http/openapi.js'
import { installRequestId } from '../core/http/request-id.js'
import { installSecurity } from '../core/http/security.js'
import { installMetrics, type Metrics } from '../core/observability/metrics.js'
import { installRateLimit } from '../core/rate-limit/rate-limit.js'
import type { Platform } from './platform.js'

/**
 * Step 2: what every request goes through, in order: its id, the closing guard, authentication, error
 * and not-found answers, security headers and CORS, the rate limit, the contract and metrics.
 */
export async function installHttp(app: FastifyInstance, { config, database, redis }: Platform, authenticate: Authenticator, version: string): Promise<Metrics> {
  installRequestId(app)
  installClosingGuard(app)
  installAuthentication(app, authenticate)
  installErrorHandler(app)
  installNotFound(app)
  await installSecurity(app, config)
  // After authentication (keyed by account) and CORS (a browser can read the 429).
  await installRateLimit(app, { perMinute: config.rateLimitPerMinute, redis })
  await installOpenApi(app, version)
  return installMetrics(app, database)
}
