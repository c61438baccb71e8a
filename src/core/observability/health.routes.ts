import type { FastifyInstance } from 'fastify'
import { Gauge } from 'prom-client'
import Type from 'typebox'
import type { Redis } from 'ioredis'
import type { Database } from '../db/client.js'
import { AppError } from '../errors/app-error.js'
import { errorResponses } from '../http/schemas.js'
import type { Metrics } from './metrics.js'

/** Each dependency's check gets this long, all at once, so /ready answers within about a second. */
const CHECK_TIMEOUT_MS = 1000

const Health = Type.Object(
  { status: Type.Literal('ok'), uptimeSeconds: Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) },
  { title: 'Health', description: 'The process is up' },
)
const Readiness = Type.Object(
  { status: Type.Literal('ready'), checks: Type.Record(Type.String(), Type.Literal('ok')) },
  { title: 'Readiness', description: 'Every dependency answered' },
)

interface Dependencies {
  database: Database
  redis: Redis | undefined
  metrics: Metrics
}

export async function healthRoutes(app: FastifyInstance, deps: Dependencies): Promise<void> {
  const tags = ['platform']
  /** [dependency, `ok` | `timeout` | `unreachable`] for the database and, when configured, Redis. */
  const checkDependencies = async (): Promise<(readonly [string, string])[]> => {
    const checks: Record<string, () => Promise<unknown>> = { database: () => deps.database.ping() }
    if (deps.redis) checks.redis = () => deps.redis!.ping()
    return Promise.all(
      Object.entries(checks).map(async ([name, check]) => [name, await probe(check, (err) => app.log.warn({ err, dependency: name }, 'readiness check failed'))] as const),
    )
  }
  // The same checks as /ready, run at each scrape, so an alert needs no probe of its own.
  new Gauge({
    name: 'plinth_ready',
    help: 'Whether a dependency answered the readiness check at this scrape (1) or not (0), by dependency',
    labelNames: ['dependency'],
    registers: [deps.metrics.registry],
    async collect() {
      for (const [dependency, result] of await checkDependencies()) this.set({ dependency }, result === 'ok' ? 1 : 0)
    },
  })
  app.get(
    '/health',
    {
      schema: {
        tags,
        summary: 'The process is alive',
        description: 'Liveness: answers as long as the event loop runs; checks no dependency.',
        response: { 200: Health },
      },
    },
    async () => ({ status: 'ok' as const, uptimeSeconds: Math.round(process.uptime()) }),
  )

  app.get(
    '/ready',
    {
      schema: {
        tags,
        summary: 'The database (and Redis, when configured) answer',
        description: 'Answers 503 SERVICE_UNAVAILABLE naming each failing dependency in `details`.',
        response: { 200: Readiness, ...errorResponses(503) },
      },
    },
    async () => {
      const results = await checkDependencies()
      const failing = results.filter(([, result]) => result !== 'ok')
      if (failing.length > 0) {
        const names = failing.map(([name]) => name)
        throw new AppError('SERVICE_UNAVAILABLE', `Not ready: ${names.join(', ')} unreachable.`, Object.fromEntries(results), { 'retry-after': '5' })
      }
      return { status: 'ready' as const, checks: Object.fromEntries(results) as Record<string, 'ok'> }
    },
  )

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
      reply.type(deps.metrics.registry.contentType)
      return deps.metrics.registry.metrics()
    },
  )
}

/** `ok`, `timeout` or `unreachable`; the cause goes to the log, not to the caller. */
async function probe(check: () => Promise<unknown>, logFailure: (error: unknown) => void): Promise<string> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CHECK_TIMEOUT_MS)
  })
  try {
    return await Promise.race([check().then(() => 'ok'), timeout])
  } catch (error) {
    logFailure(error)
    return 'unreachable'
  } finally {
    clearTimeout(timer)
  }
}
