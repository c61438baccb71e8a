import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import { AppError } from '../errors/app-error.js'
import { errorResponses } from '../http/schemas.js'
import { tags, type CheckDependencies } from './health-routes.shared.js'

const Health = Type.Object(
  { status: Type.Literal('ok'), uptimeSeconds: Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) },
  { title: 'Health', description: 'The process is up' },
)
const Readiness = Type.Object(
  { status: Type.Literal('ready'), checks: Type.Record(Type.String(), Type.Literal('ok')) },
  { title: 'Readiness', description: 'Every dependency answered' },
)

/** /health (liveness) and /ready (readiness). */
export async function probeRoutes(app: FastifyInstance, { checkDependencies }: { checkDependencies: CheckDependencies }): Promise<void> {
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
}
