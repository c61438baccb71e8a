import type { FastifyInstance } from 'fastify'
import { Gauge } from 'prom-client'
import Type from 'typebox'
import { tags, type CheckDependencies } from './health-routes.shared.js'
import type { Metrics } from './metrics.js'

/** /metrics, with the readiness of each dependency measured at each scrape. */
export async function metricsRoutes(app: FastifyInstance, { metrics, checkDependencies }: { metrics: Metrics; checkDependencies: CheckDependencies }): Promise<void> {
  // The same checks as /ready, run at each scrape, so an alert needs no probe of its own.
  new Gauge({
    name: 'plinth_ready',
    help: 'Whether a dependency answered the readiness check at this scrape (1) or not (0), by dependency',
    labelNames: ['dependency'],
    registers: [metrics.registry],
    async collect() {
      for (const [dependency, result] of await checkDependencies()) this.set({ dependency }, result === 'ok' ? 1 : 0)
    },
  })

  app.get(
    '/metrics',
    {
      schema: {
        tags,
        summary: 'Prometheus metrics',
        description: 'Request count and latency by route and status, readiness by dependency, job dead letters, realtime sockets, process and database pool metrics.',
        response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: Type.String({ maxLength: 10_000_000 }) } } } },
      },
    },
    async (_request, reply) => {
      reply.type(metrics.registry.contentType)
      return metrics.registry.metrics()
    },
  )
}
