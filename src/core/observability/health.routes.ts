import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Database } from '../db/client.js'
import { dependencyChecks } from './health-routes.shared.js'
import { metricsRoutes } from './metrics.routes.js'
import type { Metrics } from './metrics.js'
import { probeRoutes } from './probe.routes.js'

interface Dependencies {
  database: Database
  redis: Redis | undefined
  metrics: Metrics
}

/** /health, /ready and /metrics; /ready and the `plinth_ready` gauge share one set of checks. */
export async function healthRoutes(app: FastifyInstance, deps: Dependencies): Promise<void> {
  const checkDependencies = dependencyChecks(deps, app.log)
  await app.register(probeRoutes, { checkDependencies })
  await app.register(metricsRoutes, { metrics: deps.metrics, checkDependencies })
}
