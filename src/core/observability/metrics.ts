import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Database } from '../db/client.js'
import { RequestRates } from './request-rates.js'

export interface Metrics {
  readonly registry: Registry
  /** The same responses counted for the admin overview: the last minute and since start. */
  readonly rates: RequestRates
}

/**
 * Prometheus metrics on a registry of this app's own (several apps may live in one test
 * process): requests by route and status, latency histogram, process and database pool.
 */
export function installMetrics(app: FastifyInstance, database: Database): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const labelNames = ['method', 'route', 'status'] as const
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered', labelNames, registers: [registry] })
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency in seconds',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  new Gauge({
    name: 'db_pool_max_connections',
    help: 'Configured size of the database connection pool (1 for embedded PostgreSQL)',
    labelNames: ['driver'],
    registers: [registry],
    collect() {
      this.set({ driver: database.kind }, database.poolSize)
    },
  })
  new Gauge({
    name: 'db_queries_total',
    help: 'Queries sent to the database since start',
    labelNames: ['driver'],
    registers: [registry],
    collect() {
      this.set({ driver: database.kind }, database.queryCount())
    },
  })

  const rates = new RequestRates()
  // A callback hook (no promise per request).
  app.addHook('onResponse', (request, reply, done) => {
    // Unmatched requests share one label so that scanners cannot blow up the series count.
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }
    requests.inc(labels)
    duration.observe(labels, reply.elapsedTime / 1000)
    rates.record(reply.statusCode)
    done()
  })
  return { registry, rates }
}
